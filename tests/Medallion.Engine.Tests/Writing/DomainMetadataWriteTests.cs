namespace Medallion.Engine.Tests.Writing;

public sealed class DomainMetadataWriteTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static DeltaWriteOptions Domain(string configuration) =>
        new() { DomainMetadata = new Dictionary<string, string> { ["medallion.files"] = configuration } };

    [Fact]
    public async Task A_write_commits_its_domain_metadata_with_the_rows()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id", Domain("""{"files":["a.csv"]}"""));
        await _f.Writer.WriteAsync(path, "SELECT 2 AS id", Domain("""{"files":["a.csv","b.csv"]}"""));

        Assert.Equal("""{"files":["a.csv","b.csv"]}""", (await _f.SnapshotAsync(path)).DomainMetadata["medallion.files"]);
        Assert.Equal("""{"files":["a.csv"]}""", (await _f.SnapshotAsync(path, 0)).DomainMetadata["medallion.files"]);
    }

    [Fact]
    public async Task The_first_domain_on_an_existing_table_upgrades_its_protocol_to_list_the_feature()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id");
        Assert.True((await _f.SnapshotAsync(path)).Protocol.MinWriterVersion < 7);

        await _f.Writer.WriteAsync(path, "SELECT 2 AS id", Domain("{}"));

        Medallion.Delta.Actions.Protocol protocol = (await _f.SnapshotAsync(path)).Protocol;
        Assert.Equal(7, protocol.MinWriterVersion);
        Assert.Contains("domainMetadata", protocol.WriterFeatures ?? []);
        Assert.Equal(["1", "2"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Domain_metadata_survives_a_checkpoint()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id", Domain("kept"));
        await _f.Writer.CheckpointAsync(path);
        File.Delete(Path.Combine(path, "_delta_log", "00000000000000000000.json"));

        Assert.Equal("kept", (await _f.SnapshotAsync(path)).DomainMetadata["medallion.files"]);
    }

    [Fact]
    public async Task A_write_refuses_a_domain_reserved_for_the_protocol()
    {
        var options = new DeltaWriteOptions { DomainMetadata = new Dictionary<string, string> { ["delta.rowTracking"] = "{}" } };

        var e = await Assert.ThrowsAsync<ArgumentException>(() => _f.Writer.WriteAsync(_f.TablePath(), "SELECT 1 AS id", options));

        Assert.Contains("delta.rowTracking", e.Message, StringComparison.Ordinal);
    }
}
