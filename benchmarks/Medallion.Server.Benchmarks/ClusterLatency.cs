using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Medallion.Benchmarks;
using Npgsql;

namespace Medallion.Server.Benchmarks;

/// <summary>
/// Issue 38's scheduling latency on several servers: the same project of many trivial jobs on <c>every: 5s</c>, on a
/// PostgreSQL catalog, run by one server of role all, then by three of role all (planning beside each other, the
/// default there), then by a scheduler and two workers, as processes; from each fire time to the start of its run's
/// first attempt, p50 and p99, and the ratios to one server. Each cluster is measured in its steady state: from a
/// heartbeat after its last server is ready (its servers have seen each other and share the jobs) on.
/// Goal: p99 within 250 ms with three servers.
/// </summary>
internal static class ClusterLatency
{
    private const double GoalMs = 250;

    public static async Task RunAsync(string postgresServer, int jobs, TimeSpan duration)
    {
        Console.WriteLine($"Cluster scheduling latency: {jobs} jobs on every: 5s, trivial models, PostgreSQL catalog, {duration.TotalSeconds:0} s per cluster once settled; goal p99 <= {GoalMs:0} ms with 3 servers");
        string[] all = ["--role", "all"];
        List<double> one = await MeasureAsync(postgresServer, jobs, duration, [all]);
        List<double> three = await MeasureAsync(postgresServer, jobs, duration, [all, all, all]);
        // As many slots on each worker as jobs, as a server of role all has no limit: the figure is the time to start a
        // run, not to wait for a free slot.
        string slots = jobs.ToString(CultureInfo.InvariantCulture);
        List<double> workers = await MeasureAsync(postgresServer, jobs, duration, [["--role", "scheduler"], ["--role", "worker", "--concurrency", slots], ["--role", "worker", "--concurrency", slots]]);
        double p99One = Bench.Percentile(one, 0.99);
        Print("1 server (all)", one, p99One);
        Print("3 servers (all)", three, p99One);
        Print($"scheduler + 2 workers of {slots} slots", workers, p99One);
        double p99Three = Bench.Percentile(three, 0.99);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  3 servers' p99 / goal: {p99Three / GoalMs:0.00}x ({(p99Three <= GoalMs ? "met" : "MISSED")})"));
    }

    private static void Print(string cluster, List<double> delays, double p99One) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {cluster + ":",-40} {delays.Count} runs, fire -> attempt started p50 {Bench.Percentile(delays, 0.50):0} ms, p99 {Bench.Percentile(delays, 0.99):0} ms ({Bench.Percentile(delays, 0.99) / p99One:0.00}x 1 server)"));

    // From the last server's start to its servers' steady state: a heartbeat (they have listed and seen each other), the
    // first fire times (each job's first run, cold) with it.
    private static readonly TimeSpan Settle = new Medallion.Server.Scheduling.SchedulerOptions().HeartbeatInterval + TimeSpan.FromSeconds(5);

    /// <summary>Runs the project on servers started with each of <paramref name="servers"/>' arguments; returns each scheduled run's delay from its fire time to its first attempt, in ms.</summary>
    private static async Task<List<double>> MeasureAsync(string postgresServer, int jobs, TimeSpan duration, string[][] servers)
    {
        string database = "medallion_bench_cluster_" + Guid.NewGuid().ToString("N")[..10];
        var admin = new NpgsqlConnectionStringBuilder(postgresServer) { Pooling = false };
        await ServerProcesses.ExecuteAsync(admin.ConnectionString, $"CREATE DATABASE {database}");
        var catalog = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = database };
        using var project = new BenchProject();
        project.Write("medallion.yml", $"name: bench\nstorage: lake\ncatalog: postgres://{admin.Username}:{admin.Password}@{admin.Host}:{admin.Port}/{database}\n");
        var jobText = new StringBuilder("jobs:\n");
        for (int i = 0; i < jobs; i++)
        {
            project.Write($"models/silver/m{i}.sql", $"SELECT {i} AS id\n");
            jobText.Append(CultureInfo.InvariantCulture, $"  - name: j{i}\n    select: silver.m{i}\n    every: 5s\n    catchup: none\n");
        }

        project.Write("jobs/jobs.yml", jobText.ToString());
        var started = new List<Process>();
        DateTimeOffset settled;
        try
        {
            foreach (string[] arguments in servers)
            {
                started.Add(await ServerProcesses.StartAsync(project.Directory, arguments));
            }

            settled = DateTimeOffset.UtcNow + Settle;
            await Task.Delay(Settle + duration);
        }
        finally
        {
            foreach (Process server in started)
            {
                if (!server.HasExited)
                {
                    server.Kill(entireProcessTree: true);
                }

                await server.WaitForExitAsync();
                server.Dispose();
            }
        }

        try
        {
            List<(DateTimeOffset Fire, DateTimeOffset Started)> runs = await DelaysAsync(catalog.ConnectionString);
            await PrintStagesAsync(catalog.ConnectionString, settled);
            return [.. runs.Where(r => r.Fire > settled).Select(r => (r.Started - r.Fire).TotalMilliseconds)];
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ServerProcesses.ExecuteAsync(admin.ConnectionString, $"DROP DATABASE {database} WITH (FORCE)");
        }
    }

    private static async Task<List<(DateTimeOffset Fire, DateTimeOffset Started)>> DelaysAsync(string connectionString)
    {
        var runs = new List<(DateTimeOffset, DateTimeOffset)>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT r.interval_end, a.started_at FROM runs r JOIN run_attempts a ON a.run_id = r.id AND a.attempt = 1 WHERE r.trigger = 'schedule'", connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            runs.Add((Parse(reader.GetString(0)), Parse(reader.GetString(1))));
        }

        return runs;
    }

    /// <summary>Where the time goes: p50 and p99 from the fire time to each line of a scheduled run's log that marks a step (queued, admitted, claimed).</summary>
    private static async Task PrintStagesAsync(string connectionString, DateTimeOffset settled)
    {
        var stages = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT r.interval_end, l.logged_at, split_part(l.message, ' ', 1)
            FROM runs r JOIN run_logs l ON l.run_id = r.id
            WHERE r.trigger = 'schedule' AND (l.message LIKE 'queued by the schedule%' OR l.message LIKE 'admitted:%' OR l.message LIKE 'claimed by %')
            """, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            DateTimeOffset fire = Parse(reader.GetString(0));
            if (fire > settled)
            {
                string stage = reader.GetString(2).TrimEnd(':');
                (stages.TryGetValue(stage, out List<double>? delays) ? delays : stages[stage] = []).Add((Parse(reader.GetString(1)) - fire).TotalMilliseconds);
            }
        }

        Console.WriteLine("    " + string.Join("; ", stages.OrderBy(s => Bench.Percentile(s.Value, 0.5)).Select(s => string.Create(CultureInfo.InvariantCulture,
            $"fire -> {s.Key} p50 {Bench.Percentile(s.Value, 0.50):0} ms, p99 {Bench.Percentile(s.Value, 0.99):0} ms"))));
    }

    private static DateTimeOffset Parse(string time) => DateTimeOffset.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
