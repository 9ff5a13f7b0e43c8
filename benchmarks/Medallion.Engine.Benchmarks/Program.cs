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
//        Medallion.Engine.Benchmarks store <root, e.g. s3://bucket> [upload MiB = 1024] [commits = 10000]
//          object storage (issue 20): our upload against the SDK's, and a many-commit snapshot from the store.
//        Medallion.Engine.Benchmarks commits [count = 1000]: the small-commit scenario alone.
// The MERGE and its baseline each run in a child process of this program, so each reports its own peak memory (VmHWM);
// the MERGE children first warm up on a small table, then run with their code fully optimized, as in a long-running process.
if (args.Length > 0 && args[0] == "--child")
{
    return await RunChildAsync(args[1], args[2], args[3], long.Parse(args[4], CultureInfo.InvariantCulture));
}

if (args.Length > 0 && args[0] == "commits")
{
    // The small-commit scenario alone, for profiling it: Medallion.Engine.Benchmarks commits [count = 1000].
    string scratch = Directory.CreateTempSubdirectory("medallion-commits-bench-").FullName;
    try
    {
        using DuckDbDatabase commitsDatabase = DuckDbDatabase.Open();
        using DuckDbConnection commitsConnection = commitsDatabase.CreateConnection();
        int count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000;
        Execute(commitsConnection, "SET TimeZone = 'UTC'");
        Execute(commitsConnection, $"CREATE TABLE src AS SELECT i AS id, i % 1000 AS k, 'name-' || (i % 100000) AS s, i / 7.0 AS x FROM range({count * 100}) t(i)");
        Console.WriteLine($"Delta small commits, local disk; load average {LoadAverage()} on {Environment.ProcessorCount} cores");
        await SmallCommitsAsync(commitsConnection, new DeltaWriter(commitsConnection), Path.Combine(scratch, "small"), Path.Combine(scratch, "plain"), count);
    }
    finally
    {
        Directory.Delete(scratch, recursive: true);
    }

    return 0;
}

