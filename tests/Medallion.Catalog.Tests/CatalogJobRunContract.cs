using System.Data.Common;

namespace Medallion.Catalog.Tests;

/// <summary>Scheduled runs on every engine: the run queue, attempts, logs, the writer's group commit, paging, the scheduler's lease and job states.</summary>
public abstract class CatalogJobRunContract(CatalogEngine engine) : CatalogContract(engine)
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly LeaseHolder s_first = new("holder-1", "db1", 4242, s_start.AddHours(-1));
    private static readonly LeaseHolder s_second = new("holder-2", "db2", 77, s_start);

    private readonly ManualTime _time = new(s_start);

    protected override TimeProvider? Time => _time;

    private static RunStart Scheduled(string job, DateTimeOffset end, string holder = "holder-1") =>
        new(job, RunTrigger.Schedule, "silver.*", end.AddHours(-1), end, holder);

    [Fact]
    public async Task A_queued_run_keeps_its_job_trigger_interval_and_variables()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start) with { Variables = new Dictionary<string, string> { ["region"] = "eu" } }))!;

        RunRecord read = (await Store.Runs.GetRunAsync(run.Id))!;
        Assert.Equal(RunStatus.Queued, read.Status);
        Assert.Equal("hourly", read.Job);
        Assert.Equal(RunTrigger.Schedule, read.Trigger);
        Assert.Equal(s_start.AddHours(-1), read.IntervalStart);
        Assert.Equal(s_start, read.IntervalEnd);
        Assert.Equal("holder-1", read.Holder);
        Assert.Equal("eu", read.Variables["region"]);
    }

    [Fact]
    public async Task The_run_a_queueing_returns_is_the_run_as_read_back()
    {
        // Ticks finer than the catalog keeps: the returned run holds the time as stored, not as given.
        RunStart start = Scheduled("hourly", s_start.AddTicks(1_234_567)) with { Variables = new Dictionary<string, string> { ["region"] = "eu" }, ParentId = "parent-1" };

        RunRecord queued = (await Store.Runs.TryQueueRunAsync(start))!;

        Assert.Equivalent(await Store.Runs.GetRunAsync(queued.Id), queued, strict: true);
    }

    [Fact]
    public async Task Queued_runs_no_scheduler_owns_are_adopted_once_oldest_first_and_others_are_left_alone()
    {
        RunRecord owned = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        RunRecord first = (await Store.Runs.TryQueueRunAsync(new RunStart("manual", RunTrigger.Api, null, null, null, null)))!;
        _time.Now += TimeSpan.FromSeconds(1);
        RunRecord second = (await Store.Runs.TryQueueRunAsync(new RunStart("manual", RunTrigger.Api, null, null, null, null)))!;

        List<RunRecord> adopted = await Store.Runs.AdoptQueuedRunsAsync("holder-2");

        Assert.Equal([(first.Id, "holder-2"), (second.Id, "holder-2")], adopted.Select(r => (r.Id, r.Holder!)));
        Assert.Equal("holder-2", (await Store.Runs.GetRunAsync(second.Id))!.Holder);
        Assert.Equal("holder-1", (await Store.Runs.GetRunAsync(owned.Id))!.Holder);
        Assert.Empty(await Store.Runs.AdoptQueuedRunsAsync("holder-3"));
    }

    [Fact]
    public async Task A_cancel_asked_of_a_queued_or_running_run_is_listed_for_its_holder_until_the_run_ends()
    {
        RunRecord queued = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        _time.Now += TimeSpan.FromSeconds(1);
        RunRecord running = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start.AddHours(1))))!;
        await Store.Runs.StartAttemptAsync(running.Id);
        RunRecord ended = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start.AddHours(2))))!;
        await Store.Runs.FinishRunAsync(ended.Id, RunStatus.Succeeded, null);

        bool[] asked = [await Store.Runs.RequestCancelAsync(queued.Id), await Store.Runs.RequestCancelAsync(running.Id), await Store.Runs.RequestCancelAsync(ended.Id)];

        Assert.Equal([true, true, false], asked);
        Assert.Equal([queued.Id, running.Id], await Store.Runs.GetCancelRequestsAsync("holder-1"));
        Assert.Empty(await Store.Runs.GetCancelRequestsAsync("holder-2"));
        await Store.Runs.FinishRunAsync(running.Id, RunStatus.Cancelled, "cancelled");
        Assert.Equal([queued.Id], await Store.Runs.GetCancelRequestsAsync("holder-1"));
    }

    [Fact]
    public async Task Open_runs_are_counted_by_job_and_status()
    {
        await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start));
        RunRecord running = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start.AddHours(1))))!;
        await Store.Runs.StartAttemptAsync(running.Id);
        await Store.Runs.TryQueueRunAsync(Scheduled("daily", s_start));

        Dictionary<(string Job, RunStatus Status), int> open = await Store.Runs.CountOpenRunsAsync();

        Assert.Equal(
            [(("daily", RunStatus.Queued), 1), (("hourly", RunStatus.Queued), 1), (("hourly", RunStatus.Running), 1)],
            open.OrderBy(c => c.Key.Job, StringComparer.Ordinal).ThenBy(c => c.Key.Status.ToString(), StringComparer.Ordinal).Select(c => (c.Key, c.Value)));
    }

    [Fact]
    public async Task A_fire_time_of_a_job_is_queued_once_even_when_planned_twice()
    {
        Assert.NotNull(await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)));

        Assert.Null(await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start, "holder-2")));
        Assert.NotNull(await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start) with { Trigger = RunTrigger.Backfill }));
        Assert.NotNull(await Store.Runs.TryQueueRunAsync(Scheduled("daily", s_start)));
        Assert.Equal(s_start, await Store.Runs.GetLastScheduledFireTimeAsync("hourly"));
    }

    [Fact]
    public async Task A_job_that_was_never_scheduled_has_no_last_fire_time()
    {
        await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start) with { Trigger = RunTrigger.Manual });

        Assert.Null(await Store.Runs.GetLastScheduledFireTimeAsync("hourly"));
    }

    [Fact]
    public async Task Attempts_are_numbered_and_keep_their_errors_and_the_run_keeps_its_first_start()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        _time.Now = s_start.AddMinutes(1);
        RunAttemptRecord first = await Store.Runs.StartAttemptAsync(run.Id);
        await Store.Runs.FinishAttemptAsync(run.Id, first.Attempt, RunStatus.Failed, "MDL8001: source down", transient: true);
        _time.Now = s_start.AddMinutes(3);
        RunAttemptRecord second = await Store.Runs.StartAttemptAsync(run.Id);
        await Store.Runs.FinishAttemptAsync(run.Id, second.Attempt, RunStatus.Succeeded, null, transient: false);
        await Store.Runs.FinishRunAsync(run.Id, RunStatus.Succeeded);

        RunDetail detail = (await Store.Runs.GetRunDetailAsync(run.Id))!;
        Assert.Equal(RunStatus.Succeeded, detail.Run.Status);
        Assert.Equal(s_start.AddMinutes(1), detail.Run.StartedAt);
        Assert.Equal(
            [(1, RunStatus.Failed, "MDL8001: source down", true), (2, RunStatus.Succeeded, null, false)],
            detail.Attempts.Select(a => (a.Attempt, a.Status, a.Error, a.Transient)));
    }

    [Fact]
    public async Task A_run_left_running_that_its_job_retries_is_queued_again_under_the_new_holder_in_the_same_write()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        await Store.Runs.StartAttemptAsync(run.Id);
        var asked = new List<(string, int)>();

        RunRecord requeued = Assert.Single(await Store.Runs.RecoverRunsAsync("holder-2", DateTimeOffset.MaxValue, (r, attempts) =>
        {
            asked.Add((r.Id, attempts));
            return true;
        }));

        Assert.Equal([(run.Id, 1)], asked);
        Assert.Equal((RunStatus.Queued, "holder-2", (string?)null, (DateTimeOffset?)null), (requeued.Status, requeued.Holder, requeued.Error, requeued.FinishedAt));
        Assert.Equal(RunStatus.Interrupted, Assert.Single(await Store.Runs.GetAttemptsAsync(run.Id)).Status);
    }

    [Fact]
    public async Task A_scheduler_that_lost_a_run_to_another_cannot_record_its_end()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        await Store.Runs.StartAttemptAsync(run.Id);
        await Store.Runs.RecoverRunsAsync("holder-2", DateTimeOffset.MaxValue, (_, _) => true);

        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => Store.Runs.FinishRunAsync(run.Id, RunStatus.Cancelled, "cancelled", "holder-1"));

        Assert.Equal(ErrorCode.RunNoLongerHeld, refused.Code);
        RunRecord kept = (await Store.Runs.GetRunAsync(run.Id))!;
        Assert.Equal((RunStatus.Queued, "holder-2", (string?)null), (kept.Status, kept.Holder, kept.Error));
    }

    [Fact]
    public async Task The_scheduler_that_holds_a_run_records_its_end()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        await Store.Runs.StartAttemptAsync(run.Id);

        RunRecord ended = await Store.Runs.FinishRunAsync(run.Id, RunStatus.Succeeded, null, "holder-1");

        Assert.Equal((RunStatus.Succeeded, "holder-1"), (ended.Status, ended.Holder));
    }

    [Fact]
    public async Task A_data_run_is_queued_with_the_table_versions_its_job_saw_in_one_write()
    {
        await Store.Scheduler.SetJobSeenVersionsAsync("build", new Dictionary<string, long> { ["bronze.orders"] = 6 });

        RunRecord? run = await Store.Runs.TryQueueRunAsync(new RunStart("build", RunTrigger.Data, "silver.*", null, null, "holder-1"), new Dictionary<string, long> { ["bronze.orders"] = 7 });

        Assert.Equal((RunTrigger.Data, RunStatus.Queued), (run!.Trigger, run.Status));
        Assert.Equal(7, (await Store.Scheduler.GetJobStatesAsync())["build"].SeenVersions["bronze.orders"]);
    }

    [Fact]
    public async Task A_runs_success_queues_the_jobs_after_it_with_its_interval_for_the_scheduler_to_adopt()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("load", s_start)))!;
        await Store.Runs.StartAttemptAsync(run.Id);

        await Store.Runs.FinishRunAsync(run.Id, RunStatus.Succeeded, null, "holder-1", [new AfterRun("build", "silver.*", false, "queued after load")]);

        RunRecord build = Assert.Single((await Store.Runs.QueryRunsAsync(new RunQuery { Job = "build" })).Runs);
        Assert.Equal((RunTrigger.After, RunStatus.Queued, run.Id, (string?)null), (build.Trigger, build.Status, build.UpstreamRunId, build.Holder));
        Assert.Equal((s_start.AddHours(-1), s_start), (build.IntervalStart!.Value, build.IntervalEnd!.Value));
        Assert.Equal("queued after load", Assert.Single(await Store.Runs.GetRunLogAsync(build.Id)).Message);
        Assert.Equal(build.Id, Assert.Single(await Store.Runs.AdoptQueuedRunsAsync("holder-1")).Id);
    }

    [Fact]
    public async Task A_success_recorded_twice_queues_each_job_after_it_once()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("load", s_start)))!;
        AfterRun build = new("build", null, false, "queued after load");

        await Store.Runs.FinishRunAsync(run.Id, RunStatus.Succeeded, null, null, [build]);
        await Store.Runs.FinishRunAsync(run.Id, RunStatus.Succeeded, null, null, [build]);

        Assert.Single((await Store.Runs.QueryRunsAsync(new RunQuery { Job = "build" })).Runs);
    }

    [Fact]
    public async Task A_job_paused_in_the_catalog_or_in_its_file_is_not_queued_after_a_success_and_one_unpaused_at_run_time_is()
    {
        await Store.Scheduler.SetJobPausedAsync("paused_now", true);
        await Store.Scheduler.SetJobPausedAsync("unpaused_now", false);
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("load", s_start)))!;

        await Store.Runs.FinishRunAsync(run.Id, RunStatus.Succeeded, null, null,
            [new AfterRun("paused_now", null, false, "-"), new AfterRun("paused_in_file", null, true, "-"), new AfterRun("unpaused_now", null, true, "-")]);

        List<RunRecord> runs = (await Store.Runs.QueryRunsAsync(new RunQuery())).Runs.ToList();
        Assert.Equal(["unpaused_now"], runs.Where(r => r.Trigger == RunTrigger.After).Select(r => r.Job));
    }

    [Fact]
    public async Task A_run_that_failed_or_whose_end_another_scheduler_refused_queues_nothing_after_it()
    {
        RunRecord failed = (await Store.Runs.TryQueueRunAsync(Scheduled("load", s_start)))!;
        RunRecord lost = (await Store.Runs.TryQueueRunAsync(Scheduled("load", s_start.AddHours(1))))!;
        await Store.Runs.StartAttemptAsync(lost.Id);
        await Store.Runs.RecoverRunsAsync("holder-2", DateTimeOffset.MaxValue, (_, _) => true);
        AfterRun[] after = [new AfterRun("build", null, false, "-")];

        await Store.Runs.FinishRunAsync(failed.Id, RunStatus.Failed, "boom", null, after);
        await Assert.ThrowsAsync<MedallionException>(() => Store.Runs.FinishRunAsync(lost.Id, RunStatus.Succeeded, null, "holder-1", after));

        Assert.Empty((await Store.Runs.QueryRunsAsync(new RunQuery { Job = "build" })).Runs);
    }

    [Fact]
    public async Task Log_lines_are_numbered_in_order_and_readable_after_the_catalog_is_reopened()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        var model = new TableName("silver", "orders");
        await Store.Runs.AppendRunLogAsync(run.Id, null, "info", "attempt 1 started");
        await Store.Runs.AppendRunLogAsync(run.Id, model, "info", "silver.orders: 12 rows written");
        await Store.Runs.AppendRunLogAsync(run.Id, model, "error", "silver.orders failed");
        await Store.DisposeAsync();

        Store = await ReopenAsync();

        List<RunLogLine> lines = await Store.Runs.GetRunLogAsync(run.Id);
        Assert.Equal([1L, 2L, 3L], lines.Select(l => l.Sequence));
        Assert.Equal([null, model, model], lines.Select(l => l.Model));
        Assert.Equal("silver.orders: 12 rows written", lines[1].Message);
        Assert.Equal(["silver.orders failed"], (await Store.Runs.GetRunLogAsync(run.Id, afterSequence: 2)).Select(l => l.Message));
    }

    [Fact]
    public async Task Log_lines_of_several_runs_appended_in_one_write_follow_each_run_s_lines_in_order()
    {
        RunRecord first = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        RunRecord second = (await Store.Runs.TryQueueRunAsync(Scheduled("daily", s_start)))!;
        await Store.Runs.AppendRunLogAsync(first.Id, null, "info", "queued");

        await Store.Runs.AppendRunLogsAsync([
            (first.Id, [new RunLogEntry(s_start, null, "info", "admitted"), new RunLogEntry(s_start, null, "info", "claimed")]),
            (second.Id, [new RunLogEntry(s_start, null, "info", "admitted")]),
            (first.Id, [new RunLogEntry(s_start, null, "info", "started")]),
        ]);

        Assert.Equal([(1L, "queued"), (2L, "admitted"), (3L, "claimed"), (4L, "started")], (await Store.Runs.GetRunLogAsync(first.Id)).Select(l => (l.Sequence, l.Message)));
        Assert.Equal([(1L, "admitted")], (await Store.Runs.GetRunLogAsync(second.Id)).Select(l => (l.Sequence, l.Message)));
    }

    [Fact]
    public async Task Log_lines_appended_together_follow_the_run_s_lines_in_order_with_the_times_they_were_logged_at()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        await Store.Runs.AppendRunLogAsync(run.Id, null, "info", "queued");
        var model = new TableName("silver", "orders");

        await Store.Runs.AppendRunLogAsync(run.Id, [
            new RunLogEntry(s_start.AddSeconds(-3), model, "info", "model silver.orders started"),
            new RunLogEntry(s_start.AddSeconds(-1), model, "info", "model silver.orders succeeded"),
        ]);

        List<RunLogLine> lines = await Store.Runs.GetRunLogAsync(run.Id);
        Assert.Equal(
            [(1L, s_start, "queued"), (2L, s_start.AddSeconds(-3), "model silver.orders started"), (3L, s_start.AddSeconds(-1), "model silver.orders succeeded")],
            lines.Select(l => (l.Sequence, l.LoggedAt, l.Message)));
    }

    [Fact]
    public async Task Writes_of_many_callers_and_stores_at_once_are_each_committed_when_they_return()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        CatalogStore second = await ReopenAsync();
        await using (second)
        {
            await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
            {
                await (i % 2 == 0 ? Store : second).Runs.AppendRunLogAsync(run.Id, null, "info", $"line {i}");
                // Committed before the call returned: a connection of the test's own sees it.
                Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM run_logs WHERE message = 'line {i}'"));
            }));
        }

        List<RunLogLine> lines = await Store.Runs.GetRunLogAsync(run.Id);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), lines.Select(l => l.Sequence));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"line {i}").Order(StringComparer.Ordinal), lines.Select(l => l.Message).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Log_lines_two_processes_append_to_one_run_at_once_are_all_kept_and_numbered_one_after_another()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        await using CatalogStore other = await CatalogStore.OpenAsync(Engine.AsAnotherProcess(Location), _time);

        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => (i % 2 == 0 ? Store : other).Runs.AppendRunLogAsync(run.Id, null, "info", $"line {i}")));

        List<RunLogLine> lines = await Store.Runs.GetRunLogAsync(run.Id);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), lines.Select(l => l.Sequence));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"line {i}").Order(StringComparer.Ordinal), lines.Select(l => l.Message).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_write_that_fails_among_writes_committed_together_fails_alone()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;

        Task[] writes = [.. Enumerable.Range(0, 50).Select(i => i == 25
            ? Store.Runs.AppendRunLogAsync("no-such-run", null, "info", "orphan")
            : Store.Runs.AppendRunLogAsync(run.Id, null, "info", $"line {i}"))];

        // The engine's own refusal (a foreign key names no run), not a failure of the catalog.
        await Assert.ThrowsAnyAsync<DbException>(() => writes[25]);
        await Task.WhenAll(writes.Where((_, i) => i != 25));
        Assert.Equal(49, (await Store.Runs.GetRunLogAsync(run.Id)).Count);
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM run_logs WHERE message = 'orphan'"));
    }

    [Fact]
    public async Task A_write_of_several_rows_that_fails_halfway_among_others_leaves_none_of_its_rows()
    {
        var orders = new TableName("silver", "orders");
        await Store.Tables.UpsertTableAsync(new CatalogTable(orders, "tables/silver/orders"));
        await Store.Tables.SetColumnsAsync(orders, [new CatalogColumn("id", "INTEGER"), new CatalogColumn("name", "VARCHAR")]);
        RunRecord run = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;

        Task logged = Task.WhenAll(Enumerable.Range(0, 20).Select(i => Store.Runs.AppendRunLogAsync(run.Id, null, "info", $"line {i}")));
        // Deletes the columns, inserts one, then fails on the second (the same name twice).
        Task replaced = Store.Tables.SetColumnsAsync(orders, [new CatalogColumn("x", "INTEGER"), new CatalogColumn("x", "INTEGER")]);

        await Assert.ThrowsAnyAsync<DbException>(() => replaced);
        await logged;
        Assert.Equal(["id", "name"], (await Store.Tables.GetColumnsAsync(orders)).Select(c => c.Name));
        Assert.Equal(20, (await Store.Runs.GetRunLogAsync(run.Id)).Count);
    }

    [Fact]
    public async Task Runs_page_newest_first_by_job_and_status_with_a_cursor_to_the_next_page()
    {
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            _time.Now = s_start.AddMinutes(i);
            ids.Add((await Store.Runs.TryQueueRunAsync(Scheduled(i % 2 == 0 ? "even" : "odd", s_start.AddHours(i))))!.Id);
        }

        await Store.Runs.StartAttemptAsync(ids[4]);

        RunPage first = await Store.Runs.QueryRunsAsync(new RunQuery { Job = "even", Limit = 2 });
        RunPage second = await Store.Runs.QueryRunsAsync(new RunQuery { Job = "even", Limit = 2, Cursor = first.NextCursor });
        RunPage queued = await Store.Runs.QueryRunsAsync(new RunQuery { Status = RunStatus.Queued, StartedFrom = s_start.AddMinutes(1) });

        Assert.Equal([ids[4], ids[2]], first.Runs.Select(r => r.Id));
        Assert.Equal([ids[0]], second.Runs.Select(r => r.Id));
        Assert.Null(second.NextCursor);
        Assert.Equal([ids[3], ids[2], ids[1]], queued.Runs.Select(r => r.Id));
    }

    [Fact]
    public async Task The_runs_of_a_jobs_intervals_are_listed_oldest_interval_first()
    {
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add((await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start.AddHours(i))))!.Id);
        }

        List<RunRecord> runs = await Store.Runs.GetIntervalRunsAsync("hourly", s_start.AddHours(1), s_start.AddHours(2));

        Assert.Equal([ids[1], ids[2]], runs.Select(r => r.Id));
    }

    [Fact]
    public async Task A_page_of_50_out_of_100000_runs_reads_only_that_page()
    {
        // 32-character ids, as the store's are: 25 zeros and 1000001 to 1100000.
        await Engine.ExecuteAsync(Location, """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
            INSERT INTO runs (id, started_at, status, job, trigger)
            SELECT '0000000000000000000000000' || CAST(1000000 + i AS TEXT), '2026-01-01T00:00:00.0000000Z',
                   CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'succeeded' END, 'job' || CAST(i % 20 AS TEXT), 'schedule' FROM n
            """);

        RunPage page = await Store.Runs.QueryRunsAsync(new RunQuery { Job = "job0", Status = RunStatus.Failed });
        RunPage next = await Store.Runs.QueryRunsAsync(new RunQuery { Job = "job0", Status = RunStatus.Failed, Cursor = page.NextCursor });

        Assert.Equal(50, page.Runs.Count);
        Assert.Equal("00000000000000000000000001100000", page.Runs[0].Id);
        Assert.Equal("00000000000000000000000001099020", page.Runs[^1].Id);
        Assert.Equal("00000000000000000000000001099000", next.Runs[0].Id);
    }

    [Fact]
    public async Task A_second_scheduler_is_refused_with_a_message_naming_the_holder()
    {
        await Store.Scheduler.AcquireSchedulerLeaseAsync(s_first, TimeSpan.FromSeconds(30));

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => Store.Scheduler.AcquireSchedulerLeaseAsync(s_second, TimeSpan.FromSeconds(30)));

        Assert.Equal(ErrorCode.CatalogLeaseHeld, error.Code);
        Assert.Equal(
            $"Another scheduler holds the catalog '{Store.Path}': host 'db1', pid 4242, started 2026-03-01 09:00:00Z (last heartbeat 2026-03-01T10:00:00.0000000Z, lease expires 2026-03-01T10:00:30.0000000Z).\nHelp: stop that server first; only one scheduler may run the jobs of a catalog. If it is gone, this one may take over once its lease expires.",
            error.Message);
        Assert.Equal("holder-1", (await Store.Scheduler.GetSchedulerLeaseAsync())!.Holder.Id);
    }

    [Fact]
    public async Task Heartbeats_keep_the_lease_and_an_expired_lease_passes_to_the_next_scheduler()
    {
        await Store.Scheduler.AcquireSchedulerLeaseAsync(s_first, TimeSpan.FromSeconds(30));
        _time.Now = s_start.AddSeconds(20);
        Assert.True(await Store.Scheduler.RenewSchedulerLeaseAsync(s_first, TimeSpan.FromSeconds(30)));
        _time.Now = s_start.AddSeconds(45);
        await Assert.ThrowsAsync<MedallionException>(() => Store.Scheduler.AcquireSchedulerLeaseAsync(s_second, TimeSpan.FromSeconds(30)));

        _time.Now = s_start.AddSeconds(50);
        CatalogLease taken = await Store.Scheduler.AcquireSchedulerLeaseAsync(s_second, TimeSpan.FromSeconds(30));

        Assert.Equal(s_second, taken.Holder);
        Assert.False(await Store.Scheduler.RenewSchedulerLeaseAsync(s_first, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_lease_of_a_holder_known_to_be_gone_is_taken_at_once_and_a_released_lease_is_free()
    {
        await Store.Scheduler.AcquireSchedulerLeaseAsync(s_first, TimeSpan.FromMinutes(5));

        await Store.Scheduler.AcquireSchedulerLeaseAsync(s_second, TimeSpan.FromMinutes(5), replacing: s_first.Id);
        await Store.Scheduler.ReleaseSchedulerLeaseAsync(s_second);

        Assert.Null(await Store.Scheduler.GetSchedulerLeaseAsync());
    }

    [Fact]
    public async Task A_scheduler_taking_its_own_lease_again_keeps_the_time_it_first_acquired_it()
    {
        await Store.Scheduler.AcquireSchedulerLeaseAsync(s_first, TimeSpan.FromSeconds(30));
        _time.Now = s_start.AddSeconds(10);

        CatalogLease again = await Store.Scheduler.AcquireSchedulerLeaseAsync(s_first, TimeSpan.FromSeconds(30));

        Assert.Equal((s_start, s_start.AddSeconds(10), s_start.AddSeconds(40)), (again.AcquiredAt, again.HeartbeatAt, again.ExpiresAt));
    }

    [Fact]
    public async Task Runs_a_dead_scheduler_left_running_become_interrupted_and_its_queued_runs_pass_to_the_new_one()
    {
        RunRecord running = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        await Store.Runs.StartAttemptAsync(running.Id);
        await Store.Runs.RecordModelRunAsync(new ModelRunRecord(running.Id, new TableName("silver", "orders"), RunStatus.Running, null, new Dictionary<string, long>(), TimeSpan.Zero, null, null));
        RunRecord queued = (await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start.AddHours(1))))!;
        RunRecord manual = await Store.Runs.StartRunAsync(null);

        List<RunRecord> recovered = await Store.Runs.RecoverRunsAsync("holder-2", DateTimeOffset.MaxValue);

        // Both runs were queued in the same millisecond of the test's clock, so their time-ordered ids may sort either way.
        Assert.Equal(
            new Dictionary<string, RunStatus> { [running.Id] = RunStatus.Interrupted, [queued.Id] = RunStatus.Queued },
            recovered.ToDictionary(r => r.Id, r => r.Status));
        Assert.All(recovered, r => Assert.Equal("holder-2", r.Holder));
        RunDetail detail = (await Store.Runs.GetRunDetailAsync(running.Id))!;
        Assert.Equal("interrupted: the scheduler running it stopped before it finished", detail.Run.Error);
        Assert.Equal(RunStatus.Interrupted, Assert.Single(detail.Attempts).Status);
        Assert.Equal(RunStatus.Interrupted, Assert.Single(detail.Models).Status);
        Assert.Equal(RunStatus.Running, (await Store.Runs.GetRunAsync(manual.Id))!.Status);
        Assert.Empty(await Store.Runs.RecoverRunsAsync("holder-2", DateTimeOffset.MaxValue));
    }

    [Fact]
    public async Task Pausing_a_job_and_the_versions_it_saw_are_kept_per_job()
    {
        await Store.Scheduler.SetJobPausedAsync("hourly", true);
        await Store.Scheduler.SetJobSeenVersionsAsync("hourly", new Dictionary<string, long> { ["bronze.orders"] = 7 });
        await Store.Scheduler.SetJobSeenVersionsAsync("daily", new Dictionary<string, long> { ["bronze.orders"] = 3 });
        await Store.Scheduler.SetJobPausedAsync("daily", null);

        Dictionary<string, JobState> states = await Store.Scheduler.GetJobStatesAsync();

        Assert.True(states["hourly"].Paused);
        Assert.Equal(7, states["hourly"].SeenVersions["bronze.orders"]);
        Assert.Null(states["daily"].Paused);
        Assert.Equal(3, states["daily"].SeenVersions["bronze.orders"]);
    }

    [Fact]
    public async Task A_backfill_is_recorded_with_its_range_and_runs_and_is_found_by_job_and_status()
    {
        BackfillRecord backfill = await Store.Scheduler.CreateBackfillAsync("hourly", s_start, s_start.AddHours(3), "missing", 2, 3, "ana");
        for (int i = 1; i <= 3; i++)
        {
            await Store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start.AddHours(i)) with { Trigger = RunTrigger.Backfill, BackfillId = backfill.Id });
        }

        BackfillDetail detail = (await Store.Scheduler.GetBackfillDetailAsync(backfill.Id))!;
        List<BackfillDetail> running = await Store.Scheduler.QueryBackfillsAsync("hourly", RunStatus.Running);
        List<BackfillDetail> anyJob = await Store.Scheduler.QueryBackfillsAsync();
        await Store.Scheduler.FinishBackfillAsync(backfill.Id, RunStatus.Succeeded);

        Assert.Equal(backfill, detail.Backfill);
        Assert.Equal([s_start.AddHours(1), s_start.AddHours(2), s_start.AddHours(3)], detail.Runs.Select(r => r.IntervalEnd!.Value));
        Assert.Equal([backfill.Id], running.Select(b => b.Backfill.Id));
        Assert.Equal([backfill.Id], anyJob.Select(b => b.Backfill.Id));
        Assert.Empty(await Store.Scheduler.QueryBackfillsAsync("hourly", RunStatus.Running));
        Assert.Empty(await Store.Scheduler.QueryBackfillsAsync("daily"));
        Assert.Equal(RunStatus.Succeeded, (await Store.Scheduler.GetBackfillAsync(backfill.Id))!.Status);
    }
}

public sealed class CatalogJobRunOnSqliteTests() : CatalogJobRunContract(new SqliteCatalogEngine());

public sealed class CatalogJobRunOnPostgresTests() : CatalogJobRunContract(new PostgresCatalogEngine());
