using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Benchmarks;
using Medallion.Pipelines.Benchmarks;
using Medallion.Storage;

// Issue 5's pipeline benchmark: generated orders through bronze -> silver (dedup, typing, cleaning) -> gold (daily
// revenue by category), as a Medallion project run by `medallion run` (the launcher and the CLI it builds, as users
// run it), against the same SQL run directly by DuckDB over the same Parquet files, in the same run; then an
// incremental run after 1% new rows. Each phase runs in a child process so that its peak memory is its own, three
// times, and the medians are compared.
// Usage: Medallion.Pipelines.Benchmarks [orders (default 10,000,000)] [work dir]
//        Medallion.Pipelines.Benchmarks --phase <generate|append|baseline|full|medallion|scan> <dir> [orders]
//        Medallion.Pipelines.Benchmarks storage <store root, e.g. s3://bench> [orders (default 2,000,000)] [--gcs-test-server]
//          the same project with its tables on the store against local disk (issues 20 and 42): full runs, then a scan
//          of every column with a cold and with a warm object cache, then a one-table `medallion sql` query. The store
//          is reached with the standard variables (AWS_ENDPOINT_URL_S3 for moto or MinIO, ...); its bucket or
//          container must exist. --gcs-test-server serves a gs:// root from the tests' GCS JSON API server, started
//          here (STORAGE_EMULATOR_HOST is set for the runs); each phase then prints the requests it made, by kind
//          (every request with MEDALLION_BENCH_SHOW_REQUESTS=1).
//        Medallion.Pipelines.Benchmarks plan [models (default 500)]
//          issue 43: the time of `medallion plan` over a generated project of models in layers, a few of them changed
//        Medallion.Pipelines.Benchmarks cold [orders (default 1,000,000)]
//          issue 45: one `medallion sql` query in a cold process against DuckDB's C client on the same Parquet files
if (args.Length > 0 && args[0] == "plan")
{
    return await PlanScenario.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500);
}

if (args.Length > 0 && args[0] == "cold")
{
    long coldOrders = args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
    string coldRoot = Directory.CreateTempSubdirectory("medallion-cold-bench-").FullName;
    try
    {
        return ColdQuery.Run(coldRoot, () =>
        {
            Measure("generate Parquet files", "generate", coldRoot, coldOrders);
            Measure("medallion run, full", "full", coldRoot, coldOrders);
        });
    }
    finally
    {
        Directory.Delete(coldRoot, recursive: true);
    }
}

if (args.Length > 0 && args[0] == "--phase")
{
    return Phases.Run(args[1], args[2], args.Length > 3 ? long.Parse(args[3], CultureInfo.InvariantCulture) : 0);
}

if (args.Length > 1 && args[0] == "storage")
{
    string[] positional = [.. args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal))];
    await using Medallion.TestSupport.GcsTestServer? gcs = args.Contains("--gcs-test-server") ? await StartGcsAsync(positional[0]) : null;
    StoreRequests.Source = gcs is null ? null : () => gcs.Requests;
    return StorageComparison(positional[0], positional.Length > 1 ? long.Parse(positional[1], CultureInfo.InvariantCulture) : 2_000_000);
}