if (args.Length > 1 && args[0] == "store")
{
    return await Medallion.Engine.Benchmarks.StoreScenarios.RunAsync(args[1],
        args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 1024,
        args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10_000);
}

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

    // 1. Append: our write (Parquet by DuckDB plus stats and a commit) against DuckDB's plain COPY of the same rows,
    // alternated AppendRounds times and compared by their medians, so one burst of load on a shared machine does not
    // decide the ratio.
    const int AppendRounds = 5;
    var copyTimes = new double[AppendRounds];
    var appendTimes = new double[AppendRounds];
    for (int round = 0; round < AppendRounds; round++)
    {
        copyTimes[round] = Time(() => Execute(connection, $"COPY (SELECT * FROM src) TO '{Path.Combine(root, "copy.parquet")}' (FORMAT parquet)"));
        appendTimes[round] = await TimeAsync(() => writer.WriteAsync(Path.Combine(root, "append"), "SELECT * FROM src"));
    }

    double copyMs = Median(copyTimes), appendMs = Median(appendTimes);
    Console.WriteLine($"append {rows:N0} rows (median of {AppendRounds} alternated rounds): Medallion {appendMs:F0} ms ({rows / appendMs / 1000:F2}M rows/s), DuckDB COPY {copyMs:F0} ms ({rows / copyMs / 1000:F2}M rows/s); throughput ratio {copyMs / appendMs:F2}x (target >= 0.9x)");

    // 2. MERGE touching 1% of the keys, clustered, in a table of Chunks files; baseline: rewrite the whole table once.
    string cow = Path.Combine(root, "merge-cow"), dv = Path.Combine(root, "merge-dv");
    for (int c = 0; c < Chunks; c++)
    {
        string chunk = $"SELECT * FROM src WHERE id >= {rows / Chunks * c} AND id < {rows / Chunks * (c + 1)}";
        await writer.WriteAsync(cow, chunk);
        await writer.WriteAsync(dv, chunk, new DeltaWriteOptions { Properties = new System.Collections.Generic.Dictionary<string, string> { ["delta.enableDeletionVectors"] = "true" } });
    }

    long touched = rows / 100;
    string sourceFile = Path.Combine(root, "copy.parquet");
    // Each round merges into a fresh copy of the tables, alternating with the rewrite; medians again.
    const int MergeRounds = 3;
    var rewrites = new (double Ms, long Kb)[MergeRounds];
    var cows = new (double Ms, long Kb)[MergeRounds];
    var dvs = new (double Ms, long Kb)[MergeRounds];
    for (int round = 0; round < MergeRounds; round++)
    {
        rewrites[round] = Child("rewrite", cow, sourceFile, touched);
        cows[round] = Child("merge-cow", CopyTable(cow, $"{cow}-{round}"), sourceFile, touched);
        dvs[round] = Child("merge-dv", CopyTable(dv, $"{dv}-{round}"), sourceFile, touched);
    }

    double rewriteMs = Median([.. rewrites.Select(r => r.Ms)]), cowMs = Median([.. cows.Select(r => r.Ms)]), dvMs = Median([.. dvs.Select(r => r.Ms)]);
    long rewriteKb = rewrites.Max(r => r.Kb), cowKb = cows.Max(r => r.Kb), dvKb = dvs.Max(r => r.Kb);
    Console.WriteLine($"merge {touched:N0} of {rows:N0} rows (1%, clustered, {Chunks} files; median of {MergeRounds} rounds): copy-on-write {cowMs:F0} ms = {100 * cowMs / rewriteMs:F1}%, deletion vectors {dvMs:F0} ms = {100 * dvMs / rewriteMs:F1}% of a full rewrite ({rewriteMs:F0} ms; target <= 15%)");
    Console.WriteLine($"merge peak memory (largest VmHWM of its own processes): copy-on-write {cowKb / 1024:N0} MiB, deletion vectors {dvKb / 1024:N0} MiB, full rewrite {rewriteKb / 1024:N0} MiB");

    // 3. Small commits: one writer, one small file per commit; these files then feed OPTIMIZE.
    string small = Path.Combine(root, "small");
    await SmallCommitsAsync(connection, writer, small, Path.Combine(root, "plain"), smallFiles);

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

return 0;

// Runs one MERGE scenario in a child process; returns its own wall time and peak resident memory.
(double Ms, long PeakKb) Child(string mode, string table, string sourceFile, long touched)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = false };
    if (mode != "rewrite")
    {
        // A long-running process runs its hot paths fully optimized; a one-off warm-up leaves them at tier 0 (and
        // the baseline is DuckDB alone, which has no JIT), so the merge children compile fully optimized at once.
        start.Environment["DOTNET_TieredCompilation"] = "0";
    }

    foreach (string a in new[] { "--child", mode, table, sourceFile, touched.ToString(CultureInfo.InvariantCulture) })
    {
        start.ArgumentList.Add(a);
    }

    using Process child = Process.Start(start)!;
    string output = child.StandardOutput.ReadToEnd().Trim();
    child.WaitForExit();
    if (child.ExitCode != 0)
    {
        throw new InvalidOperationException($"The {mode} child failed ({child.ExitCode}): {output}");
    }

    string[] parts = output.Split(' ');
    return (double.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
}

