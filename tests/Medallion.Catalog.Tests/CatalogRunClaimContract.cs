namespace Medallion.Catalog.Tests;

/// <summary>Runs a scheduler admits and workers claim, on every engine: claims, silent workers, takeovers, cancels.</summary>
public abstract class CatalogRunClaimContract(CatalogEngine engine) : CatalogContract(engine)
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan s_adoptAfter = TimeSpan.FromSeconds(30);

    private readonly ManualTime _time = new(s_start);

    protected override TimeProvider? Time => _time;

    private static LeaseHolder Worker(string id) => new(id, "node-" + id, 100, s_start.AddMinutes(-1));

    /// <summary>Queues a run under the scheduler and admits it; a second later than the last, so admission order is known.</summary>
    private async Task<RunRecord> AdmittedAsync(string job = "hourly")
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(new RunStart(job, RunTrigger.Api, null, null, null, "scheduler")))!;
        _time.Now += TimeSpan.FromSeconds(1);
        await AdmitForClaimersAsync(run);
        return run;
    }

    /// <summary>Admits the runs, in this order, for claimers to claim, locking no table.</summary>
    private Task<List<RunAdmission>> AdmitForClaimersAsync(params IEnumerable<RunRecord> runs) =>
        Store.Runs.AdmitAsync("scheduler", _ => [.. runs.Select(r => new RunAdmission(r.Id, [], Here: false))]);

    /// <summary>Queues a run of <paramref name="job"/> for the scheduler, not admitted.</summary>
    private async Task<RunRecord> QueuedAsync(string job = "hourly") =>
        (await Store.Runs.TryQueueRunAsync(new RunStart(job, RunTrigger.Api, null, null, null, "scheduler")))!;

    [Fact]
    public async Task An_admitted_run_holds_the_tables_it_writes_for_every_later_admission_until_it_ends()
    {
        RunRecord first = await QueuedAsync();
        await Store.Runs.AdmitAsync("scheduler", _ => [new RunAdmission(first.Id, [TableName.Parse("silver.orders"), TableName.Parse("bronze.orders")], Here: true)]);
        IReadOnlyList<HeldRun> seen = [];

        await Store.Runs.AdmitAsync("another-scheduler", held => { seen = held; return []; });
        await Store.Runs.StartAttemptAsync(first.Id);
        await Store.Runs.FinishRunAsync(first.Id, RunStatus.Succeeded, null);
        IReadOnlyList<HeldRun> afterEnd = [];
        await Store.Runs.AdmitAsync("another-scheduler", held => { afterEnd = held; return []; });

        HeldRun held = Assert.Single(seen);
        Assert.Equal((first.Id, "hourly", (string?)null, "scheduler"), (held.RunId, held.Job, held.BackfillId, held.Holder));
        Assert.Equal(["silver.orders", "bronze.orders"], held.Writes.Select(t => t.ToString()));
        Assert.Empty(afterEnd);
    }

    [Fact]
    public async Task A_run_admitted_here_is_held_by_its_scheduler_and_not_claimable()
    {
        RunRecord run = await QueuedAsync();

        List<RunAdmission> admitted = await Store.Runs.AdmitAsync("scheduler-b", _ => [new RunAdmission(run.Id, [], Here: true)]);

        Assert.Equal([run.Id], admitted.Select(a => a.RunId));
        Assert.Equal("scheduler-b", (await Store.Runs.GetRunAsync(run.Id))!.Holder);
        Assert.Empty(await Store.Runs.ClaimRunsAsync("a", 5));
    }

    [Fact]
    public async Task A_run_admitted_for_claimers_has_the_waiting_line_in_its_log_before_its_claim()
    {
        RunRecord run = await QueuedAsync();

        await Store.Runs.AdmitAsync("scheduler", _ => [new RunAdmission(run.Id, [], Here: false)], new RunLogEntry(s_start, null, "info", "admitted: waiting"));

        Assert.Equal(["admitted: waiting"], (await Store.Runs.GetRunLogAsync(run.Id)).Select(l => l.Message));
    }

    [Fact]
    public async Task A_run_no_longer_queued_or_admitted_already_is_not_admitted_again()
    {
        RunRecord admittedOnce = await QueuedAsync();
        RunRecord cancelled = await QueuedAsync();
        await AdmitForClaimersAsync(admittedOnce);
        await Store.Runs.FinishRunAsync(cancelled.Id, RunStatus.Cancelled, "cancelled");

        List<RunAdmission> again = await Store.Runs.AdmitAsync("another-scheduler", _ => [new RunAdmission(admittedOnce.Id, [], Here: true), new RunAdmission(cancelled.Id, [], Here: true)]);

        Assert.Empty(again);
        Assert.Null((await Store.Runs.GetRunAsync(admittedOnce.Id))!.Holder);
        Assert.Equal(RunStatus.Cancelled, (await Store.Runs.GetRunAsync(cancelled.Id))!.Status);
    }

    [Fact]
    public async Task Admitting_here_again_a_run_its_scheduler_admitted_here_and_has_not_started_admits_it_again()
    {
        RunRecord run = await QueuedAsync();
        await Store.Runs.AdmitAsync("scheduler", _ => [new RunAdmission(run.Id, [TableName.Parse("silver.orders")], Here: true)]);

        List<RunAdmission> again = await Store.Runs.AdmitAsync("scheduler", _ => [new RunAdmission(run.Id, [TableName.Parse("silver.orders")], Here: true)]);
        List<RunAdmission> byAnother = await Store.Runs.AdmitAsync("another-scheduler", _ => [new RunAdmission(run.Id, [], Here: true)]);

        Assert.Equal([run.Id], again.Select(a => a.RunId));
        Assert.Empty(byAnother);
    }

    [Fact]
    public async Task Schedulers_admitting_at_once_from_several_processes_never_lock_one_table_twice()
    {
        // Forty runs all writing one table: each scheduler admits a run only when no held run writes it. Only one may
        // be admitted, however the admissions of four processes interleave.
        var runs = new List<RunRecord>();
        for (int i = 0; i < 40; i++)
        {
            runs.Add(await QueuedAsync());
        }

        TableName shared = TableName.Parse("silver.orders");
        CatalogStore[] schedulers = [Store, .. await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => CatalogStore.OpenAsync(Engine.AsAnotherProcess(Location), _time)))];
        try
        {
            List<RunAdmission>[] admitted = await Task.WhenAll(schedulers.Select((store, i) => Task.Run(async () =>
            {
                var mine = new List<RunAdmission>();
                foreach (RunRecord run in runs.Skip(i * 10).Take(10))
                {
                    mine.AddRange(await store.Runs.AdmitAsync("scheduler-" + i, held =>
                        held.Any(h => h.Writes.Contains(shared)) ? [] : [new RunAdmission(run.Id, [shared], Here: true)]));
                }

                return mine;
            })));

            Assert.Single(admitted.SelectMany(a => a));
        }
        finally
        {
            foreach (CatalogStore other in schedulers.Skip(1))
            {
                await other.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Locking_the_tables_of_runs_under_way_locks_only_those_that_lock_none()
    {
        RunRecord unlocked = await QueuedAsync();
        RunRecord locked = await QueuedAsync();
        await Store.Runs.StartAttemptAsync(unlocked.Id);
        await Store.Runs.AdmitAsync("scheduler", _ => [new RunAdmission(locked.Id, [TableName.Parse("silver.kept")], Here: true)]);

        await Store.Runs.LockTablesOfUnlockedRunsAsync([new RunAdmission(unlocked.Id, [TableName.Parse("silver.a")], false), new RunAdmission(locked.Id, [TableName.Parse("silver.b")], false)]);
        IReadOnlyList<HeldRun> held = [];
        await Store.Runs.AdmitAsync("scheduler", h => { held = h; return []; });

        Assert.Equal([(unlocked.Id, "silver.a"), (locked.Id, "silver.kept")], held.OrderBy(h => h.RunId, StringComparer.Ordinal).Select(h => (h.RunId, h.Writes.Single().ToString())));
    }

    [Fact]
    public async Task A_run_queued_again_to_be_retried_holds_no_table_until_admitted_anew()
    {
        RunRecord run = await QueuedAsync();
        await Store.Runs.AdmitAsync("scheduler", _ => [new RunAdmission(run.Id, [TableName.Parse("silver.orders")], Here: true)]);
        await Store.Runs.StartAttemptAsync(run.Id);

        await Store.Runs.RecoverRunsAsync("next-scheduler", s_start, retry: (_, _) => true);
        IReadOnlyList<HeldRun> held = [];
        await Store.Runs.AdmitAsync("next-scheduler", h => { held = h; return []; });

        Assert.Equal(RunStatus.Queued, (await Store.Runs.GetRunAsync(run.Id))!.Status);
        Assert.Empty(held);
    }

    [Fact]
    public async Task Admitted_runs_are_claimed_first_admitted_first_and_each_once()
    {
        RunRecord first = await AdmittedAsync();
        RunRecord second = await AdmittedAsync();
        RunRecord third = await AdmittedAsync();

        List<RunRecord> claimedByA = await Store.Runs.ClaimRunsAsync("a", 2);
        List<RunRecord> claimedByB = await Store.Runs.ClaimRunsAsync("b", 5);

        Assert.Equal([(first.Id, "a"), (second.Id, "a")], claimedByA.Select(r => (r.Id, r.Holder!)));
        Assert.Equal([(third.Id, "b")], claimedByB.Select(r => (r.Id, r.Holder!)));
        Assert.Empty(await Store.Runs.ClaimRunsAsync("c", 5));
        Assert.Equal("a", (await Store.Runs.GetRunAsync(first.Id))!.Holder);
    }

    [Fact]
    public async Task Runs_admitted_in_one_write_are_each_claimable_in_the_order_they_were_queued()
    {
        var queued = new List<RunRecord>();
        for (int i = 0; i < 3; i++)
        {
            queued.Add((await Store.Runs.TryQueueRunAsync(new RunStart("hourly", RunTrigger.Api, null, null, null, "scheduler")))!);
        }

        await AdmitForClaimersAsync(Enumerable.Reverse(queued));

        Assert.Equal(queued.Select(r => r.Id), (await Store.Runs.ClaimRunsAsync("a", 5)).Select(r => r.Id));
    }

    [Fact]
    public async Task Claimers_in_several_processes_at_once_never_claim_one_run_twice()
    {
        var runs = new List<RunRecord>();
        for (int i = 0; i < 40; i++)
        {
            runs.Add(await AdmittedAsync());
        }

        CatalogStore[] claimers = [Store, .. await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => CatalogStore.OpenAsync(Engine.AsAnotherProcess(Location), _time)))];
        try
        {
            List<RunRecord>[] claimed = await Task.WhenAll(claimers.Select((store, i) => Task.Run(async () =>
            {
                var mine = new List<RunRecord>();
                for (int round = 0; round < 10; round++)
                {
                    mine.AddRange(await store.Runs.ClaimRunsAsync("worker-" + i, 2));
                }

                return mine;
            })));

            List<string> all = claimed.SelectMany(c => c.Select(r => r.Id)).ToList();
            Assert.Equal(runs.Select(r => r.Id).Order(StringComparer.Ordinal), all.Order(StringComparer.Ordinal));
            for (int i = 0; i < claimed.Length; i++)
            {
                foreach (RunRecord run in claimed[i])
                {
                    Assert.Equal("worker-" + i, (await Store.Runs.GetRunAsync(run.Id))!.Holder);
                }
            }
        }
        finally
        {
            foreach (CatalogStore other in claimers.Skip(1))
            {
                await other.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_queued_run_is_claimable_only_once_admitted_and_an_admitted_run_is_not_adopted_as_unowned()
    {
        RunRecord run = (await Store.Runs.TryQueueRunAsync(new RunStart("hourly", RunTrigger.Api, null, null, null, "scheduler")))!;
        Assert.Empty(await Store.Runs.ClaimRunsAsync("a", 5));

        await AdmitForClaimersAsync(run);

        Assert.Empty(await Store.Runs.AdoptQueuedRunsAsync("another-scheduler"));
        Assert.Equal([run.Id], (await Store.Runs.ClaimRunsAsync("a", 5)).Select(r => r.Id));
    }

    [Fact]
    public async Task The_runs_of_a_silent_worker_are_taken_back_and_the_worker_can_no_longer_renew()
    {
        await Store.Servers.ReportAsync(Worker("silent"), ServerStore.WorkerRole, "1.0.0", null);
        RunRecord running = await AdmittedAsync();
        RunRecord claimed = await AdmittedAsync();
        await Store.Runs.ClaimRunsAsync("silent", 2);
        await Store.Runs.StartAttemptAsync(running.Id);
        _time.Now += s_adoptAfter + TimeSpan.FromSeconds(1);

        List<RunRecord> interrupted = await Store.Runs.ReclaimRunsOfSilentServersAsync("scheduler", _time.Now - s_adoptAfter);

        RunRecord taken = Assert.Single(interrupted);
        Assert.Equal((running.Id, RunStatus.Interrupted, "scheduler"), (taken.Id, taken.Status, taken.Holder));
        Assert.Equal(RunStatus.Interrupted, (await Store.Runs.GetAttemptsAsync(running.Id))[^1].Status);
        RunRecord waiting = (await Store.Runs.GetRunAsync(claimed.Id))!;
        Assert.Equal((RunStatus.Queued, (string?)null), (waiting.Status, waiting.Holder));
        Assert.False(await Store.Servers.RenewAsync("silent"));
        Assert.Equal([claimed.Id], (await Store.Runs.ClaimRunsAsync("another", 5)).Select(r => r.Id));
    }

    [Fact]
    public async Task The_runs_of_a_silent_planner_are_taken_back_whether_it_started_them_itself_or_only_queued_them()
    {
        await Store.Servers.ReportAsync(Worker("planner-a"), ServerStore.PlannerRole, "1.0.0", null);
        RunRecord running = (await Store.Runs.TryQueueRunAsync(new RunStart("hourly", RunTrigger.Api, null, null, null, "planner-a")))!;
        RunRecord queued = (await Store.Runs.TryQueueRunAsync(new RunStart("daily", RunTrigger.Api, null, null, null, "planner-a")))!;
        await Store.Runs.AdmitAsync("planner-a", _ => [new RunAdmission(running.Id, [], Here: true)], recordHereAsAdmitted: true);
        await Store.Runs.StartAttemptAsync(running.Id, "planner-a");
        _time.Now += s_adoptAfter + TimeSpan.FromSeconds(1);

        List<RunRecord> interrupted = await Store.Runs.ReclaimRunsOfSilentServersAsync("planner-b", _time.Now - s_adoptAfter, unadmittedToo: true);

        RunRecord taken = Assert.Single(interrupted);
        Assert.Equal((running.Id, RunStatus.Interrupted, "planner-b"), (taken.Id, taken.Status, taken.Holder));
        Assert.False(await Store.Servers.RenewAsync("planner-a"));
        Assert.Equal([queued.Id], (await Store.Runs.AdoptQueuedRunsAsync("planner-b")).Select(r => r.Id));
    }

    [Fact]
    public async Task A_run_a_scheduler_starts_itself_is_left_alone_by_a_reclaim_of_silent_workers_only()
    {
        RunRecord run = await QueuedAsync();
        await Store.Runs.AdmitAsync("scheduler", _ => [new RunAdmission(run.Id, [], Here: true)]);
        await Store.Runs.StartAttemptAsync(run.Id, "scheduler");
        _time.Now += s_adoptAfter + TimeSpan.FromSeconds(1);

        Assert.Empty(await Store.Runs.ReclaimRunsOfSilentServersAsync("another", _time.Now - s_adoptAfter));
        Assert.Equal((RunStatus.Running, "scheduler"), ((await Store.Runs.GetRunAsync(run.Id))!.Status, (await Store.Runs.GetRunAsync(run.Id))!.Holder));
    }

    [Fact]
    public async Task A_run_of_new_data_is_queued_once_when_two_planners_saw_the_same_new_version()
    {
        var before = new Dictionary<string, long> { ["bronze.orders"] = 4 };
        var seen = new Dictionary<string, long> { ["bronze.orders"] = 5 };
        await Store.Scheduler.SetJobSeenVersionsAsync("on_orders", before);
        var start = new RunStart("on_orders", RunTrigger.Data, null, null, null, null);

        RunRecord? first = await Store.Runs.TryQueueRunAsync(start with { Holder = "planner-a" }, seen, before);
        RunRecord? second = await Store.Runs.TryQueueRunAsync(start with { Holder = "planner-b" }, seen, before);

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.Equal(5L, (await Store.Scheduler.GetJobStatesAsync())["on_orders"].SeenVersions["bronze.orders"]);
    }

    [Fact]
    public async Task A_silent_worker_whose_run_was_taken_back_and_queued_again_cannot_start_another_attempt_of_it()
    {
        await Store.Servers.ReportAsync(Worker("silent"), ServerStore.WorkerRole, "1.0.0", null);
        RunRecord run = await AdmittedAsync();
        await Store.Runs.ClaimRunsAsync("silent", 1);
        await Store.Runs.StartAttemptAsync(run.Id, "silent");
        _time.Now += s_adoptAfter + TimeSpan.FromSeconds(1);
        await Store.Runs.ReclaimRunsOfSilentServersAsync("scheduler", _time.Now - s_adoptAfter, retry: (_, _) => true);

        // The worker resumes, its fence passed just before it stopped: it goes on to its next attempt.
        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => Store.Runs.StartAttemptAsync(run.Id, "silent"));

        Assert.Equal(ErrorCode.RunNoLongerHeld, refused.Code);
        RunRecord now = (await Store.Runs.GetRunAsync(run.Id))!;
        Assert.Equal((RunStatus.Queued, "scheduler", 1), (now.Status, now.Holder, (await Store.Runs.GetAttemptsAsync(run.Id)).Count));
    }

    [Fact]
    public async Task A_silent_worker_whose_run_was_taken_back_cannot_rewrite_its_interrupted_attempt_as_succeeded()
    {
        await Store.Servers.ReportAsync(Worker("silent"), ServerStore.WorkerRole, "1.0.0", null);
        RunRecord run = await AdmittedAsync();
        await Store.Runs.ClaimRunsAsync("silent", 1);
        RunAttemptRecord attempt = await Store.Runs.StartAttemptAsync(run.Id, "silent");
        _time.Now += s_adoptAfter + TimeSpan.FromSeconds(1);
        await Store.Runs.ReclaimRunsOfSilentServersAsync("scheduler", _time.Now - s_adoptAfter, retry: (_, _) => true);

        // The worker resumes, its fence passed just before it stopped: it records its attempt's end.
        await Store.Runs.FinishAttemptAsync(run.Id, attempt.Attempt, RunStatus.Succeeded, null, false);

        Assert.Equal(RunStatus.Interrupted, (await Store.Runs.GetAttemptsAsync(run.Id)).Single().Status);
    }

    [Fact]
    public async Task A_silent_worker_cannot_start_a_run_it_claimed_once_the_run_waits_for_another_claimer()
    {
        await Store.Servers.ReportAsync(Worker("silent"), ServerStore.WorkerRole, "1.0.0", null);
        RunRecord run = await AdmittedAsync();
        await Store.Runs.ClaimRunsAsync("silent", 1);
        _time.Now += s_adoptAfter + TimeSpan.FromSeconds(1);
        await Store.Runs.ReclaimRunsOfSilentServersAsync("scheduler", _time.Now - s_adoptAfter);

        await Assert.ThrowsAsync<MedallionException>(() => Store.Runs.StartAttemptAsync(run.Id, "silent"));

        Assert.Empty(await Store.Runs.GetAttemptsAsync(run.Id));
        Assert.Equal([run.Id], (await Store.Runs.ClaimRunsAsync("another", 5)).Select(r => r.Id));
    }

    [Fact]
    public async Task The_runs_of_a_worker_known_to_be_gone_are_taken_back_before_its_heartbeat_ages()
    {
        await Store.Servers.ReportAsync(Worker("dead"), ServerStore.WorkerRole, "1.0.0", null);
        RunRecord run = await AdmittedAsync();
        await Store.Runs.ClaimRunsAsync("dead", 1);
        await Store.Runs.StartAttemptAsync(run.Id);

        List<RunRecord> interrupted = await Store.Runs.ReclaimRunsOfSilentServersAsync("scheduler", _time.Now - s_adoptAfter, ["dead"]);

        Assert.Equal([(run.Id, RunStatus.Interrupted)], interrupted.Select(r => (r.Id, r.Status)));
        Assert.False(await Store.Servers.RenewAsync("dead"));
    }

    [Fact]
    public async Task The_runs_of_a_worker_that_heartbeats_are_left_to_it()
    {
        await Store.Servers.ReportAsync(Worker("alive"), ServerStore.WorkerRole, "1.0.0", null);
        RunRecord run = await AdmittedAsync();
        await Store.Runs.ClaimRunsAsync("alive", 1);
        await Store.Runs.StartAttemptAsync(run.Id);
        _time.Now += s_adoptAfter + TimeSpan.FromSeconds(1);
        Assert.True(await Store.Servers.RenewAsync("alive"));

        Assert.Empty(await Store.Runs.ReclaimRunsOfSilentServersAsync("scheduler", _time.Now - s_adoptAfter));

        RunRecord left = (await Store.Runs.GetRunAsync(run.Id))!;
        Assert.Equal((RunStatus.Running, "alive"), (left.Status, left.Holder));
    }

    [Fact]
    public async Task A_scheduler_that_takes_over_leaves_live_workers_their_runs_and_takes_back_the_unclaimed_ones()
    {
        await Store.Servers.ReportAsync(Worker("alive"), ServerStore.WorkerRole, "1.0.0", null);
        RunRecord onWorker = await AdmittedAsync();
        await Store.Runs.ClaimRunsAsync("alive", 1);
        await Store.Runs.StartAttemptAsync(onWorker.Id);
        RunRecord unclaimed = await AdmittedAsync();

        List<RunRecord> recovered = await Store.Runs.RecoverRunsAsync("new-scheduler", _time.Now - s_adoptAfter);

        RunRecord adopted = Assert.Single(recovered);
        Assert.Equal((unclaimed.Id, RunStatus.Queued, "new-scheduler"), (adopted.Id, adopted.Status, adopted.Holder));
        Assert.Empty(await Store.Runs.ClaimRunsAsync("alive", 5));
        Assert.Equal([onWorker.Id], (await Store.Runs.GetRunsOfLiveServersAsync(_time.Now - s_adoptAfter)).Select(r => r.Id));
    }

    [Fact]
    public async Task An_unclaimed_admitted_run_is_cancelled_at_once_and_a_claimed_one_is_left_to_its_worker()
    {
        RunRecord claimed = await AdmittedAsync();
        RunRecord unclaimed = await AdmittedAsync();
        await Store.Runs.ClaimRunsAsync("a", 1);

        bool[] cancelled = [await Store.Runs.CancelUnclaimedRunAsync(claimed.Id, "cancelled before it started"), await Store.Runs.CancelUnclaimedRunAsync(unclaimed.Id, "cancelled before it started")];

        Assert.Equal([false, true], cancelled);
        Assert.Equal(RunStatus.Cancelled, (await Store.Runs.GetRunAsync(unclaimed.Id))!.Status);
        Assert.Equal(RunStatus.Queued, (await Store.Runs.GetRunAsync(claimed.Id))!.Status);
    }

    [Fact]
    public async Task A_cancel_asked_of_an_unclaimed_admitted_run_is_listed_for_the_scheduler_and_of_a_claimed_one_for_its_worker()
    {
        RunRecord claimed = await AdmittedAsync();
        RunRecord unclaimed = await AdmittedAsync();
        await Store.Runs.ClaimRunsAsync("a", 1);
        await Store.Runs.RequestCancelAsync(unclaimed.Id);
        await Store.Runs.RequestCancelAsync(claimed.Id);

        Assert.Contains(unclaimed.Id, await Store.Runs.GetCancelRequestsAsync("scheduler"));
        Assert.Contains(claimed.Id, await Store.Runs.GetCancelRequestsAsync("a"));
        Assert.DoesNotContain(claimed.Id, await Store.Runs.GetCancelRequestsAsync("scheduler"));
    }

    [Fact]
    public async Task A_run_handed_back_waits_for_another_claimer_with_its_attempt_interrupted()
    {
        RunRecord run = await AdmittedAsync();
        await Store.Runs.ClaimRunsAsync("stopping", 1);
        await Store.Runs.StartAttemptAsync(run.Id);

        bool handed = await Store.Runs.HandBackRunAsync(run.Id, "stopping", "interrupted: the worker stopped");

        Assert.True(handed);
        RunAttemptRecord attempt = Assert.Single(await Store.Runs.GetAttemptsAsync(run.Id));
        Assert.Equal((RunStatus.Interrupted, "interrupted: the worker stopped"), (attempt.Status, attempt.Error));
        RunRecord next = Assert.Single(await Store.Runs.ClaimRunsAsync("next", 5));
        Assert.Equal((run.Id, RunStatus.Queued), (next.Id, next.Status));
    }

    [Fact]
    public async Task A_worker_that_no_longer_holds_a_run_cannot_hand_it_back()
    {
        RunRecord run = await AdmittedAsync();
        await Store.Runs.ClaimRunsAsync("other", 1);

        Assert.False(await Store.Runs.HandBackRunAsync(run.Id, "stopping", "interrupted"));
        Assert.Equal("other", (await Store.Runs.GetRunAsync(run.Id))!.Holder);
    }
}

public sealed class CatalogRunClaimOnSqliteTests() : CatalogRunClaimContract(new SqliteCatalogEngine());

public sealed class CatalogRunClaimOnPostgresTests() : CatalogRunClaimContract(new PostgresCatalogEngine());
