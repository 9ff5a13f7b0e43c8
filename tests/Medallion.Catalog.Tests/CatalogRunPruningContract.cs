namespace Medallion.Catalog.Tests;

/// <summary>Pruning the run history (<c>history: {keep}</c>, <c>medallion runs prune</c>) on every engine.</summary>
public abstract class CatalogRunPruningContract(CatalogEngine engine) : CatalogContract(engine)
{
    private static readonly TableName s_orders = new("silver", "orders");

    /// <summary>A run of <paramref name="job"/> that ran to <paramref name="status"/>, with an attempt, a log line of 2 KB and a model.</summary>
    public static async Task<RunRecord> FinishedRunAsync(CatalogStore store, string job, RunStatus status = RunStatus.Succeeded, TableName? model = null)
    {
        RunRecord run = (await store.Runs.TryQueueRunAsync(new RunStart(job, RunTrigger.Manual, null, null, null, "holder-1")))!;
        RunAttemptRecord attempt = await store.Runs.StartAttemptAsync(run.Id);
        await store.Runs.AppendRunLogAsync(run.Id, null, "info", new string('x', 2000));
        await store.Runs.RecordModelRunAsync(new ModelRunRecord(run.Id, model ?? new TableName("silver", job), status, 10, new Dictionary<string, long>(), TimeSpan.FromSeconds(1), null, null));
        await store.Runs.FinishAttemptAsync(run.Id, attempt.Attempt, status, null, transient: false);
        return await store.Runs.FinishRunAsync(run.Id, status);
    }

    private Task<RunRecord> FinishedRunAsync(string job, RunStatus status = RunStatus.Succeeded, TableName? model = null) => FinishedRunAsync(Store, job, status, model);

    /// <summary>A cutoff every run of the test started before.</summary>
    public static DateTimeOffset AfterNow => DateTimeOffset.UtcNow.AddMinutes(1);

    [Fact]
    public async Task Pruning_removes_old_finished_runs_with_their_models_attempts_and_logs_but_keeps_each_jobs_latest_run()
    {
        RunRecord old = await FinishedRunAsync("hourly");
        RunRecord older = await FinishedRunAsync("hourly");
        RunRecord latest = await FinishedRunAsync("hourly");

        RunPruning pruned = await Store.Runs.PruneRunsAsync(AfterNow);

        Assert.Equal((2, 2, 2, 2), (pruned.Runs, pruned.ModelRuns, pruned.Attempts, pruned.Logs));
        Assert.Null(await Store.Runs.GetRunAsync(old.Id));
        Assert.Null(await Store.Runs.GetRunAsync(older.Id));
        Assert.Empty(await Store.Runs.GetAttemptsAsync(old.Id));
        Assert.Empty(await Store.Runs.GetRunLogAsync(old.Id));
        Assert.NotNull(await Store.Runs.GetRunAsync(latest.Id));
        Assert.Single(await Store.Runs.GetModelRunsAsync(latest.Id));
    }

