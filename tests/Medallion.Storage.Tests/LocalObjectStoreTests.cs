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
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task An_object_and_the_folders_made_for_it_are_readable_by_their_owner_only()
    {
        await _store.PutIfAbsentAsync("silver/customers/_delta_log/00000000000000000000.json", Bytes("{}"));
        await _store.PutAsync("silver/customers/part-0.parquet", Bytes("PAR1"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_store.GetLocalPath("silver/customers/_delta_log/00000000000000000000.json")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_store.GetLocalPath("silver/customers/part-0.parquet")));
        foreach (string folder in new[] { "silver", "silver/customers", "silver/customers/_delta_log" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(_dir.Path, folder)));
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task In_a_folder_shared_with_its_group_the_group_reads_what_the_store_writes_and_others_do_not()
    {
        File.SetUnixFileMode(_dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.SetGroup);

        await _store.PutAsync("gold/revenue/part-0.parquet", Bytes("PAR1"));

        UnixFileMode file = File.GetUnixFileMode(_store.GetLocalPath("gold/revenue/part-0.parquet"));
        UnixFileMode folder = File.GetUnixFileMode(Path.Combine(_dir.Path, "gold"));
        Assert.True((file & UnixFileMode.GroupRead) != 0 && (folder & UnixFileMode.GroupExecute) != 0, $"{file} {folder}");
        Assert.Equal((UnixFileMode)0, (file | folder) & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute));
    }

    [Fact]
    public void A_keys_local_path_is_its_file_below_the_store_directory()
    {
        Assert.Equal(_dir.Path, _store.Location);
        Assert.Equal(Path.Combine(_dir.Path, "a", "b.parquet"), _store.GetLocalPath("a/b.parquet"));
    }
}
