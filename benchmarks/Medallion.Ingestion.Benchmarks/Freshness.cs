using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Benchmarks;
using Npgsql;

namespace Medallion.Ingestion.Benchmarks;

/// <summary>
/// Source-to-gold freshness, what a dashboard sees (issue #22): <see cref="CdcLoad"/>'s writers commit changes to
/// PostgreSQL at a fixed rate while <c>medallion run --continuous --interval 1</c> keeps CDC bronze, a silver merge
/// (deletes applied) and a gold aggregate current, and <c>medallion serve</c> answers a probe that reads the gold
/// aggregate over the PostgreSQL wire as fast as it can. Both run through the repository's launcher, as users run
/// them, on the machine that also runs PostgreSQL and the writers. The latency of a source transaction is the end of
/// the first probe whose gold row for its writer shows the highest id it inserted, minus the moment its commit
/// returned (one clock). Target: p99 &lt;= 5 s.
/// </summary>
internal static class Freshness
{
    private const string Gold = "gold.bench_freshness";

    /// <summary>How often the probe starts a read: about what a live dashboard asks, and the resolution of the figures.</summary>
    private static readonly TimeSpan ProbePeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>How the project is kept current while the load runs.</summary>
    public enum Keeper
    {
        /// <summary><c>medallion run --continuous --interval 1</c> (passes: stream for an interval, then the models), and <c>medallion serve</c>.</summary>
        Run,

        /// <summary><c>medallion server</c> with a continuous job streaming the source and a job on <c>on_new_data</c> of bronze running the models; its own SQL endpoint.</summary>
        Server,
    }

    public static async Task RunAsync(string root, string postgres, int seconds, int rate, Keeper keeper)
    {
        await Data.ResetCdcTableAsync(postgres, CdcLoad.Workers, CdcLoad.Seed);
        string project = await WriteProjectAsync(Path.Combine(root, "freshness-" + keeper.ToString().ToLowerInvariant()), postgres);
        string how = keeper == Keeper.Run
            ? "medallion run --continuous --interval 1 with medallion serve"
            : "medallion server with a continuous job for the source and an on_new_data job for the models";
        Console.WriteLine($"Freshness ({keeper.ToString().ToLowerInvariant()}): {CdcLoad.Workers} writers, {rate:N0} changes/s for {seconds} s; {how}; a probe reads {Gold} over the SQL endpoint every {ProbePeriod.TotalMilliseconds:0} ms; {MedallionCli.Build()}");

        // The first run takes the snapshot and builds every model, so the load starts against a current gold.
        (_, double firstRun) = MedallionCli.Run("run", "--project", project);
        string port = FreePort().ToString(CultureInfo.InvariantCulture);
        using RunningCli keeping = keeper == Keeper.Run
            ? new RunningCli("run", "--continuous", "--interval", "1", "--project", project)
            : new RunningCli("server", "--project", project, "--pg-port", port, "--http-port", "0", "--trust-loopback");
        using RunningCli? serve = keeper == Keeper.Run ? new RunningCli("serve", "--project", project, "--pg-port", port, "--trust-loopback") : null;
        string endpoint = $"Host=127.0.0.1;Port={port};Username=bench;Database=medallion;Pooling=false;Timeout=60;Command Timeout=120";
        long[] initial = await WaitForEndpointAsync(endpoint, serve ?? keeping);

        var observations = new List<(DateTime At, long[] MaxIds)>();
        using var stopProbe = new CancellationTokenSource();
        Task probe = ProbeAsync(endpoint, observations, stopProbe.Token);
        var commits = new ConcurrentQueue<(int Worker, long Id, DateTime At)>();
        double loadBefore = double.Parse(Child.LoadAverage(), CultureInfo.InvariantCulture);
        DateTime began = DateTime.UtcNow;
        long[] changes = await Task.WhenAll(Enumerable.Range(0, CdcLoad.Workers).Select(w =>
            CdcLoad.GenerateAsync(postgres, w, rate / (double)CdcLoad.Workers, seconds, (worker, id, at) => commits.Enqueue((worker, id, at)))));
        DateTime ended = DateTime.UtcNow;

        // Caught up when gold shows every writer's last id (or after two minutes, which the figures then show).
        long[] last = Enumerable.Range(0, CdcLoad.Workers).Select(w => commits.Where(c => c.Worker == w).Select(c => c.Id).DefaultIfEmpty(0).Max()).ToArray();
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < TimeSpan.FromMinutes(2) && !CaughtUp(observations, last))
        {
            await Task.Delay(100);
        }

