using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Server;
using Medallion.Server.Benchmarks;
using Medallion.Server.Scheduling;
using Microsoft.Data.Sqlite;
using static Medallion.Server.Benchmarks.Bench;

// Issue 17's server benchmarks, each against a baseline or target in the same run, with the server in this process
// (the scheduler and REST API `medallion server` runs, on a loopback HTTP port):
//   latency   N jobs on `every: 5s`, one trivial model each, for a while: planned time -> attempt start and -> model start.
//   overhead  one job of 200 small models run by the scheduler against ProjectRunner (what `medallion run` calls).
//   history   100,000 recorded runs: GET /api/runs?limit=50 over HTTP, p50/p99, working set before and after.
//   metrics   (issue 19) GET /metrics with 1,000 tables and 500 models that ran: scrape time and size, text and
//             OpenMetrics (targets <= 50 ms, <= 2 MB); and the cost of counting one model's events.
//   web       (issue 18) 1,000 tables, 500 models, 100,000 recorded runs: server time of the home, catalog search,
//             table and lineage pages (p95 <= 100 ms), and the lineage page rendered in Chromium (<= 2 s).
//   catalogs  (issue 38) the web scenario's pages and the run history served from the SQLite catalog, then from a
//             copy of it in PostgreSQL (MEDALLION_BENCH_PG, an Npgsql connection string; default the test server
//             build/test-setup/postgres.sh starts): each page's p95 on PostgreSQL / SQLite (target <= 1.5x).
//   adoption  (issue 38) two `medallion server` processes of role all on a PostgreSQL catalog (MEDALLION_BENCH_PG):
//             SIGKILL, then SIGSTOP, the one running a run; time until the other starts its next attempt, p50/p99
//             against the goal of 45 s with the defaults; then a scheduler and two workers, a worker signalled.
//   --soak    (issue 36) `medallion server` through the launcher with N jobs on `every:` for a while: its memory,
//             threads, file descriptors, catalog and lake sampled from /proc and disk, a verdict per metric from the
//             slope over the second half, and any run stuck (see Soak); exit 1 when something grew or a run stuck.
//   cluster   (issue 38) the latency benchmark's jobs on a PostgreSQL catalog (MEDALLION_BENCH_PG), as processes: one
//             server of role all, then three (planning beside each other), then a scheduler and two workers, each once
//             settled; fire time -> first attempt p50/p99 of each, the ratios, and the goal of 250 ms with three servers.
// Usage: Medallion.Server.Benchmarks [latency|overhead|history|metrics|web|catalogs|adoption|cluster|all] [--quick]
//        Medallion.Server.Benchmarks --soak [minutes (30)] [jobs (50)] [every seconds (10)]
if (args.Length > 0 && args[0] == "--soak")
{
    return await Soak.RunAsync(args[1..]);
}

string which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
bool quick = args.Contains("--quick");
Console.WriteLine($"Server benchmarks{(quick ? " (--quick)" : "")}: {Environment.ProcessorCount} cores, load average {LoadAverage()}");
if (which is "latency" or "all")
{
    await LatencyAsync(jobs: quick ? 100 : 500, TimeSpan.FromSeconds(quick ? 30 : 120));
}

if (which is "overhead" or "all")
{
    await OverheadAsync(models: 200, rounds: quick ? 2 : 3);
}

if (which is "history" or "all")
{
    await HistoryAsync(runs: 100_000, requests: quick ? 500 : 2000);
}

if (which is "metrics" or "all")
{
    await MetricsAsync(tables: 1000, models: 500, scrapes: quick ? 100 : 300);
}

if (which is "web" or "all")
{
    await WebBenchmark.RunAsync(runs: 100_000, requests: quick ? 50 : 200, renders: quick ? 3 : 10);
}

string postgresServer = Environment.GetEnvironmentVariable("MEDALLION_BENCH_PG") is { Length: > 0 } server ? server : "Host=127.0.0.1;Port=55432;Username=medallion;Password=medallion;Database=postgres";
if (which is "catalogs" or "all")
{
    await WebBenchmark.CatalogEnginesAsync(runs: 100_000, requests: quick ? 50 : 200, postgresServer);
}

if (which is "adoption" or "all")
{
    await Adoption.RunAsync(postgresServer, rounds: quick ? 3 : 10);
}

