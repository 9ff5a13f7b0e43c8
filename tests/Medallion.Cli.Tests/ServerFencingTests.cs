using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary>
/// A network partition as the issue describes it, with processes: the server running a run is stopped (SIGSTOP) past
/// its lease, the standby takes the lease and the run over and retries it, and when the first resumes (SIGCONT) it
/// notices, neither commits nor records the run it no longer holds, and ends for its supervisor to restart it.
/// </summary>
public sealed class ServerFencingTests : IDisposable
{
    private const int Rows = SlowAppendJob.Rows;

    private readonly ServerProject _project = SlowAppendJob.CreateProject();

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task A_server_stopped_past_its_lease_resumes_without_committing_or_recording_the_run_the_standby_took_over_and_ends()
    {
        using ServerProcess first = await ServerProcess.StartAsync(_project.Directory, "--scheduler-lease", "6s");
        using ServerProcess second = await ServerProcess.StartAsync(_project.Directory, "--scheduler-lease", "6s");
        string runId = (await first.PostAsync("api/jobs/once/trigger")).GetProperty("id").GetString()!;
        await first.WaitForAsync("the model to start", async () =>
            (await first.GetAsync($"api/runs/{runId}/logs")).EnumerateArray().Any(l => l.GetProperty("message").GetString() == "model silver.ticks started"), TimeSpan.FromSeconds(60));

        first.Signal("STOP");
        await second.WaitForAsync("the standby to take over and retry the run to its end", async () =>
            (await second.GetAsync("api/runs/" + runId)).GetProperty("run").GetProperty("status").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(180));
        first.Signal("CONT");
        await first.WaitForAsync("the resumed server to give the run up", () =>
            Task.FromResult(first.Output.Any(l => l.Contains($"this server no longer holds run {runId}", StringComparison.Ordinal))), TimeSpan.FromSeconds(120));
        // A server that lost its lease never plans again: it ends, for its supervisor to start it afresh on standby.
        int exitCode = await first.WaitForExitAsync(TimeSpan.FromSeconds(120));
        JsonElement run = await second.GetAsync("api/runs/" + runId);
        JsonElement history = await second.GetAsync("api/tables/silver.ticks/history");
        List<string> rows = await _project.QueryAsync("SELECT count(*) FROM silver.ticks");
        await second.TerminateAsync();

        Assert.True(exitCode == 1 && first.Output.Any(l => l.Contains("The server ends so that its supervisor starts it afresh, on standby", StringComparison.Ordinal)), first.Printed);
        Assert.Equal("succeeded", run.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(["interrupted", "succeeded"], run.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("status").GetString()));
        Assert.Equal([runId], history.EnumerateArray().Where(v => v.GetProperty("run_id").ValueKind == JsonValueKind.String).Select(v => v.GetProperty("run_id").GetString()));
        Assert.Equal([Rows.ToString(System.Globalization.CultureInfo.InvariantCulture)], rows);
    }
}
