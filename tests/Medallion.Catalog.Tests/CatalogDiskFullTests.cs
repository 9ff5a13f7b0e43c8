using Microsoft.Data.Sqlite;

namespace Medallion.Catalog.Tests;

/// <summary>A catalog whose disk fills while it is open (a small tmpfs): each write fails with a coded error, the file stays whole, and writes succeed once space returns.</summary>
public sealed class CatalogDiskFullTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("catalog-full");
    private TmpfsMount _disk = null!;
    private CatalogStore _store = null!;

    public async Task InitializeAsync()
    {
        _disk = new TmpfsMount(Path.Combine(_dir.Path, "disk"), 2 * 1024);
        _store = await CatalogStore.OpenAsync(Path.Combine(_disk.Path, "catalog.db"));
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _disk.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_write_to_a_catalog_whose_disk_is_full_fails_naming_the_catalog_and_the_next_one_after_space_returns_succeeds()
    {
        RunRecord first = await _store.Runs.StartRunAsync("silver.orders");
        string filler = _disk.Fill("filler", leaveBytes: 0);

        MedallionException e = await Assert.ThrowsAsync<MedallionException>(async () =>
        {
            // Writes until the write-ahead log needs a page the disk does not have.
            for (int i = 0; i < 10_000; i++)
            {
                await _store.Runs.AppendRunLogAsync(first.Id, null, "info", new string('x', 2000) + i);
            }
        });

        Assert.Equal(ErrorCode.CatalogWriteFailed, e.Code);
        Assert.Equal($"Could not write to the catalog '{_store.Path}': no space left on device.\nHelp: free space on the disk that holds it (or make it writable) and run again; the write was not recorded and the catalog is unchanged.", e.Message);
        File.Delete(filler);
        RunRecord second = await _store.Runs.StartRunAsync("gold.revenue");
        Assert.Equal([second.Id, first.Id], (await _store.Runs.ListRunsAsync()).Select(r => r.Id));
        using var connection = new SqliteConnection($"Data Source={_store.Path};Pooling=False");
        connection.Open();
        using SqliteCommand check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", check.ExecuteScalar());
    }
}
