using System.Text;
using Medallion.Storage;

namespace Medallion.Engine.Tests.ObjectStores;

/// <summary>
/// The local files DuckDB reads and writes for a store's objects, run once per store: a local directory (the objects
/// themselves), moto (S3) and Azurite (Azure Blob), both through the object cache.
/// </summary>
public abstract class LocalMirrorTests
{
    /// <summary>A fresh, empty store of the kind under test.</summary>
    protected abstract Task<IObjectStore> NewStoreAsync();

    [Fact]
    public async Task A_published_local_file_becomes_the_object_and_a_fetched_object_its_local_file()
    {
        IObjectStore store = await NewStoreAsync();
        LocalMirror mirror = LocalMirror.Of(store);
        string written = mirror.PathOf("data/part-0.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(written)!);
        await File.WriteAllTextAsync(written, "parquet bytes");

        await mirror.PublishAsync(["data/part-0.parquet"]);
        await store.PutAsync("data/part-1.parquet", Encoding.UTF8.GetBytes("other bytes"));
        await mirror.FetchAsync(["data/part-1.parquet"]);

        Assert.Equal("parquet bytes", Encoding.UTF8.GetString(await store.ReadAllAsync("data/part-0.parquet")));
        Assert.Equal("other bytes", await File.ReadAllTextAsync(mirror.PathOf("data/part-1.parquet")));
        Assert.StartsWith(mirror.Root + Path.DirectorySeparatorChar, mirror.PathOf("data/part-1.parquet"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_that_is_not_a_valid_relative_key_has_no_local_file()
    {
        LocalMirror mirror = LocalMirror.Of(await NewStoreAsync());

        var e = Assert.Throws<MedallionException>(() => mirror.PathOf("data/../../outside.parquet"));

        Assert.Equal(ErrorCode.StorageInvalidKey, e.Code);
    }
}

public sealed class LocalStoreMirrorTests : LocalMirrorTests, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "medallion-mirror-" + Guid.NewGuid().ToString("N"));

    protected override Task<IObjectStore> NewStoreAsync() => Task.FromResult<IObjectStore>(new LocalObjectStore(_root));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public void A_local_stores_files_are_its_objects_in_place()
    {
        LocalMirror mirror = LocalMirror.Of(new LocalObjectStore(_root));

        Assert.Equal(_root, mirror.Root);
        Assert.Equal(Path.Combine(_root, "a", "b.parquet"), mirror.PathOf("a/b.parquet"));
    }

    [Fact]
    public async Task Fetching_from_a_local_store_copies_nothing_and_leaves_a_missing_file_to_its_reader()
    {
        LocalMirror mirror = LocalMirror.Of(new LocalObjectStore(_root));

        await mirror.FetchAsync(["data/missing.parquet"]);

        Assert.False(Directory.Exists(_root));
    }
}

public sealed class S3StoreMirrorTests : LocalMirrorTests
{
    protected override async Task<IObjectStore> NewStoreAsync() => StorageResolver.Default.OpenStore(await TestObjectStores.NewTableAsync("s3"));

    [Fact]
    public async Task A_remote_stores_local_files_are_in_the_object_cache()
    {
        LocalMirror mirror = LocalMirror.Of(await NewStoreAsync());

        Assert.StartsWith(TestObjectStores.CacheDirectory + Path.DirectorySeparatorChar, mirror.Root, StringComparison.Ordinal);
    }
}

public sealed class AzureStoreMirrorTests : LocalMirrorTests
{
    protected override async Task<IObjectStore> NewStoreAsync() => StorageResolver.Default.OpenStore(await TestObjectStores.NewTableAsync("az"));
}