    [Fact]
    public async Task Pruning_removes_the_quality_results_and_older_table_versions_of_pruned_runs_but_never_a_tables_latest_version()
    {
        RunRecord first = await FinishedRunAsync("hourly", model: s_orders);
        RunRecord second = await FinishedRunAsync("hourly", model: s_orders);
        await FinishedRunAsync("hourly", model: s_orders);
        DateTimeOffset at = DateTimeOffset.UtcNow;
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "lake/silver/orders"));
        await Store.Tables.RecordTableVersionAsync(new TableVersionRecord(s_orders, 0, "{}", "WRITE", 1, first.Id, at));
        await Store.Tables.RecordTableVersionAsync(new TableVersionRecord(s_orders, 1, "{}", "WRITE", 1, second.Id, at));
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord(first.Id, s_orders, "not_null(id)", "fail", true, 0, "[]", at));

        RunPruning pruned = await Store.Runs.PruneRunsAsync(AfterNow);

        Assert.Equal((2, 1, 1), (pruned.Runs, pruned.QualityResults, pruned.TableVersions));
        Assert.Equal([1L], (await Store.Tables.GetTableHistoryAsync(s_orders)).Select(v => v.Version));
        Assert.Empty(await Store.Quality.GetQualityResultsAsync(first.Id));
    }

    [Fact]
    public async Task Pruning_removes_a_finished_backfill_whose_runs_all_went()
    {
        BackfillRecord backfill = await Store.Scheduler.CreateBackfillAsync("hourly", DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow, "all", 1, 1, null);
        RunRecord run = (await Store.Runs.TryQueueRunAsync(new RunStart("hourly", RunTrigger.Backfill, null, null, null, "holder-1") { BackfillId = backfill.Id }))!;
        await Store.Runs.FinishRunAsync(run.Id, RunStatus.Succeeded);
        await Store.Scheduler.FinishBackfillAsync(backfill.Id, RunStatus.Succeeded);
        await FinishedRunAsync("hourly");

        RunPruning pruned = await Store.Runs.PruneRunsAsync(AfterNow);

        Assert.Equal((1, 1), (pruned.Runs, pruned.Backfills));
        Assert.Null(await Store.Scheduler.GetBackfillAsync(backfill.Id));
    }

    [Fact]
    public async Task Runs_queued_in_the_same_millisecond_keep_their_order_so_pruning_keeps_the_last_one_queued()
    {
        // A clock that stands still: every id is made in one millisecond, as fast runs (or a coarse clock) make them.
        await using CatalogStore store = await ReopenAsync(new ManualTime(DateTimeOffset.UtcNow.AddMinutes(-5)));
        var queued = new List<RunRecord>();
        for (int i = 0; i < 20; i++)
        {
            queued.Add(await FinishedRunAsync(store, "hourly"));
        }

        Assert.Equal(queued.Select(r => r.Id).Reverse(), (await store.Runs.ListRunsAsync(count: 20)).Select(r => r.Id));
        RunPruning pruned = await store.Runs.PruneRunsAsync(AfterNow);

        Assert.Equal(19, pruned.Runs);
        Assert.Equal([queued[^1].Id], (await store.Runs.ListRunsAsync()).Select(r => r.Id));
    }

    [Fact]
    public async Task Pruning_never_removes_a_running_or_queued_run()
    {
        RunRecord queued = (await Store.Runs.TryQueueRunAsync(new RunStart("daily", RunTrigger.Manual, null, null, null, "holder-1")))!;
        RunRecord running = (await Store.Runs.TryQueueRunAsync(new RunStart("daily", RunTrigger.Manual, null, null, null, "holder-1")))!;
        await Store.Runs.StartAttemptAsync(running.Id);
        await FinishedRunAsync("daily", model: s_orders);
        await FinishedRunAsync("daily", model: s_orders);

        RunPruning pruned = await Store.Runs.PruneRunsAsync(AfterNow);

        Assert.Equal(1, pruned.Runs);
        Assert.Equal(RunStatus.Queued, (await Store.Runs.GetRunAsync(queued.Id))!.Status);
        Assert.Equal(RunStatus.Running, (await Store.Runs.GetRunAsync(running.Id))!.Status);
    }

    [Fact]
    public async Task Pruning_keeps_the_run_an_incremental_model_resumes_from_when_later_runs_failed()
    {
        RunRecord lastSuccess = await FinishedRunAsync("b", model: s_orders);
        await FinishedRunAsync("b", RunStatus.Failed, s_orders);
        await FinishedRunAsync("b", RunStatus.Failed, s_orders);

        await Store.Runs.PruneRunsAsync(AfterNow);

        Assert.Equal(lastSuccess.Id, (await Store.Runs.GetLastSuccessfulModelRunAsync(s_orders))!.RunId);
    }

    [Fact]
    public async Task Pruning_keeps_runs_that_started_after_the_cutoff()
    {
        await FinishedRunAsync("hourly");
        await FinishedRunAsync("hourly");

        RunPruning pruned = await Store.Runs.PruneRunsAsync(DateTimeOffset.UtcNow.AddDays(-1));

        Assert.Equal(0, pruned.Runs);
        Assert.Equal(2, (await Store.Runs.ListRunsAsync()).Count);
    }

    [Fact]
    public async Task A_dry_run_counts_what_pruning_would_remove_and_changes_nothing()
    {
        for (int i = 0; i < 5; i++)
        {
            await FinishedRunAsync("hourly");
        }

        RunPruning counted = await Store.Runs.PruneRunsAsync(AfterNow, dryRun: true);

        Assert.True(counted.DryRun);
        Assert.Equal((4, 4, 4, 1), (counted.Runs, counted.ModelRuns, counted.Logs, counted.KeptRuns));
        Assert.Equal(5, (await Store.Runs.ListRunsAsync()).Count);
        Assert.Equal(4, (await Store.Runs.PruneRunsAsync(AfterNow)).Runs);
    }
}

public sealed class CatalogRunPruningOnSqliteTests() : CatalogRunPruningContract(new SqliteCatalogEngine());

public sealed class CatalogRunPruningOnPostgresTests() : CatalogRunPruningContract(new PostgresCatalogEngine());
