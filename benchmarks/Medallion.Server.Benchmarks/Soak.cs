using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Medallion.Benchmarks;
using Medallion.Catalog;
using Microsoft.Data.Sqlite;

namespace Medallion.Server.Benchmarks;

/// <summary>
/// Issue 36's soak (a benchmark, not CI): <c>medallion server</c>, run through the repository's launcher as users run
/// it, schedules N jobs of one small <c>table</c> model each on <c>every:</c> for a while; a sample every ~30 s reads
/// the server's resident memory, threads and open file descriptors from <c>/proc</c>, the catalog's size (its file
/// and <c>-wal</c>), the lake's file count and the runs recorded (done, queued, running, stuck). The project keeps runs
/// and table history for two minutes and the server's housekeeping passes every minute, so pruning, log cleanup and
/// vacuum all take effect within the soak and every curve can be flat. It prints the curves,
/// then a verdict per metric from the least-squares slope over the second half (the first half holds the warm-up:
/// JIT, thread pool growth, caches filling) and returns 1 when something grew or a run was stuck.
/// </summary>
/// <remarks>
/// Flat means the growth the slope projects over the second half stays under a tolerance, relative to the metric's
/// mean there or an absolute floor for small counts, whichever is larger: memory 10% or 16 MB (a GC heap saws by a
/// few MB between collections; a leak of one object graph per run, 150 runs a minute, passes that in minutes),
/// threads 10% or 4 and descriptors 10% or 8 (the thread pool and the SQL/HTTP listeners add and retire a few),
/// catalog and lake 5% or 256 KB / 20 files (their noise is a checkpoint or a WAL reset, never a trend). A run is stuck
/// when its current attempt has been running for longer than <c>stuckAfter</c> (a run here takes well under a
/// second); the queue's depth at the end shows whether the server keeps up with the demand (jobs / every).
/// </remarks>
internal static class Soak
{
    private const string HistoryKeep = "2m", HousekeepingEvery = "1m", TableRetention = "2m";

