namespace Medallion.Catalog.Tests;

/// <summary>Pruning the run history (<c>history: {keep}</c>, <c>medallion runs prune</c>) on a real catalog file.</summary>
public sealed class CatalogRunPruningTests : IAsyncLifetime
{
    private static readonly TableName s_orders = new("silver", "orders");

    private readonly TempDirectory _dir = new();
    private CatalogStore _store = null!;

    public async Task InitializeAsync() => _store = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_dir.Path));

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>A run of <paramref name="job"/> that ran to <paramref name="status"/>, with an attempt, a log line and a model.</summary>
    private async Task<RunRecord> FinishedRunAsync(string job, RunStatus status = RunStatus.Succeeded, TableName? model = null)
    {
        RunRecord run = (await _store.Runs.TryQueueRunAsync(new RunStart(job, RunTrigger.Manual, null, null, null, "holder-1")))!;
        RunAttemptRecord attempt = await _store.Runs.StartAttemptAsync(run.Id);
        await _store.Runs.AppendRunLogAsync(run.Id, null, "info", new string('x', 2000));
        await _store.Runs.RecordModelRunAsync(new ModelRunRecord(run.Id, model ?? new TableName("silver", job), status, 10, new Dictionary<string, long>(), TimeSpan.FromSeconds(1), null, null));
        await _store.Runs.FinishAttemptAsync(run.Id, attempt.Attempt, status, null, transient: false);
        return await _store.Runs.FinishRunAsync(run.Id, status);
    }

    private static DateTimeOffset AfterNow => DateTimeOffset.UtcNow.AddMinutes(1);

    [Fact]
    public async Task Pruning_removes_old_finished_runs_with_their_models_attempts_and_logs_but_keeps_each_jobs_latest_run()
    {
        RunRecord old = await FinishedRunAsync("hourly");
        RunRecord older = await FinishedRunAsync("hourly");
        RunRecord latest = await FinishedRunAsync("hourly");

        RunPruning pruned = await _store.Runs.PruneRunsAsync(AfterNow);

        Assert.Equal((2, 2, 2, 2), (pruned.Runs, pruned.ModelRuns, pruned.Attempts, pruned.Logs));
        Assert.Null(await _store.Runs.GetRunAsync(old.Id));
        Assert.Null(await _store.Runs.GetRunAsync(older.Id));
        Assert.Empty(await _store.Runs.GetAttemptsAsync(old.Id));
        Assert.Empty(await _store.Runs.GetRunLogAsync(old.Id));
        Assert.NotNull(await _store.Runs.GetRunAsync(latest.Id));
        Assert.Single(await _store.Runs.GetModelRunsAsync(latest.Id));
    }

    [Fact]
    public async Task Pruning_never_removes_a_running_or_queued_run()
    {
        RunRecord queued = (await _store.Runs.TryQueueRunAsync(new RunStart("daily", RunTrigger.Manual, null, null, null, "holder-1")))!;
        RunRecord running = (await _store.Runs.TryQueueRunAsync(new RunStart("daily", RunTrigger.Manual, null, null, null, "holder-1")))!;
        await _store.Runs.StartAttemptAsync(running.Id);
        await FinishedRunAsync("daily", model: s_orders);
        await FinishedRunAsync("daily", model: s_orders);

        RunPruning pruned = await _store.Runs.PruneRunsAsync(AfterNow);

        Assert.Equal(1, pruned.Runs);
        Assert.Equal(RunStatus.Queued, (await _store.Runs.GetRunAsync(queued.Id))!.Status);
        Assert.Equal(RunStatus.Running, (await _store.Runs.GetRunAsync(running.Id))!.Status);
    }

    [Fact]
    public async Task Pruning_keeps_the_run_an_incremental_model_resumes_from_when_later_runs_failed()
    {
        RunRecord lastSuccess = await FinishedRunAsync("b", model: s_orders);
        await FinishedRunAsync("b", RunStatus.Failed, s_orders);
        await FinishedRunAsync("b", RunStatus.Failed, s_orders);

        await _store.Runs.PruneRunsAsync(AfterNow);

        Assert.Equal(lastSuccess.Id, (await _store.Runs.GetLastSuccessfulModelRunAsync(s_orders))!.RunId);
    }

    [Fact]
    public async Task Pruning_keeps_runs_that_started_after_the_cutoff()
    {
        await FinishedRunAsync("hourly");
        await FinishedRunAsync("hourly");

        RunPruning pruned = await _store.Runs.PruneRunsAsync(DateTimeOffset.UtcNow.AddDays(-1));

        Assert.Equal(0, pruned.Runs);
        Assert.Equal(2, (await _store.Runs.ListRunsAsync()).Count);
    }

    [Fact]
    public async Task A_dry_run_counts_what_pruning_would_remove_and_changes_nothing()
    {
        for (int i = 0; i < 5; i++)
        {
            await FinishedRunAsync("hourly");
        }

        long size = new FileInfo(_store.Path).Length;
        RunPruning counted = await _store.Runs.PruneRunsAsync(AfterNow, dryRun: true);

        Assert.True(counted.DryRun);
        Assert.Equal((4, 4, 4), (counted.Runs, counted.ModelRuns, counted.Logs));
        Assert.Equal(5, (await _store.Runs.ListRunsAsync()).Count);
        Assert.Equal(size, new FileInfo(_store.Path).Length);
        Assert.Equal(4, (await _store.Runs.PruneRunsAsync(AfterNow)).Runs);
    }

    [Fact]
    public async Task Pruning_gives_the_freed_pages_back_so_the_catalog_file_shrinks()
    {
        for (int i = 0; i < 300; i++)
        {
            await FinishedRunAsync("hourly");
        }

        await CheckpointAsync();
        long grown = new FileInfo(_store.Path).Length;

        RunPruning pruned = await _store.Runs.PruneRunsAsync(AfterNow);

        long after = new FileInfo(_store.Path).Length;
        Assert.Equal(299, pruned.Runs);
        // 300 log lines of 2 KB went: the file gives back at least half of what they took.
        Assert.True(after < grown - (300 * 1024), $"the catalog was {grown} bytes before pruning and {after} after");
        Assert.Equal(grown - after, pruned.BytesFreed);
    }

    /// <summary>Moves the write-ahead log into the file, so its size shows what the catalog holds.</summary>
    private async Task CheckpointAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_store.Path}");
        await connection.OpenAsync();
        await using Microsoft.Data.Sqlite.SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await command.ExecuteNonQueryAsync();
    }
}
