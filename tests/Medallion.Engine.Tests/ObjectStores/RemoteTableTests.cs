using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.Engine.Tests.Writing;
using Medallion.Storage;

namespace Medallion.Engine.Tests.ObjectStores;

/// <summary>
/// Delta tables on an object store, opened by URI with nothing but the standard environment variables: written
/// through local files uploaded before the commit, read through the object cache, and the same rows as on disk.
/// Run once on moto (S3) and once on Azurite (Azure Blob).
/// </summary>
public abstract class RemoteTableTests : IDisposable
{
    private readonly WriterFixture _f = new();

    /// <summary>"s3", "az" or "gs".</summary>
    protected abstract string Kind { get; }

    public void Dispose()
    {
        _f.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_table_created_written_updated_and_merged_by_uri_reads_back_each_version()
    {
        string uri = await TestObjectStores.NewTableAsync(Kind);
        await _f.Writer.CreateTableAsync(uri, new DeltaTableDefinition("id long NOT NULL, v string, p long") { PartitionBy = ["p"] });
        await _f.Writer.WriteAsync(uri, "SELECT i AS id, 'a' AS v, i % 2 AS p FROM range(3) t(i)");
        await _f.Writer.UpdateAsync(uri, "v = 'b'", "id = 1");
        await _f.Writer.MergeAsync(uri, new DeltaMergeOptions("SELECT 2 AS id, 'c' AS v, 0 AS p UNION ALL SELECT 7, 'c', 1", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
        });

        Assert.Equal(["0|a", "1|a", "2|a"], await _f.ReadAsync(uri, 1, "id, v"));
        Assert.Equal(["0|a", "1|b", "2|a"], await _f.ReadAsync(uri, 2, "id, v"));
        Assert.Equal(["0|a", "1|b", "2|c", "7|c"], await _f.ReadAsync(uri, null, "id, v"));
        Assert.Equal(3, (await _f.SnapshotAsync(uri)).Version);
    }

    [Fact]
    public async Task Data_files_are_in_the_store_at_the_commit_so_a_cold_cache_reads_the_same_rows()
    {
        string uri = await TestObjectStores.NewTableAsync(Kind);
        await _f.Writer.WriteAsync(uri, "SELECT i AS id FROM range(5) t(i)");
        Snapshot snapshot = await _f.SnapshotAsync(uri);

        IObjectStore store = StorageResolver.Default.OpenStore(uri);
        LocalMirror mirror = LocalMirror.Of(store);
        Directory.Delete(mirror.Root, recursive: true);

        Assert.All(snapshot.Files, f => Assert.NotNull(store.GetInfoAsync(f.Path).GetAwaiter().GetResult()));
        Assert.Equal(["0", "1", "2", "3", "4"], await _f.ReadAsync(uri));
        Assert.StartsWith(TestObjectStores.CacheDirectory, mirror.PathOf(snapshot.Files[0]), StringComparison.Ordinal);
        Assert.True(File.Exists(mirror.PathOf(snapshot.Files[0])));
    }

    [Fact]
    public async Task A_parquet_checkpoint_written_to_the_store_is_read_back_through_a_cold_cache()
    {
        string uri = await TestObjectStores.NewTableAsync(Kind);
        for (int i = 0; i < 3; i++)
        {
            await _f.Writer.WriteAsync(uri, $"SELECT {i}::BIGINT AS id");
        }

        DeltaOperationResult checkpoint = await _f.Writer.CheckpointAsync(uri);
        Directory.Delete(LocalMirror.Of(StorageResolver.Default.OpenStore(uri)).Root, recursive: true);

        Assert.Equal(2, checkpoint.CheckpointVersion ?? checkpoint.Version);
        Assert.NotNull(await StorageResolver.Default.OpenStore(uri).GetInfoAsync("_delta_log/00000000000000000002.checkpoint.parquet"));
        Assert.Equal(["0", "1", "2"], await _f.ReadAsync(uri));
    }

    [Fact]
    public async Task Vacuum_deletes_the_files_an_overwrite_removed_from_the_store()
    {
        string uri = await TestObjectStores.NewTableAsync(Kind);
        await _f.Writer.WriteAsync(uri, "SELECT 1::BIGINT AS id");
        string replaced = (await _f.SnapshotAsync(uri)).Files[0].Path;
        await _f.Writer.WriteAsync(uri, "SELECT 2::BIGINT AS id", new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite });

        DeltaOperationResult vacuum = await _f.Writer.VacuumAsync(uri, TimeSpan.Zero, force: true);

        Assert.Equal([replaced], vacuum.Paths);
        Assert.Null(await StorageResolver.Default.OpenStore(uri).GetInfoAsync(replaced));
        Assert.Equal(["2"], await _f.ReadAsync(uri));
    }

    [Fact]
    public async Task Two_writers_appending_at_once_each_get_their_own_versions_and_no_row_is_lost()
    {
        string uri = await TestObjectStores.NewTableAsync(Kind);
        await _f.Writer.CreateTableAsync(uri, new DeltaTableDefinition("id long"));
        using var other = new WriterFixture();

        // Both writers read version n and race for version n + 1 at each step: the loser rebases its blind append.
        for (int i = 0; i < 5; i++)
        {
            await Task.WhenAll(
                Task.Run(() => _f.Writer.WriteAsync(uri, $"SELECT {i}::BIGINT AS id")),
                Task.Run(() => other.Writer.WriteAsync(uri, $"SELECT {100 + i}::BIGINT AS id")));
        }

        Assert.Equal(10, (await _f.SnapshotAsync(uri)).Version);
        Assert.Equal(["0", "1", "100", "101", "102", "103", "104", "2", "3", "4"], await _f.ReadAsync(uri));
    }
}

public sealed class S3TableTests : RemoteTableTests
{
    protected override string Kind => "s3";
}

public sealed class AzureBlobTableTests : RemoteTableTests
{
    protected override string Kind => "az";
}

public sealed class GcsTableTests : RemoteTableTests
{
    protected override string Kind => "gs";
}
