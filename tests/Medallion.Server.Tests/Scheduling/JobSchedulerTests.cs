using Medallion.Catalog;
using Medallion.Server.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace Medallion.Server.Tests.Scheduling;

public sealed class JobSchedulerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 10, 0, 30, TimeSpan.Zero);
    private SchedulerProject _project = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_project is not null)
        {
            await _project.DisposeAsync();
        }
    }

    private SchedulerProject Project(string jobs) => _project = new SchedulerProject(jobs);

    [Fact]
    public async Task A_periodic_job_runs_once_per_fire_time_with_its_data_interval_on_a_fake_clock()
    {
        Project("jobs:\n  - name: minutely\n    select: silver.window\n    every: 1m\n")
            .Files.Write("models/silver/window.sql", "SELECT CAST(getvariable('interval_start') AS VARCHAR) AS starts, CAST(getvariable('interval_end') AS VARCHAR) AS ends");
        var time = new FakeTimeProvider(s_start);
        await _project.StartAsync(time);

        List<RunRecord> first = await _project.AdvanceUntilRunsAsync(time, TimeSpan.FromSeconds(30), "minutely", 1);
        List<RunRecord> runs = await _project.AdvanceUntilRunsAsync(time, TimeSpan.FromMinutes(1), "minutely", 2);

        Assert.Single(first);
        Assert.Equal(
            [(RunTrigger.Schedule, RunStatus.Succeeded, s_start.AddSeconds(-30), s_start.AddSeconds(30)), (RunTrigger.Schedule, RunStatus.Succeeded, s_start.AddSeconds(30), s_start.AddSeconds(90))],
            runs.Select(r => (r.Trigger, r.Status, r.IntervalStart!.Value, r.IntervalEnd!.Value)));
        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            List<RunLogLine> log = await catalog.Runs.GetRunLogAsync(runs[1].Id);
            Assert.Equal("queued by the schedule for the interval 2026-03-01T10:01:00.0000000+00:00 to 2026-03-01T10:02:00.0000000+00:00", log[0].Message);
            Assert.Contains(log, l => l.Message.StartsWith("model silver.window succeeded: 1 rows, version 1", StringComparison.Ordinal));
            Assert.Equal("run succeeded", log[^1].Message);
        }
    }

    [Fact]
    public async Task After_downtime_a_catchup_of_last_runs_only_the_newest_missed_interval()
    {
        Project("jobs:\n  - name: minutely\n    select: silver.orders\n    every: 1m\n    catchup: last\n");
        var time = new FakeTimeProvider(s_start);
        JobScheduler first = await _project.StartAsync(time);
        await _project.AdvanceUntilRunsAsync(time, TimeSpan.FromSeconds(30), "minutely", 1);
        await first.StopAsync(TimeSpan.Zero);

        time.Advance(TimeSpan.FromMinutes(5));
        await _project.StartAsync(time, "scheduler-2");
        List<RunRecord> runs = await _project.WaitForRunsAsync("minutely", 2);

        Assert.Equal([s_start.AddSeconds(30), s_start.AddSeconds(330)], runs.Select(r => r.IntervalEnd!.Value));
        Assert.Equal(s_start.AddSeconds(270), runs[1].IntervalStart);
    }

    [Fact]
    public async Task A_second_scheduler_on_the_same_catalog_waits_on_standby_behind_the_holder_and_takes_over_when_its_lease_lapses()
    {
        Project("jobs:\n  - name: manual\n    select: silver.orders\n");
        // The holder's clock stands still, so it renews nothing, as a hung process would.
        await _project.StartAsync(new FakeTimeProvider(s_start));
        var time = new FakeTimeProvider(s_start);
        JobScheduler second = await _project.StartAsync(time, "scheduler-2");
        (SchedulerRole, string?) standby = (second.Role, second.StandbyBehind?.Holder.Id);

        // Past the lease's 30 s; the standby may arm its timer after a move, so the clock moves until it takes over.
        time.Advance(TimeSpan.FromSeconds(30));
        await WaitUntilAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult(second.Role == SchedulerRole.Active);
        });
        RunRecord triggered = await second.TriggerAsync("manual");
        RunRecord run = Assert.Single(await _project.WaitForRunsAsync("manual", 1));

        Assert.Equal((SchedulerRole.Standby, "scheduler-1"), standby);
        Assert.Equal((triggered.Id, RunStatus.Succeeded, "scheduler-2"), (run.Id, run.Status, run.Holder));
    }

    [Fact]
    public async Task A_scheduler_takes_the_lease_at_once_from_a_holder_of_this_host_whose_process_is_gone()
    {
        Project("jobs:\n  - name: manual\n    select: silver.orders\n");
        using var exited = System.Diagnostics.Process.Start("true")!;
        await exited.WaitForExitAsync();
        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            await catalog.Scheduler.AcquireSchedulerLeaseAsync(new LeaseHolder("killed", Environment.MachineName, exited.Id, DateTimeOffset.UtcNow), TimeSpan.FromMinutes(10));
        }

        JobScheduler scheduler = await _project.StartAsync();

        Assert.Equal(SchedulerRole.Active, scheduler.Role);
        Assert.Equal("scheduler-1", (await scheduler.Catalog.Scheduler.GetSchedulerLeaseAsync())!.Holder.Id);
    }

    [Fact]
    public async Task A_sql_error_fails_the_run_once_without_retrying()
    {
        Project("jobs:\n  - name: broken\n    select: silver.broken\n    retries: 3\n")
            .Files.Write("models/silver/broken.sql", "SELECT CAST('x' AS INTEGER) AS n FROM bronze.orders");
        JobScheduler scheduler = await _project.StartAsync();

        RunRecord triggered = await scheduler.TriggerAsync("broken");
        RunRecord run = Assert.Single(await _project.WaitForRunsAsync("broken", 1));

        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            RunDetail detail = (await catalog.Runs.GetRunDetailAsync(triggered.Id))!;
            Assert.Equal((RunTrigger.Api, RunStatus.Failed), (run.Trigger, run.Status));
            RunAttemptRecord attempt = Assert.Single(detail.Attempts);
            Assert.False(attempt.Transient);
            Assert.Matches(@"^MDL6101: models/silver/broken\.sql(:\d+:\d+)?: model silver\.broken failed in DuckDB: Conversion Error", run.Error);
            Assert.Contains(await catalog.Runs.GetRunLogAsync(run.Id), l => l.Message == "attempt 1 failed at silver.broken (not transient, so not retried)");
        }
    }

    [Fact]
    public async Task A_run_past_its_timeout_is_interrupted_and_its_model_commits_nothing()
    {
        Project("jobs:\n  - name: slow\n    select: silver.slow\n    timeout: {run: 1s}\n    retries: 2\n")
            .Files.Write("models/silver/slow.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3");
        JobScheduler scheduler = await _project.StartAsync();

        await scheduler.TriggerAsync("slow");
        RunRecord run = Assert.Single(await _project.WaitForRunsAsync("slow", 1));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("MDL6105: the run of job 'slow' ran longer than its timeout of 00:00:01 and was interrupted; the models that were running committed nothing.", run.Error);
        Assert.False(Directory.Exists(Path.Combine(_project.Files.Directory, "lake", "silver", "slow", "_delta_log")));
    }

    [Fact]
    public async Task Cancelling_a_running_run_stops_its_model_and_records_it_cancelled()
    {
        Project("jobs:\n  - name: slow\n    select: silver.slow\n")
            .Files.Write("models/silver/slow.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3");
        JobScheduler scheduler = await _project.StartAsync();
        RunRecord run = await scheduler.TriggerAsync("slow");
        // The model, not only the run, must be under way: a run cancelled before its runner reached the model records no model.
        await WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunLogAsync(run.Id)).Any(l => l.Message == "model silver.slow started"));
        await Task.Delay(300);

        Assert.True(await scheduler.CancelRunAsync(run.Id));

        RunRecord ended = Assert.Single(await _project.WaitForRunsAsync("slow", 1));
        Assert.Equal((RunStatus.Cancelled, "cancelled; the models that were running committed nothing"), (ended.Status, ended.Error));
        Assert.Equal(RunStatus.Cancelled, Assert.Single(await scheduler.Catalog.Runs.GetModelRunsAsync(run.Id), m => m.Model.Name == "slow").Status);
        Assert.False(await scheduler.CancelRunAsync(run.Id));
    }

    [Fact]
    public async Task Stopping_lets_a_run_finish_within_the_grace_period_then_cancels_the_rest_and_releases_the_lease()
    {
        Project("jobs:\n  - name: slow\n    select: silver.slow\n")
            .Files.Write("models/silver/slow.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3");
        JobScheduler scheduler = await _project.StartAsync();
        RunRecord run = await scheduler.TriggerAsync("slow");
        await WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunAsync(run.Id))!.Status == RunStatus.Running);

        await scheduler.StopAsync(TimeSpan.FromMilliseconds(300));

        Assert.Equal(RunStatus.Cancelled, (await scheduler.Catalog.Runs.GetRunAsync(run.Id))!.Status);
        Assert.Null(await scheduler.Catalog.Scheduler.GetSchedulerLeaseAsync());
    }

    [Fact]
    public async Task A_run_a_dead_scheduler_left_running_is_marked_interrupted_and_retried_by_its_job()
    {
        Project("jobs:\n  - name: load\n    select: silver.orders\n    retries: 1\n");
        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            RunRecord left = (await catalog.Runs.TryQueueRunAsync(new RunStart("load", RunTrigger.Api, "silver.orders", null, null, "dead-scheduler")))!;
            await catalog.Runs.StartAttemptAsync(left.Id);

            await _project.StartAsync();
            RunRecord run = Assert.Single(await _project.WaitForRunsAsync("load", 1));

            Assert.Equal(RunStatus.Succeeded, run.Status);
            RunDetail detail = (await catalog.Runs.GetRunDetailAsync(left.Id))!;
            Assert.Equal([RunStatus.Interrupted, RunStatus.Succeeded], detail.Attempts.Select(a => a.Status));
        }
    }

    [Fact]
    public async Task A_job_that_runs_after_another_starts_when_that_one_succeeds()
    {
        Project("jobs:\n  - name: load\n    sources: [orders]\n  - name: build\n    select: silver.orders\n    after: [load]\n");
        JobScheduler scheduler = await _project.StartAsync();

        RunRecord load = await scheduler.TriggerAsync("load");
        RunRecord build = Assert.Single(await _project.WaitForRunsAsync("build", 1));

        Assert.Equal((RunTrigger.After, RunStatus.Succeeded, load.Id), (build.Trigger, build.Status, build.UpstreamRunId));
    }

    [Fact]
    public async Task A_new_version_of_a_watched_table_triggers_a_data_run()
    {
        Project("jobs:\n  - name: load\n    sources: [orders]\n  - name: build\n    select: silver.orders\n    on_new_data: [bronze.orders]\n");
        JobScheduler scheduler = await _project.StartAsync();
        // The first look records the versions (bronze.orders: none yet); only a version after it is new data.
        await WaitUntilAsync(async () => (await scheduler.Catalog.Scheduler.GetJobStatesAsync()).TryGetValue("build", out JobState? state) && state.SeenVersions.Count > 0);

        await scheduler.TriggerAsync("load");
        RunRecord build = Assert.Single(await _project.WaitForRunsAsync("build", 1));

        Assert.Equal((RunTrigger.Data, RunStatus.Succeeded), (build.Trigger, build.Status));
    }

    [Fact]
    public async Task A_paused_job_plans_no_runs_until_unpaused_and_the_pause_survives_a_restart()
    {
        Project("jobs:\n  - name: minutely\n    select: silver.orders\n    every: 1m\n");
        var time = new FakeTimeProvider(s_start);
        JobScheduler scheduler = await _project.StartAsync(time);
        await scheduler.PauseAsync("minutely");
        await SchedulerProject.AdvanceAndSettleAsync(time, TimeSpan.FromMinutes(2));
        Assert.Empty((await scheduler.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "minutely" })).Runs);
        await scheduler.StopAsync(TimeSpan.Zero);

        JobScheduler restarted = await _project.StartAsync(time, "scheduler-2");
        Assert.True(Assert.Single(await restarted.GetJobsAsync()).Paused);
        await restarted.UnpauseAsync("minutely");
        RunRecord run = Assert.Single(await _project.AdvanceUntilRunsAsync(time, TimeSpan.FromMinutes(1), "minutely", 1));
        Assert.Equal(s_start.AddSeconds(150), run.IntervalEnd);
    }

    [Fact]
    public async Task A_backfill_runs_each_missing_interval_once_and_again_only_when_asked_for_all()
    {
        Project("jobs:\n  - name: hourly\n    select: silver.orders\n    schedule: '@hourly'\n");
        JobScheduler scheduler = await _project.StartAsync();
        var from = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        (BackfillRecord backfill, IReadOnlyList<RunRecord> queued) = await scheduler.BackfillAsync("hourly", from, from.AddHours(3), maxActive: 2);
        await _project.WaitForRunsAsync("hourly", 3);
        (_, IReadOnlyList<RunRecord> none) = await scheduler.BackfillAsync("hourly", from, from.AddHours(3));
        (_, IReadOnlyList<RunRecord> all) = await scheduler.BackfillAsync("hourly", from, from.AddHours(3), BackfillReprocess.All);
        List<RunRecord> runs = await _project.WaitForRunsAsync("hourly", 6);

        Assert.Equal([from.AddHours(1), from.AddHours(2), from.AddHours(3)], queued.Select(r => r.IntervalEnd!.Value));
        Assert.Empty(none);
        Assert.Equal(3, all.Count);
        Assert.All(runs, r => Assert.Equal((RunTrigger.Backfill, RunStatus.Succeeded), (r.Trigger, r.Status)));
        await WaitUntilAsync(async () => (await scheduler.Catalog.Scheduler.GetBackfillAsync(backfill.Id))!.Status == RunStatus.Succeeded);
    }

    [Fact]
    public async Task A_backfill_a_dead_scheduler_left_running_is_taken_over_and_ends_with_its_last_run()
    {
        Project("jobs:\n  - name: hourly\n    select: silver.orders\n    schedule: '@hourly'\n    retries: 1\n");
        var from = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            (BackfillRecord left, RunRecord running) = await LeaveBackfillAsync(catalog, "hourly", from);
            await catalog.Runs.StartAttemptAsync(running.Id);

            await _project.StartAsync();
            await WaitUntilAsync(async () => (await catalog.Scheduler.GetBackfillAsync(left.Id))!.Status != RunStatus.Running);

            BackfillDetail ended = (await catalog.Scheduler.GetBackfillDetailAsync(left.Id))!;
            Assert.Equal((RunStatus.Succeeded, "ana"), (ended.Backfill.Status, ended.Backfill.StartedBy));
            Assert.Equal(new BackfillProgress(2, 0, 0, 2, 0, 0, 0), ended.Progress);
        }
    }

    [Fact]
    public async Task A_backfill_whose_job_the_project_no_longer_defines_ends_cancelled_with_its_queued_runs()
    {
        Project("jobs:\n  - name: hourly\n    select: silver.orders\n    schedule: '@hourly'\n");
        var from = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            (BackfillRecord left, _) = await LeaveBackfillAsync(catalog, "removed", from);

            await _project.StartAsync();
            await WaitUntilAsync(async () => (await catalog.Scheduler.GetBackfillAsync(left.Id))!.Status != RunStatus.Running);

            BackfillDetail ended = (await catalog.Scheduler.GetBackfillDetailAsync(left.Id))!;
            Assert.Equal(RunStatus.Cancelled, ended.Backfill.Status);
            Assert.Equal(new BackfillProgress(2, 0, 0, 0, 0, 2, 0), ended.Progress);
        }
    }

    [Fact]
    public async Task Rerun_from_failure_builds_only_the_failed_and_skipped_models()
    {
        Project("jobs:\n  - name: build\n    select: silver.orders+\n")
            .Files.Write("models/silver/checked.sql", "SELECT CAST(amount AS INTEGER) AS amount FROM silver.orders")
            .Write("models/gold/total.sql", "SELECT sum(amount) AS total FROM silver.checked")
            .Write("data/orders/1.csv", "id,amount\n1,ten\n");
        JobScheduler scheduler = await _project.StartAsync();
        RunRecord failed = await scheduler.TriggerAsync("build");
        await _project.WaitForRunsAsync("build", 1);

        RunRecord rerun = await scheduler.RerunFromFailureAsync(failed.Id);
        await _project.WaitForRunsAsync("build", 2);

        Assert.Equal(("gold.total silver.checked", failed.Id, RunTrigger.Api), (rerun.Selection, rerun.ParentId, rerun.Trigger));
        Assert.Equal(
            [("gold.total", RunStatus.Skipped), ("silver.checked", RunStatus.Failed)],
            (await scheduler.Catalog.Runs.GetModelRunsAsync(rerun.Id)).Select(m => (m.Model.ToString(), m.Status)));
    }

    [Fact]
    public async Task Rerun_from_failure_of_a_run_that_succeeded_says_there_is_nothing_to_rerun()
    {
        Project("jobs:\n  - name: build\n    select: silver.orders\n");
        JobScheduler scheduler = await _project.StartAsync();
        RunRecord run = await scheduler.TriggerAsync("build");
        await _project.WaitForRunsAsync("build", 1);

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => scheduler.RerunFromFailureAsync(run.Id));

        Assert.Equal($"Run '{run.Id}' has no failed, skipped or cancelled model to re-run (it succeeded).\nHelp: trigger the job for a new run.", error.Message);
    }

    [Fact]
    public async Task Retry_of_a_failed_run_builds_every_model_it_selected_again()
    {
        Project("jobs:\n  - name: build\n    select: silver.orders+\n")
            .Files.Write("models/silver/checked.sql", "SELECT CAST(amount AS INTEGER) AS amount FROM silver.orders")
            .Write("data/orders/1.csv", "id,amount\n1,ten\n");
        JobScheduler scheduler = await _project.StartAsync();
        RunRecord failed = await scheduler.TriggerAsync("build");
        await _project.WaitForRunsAsync("build", 1);

        RunRecord retried = await scheduler.RetryAsync(failed.Id);
        await _project.WaitForRunsAsync("build", 2);

        Assert.Equal((failed.Selection, failed.Id, RunTrigger.Api), (retried.Selection, retried.ParentId, retried.Trigger));
        Assert.Equal(
            [("bronze.orders", RunStatus.Succeeded), ("silver.checked", RunStatus.Failed), ("silver.orders", RunStatus.Succeeded)],
            (await scheduler.Catalog.Runs.GetModelRunsAsync(retried.Id)).Select(m => (m.Model.ToString(), m.Status)).Order());
    }

    [Fact]
    public async Task Retry_of_a_run_still_under_way_is_refused_pointing_to_cancel()
    {
        Project("jobs:\n  - name: build\n    select: silver.busy\n")
            .Files.Write("models/silver/busy.sql", "SELECT count(*) AS n FROM range(300000000) t(i) WHERE i % 7 = 3");
        JobScheduler scheduler = await _project.StartAsync();
        RunRecord run = await scheduler.TriggerAsync("build");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => scheduler.RetryAsync(run.Id));

        Assert.Matches($"^Run '{run.Id}' is still (queued|running), so there is nothing to repeat yet.\nHelp: wait for it to end, or cancel it with 'medallion cancel {run.Id}'.$", error.Message);
        await scheduler.CancelRunAsync(run.Id);
    }

    [Fact]
    public async Task Triggering_an_unknown_job_suggests_the_closest_job()
    {
        Project("jobs:\n  - name: build\n    select: silver.orders\n");
        JobScheduler scheduler = await _project.StartAsync();

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => scheduler.TriggerAsync("biuld"));

        Assert.Equal((ErrorCode.CatalogObjectNotFound, "The project has no job 'biuld'. Did you mean 'build'?\nHelp: jobs are defined in jobs/*.yml or under 'jobs:' in medallion.yml."), (error.Code, error.Message));
    }

    [Fact]
    public async Task Two_runs_that_write_one_table_never_run_at_once_the_second_waits()
    {
        Project("jobs:\n  - name: build\n    select: silver.busy\n    max_active_runs: 2\n")
            .Files.Write("models/silver/busy.sql", "SELECT count(*) AS n FROM range(300000000) t(i) WHERE i % 7 = 3");
        JobScheduler scheduler = await _project.StartAsync();

        RunRecord first = await scheduler.TriggerAsync("build");
        RunRecord second = await scheduler.TriggerAsync("build");
        await _project.WaitForRunsAsync("build", 2);

        RunDetail one = (await scheduler.Catalog.Runs.GetRunDetailAsync(first.Id))!;
        RunDetail two = (await scheduler.Catalog.Runs.GetRunDetailAsync(second.Id))!;
        Assert.Equal((RunStatus.Succeeded, RunStatus.Succeeded), (one.Run.Status, two.Run.Status));
        (DateTimeOffset Start, DateTimeOffset End) a = (one.Attempts[0].StartedAt, one.Attempts[0].FinishedAt!.Value);
        (DateTimeOffset Start, DateTimeOffset End) b = (two.Attempts[0].StartedAt, two.Attempts[0].FinishedAt!.Value);
        Assert.True(a.End <= b.Start || b.End <= a.Start, $"the runs overlapped: {a} and {b}");
    }

    /// <summary>A backfill of <paramref name="job"/> over two hours from <paramref name="from"/>, started by ana, whose two runs a dead scheduler left queued; returns it and its first run.</summary>
    private static async Task<(BackfillRecord Backfill, RunRecord First)> LeaveBackfillAsync(CatalogStore catalog, string job, DateTimeOffset from)
    {
        BackfillRecord left = await catalog.Scheduler.CreateBackfillAsync(job, from, from.AddHours(2), "missing", 1, 2, "ana");
        RunRecord first = (await catalog.Runs.TryQueueRunAsync(new RunStart(job, RunTrigger.Backfill, "silver.orders", from, from.AddHours(1), "dead-scheduler") { BackfillId = left.Id }))!;
        await catalog.Runs.TryQueueRunAsync(new RunStart(job, RunTrigger.Backfill, "silver.orders", from.AddHours(1), from.AddHours(2), "dead-scheduler") { BackfillId = left.Id });
        return (left, first);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the condition never held");
            await Task.Delay(50);
        }
    }
}