        await stopProbe.CancelAsync();
        await probe;
        string loadAfter = Child.LoadAverage();

        List<double> latencies = Latencies(commits, observations, out int unseen);
        latencies.Sort();
        double p50 = CdcLoad.Percentile(latencies, 0.50), p99 = CdcLoad.Percentile(latencies, 0.99), max = latencies.Count > 0 ? latencies[^1] : double.NaN;
        double probePeriod = observations.Count > 1 ? (observations[^1].At - observations[0].At).TotalMilliseconds / (observations.Count - 1) : double.NaN;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  source: {changes.Sum():N0} changes in {commits.Count:N0} transactions over {(ended - began).TotalSeconds:0.0} s = {changes.Sum() / (ended - began).TotalSeconds:N0} changes/s (asked {rate:N0}); first full run {firstRun:0.0} s; gold before the load: {string.Join(", ", initial)}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  probe: {observations.Count:N0} reads of {Gold}, one every {probePeriod:0} ms; transactions never seen in gold: {unseen:N0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Freshness ({keeper.ToString().ToLowerInvariant()}): source commit to visible in gold p50 {p50:0.000} s, p99 {p99:0.000} s, max {max:0.000} s (target p99 <= 5 s: {(unseen == 0 && p99 <= 5 ? "met" : "MISSED")}); load average {loadBefore:0.00} before, {loadAfter} after"));
        Console.WriteLine($"  where a pass's time goes (medians from the catalog): {await PassBreakdownAsync(project)}");
    }

    /// <summary>The median length of a pass and of each of its steps, as the catalog recorded them.</summary>
    private static async Task<string> PassBreakdownAsync(string project)
    {
        await using var catalog = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(project, ".medallion", "catalog.db")};Mode=ReadOnly;Pooling=false");
        await catalog.OpenAsync();
        var parts = new List<string>();
        await using (var runs = catalog.CreateCommand())
        {
            runs.CommandText = "SELECT (julianday(finished_at) - julianday(started_at)) * 86400000 FROM runs WHERE finished_at IS NOT NULL ORDER BY 1";
            var lengths = new List<double>();
            await using var reader = await runs.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                lengths.Add(reader.GetDouble(0));
            }

