using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Tasks;
using Medallion.Benchmarks;
using Medallion.Server;
using Npgsql;

namespace Medallion.Server.Benchmarks;

/// <summary>
/// Issue 38's adoption benchmark: two <c>medallion server</c> processes of role all (through the launcher, planning
/// beside each other as they do by default on a PostgreSQL catalog), then a scheduler and two workers; the one running a
/// run is signalled, and the time until another starts the run's next attempt is measured, round after round. SIGKILL on
/// this machine shows the fast path (a server sees the process of one on its own host gone);
/// SIGSTOP shows what a server on another machine sees of a dead or cut-off one: nothing, until its silence passes
/// --adopt-after. Goal: p99 within 45 s with the defaults (30 s, heartbeats every 10 s).
/// </summary>
internal static class Adoption
{
    private static readonly TimeSpan Goal = TimeSpan.FromSeconds(45);

    public static async Task RunAsync(string postgresServer, int rounds)
    {
        Console.WriteLine($"Adoption: on a PostgreSQL catalog, defaults (--scheduler-lease 30s, --adopt-after 30s), {rounds} rounds each; goal p99 <= {Goal.TotalSeconds:0} s");
        Console.WriteLine("  2 servers of role all (planning beside each other); the one running the run is signalled:");
        foreach (string signal in new[] { "KILL", "STOP" })
        {
            await MeasureAsync(postgresServer, signal, workers: false, rounds);
        }

        Console.WriteLine("  a scheduler and 2 workers; the worker running the run is signalled:");
        foreach (string signal in new[] { "KILL", "STOP" })
        {
            await MeasureAsync(postgresServer, signal, workers: true, rounds);
        }
    }

    private static async Task MeasureAsync(string postgresServer, string signal, bool workers, int rounds)
    {
        var times = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            times.Add((await RoundAsync(postgresServer, signal, workers)).TotalSeconds);
        }

        times.Sort();
        double p50 = Bench.Percentile(times, 0.50), p99 = Bench.Percentile(times, 0.99);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    SIG{signal,-4}  signal -> next attempt started: p50 {p50:0.0} s, p99 {p99:0.0} s, max {times[^1]:0.0} s; p99 / goal {p99 / Goal.TotalSeconds:0.00}x ({(p99 <= Goal.TotalSeconds ? "met" : "MISSED")})"));
    }

    private static async Task<TimeSpan> RoundAsync(string postgresServer, string signal, bool workers)
    {
        string database = "medallion_bench_adopt_" + Guid.NewGuid().ToString("N")[..10];
        var admin = new NpgsqlConnectionStringBuilder(postgresServer) { Pooling = false };
        await ServerProcesses.ExecuteAsync(admin.ConnectionString, $"CREATE DATABASE {database}");
        var catalog = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = database };
        using var project = new BenchProject();
        project.Write("medallion.yml", $"name: bench\nstorage: lake\ncatalog: postgres://{admin.Username}:{admin.Password}@{admin.Host}:{admin.Port}/{database}\n")
            .Write("jobs/jobs.yml", "jobs:\n  - name: load\n    select: silver.load\n    retries: 1\n")
            // Hours of work: the signal lands inside the run, and so does the next attempt's start.
            .Write("models/silver/load.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3\n");
        var servers = new List<Process>();
        try
        {
            string[][] roles = workers ? [["--role", "scheduler"], ["--role", "worker"], ["--role", "worker"]] : [[], []];
            foreach (string[] role in roles)
            {
                servers.Add(await ServerProcesses.StartAsync(project.Directory, role));
            }

            ServerRuntimeFile active = (await ServerRuntimeFile.ReadAsync(project.Directory))!;
            using var http = new HttpClient { BaseAddress = active.Url };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", active.Token);
            using HttpResponseMessage triggered = await http.PostAsync("api/jobs/load/trigger", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
            triggered.EnsureSuccessStatusCode();
            string runId = JsonDocument.Parse(await triggered.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            await ServerProcesses.WaitAsync(catalog.ConnectionString, $"SELECT count(*) FROM runs WHERE id = '{runId}' AND status = 'running'");

            // The server whose process runs the run: the planner that admitted it, or the worker that claimed it.
            long victim = await ServerProcesses.ScalarAsync(catalog.ConnectionString, $"SELECT s.pid FROM runs r JOIN servers s ON s.id = r.holder WHERE r.id = '{runId}'");
            Stopwatch adopted = Stopwatch.StartNew();
            using (Process kill = Process.Start("kill", ["-" + signal, victim.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await ServerProcesses.WaitAsync(catalog.ConnectionString, $"SELECT count(*) FROM run_attempts WHERE run_id = '{runId}' AND attempt = 2");
            return adopted.Elapsed;
        }
        finally
        {
            foreach (Process server in servers)
            {
                // A stopped process is resumed before it is killed; a killed one, or a worker that exited on resuming (its
                // runs taken back), is left alone.
                if (!server.HasExited)
                {
                    using (Process.Start("kill", ["-CONT", server.Id.ToString(CultureInfo.InvariantCulture)]))
                    {
                    }

                    server.Kill(entireProcessTree: true);
                }

                await server.WaitForExitAsync();
                server.Dispose();
            }

            NpgsqlConnection.ClearAllPools();
            await ServerProcesses.ExecuteAsync(admin.ConnectionString, $"DROP DATABASE {database} WITH (FORCE)");
        }
    }
}