static async Task<int> RunChildAsync(string mode, string table, string sourceFile, long touched)
{
    using DuckDbDatabase database = DuckDbDatabase.Open();
    using DuckDbConnection connection = database.CreateConnection();
    Execute(connection, "SET TimeZone = 'UTC'");
    string source = $"SELECT id, k, s || '-merged' AS s, x + 1 AS x FROM read_parquet('{sourceFile}') WHERE id < {touched}";
    double ms;
    if (mode is "merge-cow" or "merge-dv")
    {
        // A long-running process merges with its code already compiled and DuckDB's first reads done: warm up on a
        // throwaway table of the same shape and properties, whose merge also reads a checkpoint and writes one.
        var writer = new DeltaWriter(connection);
        string warm = table + "-warmup";
        var properties = new System.Collections.Generic.Dictionary<string, string> { ["delta.checkpointInterval"] = "2" };
        if (mode == "merge-dv")
        {
            properties["delta.enableDeletionVectors"] = "true";
        }

        for (int commit = 0; commit < 4; commit++)
        {
            await writer.WriteAsync(warm, $"SELECT i AS id, i % 1000 AS k, 'name-' || i AS s, i / 7.0 AS x FROM range({commit * 100}, {(commit + 1) * 100}) t(i)", new DeltaWriteOptions { Properties = properties });
        }

        // A writer of its own, as the measured one: it has no snapshot of the table cached and reads the checkpoint.
        writer = new DeltaWriter(connection);
        await writer.MergeAsync(warm, new DeltaMergeOptions($"SELECT id + 350 AS id, k, s || '-merged' AS s, x + 1 AS x FROM read_parquet('{warm}/*.parquet') WHERE id < 100", "target.id = source.id") { WhenMatched = DeltaMergeMatchedAction.Update, WhenNotMatchedInsert = true });
        Directory.Delete(warm, recursive: true);
        var merge = new DeltaMergeOptions(source, "target.id = source.id") { WhenMatched = DeltaMergeMatchedAction.Update, WhenNotMatchedInsert = true };
        DeltaOperationResult merged = default!;
        ms = await TimeAsync(async () => merged = await writer.MergeAsync(table, merge));
        Console.Error.WriteLine($"  merge into {Path.GetFileName(table)}: {merged.FilesRemoved} files removed, {merged.FilesAdded} added, {merged.RowsAffected:N0} rows");
    }
    else
    {
        // The baseline: rewrite every row of the table's files, joined with the same source, to one new file.
        ms = Time(() => Execute(connection,
            $"COPY (SELECT t.id, t.k, coalesce(u.s, t.s) AS s, coalesce(u.x, t.x) AS x FROM read_parquet('{table}/*.parquet') t LEFT JOIN ({source}) u ON t.id = u.id) TO '{table}-rewrite.parquet' (FORMAT parquet)"));
    }

    string hwm = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
    Console.WriteLine($"{ms.ToString("F1", CultureInfo.InvariantCulture)} {hwm.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]}");
    return 0;
}

// One writer appends count - 1 files of 100 rows to the table at small, one commit each (after a first write), against
// DuckDB writing the same rows as plain Parquet files into plain; src holds the rows.
static async Task SmallCommitsAsync(DuckDbConnection connection, DeltaWriter writer, string small, string plain, int smallFiles)
{
    Directory.CreateDirectory(plain);
    await writer.WriteAsync(small, "SELECT * FROM src WHERE id < 100");
    TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    double commitsMs = await TimeAsync(async () =>
    {
        for (int i = 1; i < smallFiles; i++)
        {
            await writer.WriteAsync(small, $"SELECT * FROM src WHERE id >= {i * 100} AND id < {(i + 1) * 100}");
        }
    });
    double commitsCpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
    double plainMs = Time(() =>
    {
        for (int i = 1; i < smallFiles; i++)
        {
            Execute(connection, $"COPY (SELECT * FROM src WHERE id >= {i * 100} AND id < {(i + 1) * 100}) TO '{Path.Combine(plain, i + ".parquet")}' (FORMAT parquet)");
        }
    });
    Console.WriteLine($"small commits: {smallFiles - 1:N0} appends of 100 rows in {commitsMs:F0} ms = {(smallFiles - 1) * 1000 / commitsMs:F0} commits/s (target >= 500/s; checkpoint every 10 commits included), {commitsCpuMs / (smallFiles - 1):F1} ms CPU per commit; DuckDB COPY of the same 100-row files alone {(smallFiles - 1) * 1000 / plainMs:F0} files/s");
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

static string CopyTable(string from, string to)
{
    foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
    {
        string target = Path.Combine(to, Path.GetRelativePath(from, file));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(file, target);
    }

    return to;
}

static double Median(double[] values)
{
    double[] sorted = [.. values.Order()];
    return sorted[sorted.Length / 2];
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
