using System.Globalization;
using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary>
/// Workers as processes: a server of role scheduler executes nothing and a worker executes its runs; a worker killed
/// (SIGKILL) or stopped (SIGSTOP) mid-run past <c>--adopt-after</c> has its run taken back and retried on another worker,
/// and a stopped one that resumes neither commits nor records it, and ends for its supervisor to start it afresh.
/// </summary>
public sealed class WorkerProcessTests : IDisposable
{
    private const int Rows = SlowAppendJob.Rows;

    private readonly ServerProject _project = SlowAppendJob.CreateProject();

    public void Dispose() => _project.Dispose();

    private Task<ServerProcess> StartWorkerAsync() =>
        ServerProcess.StartAsync(_project.Directory, "--role", "worker", "--concurrency", "1", "--adopt-after", "6s", "--scheduler-lease", "6s");

    /// <summary>Triggers the job on the scheduler and waits until its model runs on a worker; returns the run's id.</summary>
    private static async Task<string> StartRunAsync(ServerProcess scheduler)
    {
        string runId = (await scheduler.PostAsync("api/jobs/once/trigger")).GetProperty("id").GetString()!;
        await scheduler.WaitForAsync("the model to start on the worker", async () =>
            (await scheduler.GetAsync($"api/runs/{runId}/logs")).EnumerateArray().Any(l => l.GetProperty("message").GetString() == "model silver.ticks started"), TimeSpan.FromSeconds(90));
        return runId;
    }

    private static async Task<JsonElement> WaitForEndAsync(ServerProcess scheduler, string runId)
    {
        await scheduler.WaitForAsync("the run to end", async () =>
            (await scheduler.GetAsync("api/runs/" + runId)).GetProperty("run").GetProperty("status").GetString() is "succeeded" or "failed" or "interrupted", TimeSpan.FromSeconds(180));
        return await scheduler.GetAsync("api/runs/" + runId);
    }

    [Fact]
    public async Task A_run_of_a_killed_worker_is_retried_on_another_worker_and_commits_once()
    {
        using ServerProcess scheduler = await ServerProcess.StartAsync(_project.Directory, "--role", "scheduler", "--scheduler-lease", "6s", "--adopt-after", "6s");
        using ServerProcess first = await StartWorkerAsync();
        string runId = await StartRunAsync(scheduler);

        await first.KillAsync();
        using ServerProcess second = await StartWorkerAsync();
        JsonElement run = await WaitForEndAsync(scheduler, runId);
        List<string> rows = await _project.QueryAsync("SELECT count(*) FROM silver.ticks");
        await second.TerminateAsync();
        await scheduler.TerminateAsync();

        Assert.Equal("succeeded", run.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(["interrupted", "succeeded"], run.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("status").GetString()));
        Assert.Equal([Rows.ToString(CultureInfo.InvariantCulture)], rows);
    }

    [Fact]
    public async Task A_worker_stopped_past_adopt_after_resumes_without_committing_or_recording_the_run_taken_back()
    {
        using ServerProcess scheduler = await ServerProcess.StartAsync(_project.Directory, "--role", "scheduler", "--scheduler-lease", "6s", "--adopt-after", "6s");
        using ServerProcess first = await StartWorkerAsync();
        string runId = await StartRunAsync(scheduler);

        first.Signal("STOP");
        using ServerProcess second = await StartWorkerAsync();
        JsonElement run = await WaitForEndAsync(scheduler, runId);
        first.Signal("CONT");
        int exitCode = await first.WaitForExitAsync(TimeSpan.FromSeconds(120));
        JsonElement after = await scheduler.GetAsync("api/runs/" + runId);
        List<string> rows = await _project.QueryAsync("SELECT count(*) FROM silver.ticks");
        await second.TerminateAsync();
        await scheduler.TerminateAsync();

        Assert.Equal("succeeded", run.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(["interrupted", "succeeded"], after.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("status").GetString()));
        Assert.Equal("succeeded", after.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal([Rows.ToString(CultureInfo.InvariantCulture)], rows);
        Assert.True(first.Output.Any(l => l.Contains($"this server no longer holds run {runId}", StringComparison.Ordinal)), first.Printed);
        // It ends, failed, for its supervisor to start it afresh, rather than idling unready for good.
        Assert.True(exitCode == 1 && first.Output.Any(l => l.Contains("The worker ends so that its supervisor starts it afresh", StringComparison.Ordinal)), first.Printed);
    }
}
