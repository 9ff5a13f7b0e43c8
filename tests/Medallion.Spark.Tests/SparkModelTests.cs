using System.Text.RegularExpressions;
using Medallion.Catalog;
using Medallion.Pipelines.Running;
using Medallion.Spark.Protocol;

namespace Medallion.Spark.Tests;

/// <summary>
/// Models with <c>engine: spark</c> in the quickstart project, run by Medallion's runner against the test service
/// standing for Spark with Delta Lake on the same lake, compared with the same project built by DuckDB alone.
/// </summary>
public sealed partial class SparkModelTests : IAsyncLifetime
{
    internal const string SecondDayFile = "order_id,customer_id,status,amount,ordered_at\n2,11,paid,35.00,2026-01-01 10:02:00\n4,12,paid,50.00,2026-01-02 08:00:00\n5,10,shipped,20.00,2026-01-02 09:30:00\n";

    private SparkConnectTestServer _server = null!;
    private SparkProject _spark = null!;

    public async Task InitializeAsync()
    {
        _server = await SparkConnectTestServer.StartAsync();
        _spark = await SparkProject.CreateAsync(_server.Remote());
    }

    /// <summary>Stops the server and deletes the project; a request the service found against the protocol fails the test.</summary>
    public async Task DisposeAsync()
    {
        string[] violations = [.. _server.Service.Violations];
        await _server.DisposeAsync();
        _spark.Dispose();
        Assert.Empty(violations);
    }

    /// <summary>
    /// Gold models of every materialization beside the quickstart's, reading bronze (append-only, so incremental
    /// builds read only its new rows), silver (built by DuckDB) and gold (built by Spark): on Spark when asked.
    /// </summary>
    internal static SparkProject WithGoldModels(SparkProject project, bool onSpark)
    {
        string engine = onSpark ? "engine: spark\n" : string.Empty;
        if (onSpark)
        {
            project.OnSpark("gold.daily_revenue");
        }

        return project
            .Model("gold.order_log", engine + "materialized: append", "SELECT order_id, customer_id, amount FROM bronze.orders WHERE _parse_error IS NULL")
            .Model("gold.customer_orders", engine + "materialized: merge\nunique_key: customer_id", "SELECT customer_id, count(*) AS orders, max(amount) AS largest FROM bronze.orders b WHERE _parse_error IS NULL GROUP BY customer_id")
            .Model("gold.order_status", engine + "materialized: scd2\nunique_key: order_id", "SELECT order_id, status FROM silver.orders")
            // DuckDB reads what Spark wrote, in the same run.
            .Model("gold.best_day", "materialized: table", "SELECT order_date, revenue FROM gold.daily_revenue ORDER BY revenue DESC LIMIT 1");
    }

    private static readonly string[] s_compared =
    [
        "SELECT * FROM gold.daily_revenue ORDER BY ALL",
        "SELECT * FROM gold.order_log ORDER BY ALL",
        "SELECT * FROM gold.customer_orders ORDER BY ALL",
        "SELECT * EXCLUDE (valid_from, valid_to), valid_to IS NULL AS open FROM gold.order_status ORDER BY ALL",
        "SELECT * FROM gold.best_day ORDER BY ALL",
    ];

    internal static async Task<List<string>> TablesAsync(SparkProject project)
    {
        var rows = new List<string>();
        foreach (string query in s_compared)
        {
            rows.Add(query);
            rows.AddRange(await project.QueryAsync(query));
        }

        return rows;
    }