if (which is "cluster" or "all")
{
    await ClusterLatency.RunAsync(postgresServer, jobs: quick ? 100 : 500, TimeSpan.FromSeconds(quick ? 40 : 120));
}

return 0;

static async Task LatencyAsync(int jobs, TimeSpan duration)
{
    using var project = new BenchProject();
    var jobText = new System.Text.StringBuilder("jobs:\n");
    for (int i = 0; i < jobs; i++)
    {
        project.Write($"models/silver/m{i}.sql", $"SELECT {i} AS id\n");
        jobText.Append(CultureInfo.InvariantCulture, $"  - name: j{i}\n    select: silver.m{i}\n    every: 5s\n    catchup: none\n");
    }

    project.Write("jobs/jobs.yml", jobText.ToString());
    Console.WriteLine($"Scheduling latency: {jobs} jobs on every: 5s, trivial models, {duration.TotalSeconds:0} s");
    MedallionServer server = await MedallionServer.StartAsync(new MedallionServerOptions { ProjectDirectory = project.Directory, HttpPort = 0, Grace = TimeSpan.Zero });
    await using (server)
    {
        await Task.Delay(duration);
        await server.StopAsync();
    }

    SqliteConnection.ClearAllPools();
    CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(project.Directory));
    await using (catalog)
    {
        var toAttempt = new List<double>();
        var toModel = new List<(DateTimeOffset Planned, double Ms)>();
        // Where a succeeded run's time goes, phase by phase (each from the end of the one before).
        var phases = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        void Phase(string name, DateTimeOffset from, DateTimeOffset to) =>
            (phases.TryGetValue(name, out List<double>? list) ? list : phases[name] = []).Add((to - from).TotalMilliseconds);
        DateTimeOffset? lastEnd = null;
        int runs = 0, succeeded = 0;
        for (int i = 0; i < jobs; i++)
        {
            foreach (RunRecord run in (await catalog.Runs.QueryRunsAsync(new RunQuery { Job = $"j{i}", Limit = 1000 })).Runs.Where(r => r.Trigger == RunTrigger.Schedule))
            {
                runs++;
                succeeded += run.Status == RunStatus.Succeeded ? 1 : 0;
                if (run.IntervalEnd is not { } planned)
                {
                    continue;
                }

                if ((await catalog.Runs.GetAttemptsAsync(run.Id)).FirstOrDefault() is { } attempt)
                {
                    toAttempt.Add((attempt.StartedAt - planned).TotalMilliseconds);
                }

                List<RunLogLine> log = await catalog.Runs.GetRunLogAsync(run.Id);
                if (log.FirstOrDefault(l => l.Message.StartsWith("model ", StringComparison.Ordinal) && l.Message.EndsWith(" started", StringComparison.Ordinal)) is { } started)
                {
                    toModel.Add((planned, (started.LoggedAt - planned).TotalMilliseconds));
                }

                if (run.Status == RunStatus.Succeeded && run.FinishedAt is { } finished
                    && log.FirstOrDefault(l => l.Message.StartsWith("queued", StringComparison.Ordinal)) is { } queuedLine
                    && log.FirstOrDefault(l => l.Message.StartsWith("attempt 1 started", StringComparison.Ordinal)) is { } attemptLine
                    && log.FirstOrDefault(l => l.Message.StartsWith("model ", StringComparison.Ordinal) && l.Message.EndsWith(" started", StringComparison.Ordinal)) is { } modelStarted
                    && log.FirstOrDefault(l => l.Message.StartsWith("model ", StringComparison.Ordinal) && l.Message.Contains(" succeeded", StringComparison.Ordinal)) is { } modelEnded)
                {
                    Phase("planned -> queued", planned, queuedLine.LoggedAt);
                    Phase("queued -> attempt started", queuedLine.LoggedAt, attemptLine.LoggedAt);
                    Phase("attempt -> model started", attemptLine.LoggedAt, modelStarted.LoggedAt);
                    Phase("model started -> ended", modelStarted.LoggedAt, modelEnded.LoggedAt);
                    Phase("model ended -> run recorded", modelEnded.LoggedAt, finished);
                    lastEnd = lastEnd is { } end && end > finished ? end : finished;
                }
            }
        }

        Console.WriteLine($"  {runs} scheduled runs, {succeeded} succeeded (expected about {jobs * (int)(duration.TotalSeconds / 5)})");
        Console.WriteLine($"  planned -> attempt start: p50 {Percentile(toAttempt, 0.50):0} ms, p99 {Percentile(toAttempt, 0.99):0} ms");
        List<double> all = [.. toModel.Select(t => t.Ms)];
        double p99 = Percentile(all, 0.99);
        Console.WriteLine($"  planned -> model start:   p50 {Percentile(all, 0.50):0} ms, p99 {p99:0} ms (target p99 <= 250 ms: {(p99 <= 250 ? "met" : "MISSED")}, {p99 / 250:0.00}x the target)");
        // The first fire time runs cold (JIT, each job's first run); the figure without it is the server's steady state.
        DateTimeOffset first = toModel.Count > 0 ? toModel.Min(t => t.Planned) : default;
        List<double> warm = [.. toModel.Where(t => t.Planned > first).Select(t => t.Ms)];
        double warmP99 = Percentile(warm, 0.99);
        Console.WriteLine($"    without the first fire time: p50 {Percentile(warm, 0.50):0} ms, p99 {warmP99:0} ms ({warmP99 / 250:0.00}x the target)");
        Console.WriteLine($"  where a succeeded run's time goes (p50 / p99 ms): {string.Join("; ", phases.Select(p => $"{p.Key} {Percentile(p.Value, 0.50):0} / {Percentile(p.Value, 0.99):0}"))}");
        if (toModel.Count > 0 && lastEnd is { } lastFinished)
        {
            Console.WriteLine($"  throughput: {succeeded / (lastFinished - toModel.Min(t => t.Planned)).TotalSeconds:0.0} runs succeeded a second (needed: {jobs / 5.0:0.0})");
        }
    }
}