long orders = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 10_000_000;
string root = args.Length > 1 ? Path.GetFullPath(args[1]) : Directory.CreateTempSubdirectory("medallion-pipeline-bench-").FullName;
bool ownsRoot = args.Length <= 1;
try
{
    Console.WriteLine($"Pipeline benchmark: {orders:N0} orders (+ duplicates and status updates), {Environment.ProcessorCount} cores, load average {LoadAverage()}");
    // The launcher builds the CLI when a source changed; that happens here, before anything is timed.
    Console.WriteLine($"  CLI: {MedallionCli.Build()}");
    Measure("generate Parquet files", "generate", root, orders);
    // On a shared machine one run is at the mercy of the load: three rounds of each, alternated, compared by medians.
    const int Rounds = 3;
    var baselines = new Phase[Rounds];
    var fulls = new Phase[Rounds];
    for (int round = 0; round < Rounds; round++)
    {
        baselines[round] = Measure("DuckDB direct: bronze copy, silver, gold as Parquet", "baseline", root, orders);
        fulls[round] = Measure("medallion run (full: load bronze, build silver and gold)", "full", root, orders);
    }

    // Each incremental round follows its own 1% of new rows, on the last full round's project.
    var incrementals = new Phase[Rounds];
    for (int round = 0; round < Rounds; round++)
    {
        Measure("append 1% new orders as a new file", "append", root, orders / 100);
        incrementals[round] = Measure("medallion run (incremental after 1% new rows)", "medallion", root, orders);
    }

    Phase baseline = Median(baselines), full = Median(fulls), incremental = Median(incrementals);
    double overhead = (full.Seconds / baseline.Seconds) - 1;
    double incrementalShare = incremental.Seconds / full.Seconds;
    // CPU time is the steadier measure on a shared machine, where wall time follows the other load.
    double cpuOverhead = (full.CpuSeconds / baseline.CpuSeconds) - 1;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Overhead of a full run over DuckDB direct: {overhead:P1} (target <= 15%: {(overhead <= 0.15 ? "met" : "MISSED")})"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  in CPU time: {cpuOverhead:P1} ({full.CpuSeconds:0.00} s against {baseline.CpuSeconds:0.00} s); incremental run {incremental.CpuSeconds / full.CpuSeconds:P1} of the full run's CPU time"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Incremental run after 1% new rows: {incrementalShare:P1} of the full run (target <= 10%: {(incrementalShare <= 0.10 ? "met" : "MISSED")})"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Peak memory: DuckDB direct {baseline.PeakMb:N0} MB, full run {full.PeakMb:N0} MB, incremental run {incremental.PeakMb:N0} MB; load average {LoadAverage()}"));
    return 0;
}
finally
{
    if (ownsRoot)
    {
        Directory.Delete(root, recursive: true);
    }
}

// The project on an object store against the same project on local disk, alternated round by round.
static int StorageComparison(string store, long orders)
{
    string root = Directory.CreateTempSubdirectory("medallion-storage-bench-").FullName;
    string cache = Path.Combine(root, "cache");
    Environment.SetEnvironmentVariable("MEDALLION_CACHE_DIR", cache);
    try
    {
        Console.WriteLine($"Storage benchmark: {orders:N0} orders on {store} against local disk, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        Console.WriteLine($"  CLI: {MedallionCli.Build()}");
        Measure("generate Parquet files", "generate", root, orders);
        const int Rounds = 3;
        var locals = new Phase[Rounds];
        var remotes = new Phase[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            Environment.SetEnvironmentVariable(Phases.StorageVariable, null);
            locals[round] = Measure("medallion run, local disk", "full", root, orders);
            Environment.SetEnvironmentVariable(Phases.StorageVariable, store);
            remotes[round] = Measure("medallion run, object store", "full", root, orders);
        }

        var localScans = new Phase[Rounds];
        var warmScans = new Phase[Rounds];
        Directory.Delete(cache, recursive: true);
        Phase cold = Measure("scan every column, object store, cold cache", "scan", root, orders);
        for (int round = 0; round < Rounds; round++)
        {
            Environment.SetEnvironmentVariable(Phases.StorageVariable, null);
            localScans[round] = Measure("scan every column, local disk", "scan", root, orders);
            Environment.SetEnvironmentVariable(Phases.StorageVariable, store);
            warmScans[round] = Measure("scan every column, object store, warm cache", "scan", root, orders);
        }

        var localQueries = new Phase[Rounds];
        var remoteQueries = new Phase[Rounds];
        for (int round = 0; round < Rounds; round++)
        {
            Environment.SetEnvironmentVariable(Phases.StorageVariable, null);
            localQueries[round] = Measure("medallion sql, one table, local disk", "query", root, orders);
            Environment.SetEnvironmentVariable(Phases.StorageVariable, store);
            remoteQueries[round] = Measure("medallion sql, one table, object store", "query", root, orders);
        }

        double run = Median(remotes).Seconds / Median(locals).Seconds;
        double warm = Median(warmScans).Seconds / Median(localScans).Seconds;
        double coldRatio = cold.Seconds / Median(localScans).Seconds;
        double query = Median(remoteQueries).Seconds / Median(localQueries).Seconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Full run on the store: {Median(remotes).Seconds:0.00} s against {Median(locals).Seconds:0.00} s local = {run:0.00}x (target <= 1.15x: {Verdict(run, 1.15)})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Scan, warm cache: {Median(warmScans).Seconds:0.00} s against {Median(localScans).Seconds:0.00} s local = {warm:0.00}x (target <= 1.02x: {Verdict(warm, 1.02)}); cold cache {cold.Seconds:0.00} s = {coldRatio:0.00}x (target <= 1.10x: {Verdict(coldRatio, 1.10)})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"One-table query: {Median(remoteQueries).Seconds:0.00} s against {Median(localQueries).Seconds:0.00} s local = {query:0.00}x (target <= 1.2x: {Verdict(query, 1.2)}); load average {LoadAverage()}"));
        return 0;
    }
    finally
    {
        Directory.Delete(root, recursive: true);
    }
}

