using System.IO;
using System.Threading.Tasks;

namespace Medallion.Storage.Tests;

/// <summary>What every remote store (S3, Azure) adds to the contract: its local mirror in the object cache.</summary>
public abstract class RemoteObjectStoreContractTests : ObjectStoreContractTests
{
    private RemoteObjectStore Remote => (RemoteObjectStore)Store;

    [Fact]
    public async Task Fetching_a_missing_object_fails_with_not_found()
    {
        var e = await Assert.ThrowsAsync<MedallionException>(() => Remote.FetchToLocalAsync(["data/missing.parquet"]));

        Assert.Equal(ErrorCode.StorageObjectNotFound, e.Code);
        Assert.Equal($"Object 'data/missing.parquet' does not exist in '{Store.Location}'.", e.Message);
    }

    [Fact]
    public async Task A_cached_data_file_is_read_from_the_cache_without_asking_the_store_again()
    {
        await Store.PutAsync("data/a.parquet", Bytes("first"));
        await Remote.FetchToLocalAsync(["data/a.parquet"]);
        // Data files are immutable: a changed object behind the cache's back shows that the cache was not revalidated.
        await Store.PutAsync("data/a.parquet", Bytes("second"));

        await Remote.FetchToLocalAsync(["data/a.parquet"]);

        Assert.Equal("first", await File.ReadAllTextAsync(Remote.GetLocalPath("data/a.parquet")));
    }

    [Fact]
    public async Task Deleting_an_object_also_deletes_its_copy_in_the_cache()
    {
        await Store.PutAsync("data/erased.parquet", Bytes("a person's rows"));
        await Remote.FetchToLocalAsync(["data/erased.parquet"]);

        await Store.DeleteAsync("data/erased.parquet");

        Assert.False(File.Exists(Remote.GetLocalPath("data/erased.parquet")));
        Assert.Null(await Store.GetInfoAsync("data/erased.parquet"));
    }

    [Fact]
    public async Task A_cached_log_file_whose_size_changed_in_the_store_is_fetched_again()
    {
        await Store.PutAsync("_delta_log/00000000000000000010.checkpoint.parquet", Bytes("old"));
        await Remote.FetchToLocalAsync(["_delta_log/00000000000000000010.checkpoint.parquet"]);
        await Store.PutAsync("_delta_log/00000000000000000010.checkpoint.parquet", Bytes("rewritten"));

        await Remote.FetchToLocalAsync(["_delta_log/00000000000000000010.checkpoint.parquet"]);

        Assert.Equal("rewritten", await File.ReadAllTextAsync(Remote.GetLocalPath("_delta_log/00000000000000000010.checkpoint.parquet")));
    }
}
