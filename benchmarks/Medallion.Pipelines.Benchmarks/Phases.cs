using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Benchmarks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Benchmarks;

/// <summary>
/// The benchmark's phases, each run in its own process; each prints its CPU seconds and peak resident set (kB) last, and
/// the phases that run <c>medallion run</c> print that process's wall time (<c>wall s</c>) before them.
/// </summary>
internal static class Phases
{
    private const int Files = 10;

    /// <summary>The variable naming an object store root (<c>s3://bucket/prefix</c>) for the project's tables; local storage when unset.</summary>
    public const string StorageVariable = "MEDALLION_BENCH_STORAGE";

    /// <summary>A scan that reads every column of every row of the project's tables (a count alone could be answered from metadata).</summary>
    private const string ScanSql = "SELECT (SELECT sum(length(CAST(b AS VARCHAR))) FROM bronze.orders b) + (SELECT sum(length(CAST(s AS VARCHAR))) FROM silver.orders s)";

    // What a dashboard asks of one gold table: the query's own cost is small, so what a store adds (finding and loading the table) shows.
    internal const string QuerySql = "SELECT category, sum(revenue) AS revenue FROM gold.daily_revenue GROUP BY ALL ORDER BY revenue DESC LIMIT 5";

    // The same silver and gold SQL for both contenders; {table} is the table read.
    private const string SilverSql = """
        SELECT
            order_id,
            customer_id,
            lower(trim(status)) AS status,
            category,
            CAST(replace(replace(replace(amount, 'R$ ', ''), '.', ''), ',', '.') AS DECIMAL(12, 2)) AS amount,
            updated_at
        FROM {table}
        QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY updated_at DESC) = 1
        """;

    private const string GoldSql = """
        SELECT CAST(updated_at AS DATE) AS day, category, count(*) AS orders, sum(amount) AS revenue
        FROM {table}
        WHERE status <> 'canceled'
        GROUP BY ALL
        """;

