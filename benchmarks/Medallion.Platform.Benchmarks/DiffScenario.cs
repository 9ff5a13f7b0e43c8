using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;

namespace Medallion.Platform.Benchmarks;

/// <summary>
/// Issue 43's data diff (goal: 10M rows in at most 5 s): a model's table built twice, the second time with 1% of its
/// amounts and 0.1% of its statuses changed, 0.1% of its rows gone and as many new, diffed by key
/// (<c>medallion diff silver.orders --version 1 --against-version 0 --key id</c>, through <see cref="Lakehouse.DiffAsync"/>),
/// and whole-row without a key. The baseline, in the same run, is the one query a user would write by hand in DuckDB
/// over the same two versions' rows written as Parquet: a full outer join by key that counts the rows only on one
/// side and the changed ones.
/// </summary>
internal static class DiffScenario
{
    private const int Rounds = 3;
    private static readonly TableName s_orders = new("silver", "orders");

    public static async Task<int> RunAsync(long rows)
    {
        string root = Directory.CreateTempSubdirectory("medallion-diff-bench-").FullName;
        try
        {
            Console.WriteLine($"Data diff benchmark: {rows:N0} rows, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
            var setup = Stopwatch.StartNew();
            await WriteProjectAsync(root, rows);
            MedallionProject project = await MedallionProject.LoadAsync(root);
            foreach (int round in new[] { 1, 2 })
            {
                RunResult run = await ProjectRunner.RunAsync(project, new RunOptions { Variables = new Dictionary<string, object?> { ["round"] = round } });
                if (!run.Succeeded)
                {
                    throw new InvalidOperationException("The project's run failed: " + string.Join("; ", run.Steps.Select(s => s.Error)));
                }

                await ExecuteAsync($"COPY ({Orders(rows, round)}) TO '{Path.Combine(root, $"round{round}.parquet")}' (FORMAT parquet)");
            }

            Console.WriteLine($"  setup (two versions of silver.orders, and the same rows as two Parquet files): {setup.Elapsed.TotalSeconds:0.0} s");

            string before = Path.Combine(root, "round1.parquet"), after = Path.Combine(root, "round2.parquet");
            double baseline = Median(await RepeatAsync(() => ExecuteAsync($"""
                SELECT count(*) FILTER (WHERE r.id IS NULL), count(*) FILTER (WHERE l.id IS NULL),
                       count(*) FILTER (WHERE l.id IS NOT NULL AND r.id IS NOT NULL AND (l.customer IS DISTINCT FROM r.customer OR l.amount IS DISTINCT FROM r.amount OR l.status IS DISTINCT FROM r.status OR l.day IS DISTINCT FROM r.day))
                FROM read_parquet('{after}') l FULL OUTER JOIN read_parquet('{before}') r ON l.id = r.id
                """)));

            TableDiff? keyed = null, whole = null;
            double byKey, byRow;
            await using (Lakehouse lakehouse = await Lakehouse.OpenAsync(root))
            {
                DiffSide left = lakehouse.VersionSide(s_orders, 1), right = lakehouse.VersionSide(s_orders, 0);
                byKey = Median(await RepeatAsync(async () => keyed = await lakehouse.DiffAsync(s_orders, left, right, ["id"])));
                byRow = Median(await RepeatAsync(async () => whole = await lakehouse.DiffAsync(s_orders, left, right, [])));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  the hand-written DuckDB join (median of {Rounds}): {baseline:0.00} s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"diff by key (median of {Rounds}): {byKey:0.00} s, {keyed!.OnlyLeft:N0} only in the new version, {keyed.OnlyRight:N0} only in the old, {keyed.Changed:N0} changed; ratio {byKey / baseline:0.00}x the join (goal <= 5 s: {(byKey <= 5 ? "met" : "MISSED")})"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"diff of whole rows (median of {Rounds}): {byRow:0.00} s, {whole!.OnlyLeft:N0} rows only in the new version, {whole.OnlyRight:N0} only in the old; ratio {byRow / baseline:0.00}x the join"));
            Console.WriteLine($"load average {LoadAverage()}");
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// The orders of a round: round 2 changes the amount of 1% of the rows and the status of 0.1%, drops the ids ending
    /// in 003 and adds as many ids past the end.
    /// </summary>
    private static string Orders(long rows, int round)
    {
        string n = rows.ToString(CultureInfo.InvariantCulture), added = (rows / 1000).ToString(CultureInfo.InvariantCulture);
        string changed = round == 2 ? "true" : "false";
        return $"""
            SELECT i AS id, 'customer ' || (i % 100000) AS customer,
                   CAST((i % 10000) / 100.0 + CASE WHEN {changed} AND i % 100 = 7 THEN 1 ELSE 0 END AS DECIMAL(12, 2)) AS amount,
                   CASE WHEN {changed} AND i % 1000 = 11 THEN 'refunded' WHEN i % 3 = 0 THEN 'shipped' ELSE 'paid' END AS status,
                   DATE '2026-01-01' + CAST(i % 365 AS INTEGER) AS day
            FROM range({n} + CASE WHEN {changed} THEN {added} ELSE 0 END) t(i)
            WHERE NOT ({changed} AND i % 1000 = 3)
            """;
    }

    private static async Task WriteProjectAsync(string root, long rows)
    {
        Directory.CreateDirectory(Path.Combine(root, "models", "silver"));
        await File.WriteAllTextAsync(Path.Combine(root, "medallion.yml"), "name: diff_bench\nstorage: warehouse\ncatalog: .medallion/catalog.db\n");
        // The model's SQL reads the round as a run variable, so both versions come from one file.
        string sql = Orders(rows, 2).Replace("true", "getvariable('round') = 2", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(root, "models", "silver", "orders.sql"), sql);
    }

    private static async Task<double[]> RepeatAsync(Func<Task> action)
    {
        double[] seconds = new double[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            var watch = Stopwatch.StartNew();
            await action();
            seconds[round] = watch.Elapsed.TotalSeconds;
        }

        return seconds;
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new DuckDbConnection();
        connection.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await using DuckDbDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
        }
    }

    private static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
