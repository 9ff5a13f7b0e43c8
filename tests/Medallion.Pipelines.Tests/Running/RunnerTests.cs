using Medallion.Catalog;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

public sealed class RunnerTests : IDisposable
{
    private static readonly TableName s_bronze = new("bronze", "orders");
    private static readonly TableName s_silver = new("silver", "orders");
    private static readonly TableName s_broken = new("silver", "broken");
    private static readonly TableName s_gold = new("gold", "revenue");
    private readonly RunProject _project = new("orders");

    public RunnerTests()
    {
        _project
            .Model("silver.orders", "SELECT id, amount FROM bronze.orders")
            .Model("silver.broken", "SELECT id, CAST(status AS INTEGER) AS status FROM bronze.orders")
            .Model("gold.revenue", "SELECT sum(o.amount) AS revenue, count(b.status) AS statuses FROM silver.orders o JOIN silver.broken b USING (id)");
    }

    public void Dispose() => _project.Dispose();

    private Task SeedAsync(string status = "7") =>
        _project.AppendAsync("bronze.orders", $"SELECT * FROM (VALUES (1, 10, '{status}'), (2, 20, '{status}')) t(id, amount, status)");

    [Fact]
    public async Task A_failing_model_leaves_its_table_unchanged_and_skips_what_reads_it_while_a_sibling_succeeds()
    {
        await SeedAsync();
        await _project.RunAsync();
        long before = await _project.VersionAsync("silver.broken");
        await _project.AppendAsync("bronze.orders", "SELECT 3 AS id, 30 AS amount, 'paid' AS status");

        RunResult run = await _project.RunAsync();

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(1, run.ExitCode);
        Assert.Equal(StepState.Succeeded, run[s_silver].State);
        Assert.Equal(StepState.Failed, run[s_broken].State);
        Assert.StartsWith("MDL6101: models/silver/broken.sql: model silver.broken failed in DuckDB: Conversion Error", run[s_broken].Error, StringComparison.Ordinal);
        Assert.Equal((StepState.Skipped, "not run: silver.broken failed"), (run[s_gold].State, run[s_gold].Error));
        Assert.Equal(before, await _project.VersionAsync("silver.broken"));
        Assert.Equal(["1|7", "2|7"], await _project.QueryAsync("SELECT * FROM silver.broken ORDER BY id"));
        Assert.Equal(["1", "2", "3"], await _project.QueryAsync("SELECT id FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task Two_threads_start_two_independent_models_before_either_finishes()
    {
        await SeedAsync();
        var events = new EventLog();

        RunResult run = await _project.RunAsync(new RunOptions { Threads = 2, Progress = events });

        Assert.True(run.Succeeded);
        List<string> order = events.Models.Where(e => e.State is StepState.Running or StepState.Succeeded).Select(e => $"{e.Table} {e.State}").ToList();
        Assert.Equal(["silver.orders Running", "silver.broken Running"], order.Take(2));
        Assert.Equal("gold.revenue Succeeded", order[^1]);
    }

    [Fact]
    public async Task One_thread_runs_one_model_at_a_time()
    {
        await SeedAsync();
        var events = new EventLog();

        await _project.RunAsync(new RunOptions { Threads = 1, Progress = events });

        Assert.Equal(
            ["silver.orders Running", "silver.orders Succeeded", "silver.broken Running", "silver.broken Succeeded", "gold.revenue Running", "gold.revenue Succeeded"],
            events.Models.Where(e => e.State is StepState.Running or StepState.Succeeded).Select(e => $"{e.Table} {e.State}"));
    }

    [Fact]
    public async Task The_sources_a_selection_reads_run_as_their_own_steps_before_the_models()
    {
        await SeedAsync();

        RunResult run = await _project.RunAsync(new RunOptions { Select = "silver.orders" });

        Assert.Equal([(s_bronze, StepKind.Source), (s_silver, StepKind.Model)], run.Steps.Select(s => (s.Table, s.Kind)));
        Assert.Equal(StepState.Succeeded, run[s_bronze].State);
    }

    [Fact]
    public async Task A_model_whose_source_has_no_files_and_no_table_fails_naming_it_and_what_reads_it_is_skipped()
    {
        RunResult run = await _project.RunAsync();

        Assert.Equal(StepState.Succeeded, run[s_bronze].State);
        Assert.Equal(["Source 'orders': no files match 'data/orders/*.csv' (in " + _project.Directory + "); nothing to load."], run[s_bronze].Notes);
        Assert.Equal(StepState.Failed, run[s_silver].State);
        Assert.StartsWith("MDL6102: models/silver/orders.sql: model silver.orders reads bronze.orders, which has no table at", run[s_silver].Error, StringComparison.Ordinal);
        Assert.Equal(StepState.Skipped, run[s_gold].State);
    }

    [Fact]
    public async Task A_run_cancelled_while_a_model_starts_commits_nothing_more_and_ends_cancelled()
    {
        await SeedAsync();
        using var cancel = new CancellationTokenSource();
        var cancelOnFirstModel = new EventLog(e =>
        {
            if (e.Kind == StepKind.Model && e.State == StepState.Running)
            {
                cancel.Cancel();
            }
        });

        RunResult run = await _project.RunAsync(new RunOptions { Threads = 1, Progress = cancelOnFirstModel }, cancel.Token);

        Assert.Equal((RunStatus.Cancelled, 130), (run.Status, run.ExitCode));
        Assert.Equal(StepState.Succeeded, run[s_bronze].State);
        Assert.All([s_silver, s_broken, s_gold], t => Assert.Equal(StepState.Cancelled, run[t].State));
        Assert.False(Directory.Exists(_project.Location("silver.orders")));
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        Assert.Equal(RunStatus.Cancelled, (await catalog.Runs.GetRunAsync(run.RunId))?.Status);
    }

    [Fact]
    public async Task A_run_with_an_already_cancelled_token_throws_before_touching_anything()
    {
        await SeedAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _project.RunAsync(cancellationToken: cancelled.Token));
        Assert.False(Directory.Exists(_project.Location("silver.orders")));
    }

    [Fact]
    public async Task A_run_records_itself_its_model_runs_table_versions_and_columns_in_the_catalog()
    {
        await SeedAsync();
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "columns:\n  amount:\n    description: Order total in BRL");

        RunResult run = await _project.RunAsync();

        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        RunRecord? recorded = await catalog.Runs.GetRunAsync(run.RunId);
        Assert.Equal(RunStatus.Succeeded, recorded?.Status);
        Assert.NotNull(recorded?.FinishedAt);
        ModelRunRecord model = (await catalog.Runs.GetModelRunsAsync(run.RunId)).Single(m => m.Model.Equals(s_silver));
        Assert.Equal((RunStatus.Succeeded, 2L, 0L), (model.Status, model.RowsWritten, model.CommittedVersion));
        Assert.Equal(new Dictionary<string, long> { ["bronze.orders"] = 0 }, model.UpstreamVersions);
        TableVersionRecord version = Assert.Single(await catalog.Tables.GetTableHistoryAsync(s_silver));
        Assert.Equal((0L, "CREATE TABLE AS SELECT", 2L, run.RunId), (version.Version, version.Operation, version.RowCount, version.RunId));
        Assert.Contains("\"amount\"", version.SchemaJson, StringComparison.Ordinal);
        Assert.Equal(
            [new CatalogColumn("id", "INTEGER"), new CatalogColumn("amount", "INTEGER", Description: "Order total in BRL")],
            (await catalog.Tables.GetColumnsAsync(s_silver)).Select(c => c with { Tags = null }));
        Assert.Equal(["bronze.orders", "gold.revenue", "silver.broken", "silver.orders"], (await catalog.Tables.ListTablesAsync()).Select(t => t.Name.ToString()));
    }

    private sealed class EventLog(Action<RunEvent>? onEvent = null) : IProgress<RunEvent>
    {
        private readonly List<RunEvent> _events = [];

        public IEnumerable<RunEvent> Models
        {
            get
            {
                lock (_events)
                {
                    return _events.Where(e => e.Kind == StepKind.Model).ToList();
                }
            }
        }

        public void Report(RunEvent value)
        {
            lock (_events)
            {
                _events.Add(value);
            }

            onEvent?.Invoke(value);
        }
    }
}
