using Medallion.Catalog;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Scheduling;

/// <summary>
/// A scheduler that executes nothing itself (concurrency 0, <c>--role scheduler</c>) and a worker on one project: the
/// scheduler admits runs in the catalog, the worker claims and executes them, and the scheduler sees them end.
/// </summary>
public sealed class WorkerTests : IAsyncLifetime
{
    private readonly SchedulerProject _project = new(
        "jobs:\n  - name: manual\n    select: silver.orders\n  - name: later\n    select: silver.orders\n    after: [manual]\n  - name: slow\n    select: silver.slow\n");

    public WorkerTests() =>
        _project.Files.Write("models/silver/slow.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _project.DisposeAsync();

    private Task<JobScheduler> StartSchedulerAsync() => _project.StartAsync(concurrency: 0);

    private Task<JobScheduler> StartWorkerAsync(string name = "worker-1") => _project.StartAsync(holder: name, worker: true, concurrency: 2);

    [Fact]
    public async Task A_run_the_scheduler_admits_is_claimed_and_executed_by_the_worker()
    {
        JobScheduler scheduler = await StartSchedulerAsync();
        JobScheduler worker = await StartWorkerAsync();

        RunRecord queued = await scheduler.TriggerAsync("manual");
        RunRecord run = (await _project.WaitForRunsAsync("manual", 1)).Single();

        Assert.Equal(SchedulerRole.Worker, worker.Role);
        Assert.Equal((queued.Id, RunStatus.Succeeded, "worker-1"), (run.Id, run.Status, run.Holder));
        List<RunLogLine> log = await scheduler.Catalog.Runs.GetRunLogAsync(run.Id);
        Assert.Contains(log, l => l.Message == "admitted: waiting for a worker to claim it");
        Assert.Contains(log, l => l.Message.StartsWith("claimed by worker worker-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_jobs_after_a_run_that_succeeded_on_a_worker_are_queued_by_the_scheduler()
    {
        JobScheduler scheduler = await StartSchedulerAsync();
        await StartWorkerAsync();

        await scheduler.TriggerAsync("manual");
        RunRecord later = (await _project.WaitForRunsAsync("later", 1)).Single();

        Assert.Equal((RunTrigger.After, RunStatus.Succeeded, "worker-1"), (later.Trigger, later.Status, later.Holder));
    }

    [Fact]
    public async Task A_job_after_a_run_that_succeeded_while_no_scheduler_ran_is_queued_and_run_once_the_next_scheduler_starts()
    {
        JobScheduler scheduler = await StartSchedulerAsync();
        RunRecord manual = await scheduler.TriggerAsync("manual");
        await SchedulerProject.WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunLogAsync(manual.Id)).Any(l => l.Message.StartsWith("admitted", StringComparison.Ordinal)));
        await scheduler.StopAsync(TimeSpan.Zero);

        await StartWorkerAsync();
        await SchedulerProject.WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunAsync(manual.Id))!.Status == RunStatus.Succeeded);
        await _project.StartAsync(holder: "scheduler-2", concurrency: 0);
        RunRecord later = (await _project.WaitForRunsAsync("later", 1)).Single();

        Assert.Equal((RunTrigger.After, RunStatus.Succeeded, manual.Id), (later.Trigger, later.Status, later.UpstreamRunId));
        Assert.StartsWith($"queued: run {manual.Id} of job 'manual'", (await scheduler.Catalog.Runs.GetRunLogAsync(later.Id))[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admitted_run_waits_for_a_worker_and_counts_against_its_job_s_limit_meanwhile()
    {
        JobScheduler scheduler = await StartSchedulerAsync();

        RunRecord first = await scheduler.TriggerAsync("manual");
        RunRecord second = await scheduler.TriggerAsync("manual");
        await SchedulerProject.WaitForFreshPassAsync(scheduler);

        Assert.Equal(RunStatus.Queued, (await scheduler.Catalog.Runs.GetRunAsync(first.Id))!.Status);
        JobStatus manual = (await scheduler.GetJobsAsync()).Single(j => j.Job.Name == "manual");
        Assert.Equal((1, 1), (manual.ActiveRuns, manual.QueuedRuns));
        await StartWorkerAsync();
        List<RunRecord> runs = await _project.WaitForRunsAsync("manual", 2);
        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.Contains(runs, r => r.Id == second.Id);
    }

    [Fact]
    public async Task A_cancel_of_a_run_executing_on_a_worker_stops_it_there()
    {
        JobScheduler scheduler = await StartSchedulerAsync();
        await StartWorkerAsync();
        RunRecord slow = await scheduler.TriggerAsync("slow");
        await SchedulerProject.WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunAsync(slow.Id))!.Status == RunStatus.Running);

        Assert.True(await scheduler.CancelRunAsync(slow.Id));
        RunRecord run = (await _project.WaitForRunsAsync("slow", 1)).Single();

        Assert.Equal((RunStatus.Cancelled, "worker-1"), (run.Status, run.Holder));
    }

    [Fact]
    public async Task A_cancel_of_a_run_no_worker_claimed_ends_it_at_once()
    {
        JobScheduler scheduler = await StartSchedulerAsync();
        RunRecord queued = await scheduler.TriggerAsync("manual");
        await SchedulerProject.WaitForFreshPassAsync(scheduler);

        Assert.True(await scheduler.CancelRunAsync(queued.Id));
        RunRecord run = (await _project.WaitForRunsAsync("manual", 1)).Single();

        Assert.Equal(RunStatus.Cancelled, run.Status);
    }

    [Fact]
    public async Task A_worker_that_stops_hands_its_run_back_and_another_worker_takes_it_over()
    {
        JobScheduler scheduler = await StartSchedulerAsync();
        JobScheduler first = await StartWorkerAsync();
        RunRecord slow = await scheduler.TriggerAsync("slow");
        await SchedulerProject.WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunAsync(slow.Id))!.Status == RunStatus.Running);

        await first.StopAsync(TimeSpan.Zero);
        RunRecord handedBack = (await scheduler.Catalog.Runs.GetRunAsync(slow.Id))!;
        await StartWorkerAsync("worker-2");
        await SchedulerProject.WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunAsync(slow.Id))! is { Status: RunStatus.Running, Holder: "worker-2" });
        List<RunAttemptRecord> attempts = await scheduler.Catalog.Runs.GetAttemptsAsync(slow.Id);
        await scheduler.CancelRunAsync(slow.Id);

        Assert.Equal((RunStatus.Queued, (string?)null), (handedBack.Status, handedBack.Holder));
        Assert.Equal([RunStatus.Interrupted, RunStatus.Running], attempts.Select(a => a.Status));
    }
}
