using System.Globalization;

namespace Medallion.Engine.Tests.Writing;

public sealed class CheckpointWriteTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static string Conformance(string relative)
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "conformance", "delta");
            if (File.Exists(Path.Combine(candidate, "MANIFEST.json")))
            {
                return Path.Combine(candidate, relative);
            }
        }

        throw new InvalidOperationException("shared/conformance/delta was not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task A_checkpoint_is_written_every_ten_commits_and_replaces_the_commits_before_it()
    {
        string path = _f.TablePath();
        DeltaOperationResult last = null!;
        for (int i = 0; i < 12; i++)
        {
            last = await _f.Writer.WriteAsync(path, $"SELECT {i} AS id, 'p{i % 2}' AS p", new DeltaWriteOptions { PartitionBy = ["p"] });
        }

        Assert.Equal(11, last.Version);
        string log = Path.Combine(path, "_delta_log");
        Assert.True(File.Exists(Path.Combine(log, "00000000000000000010.checkpoint.parquet")));
        Assert.Contains("\"version\":10", File.ReadAllText(Path.Combine(log, "_last_checkpoint")), StringComparison.Ordinal);

        // The checkpoint alone must reconstruct version 10: drop the commits before it.
        for (int v = 0; v < 10; v++)
        {
            File.Delete(Path.Combine(log, v.ToString("D20", CultureInfo.InvariantCulture) + ".json"));
        }

        List<string> rows = await _f.ReadAsync(path, columns: "id");
        Assert.Equal(12, rows.Count);
        Assert.Equal(11, (await _f.SnapshotAsync(path, 10)).Files.Count);
    }

    [Fact]
    public async Task Checkpoint_interval_property_is_honoured()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long") { Properties = new Dictionary<string, string> { ["delta.checkpointInterval"] = "2" } });
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id");
        DeltaOperationResult second = await _f.Writer.WriteAsync(path, "SELECT 2 AS id");

        Assert.Equal(2, second.CheckpointVersion);
        Assert.True(File.Exists(Path.Combine(path, "_delta_log", "00000000000000000002.checkpoint.parquet")));
    }

    [Fact]
    public async Task Checkpoint_columns_and_types_match_a_spark_written_checkpoint()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long") { Properties = new Dictionary<string, string> { ["delta.checkpointInterval"] = "1" } });
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id");

        string ours = Path.Combine(path, "_delta_log", "00000000000000000001.checkpoint.parquet");
        string spark = Conformance("golden-basic-with-inserts-deletes-checkpoint/table/_delta_log/00000000000000000010.checkpoint.parquet");
        Assert.True(File.Exists(spark), spark);
        Assert.Equal(Describe(spark), Describe(ours));
    }

    [Fact]
    public async Task Checkpoint_holds_protocol_metadata_txn_and_live_files_with_data_change_false()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long") { Properties = new Dictionary<string, string> { ["delta.checkpointInterval"] = "3" } });
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id", new DeltaWriteOptions { ApplicationId = "app", ApplicationVersion = 4 });
        await _f.Writer.WriteAsync(path, "SELECT 2 AS id");
        await _f.Writer.DeleteAsync(path, "id = 1");

        string ck = Path.Combine(path, "_delta_log", "00000000000000000003.checkpoint.parquet").Replace("'", "''", StringComparison.Ordinal);
        List<string> counts = _f.Query($"SELECT count(add), count(remove), count(metaData), count(protocol), count(txn), bool_or(add.dataChange) FROM read_parquet('{ck}')");
        Assert.Equal(["1|1|1|1|1|False"], counts);
        Assert.Equal(["app|4"], _f.Query($"SELECT txn.appId, txn.version FROM read_parquet('{ck}') WHERE txn IS NOT NULL"));
    }

    [Fact]
    public async Task A_checkpoint_carries_the_tombstones_of_the_checkpoint_before_it()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id");
        await _f.Writer.WriteAsync(path, "SELECT 2 AS id");
        await _f.Writer.DeleteAsync(path, "id = 1");
        await _f.Writer.CheckpointAsync(path);
        await _f.Writer.WriteAsync(path, "SELECT 3 AS id");
        await _f.Writer.CheckpointAsync(path);

        string ck = Path.Combine(path, "_delta_log", "00000000000000000003.checkpoint.parquet").Replace("'", "''", StringComparison.Ordinal);
        Assert.Equal(["1|2"], _f.Query($"SELECT count(remove), count(add) FROM read_parquet('{ck}')"));
    }

    private List<string> Describe(string parquet) =>
        _f.Query($"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{parquet.Replace("'", "''", StringComparison.Ordinal)}'))");
}