    public static int Run(string phase, string root, long orders)
    {
        switch (phase)
        {
            case "generate":
                Generate(root, orders, Files, 0);
                break;
            case "append":
                // The next file after those already there, with order ids of its own: each append is new data.
                Generate(root, orders, 1, Directory.GetFiles(Path.Combine(root, "data", "orders"), "*.parquet").Length);
                break;
            case "baseline":
                Baseline(root);
                break;
            case "full":
                // A full run from nothing: the project (tables, catalog) of an earlier round goes first; on a store,
                // each round writes under a new prefix.
                string project = ProjectDirectory(root);
                if (Directory.Exists(project))
                {
                    Directory.Delete(project, recursive: true);
                }

                RunCli(root);
                return 0;
            case "medallion":
                RunCli(root);
                return 0;
            case "scan":
                Scan(root, ScanSql);
                return 0;
            case "query":
                Scan(root, QuerySql);
                return 0;
            default:
                throw new ArgumentException($"unknown phase '{phase}'");
        }

        // The last two lines: CPU seconds (user + system, all threads) and peak resident set in kB.
        Console.WriteLine(Environment.CpuUsage.TotalTime.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture));
        Console.WriteLine(PeakResidentKb());
        return 0;
    }

    /// <summary>
    /// Runs the project as its users do, <c>medallion run</c> through the launcher, and reports that process's wall
    /// time, CPU time and peak memory: it is this process's only child, so the kernel's account of children is its own.
    /// </summary>
    private static void RunCli(string root)
    {
        string project = ProjectDirectory(root);
        if (!File.Exists(Path.Combine(project, MedallionProject.FileName)))
        {
            WriteProject(project, Path.Combine(root, "data"));
        }

        (string output, double seconds) = MedallionCli.Run("run", "--project", project);
        // Its summary table, without the progress lines above it.
        string[] lines = output.TrimEnd().Split('\n');
        foreach (string line in lines.SkipWhile(l => !l.StartsWith("table ", StringComparison.Ordinal)))
        {
            Console.WriteLine(line);
        }

        (double cpu, long peakKb) = ChildUsage.Read();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wall {seconds:0.000}"));
        Console.WriteLine(cpu.ToString("0.000", CultureInfo.InvariantCulture));
        Console.WriteLine(peakKb);
    }

    /// <summary>Runs <paramref name="sql"/> over the project's tables with <c>medallion sql</c>, reporting as <see cref="RunCli"/> does.</summary>
    private static void Scan(string root, string sql)
    {
        (string output, double seconds) = MedallionCli.Run("sql", "--project", ProjectDirectory(root), "--format", "csv", sql);
        Console.WriteLine("scanned " + output.Trim().Split('\n')[^1]);
        (double cpu, long peakKb) = ChildUsage.Read();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wall {seconds:0.000}"));
        Console.WriteLine(cpu.ToString("0.000", CultureInfo.InvariantCulture));
        Console.WriteLine(peakKb);
    }

    /// <summary>The project folder: one for local storage, one for the object store, so both can be scanned after their runs.</summary>
    internal static string ProjectDirectory(string root) =>
        Path.Combine(root, Environment.GetEnvironmentVariable(StorageVariable) is { Length: > 0 } ? "project-store" : "project");

    /// <summary>
    /// Orders as Parquet in <paramref name="fileCount"/> files starting at number <paramref name="firstFile"/>: 10% of the
    /// rows are later status updates of an earlier order; amounts are Brazilian-format text, statuses untidy.
    /// </summary>
    private static void Generate(string root, long orders, int fileCount, int firstFile)
    {
        string dir = Path.Combine(root, "data", "orders");
        Directory.CreateDirectory(dir);
        using var connection = new DuckDbConnection();
        connection.Open();
        long perFile = orders / fileCount;
        long idBase = firstFile == 0 ? 0 : 1_000_000_000L * firstFile;
        for (int f = 0; f < fileCount; f++)
        {
            string path = Path.Combine(dir, $"orders-{firstFile + f:D3}.parquet");
            long from = idBase + (f * perFile);
            Execute(connection, string.Create(CultureInfo.InvariantCulture, $$"""
                COPY (
                    WITH o AS (SELECT {{from}} + i AS order_id FROM range({{perFile}}) t(i)),
                    events AS (
                        SELECT order_id, 0 AS rev FROM o
                        UNION ALL SELECT order_id, 1 AS rev FROM o WHERE hash(order_id) % 10 = 0)
                    SELECT
                        order_id,
                        hash(order_id * 7) % 500000 AS customer_id,
                        (['  Created', 'PAID', 'shipped ', 'Delivered', 'canceled'])[1 + (hash(order_id + rev) % 5)::INT] AS status,
                        (['books', 'electronics', 'home', 'toys', 'fashion', 'sports', 'beauty', 'food'])[1 + (hash(order_id * 3) % 8)::INT] AS category,
                        'R$ ' || format('{:,.2f}', (hash(order_id * 11) % 500000) / 100.0).replace(',', '#').replace('.', ',').replace('#', '.') AS amount,
                        TIMESTAMP '2026-01-01' + to_seconds((order_id % 31536000) + rev * 3600) AS updated_at
                    FROM events
                ) TO '{{path}}' (FORMAT parquet)
                """));
        }
    }

    private static void Baseline(string root)
    {
        string dir = Path.Combine(root, "baseline");
        Directory.CreateDirectory(dir);
        string bronze = Path.Combine(dir, "bronze.parquet"), silver = Path.Combine(dir, "silver.parquet"), gold = Path.Combine(dir, "gold.parquet");
        using var connection = new DuckDbConnection();
        connection.Open();
        string glob = Path.Combine(root, "data", "orders", "*.parquet");
        Timed("bronze", () => Execute(connection, $"COPY (SELECT *, filename AS _source_file, now() AS _ingested_at FROM read_parquet('{glob}', filename = true)) TO '{bronze}' (FORMAT parquet)"));
        Timed("silver", () => Execute(connection, $"COPY ({SilverSql.Replace("{table}", $"read_parquet('{bronze}')", StringComparison.Ordinal)}) TO '{silver}' (FORMAT parquet)"));
        Timed("gold", () => Execute(connection, $"COPY ({GoldSql.Replace("{table}", $"read_parquet('{silver}')", StringComparison.Ordinal)}) TO '{gold}' (FORMAT parquet)"));
        Console.WriteLine($"gold rows: {Scalar(connection, $"SELECT count(*) FROM read_parquet('{gold}')")}");
    }

    private static void WriteProject(string project, string data)
    {
        Directory.CreateDirectory(Path.Combine(project, "sources"));
        Directory.CreateDirectory(Path.Combine(project, "models", "silver"));
        Directory.CreateDirectory(Path.Combine(project, "models", "gold"));
        string storage = Environment.GetEnvironmentVariable(StorageVariable) is { Length: > 0 } store
            ? $"storage: {store.TrimEnd('/')}/run-{Guid.NewGuid():N}\n"
            : string.Empty;
        File.WriteAllText(Path.Combine(project, MedallionProject.FileName), "name: pipeline_benchmark\n" + storage);
        File.WriteAllText(Path.Combine(project, "sources", "orders.yml"), $"""
            sources:
              - name: orders
                format: parquet
                path: {Path.Combine(data, "orders", "*.parquet")}
                target: bronze.orders
            """);
        File.WriteAllText(Path.Combine(project, "models", "silver", "orders.sql"), "/* ---\nmaterialized: merge\nunique_key: order_id\n--- */\n" + SilverSql.Replace("{table}", "bronze.orders", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(project, "models", "gold", "daily_revenue.sql"), "/* ---\nmaterialized: table\n--- */\n" + GoldSql.Replace("{table}", "silver.orders", StringComparison.Ordinal));
    }

    private static void Timed(string step, Action action)
    {
        long began = Stopwatch.GetTimestamp();
        action();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{step,-22} {Stopwatch.GetElapsedTime(began).TotalSeconds,6:0.00} s"));
    }

    private static void Execute(DuckDbConnection connection, string sql)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(DuckDbConnection connection, string sql)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static long PeakResidentKb()
    {
        foreach (string line in File.ReadAllLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