static async Task OverheadAsync(int models, int rounds)
{
    Console.WriteLine($"Overhead: one job of {models} small models, scheduler against ProjectRunner (medallion run), {rounds} rounds each, medians");
    var direct = new List<double>();
    var scheduled = new List<double>();
    for (int round = 0; round < rounds; round++)
    {
        using (var project = SmallModels(models))
        {
            MedallionProject loaded = await MedallionProject.LoadAsync(project.Directory);
            var clock = Stopwatch.StartNew();
            RunResult result = await ProjectRunner.RunAsync(loaded, new RunOptions { Threads = Environment.ProcessorCount });
            direct.Add(clock.Elapsed.TotalSeconds);
            Check(result.Succeeded, "the direct run failed");
        }

        SqliteConnection.ClearAllPools();
        using (var project = SmallModels(models))
        {
            MedallionServer server = await MedallionServer.StartAsync(new MedallionServerOptions { ProjectDirectory = project.Directory, HttpPort = 0 });
            await using (server)
            {
                var clock = Stopwatch.StartNew();
                RunRecord run = await server.Scheduler.TriggerAsync("all");
                while ((await server.Scheduler.Catalog.Runs.GetRunAsync(run.Id))!.Status is RunStatus.Queued or RunStatus.Running)
                {
                    await Task.Delay(5);
                }

                scheduled.Add(clock.Elapsed.TotalSeconds);
                Check((await server.Scheduler.Catalog.Runs.GetRunAsync(run.Id))!.Status == RunStatus.Succeeded, "the scheduled run failed");
            }
        }

        SqliteConnection.ClearAllPools();
        Console.WriteLine($"  round {round + 1}: ProjectRunner {direct[^1]:0.00} s, scheduler {scheduled[^1]:0.00} s");
    }

    double overhead = (Median(scheduled) / Median(direct)) - 1;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  median: ProjectRunner {Median(direct):0.00} s, scheduler {Median(scheduled):0.00} s: {overhead:P1} more (target <= 10%: {(overhead <= 0.10 ? "met" : "MISSED")})"));
}

static BenchProject SmallModels(int models)
{
    var project = new BenchProject();
    for (int i = 0; i < models; i++)
    {
        // A few layers of dependencies, as a real project has.
        string from = i < 20 ? "range(1000) t(id)" : $"silver.s{i % 20}";
        project.Write($"models/silver/s{i}.sql", $"SELECT id, id * {i} AS v FROM {from}\n");
    }

    project.Write("jobs/jobs.yml", "jobs:\n  - name: all\n    select: silver.*\n");
    return project;
}