static string Verdict(double ratio, double target) => ratio <= target ? "met" : "MISSED";

// The tests' GCS JSON API server on a loopback port, with the root's bucket, reached by the runs as an emulator.
static async Task<Medallion.TestSupport.GcsTestServer> StartGcsAsync(string store)
{
    if (!StoreUri.TrySplit(store, out string scheme, out string bucket, out _) || scheme is not ("gs" or "gcs"))
    {
        throw new ArgumentException($"--gcs-test-server serves a gs:// root, not '{store}'.");
    }

    Medallion.TestSupport.GcsTestServer server = await Medallion.TestSupport.GcsTestServer.StartAsync();
    server.CreateBucket(bucket);
    Environment.SetEnvironmentVariable("STORAGE_EMULATOR_HOST", server.EmulatorHost);
    return server;
}

static Phase Measure(string title, string phase, string root, long orders)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
    foreach (string a in new[] { "--phase", phase, root, orders.ToString(CultureInfo.InvariantCulture) })
    {
        start.ArgumentList.Add(a);
    }

    int requestsBefore = StoreRequests.Source?.Invoke().Count ?? 0;
    long began = Stopwatch.GetTimestamp();
    using Process child = Process.Start(start)!;
    string output = child.StandardOutput.ReadToEnd();
    child.WaitForExit();
    double seconds = Stopwatch.GetElapsedTime(began).TotalSeconds;
    if (child.ExitCode != 0)
    {
        throw new InvalidOperationException($"phase {phase} failed ({child.ExitCode}):\n{output}");
    }

    // The child's last lines are its CPU seconds and its peak resident set in kB; a phase that ran `medallion run`
    // gives that process's wall time before them, which leaves out the phase process's own start.
    string[] lines = output.TrimEnd().Split('\n');
    double cpu = double.Parse(lines[^2], CultureInfo.InvariantCulture);
    double peakMb = double.Parse(lines[^1], CultureInfo.InvariantCulture) / 1024;
    int shown = lines.Length - 2;
    if (shown > 0 && lines[shown - 1].StartsWith("wall ", StringComparison.Ordinal))
    {
        seconds = double.Parse(lines[shown - 1]["wall ".Length..], CultureInfo.InvariantCulture);
        shown--;
    }

    foreach (string line in lines[..shown])
    {
        Console.WriteLine("    " + line);
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {title,-60} {seconds,8:0.00} s  cpu {cpu,8:0.00} s  peak {peakMb,7:N0} MB"));
    if (StoreRequests.Source?.Invoke() is { } requests)
    {
        List<string> made = [.. requests.Skip(requestsBefore)];
        Console.WriteLine("    store requests: " + StoreRequests.Describe(made));
        if (Environment.GetEnvironmentVariable("MEDALLION_BENCH_SHOW_REQUESTS") == "1")
        {
            made.ForEach(r => Console.WriteLine("      " + Uri.UnescapeDataString(r)));
        }
    }

    return new Phase(seconds, cpu, peakMb);
}

// The round of median wall time (its CPU time and peak memory go with it).
static Phase Median(Phase[] rounds) => rounds.OrderBy(r => r.Seconds).ElementAt(rounds.Length / 2);

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

internal readonly record struct Phase(double Seconds, double CpuSeconds, double PeakMb);
