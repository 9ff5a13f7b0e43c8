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
