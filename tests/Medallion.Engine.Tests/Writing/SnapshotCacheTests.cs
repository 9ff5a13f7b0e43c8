using Medallion.Delta.Snapshots;
using Medallion.DuckDb;

namespace Medallion.Engine.Tests.Writing;

/// <summary>Writers sharing a <see cref="DeltaSnapshotCache"/> (what a scheduler's runs do) start from each other's snapshots but never miss a commit.</summary>
public sealed class SnapshotCacheTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task A_writer_sharing_a_cache_sees_the_commits_made_after_its_cached_snapshot()
    {
        var cache = new DeltaSnapshotCache();
        string path = _f.TablePath();
        var first = new DeltaWriter(_f.Connection) { Snapshots = cache };
        await first.WriteAsync(path, "SELECT 1 AS id");
        // A writer outside the cache commits twice: the cached snapshot is behind.
        await _f.Writer.WriteAsync(path, "SELECT 2 AS id");
        await _f.Writer.WriteAsync(path, "SELECT 3 AS id");

        var second = new DeltaWriter(_f.Connection) { Snapshots = cache };
        DeltaOperationResult result = await second.WriteAsync(path, "SELECT 4 AS id");

        Assert.Equal(3, result.Version);
        Assert.Equal(["1", "2", "3", "4"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task A_table_deleted_and_created_again_is_not_mistaken_for_the_cached_one()
    {
        var cache = new DeltaSnapshotCache();
        string path = _f.TablePath();
        var writer = new DeltaWriter(_f.Connection) { Snapshots = cache };
        await writer.WriteAsync(path, "SELECT 1 AS id");
        await writer.WriteAsync(path, "SELECT 2 AS id");
        Directory.Delete(path, recursive: true);
        await _f.Writer.WriteAsync(path, "SELECT 'new' AS name");

        Snapshot? snapshot = await new DeltaWriter(_f.Connection) { Snapshots = cache }.TryGetSnapshotAsync(path);

        Assert.Equal((0L, "struct<name:string>"), (snapshot!.Version, snapshot.Schema.ToString()));
    }

    [Fact]
    public async Task A_writer_checkpoints_a_snapshot_cached_by_a_reader_whose_connection_has_closed()
    {
        // A server's runs share one cache, and each step works on a connection of its own that it closes at its end: a
        // step loads the table from its checkpoint and the commits after it, and a later step's commit is due the next checkpoint.
        var cache = new DeltaSnapshotCache();
        string path = _f.TablePath();
        for (int i = 0; i <= 12; i++)
        {
            await _f.Writer.WriteAsync(path, $"SELECT {i} AS id", new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite });
        }

        using (DuckDbConnection step = _f.OpenConnection())
        {
            await new DeltaWriter(step) { Snapshots = cache }.TryGetSnapshotAsync(path);
        }

        using DuckDbConnection later = _f.OpenConnection();
        var writer = new DeltaWriter(later) { Snapshots = cache };
        DeltaOperationResult result = null!;
        for (int i = 13; i <= 20; i++)
        {
            result = await writer.WriteAsync(path, $"SELECT {i} AS id", new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite });
        }

        Assert.Equal((20L, "none"), (result.Version, result.Warnings.Count == 0 ? "none" : string.Join("; ", result.Warnings)));
        Assert.True(File.Exists(Path.Combine(path, "_delta_log", "00000000000000000020.checkpoint.parquet")));
    }

    [Fact]
    public async Task A_cache_keeps_only_the_snapshots_its_file_budget_holds()
    {
        var roomy = new DeltaSnapshotCache();
        var tight = new DeltaSnapshotCache(maxFiles: 1);

        foreach (DeltaSnapshotCache cache in new[] { roomy, tight })
        {
            var writer = new DeltaWriter(_f.Connection) { Snapshots = cache };
            foreach (string table in new[] { "a", "b" })
            {
                // A commit that is not due a checkpoint reads nothing back; the next read of the table caches it.
                await writer.WriteAsync(_f.TablePath(table + cache.MaxFiles), "SELECT 1 AS id");
                await writer.TryGetSnapshotAsync(_f.TablePath(table + cache.MaxFiles));
            }
        }

        Assert.Equal((2, 1), (roomy.Count, tight.Count));
    }
}
