using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

/// <summary>The run loads file sources as their own steps and checks each model's expectations before committing.</summary>
public sealed class SourceAndQualityTests : IDisposable
{
    private static readonly TableName s_bronze = new("bronze", "orders");
    private static readonly TableName s_silver = new("silver", "orders");
    private static readonly TableName s_quarantine = new("silver", "orders_quarantine");
    private readonly RunProject _project = new("orders");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task New_source_files_are_loaded_once_and_an_append_model_reads_only_their_rows()
    {
        _project.File("data/orders/1.csv", "id,amount\n1,10\n2,20\n");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "materialized: append");
        RunResult first = await _project.RunAsync();
        _project.File("data/orders/2.csv", "id,amount\n3,30\n");

        RunResult second = await _project.RunAsync();

        Assert.True(first.Succeeded, first[s_silver].Error ?? first[s_bronze].Error);
        Assert.Equal((2L, 0L), (first[s_bronze].RowsWritten, first[s_bronze].CommittedVersion));
        Assert.Equal((1L, 1L), (second[s_bronze].RowsWritten, second[s_bronze].CommittedVersion));
        Assert.Equal((RunMode.Incremental, 1L), (second[s_silver].Mode, second[s_silver].RowsWritten));
        Assert.Equal(1, second[s_silver].UpstreamVersions["bronze.orders"]);
        Assert.Equal(["1|10", "2|20", "3|30"], await _project.QueryAsync("SELECT id, amount FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task A_run_whose_fence_refuses_commits_leaves_the_file_source_table_and_its_record_of_loaded_files_as_they_were()
    {
        var load = new RunOptions { Sources = ["orders"], SourcesOnly = true };
        _project.File("data/orders/1.csv", "id,amount\n1,10\n");
        RunResult first = await _project.RunAsync(load);
        _project.File("data/orders/2.csv", "id,amount\n2,20\n");

        RunProject.RefusedRun refused = await _project.RunRefusedAsync(s_bronze, load);

        Assert.True(first.Succeeded, first[s_bronze].Error);
        refused.AssertTableLeftAsItWas();
        Assert.Equal(["1"], await _project.QueryAsync("SELECT id FROM bronze.orders"));
    }

    [Fact]
    public async Task The_passes_of_a_continuous_run_that_commit_nothing_leave_no_run_in_the_catalog()
    {
        _project.File("data/orders/1.csv", "id,amount\n1,10\n");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "materialized: append");
        await using var environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var passes = new List<RunResult>();

        await ProjectRunner.RunContinuousAsync(environment, new RunOptions(), TimeSpan.FromMilliseconds(50), pass =>
        {
            passes.Add(pass);
            if (passes.Count == 2)
            {
                _project.File("data/orders/2.csv", "id,amount\n2,20\n");
            }
            else if (passes.Count == 4)
            {
                stop.Cancel();
            }

            return Task.CompletedTask;
        }, stop.Token);
        await using CatalogStore catalog = await _project.OpenCatalogAsync();

        Assert.All(passes, p => Assert.True(p.Succeeded, string.Join("; ", p.Steps.Select(s => s.Error))));
        Assert.Equal([passes[2].RunId, passes[0].RunId], (await catalog.Runs.ListRunsAsync()).Select(r => r.Id));
        Assert.Equal(2, (await catalog.Runs.GetModelRunHistoryAsync(s_silver)).Count);
    }

    [Fact]
    public async Task A_broken_fail_expectation_fails_the_model_and_commits_nothing()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (NULL, 20)) t(id, amount)");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "expectations:\n  - not_null: [id]");

        RunResult run = await _project.RunAsync();

