using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Storage.S3;

namespace Medallion.Storage.Tests;

/// <summary>The object cache's bound: least recently used files go first, files just used stay.</summary>
public sealed class ObjectCacheTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Trimming_a_cache_over_its_bound_deletes_the_least_recently_used_files_first()
    {
        var cache = new ObjectCache(_directory.Path, maxSizeBytes: 250);
        string folder = cache.FolderFor("s3://lake/shop");
        // Four files of 100 bytes, last used one, two, three and four hours ago.
        for (int hours = 1; hours <= 4; hours++)
        {
            Cached(folder, $"part-{hours}.parquet", 100, TimeSpan.FromHours(hours));
        }

        long left = cache.Trim();

        Assert.Equal(200, left);
        Assert.Equal(["part-1.parquet", "part-2.parquet"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Trimming_keeps_the_files_used_within_the_grace_period_even_over_the_bound()
    {
        var cache = new ObjectCache(_directory.Path, maxSizeBytes: 150);
        string folder = cache.FolderFor("s3://lake/shop");
        Cached(folder, "scanned-now.parquet", 100, TimeSpan.FromMinutes(1));
        Cached(folder, "uploading.parquet", 100, TimeSpan.Zero);
        Cached(folder, "old.parquet", 100, TimeSpan.FromDays(2));

        long left = cache.Trim();

        Assert.Equal(200, left);
        Assert.False(File.Exists(Path.Combine(folder, "old.parquet")));
        Assert.True(File.Exists(Path.Combine(folder, "scanned-now.parquet")));
        Assert.True(File.Exists(Path.Combine(folder, "uploading.parquet")));
    }

    [Fact]
    public async Task Fetching_past_the_bound_evicts_the_least_recently_used_files_of_other_stores_too()
    {
        // A bound of 64 KiB: a fetch of 16 KiB is an eighth of it, which trims the cache.
        S3ObjectStore store = Moto.NewStore(_directory.Path, maxCacheBytes: 64 << 10);
        string otherFolder = store.Cache.FolderFor("s3://other/lake");
        Cached(otherFolder, "old.parquet", 60 << 10, TimeSpan.FromHours(3));
        await store.PutAsync("data/new.parquet", new byte[16 << 10]);

        await store.FetchToLocalAsync(["data/new.parquet"]);

        Assert.False(File.Exists(Path.Combine(otherFolder, "old.parquet")));
        Assert.Equal(16 << 10, new FileInfo(store.GetLocalPath("data/new.parquet")).Length);
    }

    private static void Cached(string folder, string name, int bytes, TimeSpan usedAgo)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, new byte[bytes]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - usedAgo);
    }
}
