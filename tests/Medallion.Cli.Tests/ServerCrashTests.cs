using System.Globalization;
using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary>
/// Crash safety of <c>medallion server</c> as a child process: kill -9 at random moments and restart, and two servers
/// on one project.
/// </summary>
public sealed class ServerCrashTests : IDisposable
{
    private const int RowsPerTick = 20_000;
    private const int Retries = 2;

    // An append model: a run that committed twice, or half, would show in the rows of its interval. The scalar subquery
    // keeps each run busy for a few hundred milliseconds, so a kill soon after a run shows as running lands inside it.
    private readonly ServerProject _project = new ServerProject($"""
        jobs:
          - name: ticker
            select: silver.ticks
            every: 1s
            retries: {Retries}
        """)
        .Write("models/silver/ticks.sql", $"/* ---\nmaterialized: append\n--- */\nSELECT CAST(getvariable('interval_end') AS TIMESTAMPTZ) AS fired, range AS n, md5(CAST(range AS VARCHAR)) AS h, (SELECT sum(hash(r)) FROM range(30000000) t(r)) AS burn FROM range({RowsPerTick})\n");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task After_kill_9_at_random_moments_and_a_restart_no_run_is_left_running_and_each_succeeded_interval_is_in_the_table_exactly_once()
    {
        var random = new Random(1717);
        int kills = 0;
        for (int i = 0; i < 4; i++)
        {
            using ServerProcess server = await ServerProcess.StartAsync(_project.Directory);
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(300, 1500)));
            // Half the kills land while a run is under way, at a random point of it.
            if (i % 2 == 0)
            {
                await server.WaitForAsync("a running run", async () => (await server.GetAsync("api/runs?status=running")).GetProperty("runs").GetArrayLength() > 0, TimeSpan.FromSeconds(20));
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 100)));
            }

            await server.KillAsync();
            kills++;
        }

        using ServerProcess last = await ServerProcess.StartAsync(_project.Directory);
        await last.PostAsync("api/jobs/ticker/pause");
        await WaitForEveryRunToEndAsync(last);
        List<JsonElement> runs = await last.GetRunsAsync("ticker");
        var attempts = new Dictionary<string, List<string?>>();
        var attemptErrors = new Dictionary<string, string>();
        foreach (JsonElement run in runs)
        {
            string id = run.GetProperty("id").GetString()!;
            List<JsonElement> ofRun = [.. (await last.GetAsync("api/runs/" + id)).GetProperty("attempts").EnumerateArray()];
            attempts[id] = [.. ofRun.Select(a => a.GetProperty("status").GetString())];
            attemptErrors[id] = string.Join(" | ", ofRun.Select(a => a.TryGetProperty("error", out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null).OfType<string>());
        }

        await last.TerminateAsync();
        List<string> succeeded = [.. runs.Where(r => r.GetProperty("status").GetString() == "succeeded")
            .Select(r => r.GetProperty("interval_end").GetDateTimeOffset().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal)];
        List<string> rows = await _project.QueryAsync("SELECT CAST(epoch_ms(fired) AS VARCHAR) AS fired, count(*) AS n FROM silver.ticks GROUP BY fired ORDER BY fired");
        List<string> interrupted = [.. attempts.Where(a => a.Value.Contains("interrupted")).Select(a => a.Key)];

        Assert.Equal(4, kills);
        Assert.NotEmpty(interrupted);
        Assert.Equal(runs.Count, runs.Select(r => r.GetProperty("interval_end").GetDateTimeOffset()).Distinct().Count());
        Assert.All(interrupted, id => Assert.True(
            runs.Single(r => r.GetProperty("id").GetString() == id).GetProperty("status").GetString() == "succeeded" || attempts[id].Count == Retries + 1,
            $"run {id} was interrupted and neither retried to success nor out of retries: {string.Join(", ", attempts[id])}"));
        // Each interval in the table that no succeeded run accounts for, with its run's status and attempts, to tell why.
        string unaccounted = string.Join("; ", rows.Except(succeeded.Select(f => $"{f},{RowsPerTick}")).Select(row =>
        {
            JsonElement? run = runs.FirstOrDefault(r => r.GetProperty("interval_end").GetDateTimeOffset().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) == row.Split(',')[0]);
            return run is { } found
                ? $"{row}: run {found.GetProperty("id").GetString()} {found.GetProperty("status").GetString()} after attempts {string.Join(", ", attempts[found.GetProperty("id").GetString()!])} ({attemptErrors[found.GetProperty("id").GetString()!]})"
                : $"{row}: no run";
        }));
        Assert.True(succeeded.Select(f => $"{f},{RowsPerTick}").SequenceEqual(rows), $"rows {string.Join(" ", rows)}; unaccounted: {unaccounted}");
    }

    [Fact]
    public async Task A_server_killed_with_sigkill_and_started_again_at_once_takes_its_lease_over_and_retries_the_run_it_left_running()
    {
        // A model that runs for hours: the kill lands inside its run whatever the machine's load.
        using ServerProject project = new ServerProject("jobs:\n  - name: load\n    select: silver.load\n    retries: 1\n")
            .Write("models/silver/load.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3");
        // A lease of ten minutes: a restart that waited for it to lapse would not schedule within the test's time.
        using ServerProcess killed = await ServerProcess.StartAsync(project.Directory, "--scheduler-lease", "10min");
        string leftRunning = (await killed.PostAsync("api/jobs/load/trigger")).GetProperty("id").GetString()!;
        await killed.WaitForAsync("the run to be running", async () =>
            (await killed.GetAsync("api/runs/" + leftRunning)).GetProperty("run").GetProperty("status").GetString() == "running", TimeSpan.FromSeconds(60));
        await killed.KillAsync();
        // The restart loads the model as it is now, so the retry ends.
        project.Write("models/silver/load.sql", "SELECT 1 AS n");

        using ServerProcess restarted = await ServerProcess.StartAsync(project.Directory, "--scheduler-lease", "10min");
        JsonElement ready = await restarted.GetAsync("readyz");
        await restarted.WaitForAsync("the run the killed server left running to end", async () =>
            (await restarted.GetAsync("api/runs/" + leftRunning)).GetProperty("run").GetProperty("status").GetString() is not ("queued" or "running"), TimeSpan.FromSeconds(60));
        JsonElement retried = await restarted.GetAsync("api/runs/" + leftRunning);
        await restarted.TerminateAsync();

        Assert.Equal(("ready", "active"), (ready.GetProperty("status").GetString(), ready.GetProperty("scheduler").GetString()));
        Assert.Equal("succeeded", retried.GetProperty("run").GetProperty("status").GetString());
        List<JsonElement> attempts = [.. retried.GetProperty("attempts").EnumerateArray()];
        Assert.Equal(["interrupted", "succeeded"], attempts.Select(a => a.GetProperty("status").GetString()));
        Assert.Equal("interrupted: the scheduler running it stopped before it finished", attempts[0].GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_second_server_on_the_same_project_serves_on_standby_while_the_first_lives_hands_it_what_it_is_asked_and_takes_over_when_its_lease_lapses()
    {
        using ServerProcess first = await ServerProcess.StartAsync(_project.Directory, "--scheduler-lease", "15s");
        await first.WaitForAsync("a succeeded run", async () => (await first.GetRunsAsync("ticker")).Any(r => r.GetProperty("status").GetString() == "succeeded"), TimeSpan.FromSeconds(30));

        using ServerProcess second = await ServerProcess.StartAsync(_project.Directory, "--scheduler-lease", "15s");
        JsonElement standby = await second.GetAsync("readyz");
        string home = await second.Http.GetStringAsync(new Uri(second.Api, "/"));
        using HttpResponseMessage trigger = await second.Http.PostAsync(new Uri(second.Api, "api/jobs/ticker/trigger"), new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        using JsonDocument triggered = JsonDocument.Parse(await trigger.Content.ReadAsStringAsync());
        string triggeredId = triggered.RootElement.GetProperty("id").GetString()!;
        await first.WaitForAsync("the run triggered on the standby server to end", async () =>
            (await first.GetAsync("api/runs/" + triggeredId)).GetProperty("run").GetProperty("status").GetString() is not ("queued" or "running"), TimeSpan.FromSeconds(60));
        JsonElement triggeredRun = (await first.GetAsync("api/runs/" + triggeredId)).GetProperty("run");
        List<JsonElement> byFirst = await first.GetRunsAsync("ticker");
        // Alive but hung: its heartbeats stop, its lease lapses, and the second server takes over.
        first.Signal("STOP");
        await second.WaitForAsync("the second server to take over", async () => (await second.GetAsync("readyz")).GetProperty("scheduler").GetString() == "active", TimeSpan.FromSeconds(60));
        await second.WaitForAsync("the second server's runtime file", async () => (await Medallion.Server.ServerRuntimeFile.ReadAsync(_project.Directory))?.ProcessId == second.ProcessId, TimeSpan.FromSeconds(10));
        await second.WaitForAsync("a run of the second server", async () => (await second.GetRunsAsync("ticker")).Select(Holder).Distinct().Count() == 2, TimeSpan.FromSeconds(30));
        await first.KillAsync();
        await second.PostAsync("api/jobs/ticker/pause");
        await WaitForEveryRunToEndAsync(second);
        List<JsonElement> runs = await second.GetRunsAsync("ticker");
        await second.TerminateAsync();

        string firstHolder = $"host '{Environment.MachineName}', pid {first.ProcessId}, started ";
        Assert.Equal(("ready", "standby"), (standby.GetProperty("status").GetString(), standby.GetProperty("scheduler").GetString()));
        Assert.StartsWith(firstHolder, standby.GetProperty("active_scheduler").GetString(), StringComparison.Ordinal);
        Assert.Contains("Scheduler on standby: the server of " + firstHolder, System.Net.WebUtility.HtmlDecode(home), StringComparison.Ordinal);
        Assert.Contains(second.Output, l => l.StartsWith("Scheduler on standby: the server of " + firstHolder, StringComparison.Ordinal));
        Assert.True(trigger.IsSuccessStatusCode, $"the standby server answered the trigger with {(int)trigger.StatusCode}");
        Assert.Equal("succeeded", triggeredRun.GetProperty("status").GetString());
        Assert.Single(byFirst.Select(Holder).Distinct());
        Assert.Equal(Holder(byFirst[0]), Holder(triggeredRun));
        List<JsonElement> scheduled = [.. runs.Where(r => r.GetProperty("trigger").GetString() == "schedule")];
        Assert.Equal(scheduled.Count, scheduled.Select(r => r.GetProperty("interval_end").GetDateTimeOffset()).Distinct().Count());
        Assert.DoesNotContain(runs, r => r.GetProperty("status").GetString() is "queued" or "running");
    }

    /// <summary>
    /// Waits until no run of the ticker is queued or running. A busy two-core machine makes each run burn seconds while
    /// the job fires every second, so the backlog can take minutes to drain: the wait fails only when no open run ended
    /// for a minute (a run stuck for good), naming the runs still open.
    /// </summary>
    private static async Task WaitForEveryRunToEndAsync(ServerProcess server)
    {
        static bool Open(JsonElement run) => run.GetProperty("status").GetString() is "queued" or "running";
        var stalled = System.Diagnostics.Stopwatch.StartNew();
        HashSet<string> open = [];
        while (true)
        {
            List<JsonElement> runs = [.. (await server.GetRunsAsync("ticker")).Where(Open)];
            if (runs.Count == 0)
            {
                return;
            }

            HashSet<string> now = [.. runs.Select(r => r.GetProperty("id").GetString()!)];
            if (open.Any(id => !now.Contains(id)))
            {
                stalled.Restart();
            }

            open = now;
            if (stalled.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new TimeoutException("No run ended for a minute; still open: " + string.Join("; ", runs.Select(r => r.GetRawText())) + "\n" + server.Printed);
            }

            await Task.Delay(200);
        }
    }

    private static string? Holder(JsonElement run) => run.GetProperty("holder").GetString();
}
