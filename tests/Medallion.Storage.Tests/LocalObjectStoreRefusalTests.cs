using Medallion.TestSupport;

namespace Medallion.Storage.Tests;

/// <summary>
/// The local store where the file system refuses for good: a folder it may not write, a read-only file system, a file
/// where a folder must be. Each is a coded error naming the path and saying what to do, not transient (a retry cannot
/// help, only someone acting), and nothing is written.
/// </summary>
public sealed class LocalObjectStoreRefusalTests : IDisposable
{
    private const string Commit0 = "_delta_log/00000000000000000000.json";
    private const string Commit1 = "_delta_log/00000000000000000001.json";

    private readonly TempDirectory _root = new("store-refused");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task A_write_into_a_folder_the_process_may_not_write_fails_as_access_denied_naming_the_path()
    {
        string lake = Path.Combine(_root.Path, "lake");
        var store = new LocalObjectStore(lake);
        await store.PutIfAbsentAsync(Commit0, "{}\n"u8.ToArray());
        string log = Path.Combine(lake, "_delta_log");
        // Root (as the tests run) passes every permission bit; an immutable folder refuses even root (EPERM, which .NET
        // reports as it reports EACCES).
        RootCommand.Run("chattr", "+i", log);
        try
        {
            MedallionException e = await Assert.ThrowsAsync<MedallionException>(() => store.PutIfAbsentAsync(Commit1, "{}\n"u8.ToArray()));

            Assert.Equal(ErrorCode.StorageAccessDenied, e.Code);
            Assert.False(e.IsTransient);
            Assert.StartsWith($"Could not write '{Commit1}' in '{lake}': permission denied: Access to the path '{log}/", e.Message, StringComparison.Ordinal);
            Assert.EndsWith($"\nHelp: let the user running Medallion read and write '{lake}' and the folders in it (or give the project a storage location it may write).", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            RootCommand.Run("chattr", "-i", log);
        }

        Assert.Equal([Commit0], await store.ListAsync("_delta_log/").Select(o => o.Key).ToListAsync());
    }

    [Fact]
    public async Task A_write_to_a_read_only_file_system_fails_saying_so_and_reads_still_answer()
    {
        using var disk = new TmpfsMount(Path.Combine(_root.Path, "lake"), 1024);
        var store = new LocalObjectStore(disk.Path);
        await store.PutIfAbsentAsync(Commit0, "{}\n"u8.ToArray());
        disk.MakeReadOnly();

        MedallionException e = await Assert.ThrowsAsync<MedallionException>(() => store.PutIfAbsentAsync(Commit1, "{}\n"u8.ToArray()));

        Assert.Equal(ErrorCode.StorageIoFailed, e.Code);
        Assert.False(e.IsTransient);
        Assert.Equal($"Could not write '{Commit1}' in '{disk.Path}': the file system holding '{disk.Path}' is read-only.\nHelp: mount it read-write, or give the project a storage location on a writable disk.", e.Message);
        Assert.Equal("{}\n"u8.ToArray(), await store.ReadAllAsync(Commit0));
    }

    [Theory]
    [InlineData("")]
    [InlineData("_delta_log")]
    public async Task A_write_where_a_file_stands_in_place_of_a_folder_fails_naming_the_file(string file)
    {
        string lake = Path.Combine(_root.Path, "lake");
        string inTheWay = Path.Combine(lake, file).TrimEnd('/');
        Directory.CreateDirectory(Path.GetDirectoryName(inTheWay)!);
        await File.WriteAllTextAsync(inTheWay, "not a folder");
        var store = new LocalObjectStore(lake);

        MedallionException e = await Assert.ThrowsAsync<MedallionException>(() => store.PutIfAbsentAsync(Commit0, "{}\n"u8.ToArray()));

        Assert.Equal(ErrorCode.StorageIoFailed, e.Code);
        Assert.False(e.IsTransient);
        Assert.Equal($"Could not write '{Commit0}' in '{lake}': '{inTheWay}' is a file, where a folder is needed.\nHelp: move that file away, or give the project a storage location that is a folder.", e.Message);
        Assert.Equal("not a folder", await File.ReadAllTextAsync(inTheWay));
    }
}