    [Fact]
    public async Task Quickstart_gold_models_on_spark_hold_the_tables_duckdb_builds_across_an_incremental_run()
    {
        using SparkProject duckDb = WithGoldModels(await SparkProject.CreateAsync(remote: null), onSpark: false);
        WithGoldModels(_spark, onSpark: true);

        RunResult first = await _spark.RunAsync();
        Assert.True(first.Succeeded, first.Error);
        Assert.True((await duckDb.RunAsync()).Succeeded);
        Assert.Equal(await TablesAsync(duckDb), await TablesAsync(_spark));

        duckDb.Write("data/orders/orders_2026-01-02.csv", SecondDayFile);
        _spark.Write("data/orders/orders_2026-01-02.csv", SecondDayFile);
        RunResult second = await _spark.RunAsync();
        Assert.True(second.Succeeded, second.Error);
        Assert.True((await duckDb.RunAsync()).Succeeded);

        Assert.Equal(await TablesAsync(duckDb), await TablesAsync(_spark));
        Assert.Equal(RunMode.Incremental, second[TableName.Parse("gold.order_log")].Mode);
        Assert.Equal(RunMode.Incremental, second[TableName.Parse("gold.customer_orders")].Mode);
        Assert.Equal(
            ["CREATE OR REPLACE TABLE", "CREATE OR REPLACE TABLE", "CREATE OR REPLACE TABLE", "CREATE OR REPLACE TABLE", "CREATE OR REPLACE TABLE", "INSERT INTO", "MERGE INTO", "MERGE INTO"],
            _server.Service.LakeWrites.Select(w => w.Statement).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_version_spark_wrote_is_recorded_in_the_catalog_with_the_upstream_versions_the_run_read()
    {
        _spark.OnSpark("gold.daily_revenue");

        RunResult run = await _spark.RunAsync();

        StepResult step = run[TableName.Parse("gold.daily_revenue")];
        Assert.True(run.Succeeded, run.Error);
        Assert.Equal((0L, await _spark.VersionAsync("silver.orders")), (step.CommittedVersion, step.UpstreamVersions["silver.orders"]));
        Assert.Equal(["0:CREATE TABLE AS SELECT"], await _spark.CatalogVersionsAsync("gold.daily_revenue"));
        Assert.Contains(step.Notes, n => n.StartsWith("written by Spark at 127.0.0.1 as version 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_spark_model_has_table_and_column_lineage_from_its_sql()
    {
        _spark.OnSpark("gold.daily_revenue");

        Assert.True((await _spark.RunAsync()).Succeeded);

        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_spark.Directory));
        List<LineageEdge> edges = await catalog.Tables.GetUpstreamEdgesAsync(TableName.Parse("gold.daily_revenue"));
        Assert.Contains(new LineageEdge(TableName.Parse("silver.orders"), "amount", TableName.Parse("gold.daily_revenue"), "revenue"), edges);
        Assert.Contains(new LineageEdge(TableName.Parse("silver.orders"), "order_date", TableName.Parse("gold.daily_revenue"), "order_date"), edges);
    }

    [Fact]
    public async Task A_job_with_engine_spark_runs_every_model_it_selects_on_spark()
    {
        _spark.Write("jobs/gold.yml", "jobs:\n  - name: gold_on_spark\n    select: gold.daily_revenue\n    engine: spark\n");
        Assert.True((await _spark.RunAsync()).Succeeded);
        Pipelines.MedallionProject project = await Pipelines.MedallionProject.LoadAsync(_spark.Directory, _ => null);
        Pipelines.JobDefinition job = project.Jobs.Single();

        RunResult run = await ProjectRunner.RunAsync(project, new RunOptions { Select = job.Select, Engine = job.Engine });

        Assert.True(run.Succeeded, run.Error);
        Assert.Equal(["CREATE OR REPLACE TABLE"], _server.Service.LakeWrites.Select(w => w.Statement));
        Assert.Equal(_server.Service.LakeWrites.Single().Path, _spark.Location("gold.daily_revenue"));
    }

    [Fact]
    public async Task Each_materialization_sends_the_runs_txn_settings_then_its_write_as_one_sql_command_with_pinned_upstream_versions()
    {
        WithGoldModels(_spark, onSpark: true);
        Assert.True((await _spark.RunAsync()).Succeeded);
        _spark.Write("data/orders/orders_2026-01-02.csv", SecondDayFile);
        Assert.True((await _spark.RunAsync()).Succeeded);

        // Each build's session: the run's txn settings, then its write; builds run side by side, so sessions are ordered by their write.
        IEnumerable<Google.Protobuf.IMessage> writes = _server.Service.Requests
            .Where(r => r is ConfigRequest || (r is ExecutePlanRequest e && e.Plan.Command?.SqlCommand is not null))
            .GroupBy(r => r is ConfigRequest config ? config.SessionId : ((ExecutePlanRequest)r).SessionId)
            .OrderBy(session => session.OfType<ExecutePlanRequest>().Single().Plan.Command.SqlCommand.Sql, StringComparer.Ordinal)
            .SelectMany(session => session);
        GoldenRequests.Assert(writes, "model-writes", text => RunNumber().Replace(RunStart().Replace(RunTag().Replace(text.Replace(_spark.Directory, "<project>", StringComparison.Ordinal), "medallion-run-<run>"), "TIMESTAMP '<run start>'"), "\"value\": \"<run number>\""));
    }

    [Fact]
    public async Task A_write_whose_stream_breaks_is_reattached_and_commits_once()
    {
        _spark.OnSpark("gold.daily_revenue");
        _server.Service.BreakAfterResponses = 1;

        RunResult run = await _spark.RunAsync();

        Assert.True(run.Succeeded, run.Error);
        Assert.Single(_server.Service.Requests.OfType<ReattachExecuteRequest>());
        Assert.Equal((1, 0L), (_server.Service.LakeWrites.Count, await _spark.VersionAsync("gold.daily_revenue")));
        Assert.Equal(["2026-01-01|2|210.40"], await _spark.QueryAsync("SELECT CAST(order_date AS VARCHAR), orders, revenue FROM gold.daily_revenue"));
    }

    [Fact]
    public async Task A_spark_error_fails_the_model_with_sparks_message_and_records_nothing()
    {
        _spark.OnSpark("gold.daily_revenue");
        _server.Service.FailNext = ("TABLE_OR_VIEW_NOT_FOUND", "42P01", "The table or view `silver`.`orders` cannot be found.");

        RunResult run = await _spark.RunAsync();

        StepResult step = run[TableName.Parse("gold.daily_revenue")];
        Assert.Equal((StepState.Failed, ErrorCode.RunModelFailed), (step.State, step.ErrorCode));
        Assert.Contains("model gold.daily_revenue failed on Spark at 127.0.0.1: ", step.Error, StringComparison.Ordinal);
        Assert.Contains("[TABLE_OR_VIEW_NOT_FOUND] The table or view `silver`.`orders` cannot be found. SQLSTATE: 42P01", step.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_spark.Location("gold.daily_revenue"), "_delta_log")));
        Assert.Empty(await _spark.CatalogVersionsAsync("gold.daily_revenue"));
    }

    [Fact]
    public async Task A_model_timeout_interrupts_the_write_on_spark_and_commits_nothing()
    {
        _spark.Model("gold.slow_revenue", "engine: spark", "SELECT /* slow */ order_date, sum(amount) AS revenue FROM silver.orders GROUP BY order_date");

        RunResult run = await _spark.RunAsync(new RunOptions { ModelTimeout = TimeSpan.FromSeconds(2) });

        Assert.Equal(ErrorCode.RunTimedOut, run[TableName.Parse("gold.slow_revenue")].ErrorCode);
        Assert.Equal(await _server.Service.SlowStarted.Task.WaitAsync(TimeSpan.FromSeconds(30)), await _server.Service.Interrupted.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(_server.Service.LakeWrites);
    }

    [Fact]
    public async Task A_broken_fail_rule_on_a_spark_version_restores_the_version_before_and_fails_the_model()
    {
        const string Sql = "SELECT order_id, amount FROM silver.orders";
        _spark.Model("gold.big_orders", "engine: spark\nexpectations:\n  - range: {column: amount, max: 1000}\n    severity: fail", Sql);
        Assert.True((await _spark.RunAsync()).Succeeded);
        _spark.Model("gold.big_orders", "engine: spark\nexpectations:\n  - range: {column: amount, max: 100}\n    severity: fail", Sql);

        RunResult run = await _spark.RunAsync(new RunOptions { FullRefresh = true });

        StepResult step = run[TableName.Parse("gold.big_orders")];
        Assert.Equal(ErrorCode.QualityCheckFailed, step.ErrorCode);
        Assert.Contains("On Spark the rows are checked after Spark's commit: version 1, written by Spark, was undone: version 2 restores version 0.", step.Error, StringComparison.Ordinal);
        Assert.Equal(["1|120.50", "2|35.00", "3|89.90"], await _spark.QueryAsync("SELECT * FROM gold.big_orders ORDER BY order_id"));
        Assert.Equal(["0:CREATE TABLE AS SELECT", "1:WRITE", "2:RESTORE"], await _spark.CatalogVersionsAsync("gold.big_orders"));
    }

    [Fact]
    public async Task Rows_breaking_a_quarantine_rule_on_a_spark_version_move_to_the_quarantine_table()
    {
        _spark.Model("gold.big_orders", "engine: spark\nexpectations:\n  - range: {column: amount, max: 100}\n    severity: quarantine", "SELECT order_id, amount FROM silver.orders");

        RunResult run = await _spark.RunAsync();

        Assert.True(run.Succeeded, run.Error);
        Assert.Equal(["2|35.00", "3|89.90"], await _spark.QueryAsync("SELECT * FROM gold.big_orders ORDER BY order_id"));
        Assert.Equal(["1|120.50"], await _spark.QueryAsync("SELECT order_id, amount FROM gold.big_orders_quarantine"));
        Assert.Equal(["0:CREATE TABLE AS SELECT", "1:WRITE"], await _spark.CatalogVersionsAsync("gold.big_orders"));
    }

    [Fact]
    public async Task An_incremental_spark_model_with_nothing_new_upstream_sends_nothing_to_spark()
    {
        _spark.Model("gold.order_log", "engine: spark\nmaterialized: append", "SELECT order_id, amount FROM bronze.orders");
        Assert.True((await _spark.RunAsync()).Succeeded);

        RunResult again = await _spark.RunAsync();

        StepResult step = again[TableName.Parse("gold.order_log")];
        Assert.Equal((StepState.Succeeded, RunMode.Incremental, null), (step.State, step.Mode, step.CommittedVersion));
        Assert.Equal(["nothing new upstream since the last run; nothing sent to Spark"], step.Notes);
        Assert.Equal(["CREATE OR REPLACE TABLE"], _server.Service.LakeWrites.Select(w => w.Statement));
    }

    [Fact]
    public async Task A_retried_attempt_of_a_run_whose_spark_append_committed_does_not_append_its_rows_again()
    {
        _spark.Model("gold.ticks", "engine: spark\nmaterialized: append", "SELECT 1 AS id");
        RunRecord queued;
        await using (CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_spark.Directory)))
        {
            queued = (await catalog.Runs.TryQueueRunAsync(new RunStart("job", RunTrigger.Api, "gold.ticks", null, null, "holder")))!;
            await catalog.Runs.StartAttemptAsync(queued.Id);
        }

        RunResult first = await _spark.RunAsync(new RunOptions { Select = "gold.ticks", RunId = queued.Id });
        RunResult retried = await _spark.RunAsync(new RunOptions { Select = "gold.ticks", RunId = queued.Id });
        RunResult later = await _spark.RunAsync(new RunOptions { Select = "gold.ticks" });

        var ticks = new TableName("gold", "ticks");
        Assert.Equal((StepState.Succeeded, 0L), (first[ticks].State, first[ticks].CommittedVersion));
        Assert.Equal((StepState.Succeeded, null), (retried[ticks].State, retried[ticks].CommittedVersion));
        Assert.Equal([$"already committed by an earlier attempt of run {queued.Id}; not written again"], retried[ticks].Notes);
        Assert.Equal(1L, later[ticks].CommittedVersion);
        Assert.Equal(["CREATE OR REPLACE TABLE", "INSERT INTO"], _server.Service.LakeWrites.Select(w => w.Statement));
        Assert.Equal(["2"], await _spark.QueryAsync("SELECT count(*) FROM gold.ticks"));
    }

