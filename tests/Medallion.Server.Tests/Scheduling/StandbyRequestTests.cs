using System.Diagnostics;
using Medallion.Catalog;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Scheduling;

/// <summary>
/// What a server on standby is asked (trigger, re-run, cancel, pause) reaches the scheduler that runs the jobs through
/// the catalog: two real schedulers on one project, the second waiting behind the first's lease.
/// </summary>
public sealed class StandbyRequestTests : IAsyncLifetime
{
    private readonly SchedulerProject _project = new(
        "jobs:\n  - name: manual\n    select: silver.orders\n  - name: slow\n    select: silver.slow\n"
        + "  - name: hourly\n    select: silver.orders\n    every: 1h\n    catchup: none\n  - name: slow_hourly\n    select: silver.slow\n    every: 1h\n    catchup: none\n");

    private JobScheduler _active = null!;
    private JobScheduler _standby = null!;

    public StandbyRequestTests() =>
        _project.Files.Write("models/silver/slow.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _project.DisposeAsync();

    private async Task StartBothAsync()
    {
        _active = await _project.StartAsync();
        _standby = await _project.StartAsync(holder: "scheduler-2");
        Assert.Equal((SchedulerRole.Active, SchedulerRole.Standby), (_active.Role, _standby.Role));
    }

    [Fact]
    public async Task A_run_triggered_on_a_standby_server_is_run_by_the_scheduler_that_runs_the_jobs()
    {
        await StartBothAsync();

        RunRecord queued = await _standby.TriggerAsync("manual");
        RunRecord run = Assert.Single(await _project.WaitForRunsAsync("manual", 1));

        Assert.Null(queued.Holder);
        Assert.Equal((queued.Id, RunStatus.Succeeded, "scheduler-1"), (run.Id, run.Status, run.Holder));
        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            Assert.Equal("queued by a trigger on a server that does not run the jobs; the one that does starts it", (await catalog.Runs.GetRunLogAsync(run.Id))[0].Message);
        }
    }

    [Fact]
    public async Task A_cancel_asked_of_a_standby_server_stops_the_run_where_it_runs()
    {
        await StartBothAsync();
        RunRecord slow = await _active.TriggerAsync("slow");
        await SchedulerProject.WaitUntilAsync(async () => (await _active.Catalog.Runs.GetRunAsync(slow.Id))!.Status == RunStatus.Running);

        bool asked = await _standby.CancelRunAsync(slow.Id);
        RunRecord run = Assert.Single(await _project.WaitForRunsAsync("slow", 1));

        Assert.True(asked);
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.False(await _standby.CancelRunAsync(slow.Id));
    }

    [Fact]
    public async Task A_job_paused_on_a_standby_server_is_paused_where_the_jobs_run_and_both_servers_say_so()
    {
        await StartBothAsync();

        await _standby.PauseAsync("manual");
        await SchedulerProject.WaitUntilAsync(async () => (await _active.GetJobsAsync()).Single(j => j.Job.Name == "manual").Paused);

        Assert.True((await _standby.GetJobsAsync()).Single(j => j.Job.Name == "manual").Paused);
    }

    [Fact]
    public async Task A_standby_server_counts_the_runs_under_way_on_the_server_that_runs_them()
    {
        await StartBothAsync();
        RunRecord slow = await _active.TriggerAsync("slow");
        await SchedulerProject.WaitUntilAsync(async () => (await _active.Catalog.Runs.GetRunAsync(slow.Id))!.Status == RunStatus.Running);

        JobStatus seen = (await _standby.GetJobsAsync()).Single(j => j.Job.Name == "slow");

        Assert.Equal((1, 0), (seen.ActiveRuns, seen.QueuedRuns));
        await _active.CancelRunAsync(slow.Id);
    }

    [Fact]
    public async Task A_server_that_only_serves_never_takes_the_lease_and_its_trigger_waits_for_a_server_that_runs_the_jobs()
    {
        JobScheduler web = await _project.StartAsync(holder: "web-1", runsJobs: false);
        RunRecord queued = await web.TriggerAsync("manual");

        await _project.StartAsync();
        RunRecord run = Assert.Single(await _project.WaitForRunsAsync("manual", 1));

        Assert.Equal(SchedulerRole.Web, web.Role);
        Assert.Equal((queued.Id, RunStatus.Succeeded, "scheduler-1"), (run.Id, run.Status, run.Holder));
    }

    [Fact]
    public async Task A_backfill_started_on_a_standby_server_runs_on_the_scheduler_that_runs_the_jobs_and_ends_there()
    {
        await StartBothAsync();
        DateTimeOffset now = DateTimeOffset.UtcNow;

        (BackfillRecord backfill, IReadOnlyList<RunRecord> queued) = await _standby.BackfillAsync("hourly", now.AddHours(-4), now, maxActive: 2);
        await SchedulerProject.WaitUntilAsync(async () => (await _active.GetBackfillAsync(backfill.Id)).Backfill.Status != RunStatus.Running);
        BackfillDetail done = await _active.GetBackfillAsync(backfill.Id);

        Assert.True(queued.Count >= 3);
        Assert.All(queued, r => Assert.Null(r.Holder));
        Assert.Equal(RunStatus.Succeeded, done.Backfill.Status);
        Assert.All(done.Runs, r => Assert.Equal((RunStatus.Succeeded, "scheduler-1"), (r.Status, r.Holder)));
    }

    [Fact]
    public async Task A_backfill_cancelled_on_a_standby_server_ends_cancelled_where_its_runs_run()
    {
        await StartBothAsync();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        (BackfillRecord backfill, _) = await _standby.BackfillAsync("slow_hourly", now.AddHours(-4), now);
        await SchedulerProject.WaitUntilAsync(async () => (await _active.GetBackfillAsync(backfill.Id)).Runs.Any(r => r.Status == RunStatus.Running));

        await _standby.CancelBackfillAsync(backfill.Id);
        await SchedulerProject.WaitUntilAsync(async () => (await _active.GetBackfillAsync(backfill.Id)).Backfill.Status != RunStatus.Running);
        BackfillDetail done = await _active.GetBackfillAsync(backfill.Id);

        Assert.Equal(RunStatus.Cancelled, done.Backfill.Status);
        Assert.All(done.Runs, r => Assert.Equal(RunStatus.Cancelled, r.Status));
    }
}