        Assert.Equal(StepState.Failed, run[s_silver].State);
        Assert.Contains("broke fail-severity expectations, so nothing was committed: expectations broken: not_null(id) [fail] (1 rows)", run[s_silver].Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_project.Location("silver.orders")));
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        QualityResultRecord result = Assert.Single(await catalog.Quality.GetQualityResultsAsync(run.RunId));
        Assert.Equal(("not_null(id)", false, 1L), (result.Rule, result.Passed, result.FailingRows));
    }

    [Fact]
    public async Task Rows_breaking_a_quarantine_expectation_go_to_the_quarantine_table_and_the_rest_is_committed()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (2, -5), (3, 30)) t(id, amount)");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "expectations:\n  - expression: amount >= 0\n    name: positive\n    severity: quarantine");

        RunResult run = await _project.RunAsync();

        Assert.True(run.Succeeded, run[s_silver].Error);
        Assert.Equal(2L, run[s_silver].RowsWritten);
        Assert.Contains($"1 row(s) quarantined to {s_quarantine}", run[s_silver].Notes);
        Assert.Equal(["1", "3"], await _project.QueryAsync("SELECT id FROM silver.orders ORDER BY id"));
        Assert.Equal([$"2|[positive]|{run.RunId}"], await _project.QueryAsync("SELECT id, _quarantine_rules::VARCHAR, _quarantine_run_id FROM silver.orders_quarantine"));
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        Assert.Single(await catalog.Tables.GetTableHistoryAsync(s_quarantine));
    }

    [Fact]
    public async Task A_relationships_expectation_reads_the_parent_table_built_earlier_in_the_run()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (2, 99)) t(id, customer_id)");
        _project
            .Model("silver.customers", "SELECT 10 AS id")
            .Model("silver.orders", "SELECT o.id, o.customer_id FROM bronze.orders o, silver.customers c WHERE c.id IS NOT NULL",
                "expectations:\n  - relationships: {column: customer_id, to: silver.customers, field: id}\n    severity: quarantine");

        RunResult run = await _project.RunAsync();

        Assert.True(run.Succeeded, run[s_silver].Error);
        Assert.Equal(["1"], await _project.QueryAsync("SELECT id FROM silver.orders"));
        Assert.Equal(["2"], await _project.QueryAsync("SELECT id FROM silver.orders_quarantine"));
    }

    [Fact]
    public async Task A_relationships_expectation_waits_for_its_parent_even_when_the_model_does_not_read_it()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10)) t(id, customer_id)");
        // One thread and a name that sorts first: without the ordering edge the check would run before the parent exists.
        _project
            .Model("silver.customers", "SELECT 10 AS id")
            .Model("silver.a_orders", "SELECT id, customer_id FROM bronze.orders",
                "expectations:\n  - relationships: {column: customer_id, to: silver.customers, field: id}");

        RunResult run = await _project.RunAsync(new RunOptions { Threads = 1 });

        Assert.True(run.Succeeded, run[new TableName("silver", "a_orders")].Error);
        Assert.Equal(RunMode.Full, run[new TableName("silver", "a_orders")].Mode);
    }

    [Fact]
    public async Task A_relationships_expectation_on_a_table_that_reads_the_model_does_not_deadlock_the_run()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10)) t(id, customer_id)");
        _project
            .Model("silver.orders", "SELECT id, customer_id FROM bronze.orders",
                "expectations:\n  - relationships: {column: id, to: gold.orders, field: id}\n    severity: warn")
            .Model("gold.orders", "SELECT id FROM silver.orders");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        RunResult run = await _project.RunAsync(new RunOptions { Threads = 1 }, timeout.Token);

        Assert.False(timeout.IsCancellationRequested);
        Assert.NotEqual(StepState.Cancelled, run[s_silver].State);
        Assert.NotEqual(StepState.Cancelled, run[new TableName("gold", "orders")].State);
    }

    [Fact]
    public async Task Quarantined_rows_of_a_build_whose_model_commit_never_happened_are_replaced_not_doubled()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (2, -5)) t(id, amount)");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders",
            "expectations:\n  - range: {column: amount, min: 0}\n    severity: quarantine");
        RunResult first = await _project.RunAsync();
        // What a build that crashed between its two commits leaves: its quarantined rows, marked for silver.orders
        // version 1, which never came.
        using (var connection = new DuckDbConnection())
        {
            connection.Open();
            await new DeltaWriter(connection).WriteAsync(
                _project.Location("silver.orders_quarantine"),
                "SELECT 2 AS id, -5 AS amount, ['range'] AS _quarantine_rules, 'crashed-run' AS _quarantine_run_id, now() AS _quarantined_at",
                new DeltaWriteOptions { DomainMetadata = new Dictionary<string, string> { ["medallion.quarantine"] = "{\"modelVersion\":1,\"runId\":\"crashed-run\"}" } });
        }

        RunResult second = await _project.RunAsync();

        Assert.True(second.Succeeded, second[s_silver].Error);
        Assert.Equal(1, await _project.VersionAsync("silver.orders"));
        Assert.Equal([first.RunId, second.RunId], await _project.QueryAsync("SELECT _quarantine_run_id FROM silver.orders_quarantine ORDER BY _quarantined_at, _quarantine_run_id"));
    }
}