    [Theory]
    [InlineData("merge", "SELECT 1 AS id UNION ALL SELECT 1", "1 unique_key value(s) (\"id\") appear on more than one row of this run's result; nothing was committed.")]
    [InlineData("scd2", "SELECT CAST(NULL AS INTEGER) AS id", "1 row(s) have a null unique_key (\"id\"); nothing was committed.")]
    public async Task A_spark_result_with_a_repeated_or_null_unique_key_is_refused_before_spark_writes_anything(string materialized, string sql, string error)
    {
        _spark.Model("gold.keyed", $"engine: spark\nmaterialized: {materialized}\nunique_key: id", sql);

        RunResult run = await _spark.RunAsync(new RunOptions { Select = "gold.keyed" });

        Assert.Contains(error, run[new TableName("gold", "keyed")].Error, StringComparison.Ordinal);
        Assert.Empty(_server.Service.LakeWrites);
    }

    [Fact]
    public async Task An_scd2_history_on_spark_whose_select_gains_a_column_is_refused_until_a_full_refresh_as_on_duckdb()
    {
        _spark.Model("gold.status_history", "engine: spark\nmaterialized: scd2\nunique_key: id", "SELECT 1 AS id, 'open' AS status");
        Assert.True((await _spark.RunAsync(new RunOptions { Select = "gold.status_history" })).Succeeded);
        _spark.Model("gold.status_history", "engine: spark\nmaterialized: scd2\nunique_key: id", "SELECT 1 AS id, 'open' AS status, 'web' AS channel");

        RunResult run = await _spark.RunAsync(new RunOptions { Select = "gold.status_history" });

        Assert.Contains("the SELECT returns new columns (channel) that the history table does not have; nothing was committed.", run[new TableName("gold", "status_history")].Error, StringComparison.Ordinal);
        Assert.Equal(["CREATE OR REPLACE TABLE"], _server.Service.LakeWrites.Select(w => w.Statement));
    }

    [GeneratedRegex("\"value\": \"[0-9]{15,19}\"")]
    private static partial Regex RunNumber();

    [GeneratedRegex("medallion-run-[0-9a-f]{32}")]
    private static partial Regex RunTag();

    [GeneratedRegex(@"TIMESTAMP '[0-9: .-]+Z'")]
    private static partial Regex RunStart();
}
