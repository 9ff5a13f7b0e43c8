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
/// PostgreSQL catalog, run first by one server of role all, then by three (a scheduler and two workers), as processes;
/// from each fire time to the start of its run's first attempt, p50 and p99, leaving out the first fire time (cold), and
/// the ratio of the two clusters; then by three servers of role all that plan beside each other (<c>--planning every-server</c>).
/// Goal: p99 within 250 ms with three servers.
/// </summary>
internal static class ClusterLatency
{
    private const double GoalMs = 250;

    public static async Task RunAsync(string postgresServer, int jobs, TimeSpan duration)
    {
        Console.WriteLine($"Cluster scheduling latency: {jobs} jobs on every: 5s, trivial models, PostgreSQL catalog, {duration.TotalSeconds:0} s per cluster; goal p99 <= {GoalMs:0} ms with 3 servers");
        List<double> one = await MeasureAsync(postgresServer, jobs, duration, [["--role", "all"]]);
        // As many slots on each worker as jobs, as the server of role all has no limit: the figure is the time to start a
        // run, not to wait for a free slot.
        string slots = jobs.ToString(CultureInfo.InvariantCulture);
        List<double> three = await MeasureAsync(postgresServer, jobs, duration, [["--role", "scheduler"], ["--role", "worker", "--concurrency", slots], ["--role", "worker", "--concurrency", slots]]);
        string[] planner = ["--role", "all", "--planning", "every-server"];
        List<double> planners = await MeasureAsync(postgresServer, jobs, duration, [planner, planner, planner]);
        double p99One = Bench.Percentile(one, 0.99), p99Three = Bench.Percentile(three, 0.99), p99Planners = Bench.Percentile(planners, 0.99);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  1 server (all):                      {one.Count} runs, fire -> attempt started p50 {Bench.Percentile(one, 0.50):0} ms, p99 {p99One:0} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  3 servers (scheduler + 2 workers of {slots} slots): {three.Count} runs, fire -> attempt started p50 {Bench.Percentile(three, 0.50):0} ms, p99 {p99Three:0} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  3 servers (all, --planning every-server): {planners.Count} runs, fire -> attempt started p50 {Bench.Percentile(planners, 0.50):0} ms, p99 {p99Planners:0} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  p99 3 servers / 1 server: {p99Three / p99One:0.00}x; 3 servers' p99 / goal: {p99Three / GoalMs:0.00}x ({(p99Three <= GoalMs ? "met" : "MISSED")})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  p99 3 planners / 1 server: {p99Planners / p99One:0.00}x; 3 planners' p99 / goal: {p99Planners / GoalMs:0.00}x ({(p99Planners <= GoalMs ? "met" : "MISSED")})"));
    }

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
        try
        {
            foreach (string[] arguments in servers)
            {
                started.Add(await ServerProcesses.StartAsync(project.Directory, arguments));
            }

            await Task.Delay(duration);
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
            // The first fire time runs cold (JIT, each job's first run); the figure without it is the servers' steady state.
            DateTimeOffset first = runs.Count > 0 ? runs.Min(r => r.Fire) : default;
            await PrintStagesAsync(catalog.ConnectionString, first);
            return [.. runs.Where(r => r.Fire > first).Select(r => (r.Started - r.Fire).TotalMilliseconds)];
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
    private static async Task PrintStagesAsync(string connectionString, DateTimeOffset first)
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
            if (fire > first)
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