static async Task HistoryAsync(int runs, int requests)
{
    using var project = new BenchProject();
    project.Write("models/silver/one.sql", "SELECT 1 AS id\n").Write("jobs/jobs.yml", "jobs:\n  - name: one\n    select: silver.one\n");
    Console.WriteLine($"History: {runs:N0} recorded runs, {requests} x GET /api/runs?limit=50 over HTTP");
    MedallionServer server = await MedallionServer.StartAsync(new MedallionServerOptions { ProjectDirectory = project.Directory, HttpPort = 0 });
    await using (server)
    {
        RunRecord template = await server.Scheduler.TriggerAsync("one");
        while ((await server.Catalog().Runs.GetRunAsync(template.Id))!.Status is RunStatus.Queued or RunStatus.Running)
        {
            await Task.Delay(20);
        }

        var fill = Stopwatch.StartNew();
        await CopyRunAsync(server.Scheduler.Catalog.Path, template.Id, runs - 1);
        Console.WriteLine($"  recorded {runs - 1:N0} more runs in {fill.Elapsed.TotalSeconds:0.0} s");

        ServerRuntimeFile runtime = (await ServerRuntimeFile.ReadAsync(project.Directory))!;
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", runtime.Token);
        for (int i = 0; i < 50; i++)
        {
            await GetRunsAsync(http);
        }

        (long before, long managedBefore) = Memory();
        var times = new List<double>(requests);
        for (int i = 0; i < requests; i++)
        {
            long began = Stopwatch.GetTimestamp();
            await GetRunsAsync(http);
            times.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
        }

        (long after, long managedAfter) = Memory();
        double p99 = Percentile(times, 0.99);
        Console.WriteLine($"  GET /api/runs?limit=50: p50 {Percentile(times, 0.50):0.0} ms, p99 {p99:0.0} ms (target p99 <= 50 ms: {(p99 <= 50 ? "met" : "MISSED")})");
        Console.WriteLine($"  working set {before / 1048576.0:0} MB before, {after / 1048576.0:0} MB after {requests} requests; managed heap {managedBefore / 1048576.0:0.0} -> {managedAfter / 1048576.0:0.0} MB");
    }
}

