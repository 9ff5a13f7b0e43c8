using Medallion.Delta.Snapshots;

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
