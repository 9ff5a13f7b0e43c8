using System.Diagnostics;
using System.Globalization;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

/// <summary>What a scheduler asks of a run: variables for model SQL, a model timeout, a shared step limit, an existing run record, sources only.</summary>
public sealed class ScheduledRunOptionsTests : IDisposable
{
    private readonly RunProject _project = new("orders", "customers");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task Model_sql_reads_the_run_variables_with_getvariable()
    {
        _project.Model("silver.window", "SELECT getvariable('interval_start') AS starts, CAST(getvariable('interval_end') - getvariable('interval_start') AS VARCHAR) AS length, getvariable('region') AS region");
        var start = new DateTimeOffset(2026, 3, 8, 6, 0, 0, TimeSpan.Zero);

        RunResult run = await _project.RunAsync(new RunOptions
        {
            Select = "silver.window",
            Variables = new Dictionary<string, object?> { ["interval_start"] = start, ["interval_end"] = start.AddHours(1), ["region"] = "o'hare" },
        });

        Assert.True(run.Succeeded, run.Steps[0].Error);
        Assert.Equal(["2026-03-08 06:00:00|01:00:00|o'hare"], await _project.QueryAsync("SELECT strftime(starts AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S'), length, region FROM silver.window"));
    }

    [Fact]
    public async Task Model_sql_computes_dates_in_the_run_time_zone()
    {
        // 01:00 UTC on New Year's Day is still the last evening of the year in São Paulo (UTC-3).
        _project.Model("silver.local_day", "SELECT CAST(TIMESTAMPTZ '2026-01-01 01:00:00+00' AS DATE) AS day, hour(TIMESTAMPTZ '2026-01-01 01:00:00+00') AS hour");

        RunResult run = await _project.RunAsync(new RunOptions { Select = "silver.local_day", TimeZone = TimeZoneInfo.FindSystemTimeZoneById("America/Sao_Paulo") });

        Assert.True(run.Succeeded, run.Steps[0].Error);
        Assert.Equal(["2025-12-31|22"], await _project.QueryAsync("SELECT CAST(day AS VARCHAR), hour FROM silver.local_day"));
    }

    [Fact]
    public async Task A_model_past_its_timeout_is_interrupted_and_commits_nothing()
    {
        _project.Model("silver.slow", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3");
        Stopwatch elapsed = Stopwatch.StartNew();

        RunResult run = await _project.RunAsync(new RunOptions { Select = "silver.slow", ModelTimeout = TimeSpan.FromMilliseconds(300) });

        StepResult step = run[new TableName("silver", "slow")];
        Assert.Equal((RunStatus.Failed, StepState.Failed, ErrorCode.RunTimedOut, false), (run.Status, step.State, step.ErrorCode, step.IsTransient));
        Assert.Equal("MDL6105: silver.slow ran longer than its timeout of 00:00:00.3000000 and was interrupted; nothing was committed.", step.Error);
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(10), $"the query was not interrupted: {elapsed.Elapsed}");
        Assert.False(Directory.Exists(Path.Combine(_project.Location("silver.slow"), "_delta_log")));
    }

