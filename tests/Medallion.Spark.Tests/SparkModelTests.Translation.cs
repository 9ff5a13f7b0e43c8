using Medallion.Catalog;
using Medallion.Pipelines.Running;
using Medallion.Spark.Protocol;

namespace Medallion.Spark.Tests;

/// <summary>What a DuckDB build decides from its own engine, decided for a Spark build from Spark's: contracts, run variables, merges that gain columns.</summary>
public sealed partial class SparkModelTests
{
    private const string RevenueSql = "SELECT order_date, count(*) AS orders, sum(amount) AS revenue FROM silver.orders GROUP BY order_date";

    [Fact]
    public async Task A_spark_model_whose_result_matches_its_contract_is_checked_by_sparks_analysis_then_written()
    {
        _spark.Model("gold.revenue", "engine: spark\ncontract: {enforced: true}\ncolumns:\n  order_date: {data_type: date}\n  orders: {data_type: int8}\n  revenue: {data_type: 'DECIMAL(38,2)'}", RevenueSql);

        RunResult run = await _spark.RunAsync();

        Assert.True(run.Succeeded, run.Error);
        Assert.Equal(["CREATE OR REPLACE TABLE"], _server.Service.LakeWrites.Select(w => w.Statement));
        AnalyzePlanRequest analysis = _server.Service.Requests.OfType<AnalyzePlanRequest>().Single();
        Assert.Contains("SELECT order_date, count(*) AS orders, sum(amount) AS revenue FROM delta.`", analysis.Schema.Plan.Root.Sql.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spark_model_that_breaks_its_contract_fails_naming_each_column_and_spark_writes_nothing()
    {
        _spark.Model("gold.revenue", "engine: spark\ncontract: {enforced: true}\ncolumns:\n  order_date: {data_type: date}\n  orders: {data_type: integer}\n  revenue: {data_type: 'DECIMAL(18,2)'}\n  region: {data_type: text}", RevenueSql);

        RunResult run = await _spark.RunAsync();

        StepResult step = run[TableName.Parse("gold.revenue")];
        Assert.Equal(ErrorCode.ContractViolated, step.ErrorCode);
        Assert.Contains(
            "model gold.revenue does not match its contract, so nothing ran or was committed: column 'orders' is BIGINT, the contract says INTEGER; column 'revenue' is DECIMAL(38,2), the contract says DECIMAL(18,2); column 'region' (VARCHAR) is missing from the result.",
            step.Error,
            StringComparison.Ordinal);
        Assert.Empty(_server.Service.Requests.OfType<ExecutePlanRequest>());
        Assert.False(Directory.Exists(_spark.Location("gold.revenue")));
    }

    [Fact]
    public async Task A_spark_models_getvariable_reads_the_runs_value_as_a_literal_that_no_quote_or_backslash_escapes()
    {
        const string Hostile = @"it's \' ) OR 1=1 -- ` /* ";
        _spark.Model("gold.tagged", "engine: spark", "SELECT getvariable('note') AS note, GETVARIABLE ( 'since' ) AS since, getvariable('unset') IS NULL AS unset, count(*) AS orders FROM silver.orders");
        var since = new DateTimeOffset(2026, 1, 1, 6, 30, 0, TimeSpan.Zero);

        RunResult run = await _spark.RunAsync(new RunOptions { Variables = new Dictionary<string, object?> { ["note"] = Hostile, ["since"] = since } });

        Assert.True(run.Succeeded, run.Error);
        string sent = _server.Service.Requests.OfType<ExecutePlanRequest>().Single(r => r.Plan.Command?.SqlCommand is not null).Plan.Command.SqlCommand.Sql;
        Assert.Contains(@"SELECT 'it\'s \\\' ) OR 1=1 -- ` /* ' AS note, TIMESTAMP '2026-01-01 06:30:00.000000Z' AS since, NULL IS NULL AS unset", sent, StringComparison.Ordinal);
        Assert.Equal([Hostile + "|2026-01-01 06:30:00|True|3"], await _spark.QueryAsync("SELECT note, strftime(since AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S'), unset, orders FROM gold.tagged"));
    }

    [Fact]
    public async Task A_getvariable_whose_name_is_computed_is_refused_before_anything_is_sent_to_spark()
    {
        _spark.Model("gold.tagged", "engine: spark", "SELECT getvariable('no' || 'te') AS note FROM silver.orders");

        RunResult run = await _spark.RunAsync(new RunOptions { Variables = new Dictionary<string, object?> { ["note"] = "x" } });

        StepResult step = run[TableName.Parse("gold.tagged")];
        Assert.Equal(ErrorCode.SparkModelInvalid, step.ErrorCode);
        Assert.Contains("model gold.tagged cannot be sent to Spark: A getvariable call at line 4, column 8 does not name its variable with one string literal (getvariable('name'))", step.Error, StringComparison.Ordinal);
        Assert.Empty(_server.Service.Requests.OfType<ExecutePlanRequest>());
    }

    [Fact]
    public async Task A_spark_merge_whose_result_gains_a_column_is_rebuilt_in_full_as_on_duckdb()
    {
        const string Config = "engine: spark\nmaterialized: merge\nunique_key: customer_id";
        _spark.Model("gold.customers", Config, "SELECT customer_id, count(*) AS orders FROM bronze.orders WHERE _parse_error IS NULL GROUP BY customer_id");
        Assert.True((await _spark.RunAsync()).Succeeded);
        _spark.Write("data/orders/orders_2026-01-02.csv", SecondDayFile);
        _spark.Model("gold.customers", Config, "SELECT customer_id, count(*) AS orders, max(amount) AS largest FROM bronze.orders WHERE _parse_error IS NULL GROUP BY customer_id");

        RunResult run = await _spark.RunAsync();

        StepResult step = run[TableName.Parse("gold.customers")];
        Assert.True(run.Succeeded, run.Error);
        Assert.Equal(RunMode.Full, step.Mode);
        Assert.Contains("full recompute: the result has new columns (largest)", step.Notes);
        Assert.Equal(["CREATE OR REPLACE TABLE", "CREATE OR REPLACE TABLE"], _server.Service.LakeWrites.Where(w => w.Path == _spark.Location("gold.customers")).Select(w => w.Statement));
        Assert.Equal(["10|3|120.5", "11|2|35", "12|1|50"], await _spark.QueryAsync("SELECT customer_id, orders, largest FROM gold.customers ORDER BY customer_id"));
    }

    [Fact]
    public async Task A_spark_merge_whose_result_keeps_its_columns_stays_incremental()
    {
        const string Sql = "SELECT customer_id, count(*) AS orders FROM bronze.orders WHERE _parse_error IS NULL GROUP BY customer_id";
        _spark.Model("gold.customers", "engine: spark\nmaterialized: merge\nunique_key: customer_id", Sql);
        Assert.True((await _spark.RunAsync()).Succeeded);
        _spark.Write("data/orders/orders_2026-01-02.csv", SecondDayFile);

        RunResult run = await _spark.RunAsync();

        Assert.Equal(RunMode.Incremental, run[TableName.Parse("gold.customers")].Mode);
        Assert.Equal(["CREATE OR REPLACE TABLE", "MERGE INTO"], _server.Service.LakeWrites.Where(w => w.Path == _spark.Location("gold.customers")).Select(w => w.Statement));
    }
}