static async Task MetricsAsync(int tables, int models, int scrapes)
{
    const int ModelsPerJob = 10;
    using var project = new BenchProject();
    var jobText = new System.Text.StringBuilder("jobs:\n");
    for (int i = 0; i < models; i++)
    {
        project.Write($"models/silver/m{i}.sql", $"SELECT {i} AS id\n");
    }

    for (int j = 0; j < models / ModelsPerJob; j++)
    {
        string select = string.Join(' ', Enumerable.Range(j * ModelsPerJob, ModelsPerJob).Select(i => $"silver.m{i}"));
        jobText.Append(CultureInfo.InvariantCulture, $"  - name: job{j}\n    select: {select}\n");
    }

    project.Write("jobs/jobs.yml", jobText.ToString());
    Console.WriteLine($"Metrics: {tables:N0} tables, {models} models in {models / ModelsPerJob} jobs that each ran once; {scrapes} scrapes of GET /metrics per format");
    MedallionServer server = await MedallionServer.StartAsync(new MedallionServerOptions { ProjectDirectory = project.Directory, HttpPort = 0 });
    await using (server)
    {
        var fill = Stopwatch.StartNew();
        var runs = new List<RunRecord>();
        for (int j = 0; j < models / ModelsPerJob; j++)
        {
            runs.Add(await server.Scheduler.TriggerAsync($"job{j}"));
        }

        foreach (RunRecord run in runs)
        {
            while ((await server.Catalog().Runs.GetRunAsync(run.Id))!.Status is RunStatus.Queued or RunStatus.Running)
            {
                await Task.Delay(20);
            }

            Check((await server.Catalog().Runs.GetRunAsync(run.Id))!.Status == RunStatus.Succeeded, $"run {run.Id} failed");
        }

        double perModelMs = fill.Elapsed.TotalMilliseconds / models;

        // The other tables: bronze tables with a recorded version each, as sources would have left them.
        DateTimeOffset now = DateTimeOffset.UtcNow;
        for (int i = 0; i < tables - models; i++)
        {
            var name = new TableName("bronze", $"t{i}");
            await server.Catalog().Tables.UpsertTableAsync(new CatalogTable(name, $"lake/bronze/t{i}"));
            await server.Catalog().Tables.RecordTableVersionAsync(new TableVersionRecord(name, i % 50, "{}", "WRITE", 1000L * i, null, now.AddMinutes(-i)) { FileCount = 1 + (i % 20), SizeBytes = 4096L * i });
        }

        Console.WriteLine($"  ran {runs.Count} jobs and recorded {tables - models} more tables in {fill.Elapsed.TotalSeconds:0.0} s");
        ServerRuntimeFile runtime = (await ServerRuntimeFile.ReadAsync(project.Directory))!;
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        foreach ((string format, string? accept) in new[] { ("text 0.0.4", (string?)null), ("OpenMetrics 1.0", "application/openmetrics-text;version=1.0.0") })
        {
            (long bytes, int series) = (0, 0);
            for (int i = 0; i < 20; i++)
            {
                (bytes, series) = await ScrapeAsync(http, accept);
            }

            var times = new List<double>(scrapes);
            for (int i = 0; i < scrapes; i++)
            {
                long began = Stopwatch.GetTimestamp();
                await ScrapeAsync(http, accept);
                times.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
            }

            double p99 = Percentile(times, 0.99);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {format}: {bytes / 1048576.0:0.00} MB, {series:N0} lines; scrape p50 {Percentile(times, 0.50):0.0} ms, p99 {p99:0.0} ms, max {times.Max():0.0} ms (targets <= 50 ms: {(p99 <= 50 ? "met" : "MISSED")}, <= 2 MB: {(bytes <= 2 * 1048576 ? "met" : "MISSED")})"));
        }

        // What counting costs a model: its step goes queued, running, succeeded through the scheduler's metrics.
        const int Steps = 200_000;
        var table = new TableName("silver", "m1");
        var done = new StepResult(table, StepKind.Model, StepState.Succeeded, RunMode.Full, 10, 1, new Dictionary<string, long>(), TimeSpan.FromMilliseconds(30), null, []);
        RunEvent[] events = [new(table, StepKind.Model, StepState.Queued, null), new(table, StepKind.Model, StepState.Running, null), new(table, StepKind.Model, StepState.Succeeded, done)];
        long counted = Stopwatch.GetTimestamp();
        for (int i = 0; i < Steps; i++)
        {
            foreach (RunEvent e in events)
            {
                server.Scheduler.Metrics.Step("run", "job0", 1, e, null);
            }
        }

        double perModelUs = Stopwatch.GetElapsedTime(counted).TotalMicroseconds / Steps;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  counting one model's events (queued, running, succeeded): {perModelUs:0.00} us, against {perModelMs:0.0} ms per model of the runs above: {perModelUs / 1000 / perModelMs:P4} (target <= 1%: {(perModelUs / 1000 / perModelMs <= 0.01 ? "met" : "MISSED")})"));
    }
}

static async Task<(long Bytes, int Samples)> ScrapeAsync(HttpClient http, string? accept)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
    if (accept is not null)
    {
        request.Headers.Accept.ParseAdd(accept);
    }

    using HttpResponseMessage response = await http.SendAsync(request);
    byte[] body = await response.Content.ReadAsByteArrayAsync();
    Check(response.IsSuccessStatusCode, $"GET /metrics answered {(int)response.StatusCode}");
    int samples = 0;
    foreach (byte b in body)
    {
        samples += b == (byte)'\n' ? 1 : 0;
    }

    return (body.Length, samples);
}

static async Task GetRunsAsync(HttpClient http)
{
    using HttpResponseMessage response = await http.GetAsync(new Uri("api/runs?limit=50", UriKind.Relative));
    string body = await response.Content.ReadAsStringAsync();
    Check(response.IsSuccessStatusCode && body.Length > 1000, $"GET /api/runs answered {(int)response.StatusCode}: {body[..Math.Min(200, body.Length)]}");
}

static (long WorkingSet, long Managed) Memory()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    using Process self = Process.GetCurrentProcess();
    return (self.WorkingSet64, GC.GetTotalMemory(forceFullCollection: true));
}
