using Medallion.Spark;

namespace Medallion.Pipelines.Tests;

public sealed class SparkConnectionLoadingTests : IDisposable
{
    private readonly TestProject _project = new();

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task A_spark_connect_connection_loads_with_its_token_from_the_environment()
    {
        _project.Write("medallion.yml", "name: shop\nconnections:\n  cluster:\n    type: spark_connect\n    remote: sc://spark.example.com:443/;token=${SPARK_TOKEN};x-databricks-cluster-id=0123-abc\n");

        MedallionProject project = await _project.LoadAsync(name => name == "SPARK_TOKEN" ? "dapi-s3cret" : null);

        SparkConnectRemote remote = SparkConnectRemote.Parse(project.Connections["cluster"].Settings["remote"]);
        Assert.Equal(("spark.example.com", 443, true, "dapi-s3cret"), (remote.Host, remote.Port, remote.UseTls, remote.Token));
    }

    [Fact]
    public async Task A_malformed_remote_is_refused_at_its_file_line_and_column()
    {
        _project.Write("medallion.yml", "name: shop\nconnections:\n  cluster:\n    type: spark_connect\n    remote: sc://spark.example.com:99999\n");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());

        Assert.Equal(ErrorCode.SparkRemoteInvalid, error.Code);
        Assert.Equal(new SourceLocation("medallion.yml", 5, 13), error.Location);
        Assert.Equal("medallion.yml:5:13: 'remote' of connection 'cluster' is refused. The Spark Connect address is invalid: its port '99999' is not a number from 1 to 65535.", error.Message);
    }

    [Fact]
    public async Task A_remote_that_sends_a_token_in_clear_text_is_refused_without_showing_the_token()
    {
        _project.Write("medallion.yml", "name: shop\nconnections:\n  cluster:\n    type: spark_connect\n    remote: sc://spark.example.com/;token=${SPARK_TOKEN};use_ssl=false\n");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync(name => name == "SPARK_TOKEN" ? "dapi-s3cret" : null));

        Assert.Equal(ErrorCode.SparkRemoteInvalid, error.Code);
        Assert.StartsWith("medallion.yml:5:13: 'remote' of connection 'cluster' is refused. The Spark Connect address is invalid: it sends a token to 'spark.example.com' with use_ssl=false", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("dapi-s3cret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spark_connect_connection_without_a_remote_says_what_to_write()
    {
        _project.Write("medallion.yml", "name: shop\nconnections:\n  cluster:\n    type: spark_connect\n    remot: sc://spark\n");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());

        Assert.Equal("medallion.yml:5:5: unknown key 'remot' in connection 'cluster'. Did you mean 'remote'? Expected one of: type, remote.", error.Message);
    }
}

public sealed class SparkEngineLoadingTests : IDisposable
{
    private const string Cluster = "  cluster:\n    type: spark_connect\n    remote: sc://spark.example.com:443/;token=t\n";
    private readonly TestProject _project = new();

    public void Dispose() => _project.Dispose();

    private TestProject Settings(string connections) => _project.Write("medallion.yml", "name: shop\nconnections:\n" + connections);

    private TestProject Model(string config) => _project.Write("models/gold/revenue.sql", $"/* ---\n{config}\n--- */\nSELECT 1 AS one\n");

    [Fact]
    public async Task A_spark_model_without_a_connection_runs_on_the_projects_only_spark_connect_connection()
    {
        Settings(Cluster + "  shop_db:\n    type: postgres\n    host: localhost\n");
        Model("engine: spark");

        MedallionProject project = await _project.LoadAsync();

        Assert.Equal(new EngineChoice(ModelEngine.Spark, "cluster", new SourceLocation("models/gold/revenue.sql", 2, 9)), project.Models.Single().Config.Engine);
    }

    [Fact]
    public async Task An_unknown_engine_is_refused_at_its_value_with_the_engines_there_are()
    {
        Settings(Cluster);
        Model("engine: sprak");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());

        Assert.Equal("models/gold/revenue.sql:2:9: 'engine' cannot be 'sprak'. Did you mean 'spark'? Expected one of: duckdb, spark.", error.Message);
    }

    [Fact]
    public async Task A_spark_model_in_a_project_without_a_spark_connect_connection_is_refused_at_its_engine()
    {
        _project.Write("medallion.yml", "name: shop\n");
        Model("materialized: table\nengine: spark");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());

        Assert.Equal((ErrorCode.SparkModelInvalid, new SourceLocation("models/gold/revenue.sql", 3, 9)), (error.Code, error.Location));
        Assert.StartsWith("models/gold/revenue.sql:3:9: model gold.revenue runs on Spark, but medallion.yml has no connection of type spark_connect to run it on.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spark_model_in_a_project_with_two_spark_connect_connections_must_name_one()
    {
        Settings(Cluster + "  databricks:\n    type: spark_connect\n    remote: sc://dbc.example.com:443/;token=t\n");
        Model("engine: spark");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());

        Assert.Equal("models/gold/revenue.sql:2:9: model gold.revenue runs on Spark, and medallion.yml has 2 spark_connect connections (cluster, databricks). Expected 'connection: <name>' naming one.", error.Message);
    }

    [Fact]
    public async Task A_spark_model_naming_a_connection_of_another_type_is_refused_at_the_name()
    {
        Settings(Cluster + "  shop_db:\n    type: postgres\n    host: localhost\n");
        Model("engine: spark\nconnection: shop_db");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());

        Assert.Equal((ErrorCode.SparkModelInvalid, new SourceLocation("models/gold/revenue.sql", 3, 13)), (error.Code, error.Location));
        Assert.StartsWith("models/gold/revenue.sql:3:13: model gold.revenue runs on Spark through connection 'shop_db', which is of type postgres", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spark_model_with_an_interval_column_is_refused_since_only_duckdb_replaces_intervals()
    {
        Settings(Cluster);
        Model("engine: spark\nmaterialized: append\ninterval_column: order_date");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());

        Assert.Equal((ErrorCode.SparkModelInvalid, new SourceLocation("models/gold/revenue.sql", 4, 18)), (error.Code, error.Location));
    }

    [Fact]
    public async Task A_job_with_engine_spark_names_the_connection_its_models_run_on()
    {
        Settings(Cluster);
        Model("materialized: table");
        _project.Write("jobs/gold.yml", "jobs:\n  - name: gold\n    select: gold.revenue\n    engine: spark\n    connection: cluster\n");

        MedallionProject project = await _project.LoadAsync();

        Assert.Equal((ModelEngine.Spark, "cluster"), (project.Jobs.Single().Engine!.Engine, project.Jobs.Single().Engine!.SparkConnection));
    }

    [Fact]
    public async Task A_job_naming_a_connection_without_an_engine_is_refused()
    {
        Settings(Cluster);
        Model("materialized: table");
        _project.Write("jobs/gold.yml", "jobs:\n  - name: gold\n    select: gold.revenue\n    connection: cluster\n");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());

        Assert.Equal("jobs/gold.yml:4:17: 'connection' of job 'gold' names the connection an engine runs on, and job 'gold' has no 'engine'. Expected 'engine: spark' beside it.", error.Message);
    }
}
