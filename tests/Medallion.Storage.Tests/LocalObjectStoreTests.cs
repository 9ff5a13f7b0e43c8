using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace Medallion.Storage.Tests;

/// <summary>The store contract on a local directory, and what only the local store does.</summary>
public sealed class LocalObjectStoreTests : ObjectStoreContractTests, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LocalObjectStore _store;

    public LocalObjectStoreTests() => _store = new LocalObjectStore(_dir.Path);

    protected override IObjectStore Store => _store;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task List_reports_the_file_modification_time()
    {
        await _store.PutAsync("f", Bytes("12345"));
        var when = new DateTime(2020, 5, 1, 7, 47, 31, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(Path.Combine(_dir.Path, "f"), when);

        ObjectInfo info = await _store.ListAsync("").SingleAsync();

        Assert.Equal(new DateTimeOffset(when), info.LastModified);
    }

    [Fact]
    public void The_local_root_is_the_store_directory_itself()
    {
        Assert.Equal(_dir.Path, _store.LocalRoot);
        Assert.Equal(Path.Combine(_dir.Path, "a", "b.parquet"), _store.GetLocalPath("a/b.parquet"));
    }
}