    [Fact]
    public async Task A_run_recorded_into_an_existing_run_leaves_its_status_to_the_owner()
    {
        _project.Model("silver.one", "SELECT 1 AS id");
        CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_project.Directory));
        await using (catalog)
        {
            RunRecord queued = (await catalog.Runs.TryQueueRunAsync(new RunStart("job", RunTrigger.Api, "silver.one", null, null, "holder")))!;
            await catalog.Runs.StartAttemptAsync(queued.Id);

            RunResult run = await _project.RunAsync(new RunOptions { Select = "silver.one", RunId = queued.Id });

            Assert.Equal((queued.Id, RunStatus.Succeeded), (run.RunId, run.Status));
            Assert.Equal(RunStatus.Running, (await catalog.Runs.GetRunAsync(queued.Id))!.Status);
            Assert.Equal(RunStatus.Succeeded, Assert.Single(await catalog.Runs.GetModelRunsAsync(queued.Id)).Status);
        }
    }

    [Fact]
    public async Task A_retried_attempt_of_a_run_whose_append_already_committed_does_not_append_its_rows_again()
    {
        _project.Model("silver.ticks", "SELECT 1 AS id", "materialized: append");
        CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_project.Directory));
        await using (catalog)
        {
            RunRecord queued = await StartQueuedRunAsync(catalog);

            RunResult first = await _project.RunAsync(new RunOptions { Select = "silver.ticks", RunId = queued.Id });
            RunResult retried = await _project.RunAsync(new RunOptions { Select = "silver.ticks", RunId = queued.Id });
            RunResult later = await _project.RunAsync(new RunOptions { Select = "silver.ticks" });

            var ticks = new TableName("silver", "ticks");
            Assert.Equal((StepState.Succeeded, 1L, 0L), (first[ticks].State, first[ticks].RowsWritten, first[ticks].CommittedVersion));
            Assert.Equal((StepState.Succeeded, 0L, null), (retried[ticks].State, retried[ticks].RowsWritten, retried[ticks].CommittedVersion));
            Assert.Equal([$"already committed by an earlier attempt of run {queued.Id}; not written again"], retried[ticks].Notes);
            Assert.Equal(1L, later[ticks].CommittedVersion);
            Assert.Equal(["2"], await _project.QueryAsync("SELECT count(*) FROM silver.ticks"));
        }
    }

    [Fact]
    public async Task A_run_retried_after_a_newer_run_committed_does_not_append_the_rows_its_first_attempt_committed()
    {
        _project.Model("silver.ticks", "SELECT 1 AS id", "materialized: append");
        CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_project.Directory));
        await using (catalog)
        {
            RunRecord interrupted = await StartQueuedRunAsync(catalog);

            // The first attempt commits, then its server dies before the catalog hears of it; a newer run goes first.
            await _project.RunAsync(new RunOptions { Select = "silver.ticks", RunId = interrupted.Id });
            RunResult newer = await _project.RunAsync(new RunOptions { Select = "silver.ticks" });
            RunResult retried = await _project.RunAsync(new RunOptions { Select = "silver.ticks", RunId = interrupted.Id });

            var ticks = new TableName("silver", "ticks");
            Assert.Equal(1L, newer[ticks].CommittedVersion);
            Assert.Equal((StepState.Succeeded, 0L, null), (retried[ticks].State, retried[ticks].RowsWritten, retried[ticks].CommittedVersion));
            Assert.Equal([$"already committed by an earlier attempt of run {interrupted.Id}, before a newer run's commit; not written again"], retried[ticks].Notes);
            Assert.Equal(["2"], await _project.QueryAsync("SELECT count(*) FROM silver.ticks"));
        }
    }

    [Fact]
    public async Task A_run_whose_first_attempt_committed_after_a_newer_run_does_not_append_its_rows_again_when_retried()
    {
        _project.Model("silver.ticks", "SELECT 1 AS id", "materialized: append");
        CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_project.Directory));
        await using (catalog)
        {
            RunRecord late = await StartQueuedRunAsync(catalog);

            // Servers side by side may start a job's runs out of order: the newer run's txn stands when the older one
            // commits, so that commit carries none, and its server dies before the catalog hears of it.
            await _project.RunAsync(new RunOptions { Select = "silver.ticks" });
            RunResult first = await _project.RunAsync(new RunOptions { Select = "silver.ticks", RunId = late.Id, Job = "ticks" });
            RunResult retried = await _project.RunAsync(new RunOptions { Select = "silver.ticks", RunId = late.Id, Job = "ticks", Attempt = 2 });

            var ticks = new TableName("silver", "ticks");
            Assert.Equal(1L, first[ticks].CommittedVersion);
            Assert.Equal((StepState.Succeeded, 0L, null), (retried[ticks].State, retried[ticks].RowsWritten, retried[ticks].CommittedVersion));
            Assert.Equal([$"already committed by an earlier attempt of run {late.Id}, before a newer run's commit; not written again"], retried[ticks].Notes);
            Assert.Equal(["2"], await _project.QueryAsync("SELECT count(*) FROM silver.ticks"));
        }
    }

    [Fact]
    public async Task A_first_attempt_started_after_a_newer_run_committed_writes_without_reading_the_table_history_back()
    {
        _project.Model("silver.ticks", "SELECT 1 AS id", "materialized: append");
        CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_project.Directory));
        await using (catalog)
        {
            RunRecord late = await StartQueuedRunAsync(catalog);
            await _project.RunAsync(new RunOptions { Select = "silver.ticks" });
            await _project.RunAsync(new RunOptions { Select = "silver.ticks", RunId = late.Id, Job = "ticks" });

            // Its owner says this is the run's first attempt, so no commit of the table can be an earlier one of it: the
            // commit naming the run above (made as if by an attempt the catalog never heard of) is not looked for.
            RunResult first = await _project.RunAsync(new RunOptions { Select = "silver.ticks", RunId = late.Id, Job = "ticks", Attempt = 1 });

            var ticks = new TableName("silver", "ticks");
            Assert.Equal((StepState.Succeeded, 1L, 2L, 0), (first[ticks].State, first[ticks].RowsWritten, first[ticks].CommittedVersion, first[ticks].Notes.Count));
            Assert.Equal(["3"], await _project.QueryAsync("SELECT count(*) FROM silver.ticks"));
        }
    }

    [Fact]
    public async Task A_run_retried_after_a_newer_run_committed_appends_its_rows_when_no_attempt_of_it_had()
    {
        _project.Model("silver.ticks", "SELECT 1 AS id", "materialized: append");
        CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_project.Directory));
        await using (catalog)
        {
            RunRecord late = await StartQueuedRunAsync(catalog);

            await _project.RunAsync(new RunOptions { Select = "silver.ticks" });
            RunResult retried = await _project.RunAsync(new RunOptions { Select = "silver.ticks", RunId = late.Id });

            var ticks = new TableName("silver", "ticks");
            Assert.Equal((StepState.Succeeded, 1L, 1L), (retried[ticks].State, retried[ticks].RowsWritten, retried[ticks].CommittedVersion));
            Assert.Equal(["2"], await _project.QueryAsync("SELECT count(*) FROM silver.ticks"));
        }
    }

    [Fact]
    public async Task A_run_given_the_model_graph_of_another_project_is_refused()
    {
        _project.Model("silver.one", "SELECT 1 AS id");
        ModelGraph graph = await ModelGraph.BuildAsync(await MedallionProject.LoadAsync(_project.Directory));

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(
            async () => await ProjectRunner.RunAsync(await MedallionProject.LoadAsync(_project.Directory), new RunOptions { Graph = graph }));

        Assert.Equal("RunOptions.Graph is the graph of another project than the one being run. (Parameter 'options')", error.Message);
    }

    [Fact]
    public async Task A_run_given_its_project_s_model_graph_builds_the_selected_models()
    {
        _project.Model("silver.one", "SELECT 1 AS id").Model("silver.two", "SELECT id + 1 AS id FROM silver.one");
        MedallionProject project = await MedallionProject.LoadAsync(_project.Directory);
        ModelGraph graph = await ModelGraph.BuildAsync(project);

        RunResult run = await ProjectRunner.RunAsync(project, new RunOptions { Graph = graph, Select = "+silver.two" });

        Assert.Equal(["silver.one", "silver.two"], run.Steps.Select(s => s.Table.ToString()));
        Assert.True(run.Succeeded);
        Assert.Equal(["2"], await _project.QueryAsync("SELECT id FROM silver.two"));
    }

    [Fact]
    public async Task Runs_in_one_environment_record_into_its_catalog_and_leave_it_and_a_given_database_open()
    {
        _project.Model("silver.one", "SELECT 1 AS id").Model("silver.two", "SELECT id + 1 AS id FROM silver.one");
        await using var environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        using DuckDbDatabase database = DuckDbDatabase.Open();

        RunResult first = await ProjectRunner.RunAsync(environment, new RunOptions { Database = database, Select = "silver.one" });
        RunResult second = await ProjectRunner.RunAsync(environment, new RunOptions { Database = database, Select = "silver.two" });

        Assert.True(first.Succeeded && second.Succeeded);
        CatalogStore catalog = await environment.GetCatalogAsync();
        Assert.Equal(RunStatus.Succeeded, (await catalog.Runs.GetRunAsync(second.RunId))!.Status);
        Assert.Equal(["2"], await _project.QueryAsync("SELECT id FROM silver.two"));
        using DuckDbConnection connection = database.CreateConnection();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT 42";
        Assert.Equal(42, Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_sources_only_run_loads_the_named_sources_and_builds_no_model()
    {
        _project.Model("silver.one", "SELECT 1 AS id")
            .File("data/orders/1.csv", "id\n1\n")
            .File("data/customers/1.csv", "id\n7\n");

        RunResult run = await _project.RunAsync(new RunOptions { Sources = ["orders"], SourcesOnly = true });

        Assert.Equal(["bronze.orders"], run.Steps.Select(s => s.Table.ToString()));
        Assert.True(run.Succeeded);
    }

    [Fact]
    public async Task A_step_waits_for_a_free_slot_shared_between_runs()
    {
        _project.Model("silver.one", "SELECT 1 AS id");
        using var slots = new SemaphoreSlim(0);

        Task<RunResult> run = _project.RunAsync(new RunOptions { Select = "silver.one", StepSlots = slots });
        await Task.Delay(500);
        Assert.False(run.IsCompleted);
        slots.Release();

        Assert.True((await run).Succeeded);
        Assert.Equal(1, slots.CurrentCount);
    }

    /// <summary>A run of the scheduler's, queued for <c>silver.ticks</c> and in its first attempt, as the executor starts one.</summary>
    private static async Task<RunRecord> StartQueuedRunAsync(CatalogStore catalog)
    {
        RunRecord queued = (await catalog.Runs.TryQueueRunAsync(new RunStart("job", RunTrigger.Schedule, "silver.ticks", null, null, "holder")))!;
        await catalog.Runs.StartAttemptAsync(queued.Id);
        return queued;
    }
}
