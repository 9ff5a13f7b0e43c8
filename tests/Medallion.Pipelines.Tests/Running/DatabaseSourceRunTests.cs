using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Sources;

namespace Medallion.Pipelines.Tests.Running;

/// <summary><c>medallion run</c> with database sources: real PostgreSQL tables landing in bronze as DAG roots, and merge models over CDC bronze.</summary>
public sealed class DatabaseSourceRunTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IDisposable
{
    private static readonly TableName s_silver = new("silver", "items");

    // The current state: the latest change of each key in LSN order, a delete removing the key.
    private static string CurrentState(string table) => $"SELECT id, qty, _op FROM bronze.{table} QUALIFY row_number() OVER (PARTITION BY id ORDER BY _lsn DESC, _seq DESC) = 1";

    private readonly RunProject _project = new();

    public void Dispose() => _project.Dispose();

    private void Connect(string tables)
    {
        var builder = database.Builder;
        Connect(tables, builder.Host!, builder.Port, builder.Database!, builder.Username!, builder.Password!);
    }

    private void Connect(string tables, string host, int port, string databaseName, string user, string password)
    {
        _project.File("medallion.yml", $"""
            name: shop
            storage: lake
            connections:
              pg:
                type: postgres
                host: {host}
                port: {port}
                database: {databaseName}
                user: {user}
                password: {password}
                pooling: false
            """);
        _project.File("sources/db.yml", $"sources:\n  - name: shop\n    connection: pg\n    tables:\n{tables}");
    }

    /// <summary>A CDC source for the PostgreSQL table (each test its own: the class shares one database) and silver.items over it.</summary>
    private TableName CdcItems(string table)
    {
        Connect($"      - {{table: public.{table}, mode: cdc, slot: {database.Name}_{table}}}\n");
        _project.Model("silver.items", CurrentState(table), "materialized: merge\nunique_key: [id]\ndelete_when: _op = 'delete'");
        return new TableName("bronze", table);
    }

    [Fact]
    public async Task A_merge_model_turns_cdc_bronze_into_the_current_state_with_deletes_applied()
    {
        await database.ExecuteAsync("CREATE TABLE items (id int PRIMARY KEY, qty int); INSERT INTO items VALUES (1, 10), (2, 20), (3, 30)");
        TableName bronze = CdcItems("items");
        RunResult first = await _project.RunAsync();
        List<string> afterFirst = await Silver();

        // One batch: key 4 is inserted, updated twice and deleted; key 2 is deleted and inserted again; key 1 changes.
        await database.ExecuteAsync("INSERT INTO items VALUES (4, 40)");
        await database.ExecuteAsync("UPDATE items SET qty = 41 WHERE id = 4");
        await database.ExecuteAsync("BEGIN; UPDATE items SET qty = 42 WHERE id = 4; DELETE FROM items WHERE id = 2; COMMIT");
        await database.ExecuteAsync("DELETE FROM items WHERE id = 4");
        await database.ExecuteAsync("INSERT INTO items VALUES (2, 22); UPDATE items SET qty = 11 WHERE id = 1");
        RunResult second = await _project.RunAsync();
        List<string> afterSecond = await Silver();
        // Across batches: key 3 deleted in one run, inserted again in the next.
        await database.ExecuteAsync("DELETE FROM items WHERE id = 3");
        await _project.RunAsync();
        List<string> afterDelete = await Silver();
        await database.ExecuteAsync("INSERT INTO items VALUES (3, 33)");
        RunResult last = await _project.RunAsync();

        Assert.True(first.Succeeded && second.Succeeded && last.Succeeded, string.Join("; ", second.Steps.Select(s => s.Error)));
        Assert.Equal(["1|10", "2|20", "3|30"], afterFirst);
        Assert.Equal((7L, RunMode.Incremental), (second[bronze].RowsWritten!.Value, second[s_silver].Mode));
        Assert.Equal(["1|11", "2|22", "3|30"], afterSecond);
        Assert.Equal(["1|11", "2|22"], afterDelete);
        Assert.Equal(["1|11", "2|22", "3|33"], await Silver());
        Assert.Equal(
            (await database.ScalarAsync("SELECT string_agg(id || '|' || qty, ',' ORDER BY id) FROM items"))!.ToString(),
            string.Join(",", await Silver()));
    }