            parts.Add(string.Create(CultureInfo.InvariantCulture, $"pass {CdcLoad.Percentile(lengths, 0.5):0} ms over {lengths.Count} passes"));
        }

        await using var steps = catalog.CreateCommand();
        steps.CommandText = "SELECT model, duration_ms FROM model_runs ORDER BY model, duration_ms";
        var byStep = new Dictionary<string, List<double>>();
        await using (var reader = await steps.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                string step = reader.GetString(0);
                (byStep.TryGetValue(step, out List<double>? list) ? list : byStep[step] = []).Add(reader.GetDouble(1));
            }
        }

        parts.AddRange(byStep.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {CdcLoad.Percentile(s.Value, 0.5):0} ms")));
        return string.Join(", ", parts);
    }

    private static bool CaughtUp(List<(DateTime At, long[] MaxIds)> observations, long[] last)
    {
        lock (observations)
        {
            return observations.Count > 0 && last.Select((id, w) => observations[^1].MaxIds[w] >= id).All(seen => seen);
        }
    }

    /// <summary>Reads gold in a loop, one connection, noting when each read ended and each writer's highest id it showed.</summary>
    private static async Task ProbeAsync(string endpoint, List<(DateTime At, long[] MaxIds)> observations, CancellationToken stop)
    {
        await using var connection = new NpgsqlConnection(endpoint);
        await connection.OpenAsync(stop);
        using var period = new PeriodicTimer(ProbePeriod);
        do
        {
            long[] maxIds = await ReadGoldAsync(connection);
            lock (observations)
            {
                observations.Add((DateTime.UtcNow, maxIds));
            }
        }
        while (await WaitOrStopAsync(period, stop));
    }

    private static async Task<bool> WaitOrStopAsync(PeriodicTimer period, CancellationToken stop)
    {
        try
        {
            return await period.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<long[]> ReadGoldAsync(NpgsqlConnection connection)
    {
        var maxIds = new long[CdcLoad.Workers];
        await using var command = new NpgsqlCommand($"SELECT writer, max_id FROM {Gold}", connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            int writer = (int)(reader.GetInt64(0) - 1);
            if (writer >= 0 && writer < maxIds.Length)
            {
                maxIds[writer] = reader.GetInt64(1);
            }
        }

        return maxIds;
    }

    /// <summary>Per transaction: the end of the first read showing its id minus its commit; ids only grow per writer, so one walk each.</summary>
    private static List<double> Latencies(IEnumerable<(int Worker, long Id, DateTime At)> commits, List<(DateTime At, long[] MaxIds)> observations, out int unseen)
    {
        var latencies = new List<double>();
        unseen = 0;
        foreach (IGrouping<int, (int Worker, long Id, DateTime At)> writer in commits.GroupBy(c => c.Worker))
        {
            int next = 0;
            foreach ((_, long id, DateTime at) in writer.OrderBy(c => c.Id))
            {
                while (next < observations.Count && observations[next].MaxIds[writer.Key] < id)
                {
                    next++;
                }

                if (next == observations.Count)
                {
                    unseen++;
                    continue;
                }

                latencies.Add((observations[next].At - at).TotalSeconds);
            }
        }

        return latencies;
    }

    private static async Task<long[]> WaitForEndpointAsync(string endpoint, RunningCli serve)
    {
        var wait = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(endpoint);
                await connection.OpenAsync();
                return await ReadGoldAsync(connection);
            }
            catch (Exception e) when (e is NpgsqlException or SocketException && wait.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(200);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"medallion serve did not answer: {e.Message}\n{serve.Tail}", e);
            }
        }
    }

    private static async Task<string> WriteProjectAsync(string directory, string postgres)
    {
        var settings = new NpgsqlConnectionStringBuilder(postgres);
        Directory.CreateDirectory(Path.Combine(directory, "sources"));
        Directory.CreateDirectory(Path.Combine(directory, "models", "silver"));
        Directory.CreateDirectory(Path.Combine(directory, "models", "gold"));
        await File.WriteAllTextAsync(Path.Combine(directory, "medallion.yml"), $$"""
            name: freshness_benchmark
            connections:
              bench: {type: postgres, host: {{settings.Host}}, port: {{settings.Port}}, database: {{settings.Database}}, user: {{settings.Username}}, password: {{settings.Password}}}
            """);
        await File.WriteAllTextAsync(Path.Combine(directory, "sources", "bench.yml"), """
            sources:
              - name: bench
                connection: bench
                tables:
                  - {table: public.bench_cdc, mode: cdc}
            """);
        await File.WriteAllTextAsync(Path.Combine(directory, "models", "silver", "bench_cdc.sql"), """
            /* ---
            materialized: merge
            unique_key: [id]
            delete_when: _op = 'delete'
            --- */
            SELECT id, qty, amount, note, updated_at, _op
            FROM bronze.bench_cdc
            QUALIFY row_number() OVER (PARTITION BY id ORDER BY _lsn DESC, _seq DESC) = 1
            """);
        await File.WriteAllTextAsync(Path.Combine(directory, "models", "gold", "bench_freshness.sql"), """
            SELECT id // 1000000000 AS writer, max(id) AS max_id, count(*) AS live_rows, sum(qty) AS total_qty
            FROM silver.bench_cdc
            GROUP BY ALL
            """);
        Directory.CreateDirectory(Path.Combine(directory, "jobs"));
        await File.WriteAllTextAsync(Path.Combine(directory, "jobs", "freshness.yml"), """
            jobs:
              - name: stream
                sources: [bench]
                continuous: true
              - name: models
                select: silver.bench_cdc+
                on_new_data: [bronze.bench_cdc]
            """);
        return directory;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A long-running <c>medallion</c> command whose output is drained (keeping the last lines) and which is killed with its children on dispose.</summary>
    private sealed class RunningCli : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _tail = new();

        public RunningCli(params string[] arguments)
        {
            _process = MedallionCli.Start(arguments);
            _process.OutputDataReceived += (_, e) => Keep(e.Data);
            _process.ErrorDataReceived += (_, e) => Keep(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Tail => string.Join(" | ", _tail);

        private void Keep(string? line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                return;
            }

            _tail.Enqueue(line.Trim());
            while (_tail.Count > 5)
            {
                _tail.TryDequeue(out _);
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
        }
    }
}
