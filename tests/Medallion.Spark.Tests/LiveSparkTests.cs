namespace Medallion.Spark.Tests;

/// <summary>A test that runs only against a real Spark Connect server: skipped unless <c>SPARK_REMOTE</c> names one.</summary>
public sealed class LiveSparkFactAttribute : FactAttribute
{
    public const string Variable = "SPARK_REMOTE";

    public LiveSparkFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"Set {Variable}=sc://host:15002/ (Spark's connection string, as PySpark takes it) to run against a real Spark Connect server.";
        }
    }
}

/// <summary>The client against a real Spark (<c>SPARK_REMOTE</c>, e.g. <c>sc://localhost:15002</c> of <c>start-connect-server.sh</c>, or a Databricks cluster's address).</summary>
public sealed class LiveSparkTests : IAsyncLifetime
{
    private SparkConnectClient _client = null!;

    public Task InitializeAsync()
    {
        string? remote = Environment.GetEnvironmentVariable(LiveSparkFactAttribute.Variable);
        if (!string.IsNullOrWhiteSpace(remote))
        {
            _client = SparkConnectClient.Connect(SparkConnectRemote.Parse(remote), new SparkConnectClientOptions { QueryTimeout = TimeSpan.FromMinutes(2) });
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
    }

    [LiveSparkFact]
    public async Task Select_one_returns_one()
    {
        SparkResult result = await _client.SqlAsync("SELECT 1 AS one");

        Assert.Equal([new SparkField("one", "int", false)], result.Schema);
        Assert.Equal([[1]], result.Rows.Select(r => r.ToArray()));
    }

    [LiveSparkFact]
    public async Task A_small_query_returns_its_rows_in_order_with_spark_types()
    {
        SparkResult result = await _client.SqlAsync("SELECT id, CAST(id * 1.5 AS DECIMAL(10,2)) AS price, concat('item ', id) AS name FROM range(1000) ORDER BY id");

        Assert.Equal(["bigint", "decimal(10,2)", "string"], result.Schema.Select(f => f.TypeName));
        Assert.Equal(1000, result.Rows.Count);
        Assert.Equal(new object?[] { 999L, 1498.50m, "item 999" }, result.Rows[999].ToArray());
    }

    [LiveSparkFact]
    public async Task An_unknown_table_reports_sparks_error_class()
    {
        var error = await Assert.ThrowsAsync<SparkException>(() => _client.SqlAsync("SELECT * FROM medallion_no_such_table"));

        Assert.Equal("TABLE_OR_VIEW_NOT_FOUND", error.ErrorClass);
        Assert.Equal("42P01", error.SqlState);
    }

    /// <summary>
    /// The quickstart with its gold models on the real Spark, run twice (the second run incremental), holds the tables
    /// DuckDB builds. Spark writes the project's lake in the system's temporary folder, so it runs on this machine (or
    /// sees that folder at the same path) with Delta Lake on its classpath.
    /// </summary>
    [LiveSparkFact]
    public async Task Quickstart_gold_models_on_spark_hold_the_tables_duckdb_builds()
    {
        string remote = Environment.GetEnvironmentVariable(LiveSparkFactAttribute.Variable)!;
        using SparkProject spark = SparkModelTests.WithGoldModels(await SparkProject.CreateAsync(remote), onSpark: true);
        using SparkProject duckDb = SparkModelTests.WithGoldModels(await SparkProject.CreateAsync(remote: null), onSpark: false);
        foreach (string day in (string[])["", SparkModelTests.SecondDayFile])
        {
            if (day.Length > 0)
            {
                spark.Write("data/orders/orders_2026-01-02.csv", day);
                duckDb.Write("data/orders/orders_2026-01-02.csv", day);
            }

            Pipelines.Running.RunResult run = await spark.RunAsync();
            Assert.True(run.Succeeded, run.Error);
            Assert.True((await duckDb.RunAsync()).Succeeded);
            Assert.Equal(await SparkModelTests.TablesAsync(duckDb), await SparkModelTests.TablesAsync(spark));
        }
    }
}
