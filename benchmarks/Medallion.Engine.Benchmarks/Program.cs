using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;

// Delta write side (issue 4), each scenario beside its DuckDB baseline measured in the same run:
//   append N rows against COPY ... TO parquet of the same rows; small commits per second (single writer);
//   MERGE touching 1% of the keys (clustered) against rewriting the whole table, copy-on-write and with deletion
//   vectors; OPTIMIZE of many small files against one COPY of their rows.
// Usage: Medallion.Engine.Benchmarks [rows = 10000000] [small files = 1000]
long rows = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 10_000_000;
int smallFiles = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000;
const int Chunks = 20;

string root = Directory.CreateTempSubdirectory("medallion-write-bench-").FullName;
using DuckDbDatabase database = DuckDbDatabase.Open();
using DuckDbConnection connection = database.CreateConnection();
var writer = new DeltaWriter(connection);
Console.WriteLine($"Delta writes, local disk, {rows:N0} rows; load average {LoadAverage()} on {Environment.ProcessorCount} cores");
try
{
    Execute(connection, "SET TimeZone = 'UTC'");
    Execute(connection, $"CREATE TABLE src AS SELECT i AS id, i % 1000 AS k, 'name-' || (i % 100000) AS s, i / 7.0 AS x FROM range({rows}) t(i)");

    // 1. Append: our write (Parquet by DuckDB plus stats and a commit) against DuckDB's plain COPY of the same rows.
    double copyMs = Time(() => Execute(connection, $"COPY (SELECT * FROM src) TO '{Path.Combine(root, "copy.parquet")}' (FORMAT parquet)"));
    double appendMs = await TimeAsync(() => writer.WriteAsync(Path.Combine(root, "append"), "SELECT * FROM src"));
    Console.WriteLine($"append {rows:N0} rows: Medallion {appendMs:F0} ms ({rows / appendMs / 1000:F2}M rows/s), DuckDB COPY {copyMs:F0} ms ({rows / copyMs / 1000:F2}M rows/s); throughput ratio {copyMs / appendMs:F2}x (target >= 0.9x)");

    // 2. MERGE touching 1% of the keys, clustered, in a table of Chunks files; baseline: rewrite the whole table once.
    string cow = Path.Combine(root, "merge-cow"), dv = Path.Combine(root, "merge-dv");
    for (int c = 0; c < Chunks; c++)
    {
        string chunk = $"SELECT * FROM src WHERE id >= {rows / Chunks * c} AND id < {rows / Chunks * (c + 1)}";
        await writer.WriteAsync(cow, chunk);
        await writer.WriteAsync(dv, chunk, new DeltaWriteOptions { Properties = new System.Collections.Generic.Dictionary<string, string> { ["delta.enableDeletionVectors"] = "true" } });
    }

    long touched = rows / 100;
    string source = $"SELECT id, k, s || '-merged' AS s, x + 1 AS x FROM src WHERE id < {touched}";
    double rewriteMs = Time(() => Execute(connection,
        $"COPY (SELECT t.id, t.k, coalesce(u.s, t.s) AS s, coalesce(u.x, t.x) AS x FROM src t LEFT JOIN ({source}) u ON t.id = u.id) TO '{Path.Combine(root, "rewrite.parquet")}' (FORMAT parquet)"));
    var merge = new DeltaMergeOptions(source, "target.id = source.id") { WhenMatched = DeltaMergeMatchedAction.Update, WhenNotMatchedInsert = true };
    long before = Process.GetCurrentProcess().PeakWorkingSet64;
    double cowMs = await TimeAsync(() => writer.MergeAsync(cow, merge));
    double dvMs = await TimeAsync(() => writer.MergeAsync(dv, merge));
    long peak = Process.GetCurrentProcess().PeakWorkingSet64;
    Console.WriteLine($"merge {touched:N0} of {rows:N0} rows (1%, clustered, {Chunks} files): copy-on-write {cowMs:F0} ms = {100 * cowMs / rewriteMs:F1}%, deletion vectors {dvMs:F0} ms = {100 * dvMs / rewriteMs:F1}% of a full rewrite ({rewriteMs:F0} ms; target <= 15%); process peak working set {peak / 1048576} MiB (before the merges {before / 1048576} MiB)");

    // 3. Small commits: one writer, one small file per commit; these files then feed OPTIMIZE.
    string small = Path.Combine(root, "small");
    await writer.WriteAsync(small, "SELECT * FROM src WHERE id < 100");
    double commitsMs = await TimeAsync(async () =>
    {
        for (int i = 1; i < smallFiles; i++)
        {
            await writer.WriteAsync(small, $"SELECT * FROM src WHERE id >= {i * 100} AND id < {(i + 1) * 100}");
        }
    });
    Console.WriteLine($"small commits: {smallFiles - 1:N0} appends of 100 rows in {commitsMs:F0} ms = {(smallFiles - 1) * 1000 / commitsMs:F0} commits/s (target >= 100/s; checkpoint every 10 commits included)");

    // 4. OPTIMIZE of the small files against one COPY of their rows.
    string files = string.Join(", ", Directory.EnumerateFiles(small, "*.parquet").Select(f => "'" + f + "'"));
    double packMs = Time(() => Execute(connection, $"COPY (SELECT * FROM read_parquet([{files}])) TO '{Path.Combine(root, "packed.parquet")}' (FORMAT parquet)"));
    DeltaOperationResult optimized = default!;
    double optimizeMs = await TimeAsync(async () => optimized = await writer.OptimizeAsync(small));
    Console.WriteLine($"optimize {optimized.FilesRemoved:N0} small files into {optimized.FilesAdded}: {optimizeMs:F0} ms, DuckDB COPY of their rows {packMs:F0} ms; ratio {optimizeMs / packMs:F2}x the COPY time");
}
finally
{
    Directory.Delete(root, recursive: true);
}

static void Execute(DuckDbConnection connection, string sql)
{
    using DuckDbCommand command = connection.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}

static double Time(Action action)
{
    var clock = Stopwatch.StartNew();
    action();
    return clock.Elapsed.TotalMilliseconds;
}

static async Task<double> TimeAsync(Func<Task> action)
{
    var clock = Stopwatch.StartNew();
    await action();
    return clock.Elapsed.TotalMilliseconds;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
