using Medallion.TestSupport;

namespace Medallion.Storage.Tests;

/// <summary>The local store on a disk with no space left (a small tmpfs): a coded error, and nothing half-written.</summary>
public sealed class LocalObjectStoreDiskFullTests : IDisposable
{
    private readonly TempDirectory _root = new("store-full");
    private readonly TmpfsMount _disk;

    public LocalObjectStoreDiskFullTests() => _disk = new TmpfsMount(Path.Combine(_root.Path, "lake"), 1024);

    public void Dispose()
    {
        _disk.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task A_commit_file_that_does_not_fit_fails_saying_no_space_is_left_and_leaves_neither_it_nor_its_temporary_file()
    {
        var store = new LocalObjectStore(_disk.Path);
        await store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", "{}\n"u8.ToArray());
        _disk.Fill("filler", leaveBytes: 0);

        MedallionException e = await Assert.ThrowsAsync<MedallionException>(() => store.PutIfAbsentAsync("_delta_log/00000000000000000001.json", new byte[64 * 1024]));

        Assert.Equal(ErrorCode.StorageFull, e.Code);
        Assert.False(e.IsTransient);
        Assert.Equal($"Could not write '_delta_log/00000000000000000001.json' in '{_disk.Path}': no space left on device.\nHelp: free space on that disk (or grow it) and run again; nothing was committed.", e.Message);
        Assert.Equal(["00000000000000000000.json"], Directory.GetFiles(Path.Combine(_disk.Path, "_delta_log")).Select(Path.GetFileName));
    }
}
