using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Medallion.Benchmarks;

namespace Medallion.Pipelines.Benchmarks;

/// <summary>
/// Issue 45's cold query: one <c>medallion sql</c> query in a process of its own (start to exit: the runtime, the project,
/// the catalog, the table's Delta log, the query) against DuckDB's own client running the same query over the same
/// Parquet files in a process of its own, alternated, medians compared. Goal: at most 2x.
/// </summary>
internal static class ColdQuery
{
    private const int Rounds = 9;

    // A dashboard's small query of the gold table (the process's start is most of it), then an aggregation of every row
    // of the silver table (the reading is more of it).
    private static readonly (string Title, string Table, string Sql)[] s_queries =
    [
        ("gold, top 5 categories", "gold.daily_revenue", Phases.QuerySql),
        ("silver, every row by status", "silver.orders", "SELECT status, count(*) AS orders, sum(amount) AS amount FROM silver.orders GROUP BY ALL ORDER BY status"),
    ];

    /// <param name="root">The benchmark's folder, where <paramref name="build"/> generated the orders and ran the project once.</param>
    /// <param name="build">Generates the data and runs the project once.</param>
    public static int Run(string root, Action build)
    {
        Console.WriteLine($"Cold query: medallion sql against DuckDB's C client, a process each, {Rounds} rounds alternated; {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"  CLI: {MedallionCli.Build().Split('\n')[0]}");
        build();
        string client = CompileClient(root);
        string project = Phases.ProjectDirectory(root);
        foreach ((string title, string table, string sql) in s_queries)
        {
            // One run of the project wrote each table once, so every Parquet file in its folder is in its current version.
            string files = Path.Combine(project, "warehouse", table.Replace('.', Path.DirectorySeparatorChar), "*.parquet");
            string direct = sql.Replace(table, $"read_parquet('{files}')", StringComparison.Ordinal);
            var ours = new double[Rounds];
            var theirs = new double[Rounds];
            string? expected = null;
            for (int round = 0; round < Rounds; round++)
            {
                (string medallion, ours[round]) = MedallionCli.RunBuilt("sql", "--project", project, "--format", "csv", sql);
                (string duckdb, theirs[round]) = MedallionCli.RunProcess(client, direct);
                expected ??= duckdb;
                if (!Same(medallion, duckdb))
                {
                    throw new InvalidOperationException($"The two answers differ:\nmedallion sql:\n{medallion}\nDuckDB:\n{duckdb}");
                }
            }

            double ourMedian = Median(ours), theirMedian = Median(theirs);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {title}: medallion sql {ourMedian * 1000:0} ms, DuckDB {theirMedian * 1000:0} ms = {ourMedian / theirMedian:0.00}x (target <= 2x: {(ourMedian / theirMedian <= 2 ? "met" : "MISSED")}); {expected!.Count(c => c == '\n') - 1} rows"));
        }

        return 0;
    }

    /// <summary>Builds the C client beside the data, against the libduckdb.so this program loads.</summary>
    private static string CompileClient(string root)
    {
        string library = AppContext.BaseDirectory;
        string client = Path.Combine(root, "duckdb-query");
        string source = Path.Combine(library, "duckdb_query.c");
        try
        {
            MedallionCli.RunProcess("cc", "-O2", "-o", client, source, "-L" + library, "-lduckdb", "-Wl,-rpath," + library);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new InvalidOperationException($"The DuckDB client of this benchmark is compiled from {source} with cc, which failed: {e.Message}\nHelp: install a C compiler (apt-get install gcc).", e);
        }

        return client;
    }

    // The same rows: numbers may be printed with other trailing zeros by the two clients.
    private static bool Same(string medallion, string duckdb) =>
        Normalize(medallion).SequenceEqual(Normalize(duckdb));

    private static string[] Normalize(string csv) =>
        [.. csv.Trim().Split('\n').Skip(1).Select(line => string.Join(',', line.TrimEnd('\r').Split(',').Select(v =>
            decimal.TryParse(v, NumberStyles.Number, CultureInfo.InvariantCulture, out decimal d) ? (d / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture) : v)))];

    private static double Median(double[] values) => values.OrderBy(v => v).ElementAt(values.Length / 2);
}