    [Theory]
    [InlineData("cdc")]
    [InlineData("incremental")]
    public async Task A_run_whose_fence_refuses_commits_leaves_the_bronze_table_and_its_position_for_the_next_run(string mode)
    {
        string table = "fenced_" + mode;
        await database.ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY, qty int); INSERT INTO {table} VALUES (1, 10)");
        Connect($"      - {{table: public.{table}, {(mode == "cdc" ? $"mode: cdc, slot: {database.Name}_{table}" : "mode: incremental, cursor: [id]")}}}\n");
        var bronze = new TableName("bronze", table);
        var load = new RunOptions { Sources = ["shop"], SourcesOnly = true };
        RunResult first = await _project.RunAsync(load);
        await database.ExecuteAsync($"INSERT INTO {table} VALUES (2, 20)");

        RunProject.RefusedRun refused = await _project.RunRefusedAsync(bronze, load);
        RunResult next = await _project.RunAsync(load);

        Assert.True(first.Succeeded, first[bronze].Error);
        refused.AssertTableLeftAsItWas();
        // The refused change was neither committed nor acknowledged to the source: the next run loads it, once.
        Assert.Equal((StepState.Succeeded, 1L), (next[bronze].State, next[bronze].RowsWritten));
        Assert.Equal(["1", "2"], await _project.QueryAsync($"SELECT id FROM bronze.{table} ORDER BY id"));
    }

    [Fact]
    public async Task A_database_table_that_fails_stops_only_the_models_that_read_it()
    {
        await database.ExecuteAsync("CREATE TABLE regions (id int PRIMARY KEY, name text); INSERT INTO regions VALUES (1, 'north')");
        Connect("      - public.regions\n      - public.missing_table\n");
        _project.Model("silver.regions", "SELECT id, name FROM bronze.regions").Model("silver.missing", "SELECT * FROM bronze.missing_table");

        RunResult run = await _project.RunAsync();

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(StepState.Failed, run[new TableName("bronze", "missing_table")].State);
        Assert.Contains("missing_table", run[new TableName("bronze", "missing_table")].Error, StringComparison.Ordinal);
        Assert.Equal(StepState.Skipped, run[new TableName("silver", "missing")].State);
        Assert.Equal((StepState.Succeeded, 1L), (run[new TableName("silver", "regions")].State, run[new TableName("silver", "regions")].RowsWritten!.Value));
        Assert.Equal(["1|north"], await _project.QueryAsync("SELECT id, name FROM silver.regions"));
    }

    [Fact]
    public async Task Each_pass_over_a_cdc_table_is_recorded_in_the_catalog_with_its_position_and_slot_lag()
    {
        await database.ExecuteAsync("CREATE TABLE recorded (id int PRIMARY KEY, qty int); INSERT INTO recorded VALUES (1, 10)");
        TableName bronze = CdcItems("recorded");

        RunResult run = await _project.RunAsync();
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        SourceRunRecord pass = Assert.Single(await catalog.Runs.GetSourceRunsAsync(run.RunId));

        Assert.Equal((bronze, "shop", "public.recorded", "cdc", 1L), (pass.Target, pass.Source, pass.SourceTable, pass.Mode, pass.Rows));
        Assert.NotNull(pass.SlotLagBytes);
        Assert.Matches("^[0-9A-F]+/[0-9A-F]+$", pass.Position);
        Assert.Equal(run[bronze].CommittedVersion, pass.CommittedVersion);
        Assert.Contains(run[bronze].Notes, n => n.StartsWith("shop: public.recorded (cdc), 1 row(s) in 2 batch(es), at ", StringComparison.Ordinal) && n.Contains(", slot lag ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_continuous_run_streams_changes_in_passes_of_their_own_and_the_merge_model_follows_until_stopped()
    {
        await database.ExecuteAsync("CREATE TABLE streamed (id int PRIMARY KEY, qty int); INSERT INTO streamed VALUES (1, 10)");
        TableName bronze = CdcItems("streamed");
        await using var environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var passes = new List<(RunResult Result, bool AfterStop)>();
        bool changed = false;
        List<string>? silverAfterChange = null;

        RunResult? last = await ProjectRunner.RunContinuousAsync(environment, new RunOptions(), TimeSpan.FromMilliseconds(300), async pass =>
        {
            passes.Add((pass, stop.IsCancellationRequested));
            bool builtSilver = pass.Steps.Any(s => s.Table == s_silver && s.CommittedVersion is not null);
            if (builtSilver && !changed)
            {
                // The snapshot reached silver; now the source changes while both loops run.
                changed = true;
                await database.ExecuteAsync("INSERT INTO streamed VALUES (2, 20); UPDATE streamed SET qty = 11 WHERE id = 1");
            }
            else if (builtSilver && (silverAfterChange = await Silver()).Count == 2)
            {
                await stop.CancelAsync();
            }
        }, stop.Token);

        Assert.Equal(["1|11", "2|20"], silverAfterChange);
        // The stop cancels the stream's pass under way, which commits nothing (the next run reads its changes again);
        // every other pass succeeded.
        Assert.All(passes, p => Assert.True(
            p.Result.Succeeded || (p.AfterStop && p.Result.Steps.All(s => s.Table == bronze && s.State == StepState.Cancelled && s.CommittedVersion is null)),
            string.Join("; ", p.Result.Steps.Select(s => $"{s.Table} {s.State}: {s.Error}"))));
        // The stream's passes load bronze alone; the models' passes read it as the stream left it and never load it.
        Assert.Contains(passes, p => p.Result.Steps.Select(s => s.Table).SequenceEqual([bronze]));
        Assert.All(passes.Where(p => p.Result.Steps.Any(s => s.Table == s_silver)), p => Assert.DoesNotContain(p.Result.Steps, s => s.Table == bronze));
        Assert.Same(passes.Last(p => p.Result.Steps.Any(s => s.Table == s_silver)).Result, last);
    }

    [Fact]
    public async Task A_continuous_ingest_reads_every_pass_of_a_cdc_table_through_one_replication_connection()
    {
        await database.ExecuteAsync("CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (1)");
        Connect($"      - {{table: public.kept, mode: cdc, slot: {database.Name}_kept}}\n");
        var passes = new List<(long Rows, object? Walsender)>();

        await foreach (DatabaseTableResult pass in ContinuousIngestAsync())
        {
            passes.Add((pass.Result.Rows, await database.ScalarAsync($"SELECT active_pid FROM pg_replication_slots WHERE slot_name = '{database.Name}_kept'")));
            if (passes.Count == 3)
            {
                break;
            }

            await database.ExecuteAsync($"INSERT INTO kept VALUES ({passes.Count + 1})");
        }

        // The server's walsender of the slot stays the same process from pass to pass, and each pass reads its change.
        Assert.IsType<int>(passes[0].Walsender);
        Assert.Equal([(1L, passes[0].Walsender), (1L, passes[0].Walsender), (1L, passes[0].Walsender)], passes);
    }

    [Fact]
    public async Task A_continuous_ingest_whose_kept_replication_connection_broke_between_passes_reads_on_over_a_new_one_losing_and_repeating_nothing()
    {
        await database.ExecuteAsync("CREATE TABLE broken (id int PRIMARY KEY); INSERT INTO broken VALUES (1)");
        Connect($"      - {{table: public.broken, mode: cdc, slot: {database.Name}_broken}}\n");
        string walsender = $"SELECT active_pid FROM pg_replication_slots WHERE slot_name = '{database.Name}_broken'";
        var passes = new List<(long Rows, object? Walsender)>();

        await foreach (DatabaseTableResult pass in ContinuousIngestAsync())
        {
            passes.Add((pass.Result.Rows, await database.ScalarAsync(walsender)));
            if (passes.Count == 2)
            {
                break;
            }

            // The server ends the stream's walsender while the stream waits for the next pass.
            await database.ExecuteAsync($"SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '{database.Name}_broken'");
            await database.ExecuteAsync("INSERT INTO broken VALUES (2)");
        }

        Assert.Equal([1L, 1L], passes.Select(p => p.Rows));
        Assert.IsType<int>(passes[1].Walsender);
        Assert.NotEqual(passes[0].Walsender, passes[1].Walsender);
        Assert.Equal(["1|snapshot", "2|insert"], await _project.QueryAsync("SELECT id, _op FROM bronze.broken ORDER BY id"));
    }

    [Fact]
    public async Task A_continuous_run_streams_every_pass_of_a_cdc_table_through_one_replication_connection()
    {
        var walsenders = new List<object?>();
        await database.ExecuteAsync("CREATE TABLE run_kept (id int PRIMARY KEY, qty int); INSERT INTO run_kept VALUES (1, 10)");
        TableName bronze = CdcItems("run_kept");
        await using var environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        await ProjectRunner.RunContinuousAsync(environment, new RunOptions(), TimeSpan.FromMilliseconds(300), async pass =>
        {
            // The stream's passes that landed a change; the passes of the models and idle stream passes are left out.
            if (!pass.Steps.Select(s => s.Table).SequenceEqual([bronze]) || pass[bronze].RowsWritten is not > 0)
            {
                return;
            }

            walsenders.Add(await database.ScalarAsync($"SELECT active_pid FROM pg_replication_slots WHERE slot_name = '{database.Name}_run_kept'"));
            if (walsenders.Count == 3)
            {
                await stop.CancelAsync();
            }
            else
            {
                await database.ExecuteAsync($"INSERT INTO run_kept VALUES ({walsenders.Count + 1}, 0)");
            }
        }, stop.Token);

        Assert.IsType<int>(walsenders[0]);
        Assert.Equal([walsenders[0], walsenders[0], walsenders[0]], walsenders);
    }

    /// <summary>What <c>medallion ingest --continuous</c> runs over the project's sources, until the caller leaves.</summary>
    private async IAsyncEnumerable<DatabaseTableResult> ContinuousIngestAsync()
    {
        await using var environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        using var engine = DuckDb.DuckDbDatabase.Open();
        using DuckDb.DuckDbConnection connection = engine.CreateConnection();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await foreach (DatabaseTableResult pass in DatabaseSourceLoader.RunContinuousAsync(
            environment.Project, environment.Project.DatabaseSources, [], new Engine.DeltaWriter(connection), TimeSpan.FromMilliseconds(300), cancellationToken: timeout.Token))
        {
            yield return pass;
        }
    }

    // Where a stop lands in a continuous run: the stream reading, the stream's commit reported, the models' pass
    // building, and between passes (in the report of a pass).
    [Theory]
    [InlineData("stream reading")]
    [InlineData("stream committed")]
    [InlineData("model building")]
    [InlineData("between passes")]
    public async Task A_stop_at_any_phase_of_a_continuous_run_ends_it_within_a_pass_with_every_commit_standing(string phase)
    {
        string table = "phase_" + phase.Replace(' ', '_');
        await database.ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY, qty int); INSERT INTO {table} VALUES (1, 10)");
        CdcItems(table);
        await using var environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        using var stop = new CancellationTokenSource();
        // The stop is sent from the run's own events, synchronously, as Ctrl+C cancels from its signal thread.
        var progress = new SynchronousProgress(e =>
        {
            bool now = phase switch
            {
                "stream reading" => e.Kind == StepKind.Source && e.State == StepState.Running,
                "stream committed" => e.Kind == StepKind.Source && e.State == StepState.Succeeded && e.Result?.CommittedVersion is not null,
                "model building" => e.Table == s_silver && e.State == StepState.Running,
                _ => false,
            };
            if (now)
            {
                stop.Cancel();
            }
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Task<RunResult?> running = ProjectRunner.RunContinuousAsync(environment, new RunOptions { Progress = progress }, TimeSpan.FromMilliseconds(300), _ =>
        {
            if (phase == "between passes")
            {
                stop.Cancel();
            }

            return Task.CompletedTask;
        }, stop.Token);
        await running.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(stop.IsCancellationRequested);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"stopped after {clock.Elapsed}");
    }

    [Fact]
    public async Task A_stop_while_the_stream_is_still_connecting_to_a_server_that_does_not_answer_ends_the_run_at_once()
    {
        // A server that takes the connection and never answers: each connect waits out its timeout, and is retried.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        int port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        Connect("      - {table: public.silent, mode: cdc, slot: silent_slot}\n", "127.0.0.1", port, "shop", "nobody", "nothing");
        _project.Model("silver.items", "SELECT * FROM bronze.silent", "materialized: table");
        await using var environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        using var stop = new CancellationTokenSource();
        var stoppedAt = new TaskCompletionSource<System.Diagnostics.Stopwatch>(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new SynchronousProgress(e =>
        {
            if (e.Kind == StepKind.Source && e.State == StepState.Running)
            {
                stoppedAt.TrySetResult(System.Diagnostics.Stopwatch.StartNew());
                stop.Cancel();
            }
        });

        await ProjectRunner.RunContinuousAsync(environment, new RunOptions { Progress = progress }, TimeSpan.FromMilliseconds(300), null, stop.Token).WaitAsync(TimeSpan.FromSeconds(180));
        TimeSpan afterStop = (await stoppedAt.Task).Elapsed;

        Assert.True(afterStop < TimeSpan.FromSeconds(10), $"the run ended {afterStop.TotalSeconds:0.0} s after the stop");
    }

    [Fact]
    public async Task An_abort_after_the_grace_cancels_the_model_under_way_which_commits_nothing()
    {
        await database.ExecuteAsync("CREATE TABLE aborted (id int PRIMARY KEY, qty int); INSERT INTO aborted VALUES (1, 10)");
        Connect($"      - {{table: public.aborted, mode: cdc, slot: {database.Name}_aborted}}\n");
        // A model that would run for hours: only a cancellation ends its pass.
        _project.Model("silver.items", "SELECT id, qty, (SELECT count(*) FROM range(1000000000000) t(r) WHERE hash(r) = 0) AS burn FROM bronze.aborted", "materialized: table");
        await using var environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        var progress = new SynchronousProgress(e =>
        {
            if (e.Table == s_silver && e.State == StepState.Running)
            {
                stop.Cancel();
                abort.Cancel();
            }
        });

        RunResult? last = await ProjectRunner.RunContinuousAsync(environment, new RunOptions { Progress = progress }, TimeSpan.FromMilliseconds(300), null, stop.Token, abort.Token)
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.NotNull(last);
        Assert.Equal(StepState.Cancelled, last[s_silver].State);
        Assert.Null(last[s_silver].CommittedVersion);
    }

    /// <summary>Reports on the step's own thread, at the moment of the event (<see cref="Progress{T}"/> posts to the pool).</summary>
    private sealed class SynchronousProgress(Action<RunEvent> report) : IProgress<RunEvent>
    {
        public void Report(RunEvent value) => report(value);
    }

    private Task<List<string>> Silver() => _project.QueryAsync("SELECT id, qty FROM silver.items ORDER BY id");
}