    /// <summary>Usage: <c>--soak [minutes (30)] [jobs (50)] [every seconds (10)]</c>.</summary>
    public static async Task<int> RunAsync(string[] arguments)
    {
        double minutes = arguments.Length > 0 ? double.Parse(arguments[0], CultureInfo.InvariantCulture) : 30;
        int jobs = arguments.Length > 1 ? int.Parse(arguments[1], CultureInfo.InvariantCulture) : 50;
        int every = arguments.Length > 2 ? int.Parse(arguments[2].TrimEnd('s'), CultureInfo.InvariantCulture) : 10;
        TimeSpan duration = TimeSpan.FromMinutes(minutes);
        // About 20 samples in a short soak, one every 30 s in a long one.
        TimeSpan sampleEvery = TimeSpan.FromSeconds(Math.Clamp(duration.TotalSeconds / 20, 5, 30));
        TimeSpan stuckAfter = TimeSpan.FromMinutes(5);

        Console.WriteLine($"Soak: medallion server, {jobs} jobs of one small table model each on every: {every}s ({jobs * 60.0 / every:0} runs a minute demanded), {minutes:0.#} min, a sample every {sampleEvery.TotalSeconds:0} s; {Environment.ProcessorCount} cores, load average {Bench.LoadAverage()}");
        Console.WriteLine($"  {MedallionCli.Build()}");
        using var project = new BenchProject();
        // Retentions short enough that the server's housekeeping prunes runs and tidies every table within the soak, so
        // the catalog and the lake reach a steady size: runs kept 2 minutes, log files and unreferenced data files 2
        // minutes, a pass every minute.
        project.Write("medallion.yml", $"name: bench\nstorage: lake\nhistory: {{keep: {HistoryKeep}}}\nmaintenance: {{every: {HousekeepingEvery}, log_retention: {TableRetention}, deleted_file_retention: {TableRetention}}}\n");
        var jobText = new StringBuilder("jobs:\n");
        for (int i = 0; i < jobs; i++)
        {
            project.Write($"models/silver/m{i}.sql", $"SELECT id, id * {i} AS v, now() AS at FROM range(100) t(id)\n");
            jobText.Append(CultureInfo.InvariantCulture, $"  - name: j{i}\n    select: silver.m{i}\n    every: {every}s\n    catchup: none\n");
        }

        project.Write("jobs/jobs.yml", jobText.ToString());
        string catalog = CatalogStore.DefaultPath(project.Directory);
        string lake = Path.Combine(project.Directory, "lake");

        using Process server = MedallionCli.Start("server", "--project", project.Directory, "--http-port", "0", "--pg-port", "0", "--grace", "10s");
        // Both pipes drained, or a chatty server blocks on a full pipe; the tail is kept for the report.
        var tail = new Queue<string>();
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 40)
                {
                    tail.Dequeue();
                }
            }
        }

        server.OutputDataReceived += (_, e) => Keep(e.Data);
        server.ErrorDataReceived += (_, e) => Keep(e.Data);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();

        var samples = new List<Sample>();
        var stuck = new Dictionary<string, string>(StringComparer.Ordinal);
        // Pruning removes finished runs from the catalog, so they are counted as they are first seen.
        var finished = new Dictionary<string, bool>(StringComparer.Ordinal);
        Stopwatch clock = Stopwatch.StartNew();
        int exit;
        try
        {
            while (clock.Elapsed < duration)
            {
                await Task.Delay(sampleEvery);
                if (server.HasExited)
                {
                    throw new InvalidOperationException($"medallion server exited ({server.ExitCode}) after {clock.Elapsed.TotalMinutes:0.0} min:\n{Tail(tail)}");
                }

                Sample sample = await SampleAsync(server.Id, clock.Elapsed, catalog, lake, stuckAfter, stuck, finished);
                samples.Add(sample);
                Sample? previous = samples.Count > 1 ? samples[^2] : null;
                if (samples.Count == 1)
                {
                    Console.WriteLine("  minute  RSS MB  threads  fds  catalog KB  lake files  runs done  done/min  queued  running  stuck  failed  load");
                }

                double perMinute = previous is null ? sample.Done / sample.At.TotalMinutes : (sample.Done - previous.Done) / (sample.At - previous.At).TotalMinutes;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {sample.At.TotalMinutes,6:0.0}  {sample.RssKb / 1024.0,6:0}  {sample.Threads,7}  {sample.Fds,3}  {sample.CatalogBytes / 1024.0,10:0}  {sample.LakeFiles,10}  {sample.Done,9}  {perMinute,8:0}  {sample.Queued,6}  {sample.Running,7}  {sample.Stuck,5}  {sample.Failed,6}  {Bench.LoadAverage()}"));
            }

            exit = Verdict(samples, jobs, every, stuck);
        }
        finally
        {
            await StopAsync(server);
        }

        SqliteConnection.ClearAllPools();
        return exit;
    }

    private sealed record Sample(TimeSpan At, long RssKb, int Threads, int Fds, long CatalogBytes, int LakeFiles, int Done, int Failed, int Queued, int Running, int Stuck);

    private static async Task<Sample> SampleAsync(int pid, TimeSpan at, string catalog, string lake, TimeSpan stuckAfter, Dictionary<string, string> stuck, Dictionary<string, bool> finished)
    {
        long rss = 0;
        int threads = 0;
        foreach (string line in await File.ReadAllLinesAsync($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        int fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        long catalogBytes = new[] { catalog, catalog + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);
        int lakeFiles = Directory.Exists(lake) ? Directory.EnumerateFiles(lake, "*", SearchOption.AllDirectories).Count() : 0;

        int queued = 0, running = 0, stuckNow = 0;
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = catalog, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 60 }.ToString());
        await connection.OpenAsync();
        await using (SqliteCommand command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, status FROM runs";
            await using SqliteDataReader reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                switch (reader.GetString(1))
                {
                    case "queued": queued++; break;
                    case "running": running++; break;
                    case string status: finished[reader.GetString(0)] = status == "failed"; break;
                }
            }
        }

        int done = finished.Count, failed = finished.Values.Count(f => f);

        await using (SqliteCommand command = connection.CreateCommand())
        {
            // A running run's current attempt: when it started.
            command.CommandText = """
                SELECT r.id, r.job, max(a.started_at) FROM runs r JOIN run_attempts a ON a.run_id = r.id
                WHERE r.status = 'running' GROUP BY r.id, r.job
                """;
            await using SqliteDataReader reader = await command.ExecuteReaderAsync();
            DateTimeOffset now = DateTimeOffset.UtcNow;
            while (await reader.ReadAsync())
            {
                TimeSpan runningFor = now - DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture);
                if (runningFor > stuckAfter)
                {
                    stuckNow++;
                    stuck[reader.GetString(0)] = string.Create(CultureInfo.InvariantCulture, $"run {reader.GetString(0)} of job {(reader.IsDBNull(1) ? "?" : reader.GetString(1))}, its attempt running for {runningFor.TotalMinutes:0.0} min");
                }
            }
        }

        return new Sample(at, rss, threads, fds, catalogBytes, lakeFiles, done, failed, queued, running, stuckNow);
    }

    private static int Verdict(List<Sample> samples, int jobs, int every, Dictionary<string, string> stuck)
    {
        if (samples.Count < 4)
        {
            Console.WriteLine("  too few samples for a verdict");
            return 1;
        }

        List<Sample> half = samples[(samples.Count / 2)..];
        double hours = (half[^1].At - half[0].At).TotalHours;
        bool grew = false;
        void Judge(string metric, string unit, Func<Sample, double> value, double relative, double floor)
        {
            double slope = Slope(half, value);
            double mean = half.Average(value);
            double growth = slope * hours;
            double tolerance = Math.Max(relative * mean, floor);
            bool flat = growth <= tolerance;
            grew |= !flat;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {metric}: {half[0].At.TotalMinutes:0}-{half[^1].At.TotalMinutes:0} min slope {slope:+0.0;-0.0} {unit}/h, {growth:+0.0;-0.0} {unit} over the second half (mean {mean:0.0}, tolerance {tolerance:0.0}): {(flat ? "flat" : "GROWS")}"));
        }

        Console.WriteLine("Verdict (least-squares slope over the second half):");
        Judge("RSS", "MB", s => s.RssKb / 1024.0, 0.10, 16);
        Judge("threads", "threads", s => s.Threads, 0.10, 4);
        Judge("open fds", "fds", s => s.Fds, 0.10, 8);
        Judge("catalog (file + wal)", "KB", s => s.CatalogBytes / 1024.0, 0.05, 256);
        Judge("lake files", "files", s => s.LakeFiles, 0.05, 20);
        int runs = half[^1].Done - half[0].Done;
        if (runs > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  per run finished in the second half: catalog {(half[^1].CatalogBytes - half[0].CatalogBytes) / (double)runs:+0;-0} bytes, lake {(half[^1].LakeFiles - half[0].LakeFiles) / (double)runs:+0.00;-0.00} files"));
        }

        double demanded = jobs * 60.0 / every;
        double finished = runs / (half[^1].At - half[0].At).TotalMinutes;
        double queueSlope = Slope(half, s => s.Queued);
        bool keepsUp = finished >= 0.9 * demanded && queueSlope * hours <= Math.Max(jobs * 0.1, 5);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  throughput: {finished:0} runs finished a minute in the second half against {demanded:0} demanded; queue {half[0].Queued} -> {half[^1].Queued} ({queueSlope:+0;-0}/h): {(keepsUp ? "keeps up" : "BACKLOG")}"));
        Console.WriteLine($"  failed runs: {samples[^1].Failed}");
        Console.WriteLine(stuck.Count == 0 ? "  no run stuck" : $"  STUCK: {stuck.Count} runs\n    " + string.Join("\n    ", stuck.Values.Take(20)));
        return grew || stuck.Count > 0 ? 1 : 0;
    }

    /// <summary>The least-squares slope of the metric against time, per hour.</summary>
    private static double Slope(List<Sample> samples, Func<Sample, double> value)
    {
        double meanT = samples.Average(s => s.At.TotalHours);
        double meanV = samples.Average(value);
        double covariance = samples.Sum(s => (s.At.TotalHours - meanT) * (value(s) - meanV));
        double variance = samples.Sum(s => Math.Pow(s.At.TotalHours - meanT, 2));
        return variance == 0 ? 0 : covariance / variance;
    }

    /// <summary>SIGTERM, as a service manager stops it; SIGKILL if it has not ended a minute later.</summary>
    private static async Task StopAsync(Process server)
    {
        if (server.HasExited)
        {
            return;
        }

        using (Process term = Process.Start("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        Task exited = server.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(TimeSpan.FromMinutes(1))) != exited)
        {
            Console.WriteLine("  the server had not stopped a minute after SIGTERM; killed");
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
        else
        {
            Console.WriteLine($"  the server stopped on SIGTERM with exit code {server.ExitCode}");
        }
    }

    private static string Tail(Queue<string> tail)
    {
        lock (tail)
        {
            return string.Join('\n', tail);
        }
    }
}
