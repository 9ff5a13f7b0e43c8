using Microsoft.Data.Sqlite;

namespace Medallion.Catalog.Tests;

/// <summary>A catalog file damaged while a store has it open: reads and writes fail with a coded error naming the file, never SQLite's bare exception.</summary>
public sealed class CatalogDamageTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("catalog-damage");
    private CatalogStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_dir.Path));
        await _store.Runs.StartRunAsync("silver.orders");
        // What a failing disk or a stray copy leaves: the file no longer starts as a SQLite database.
        SqliteConnection.ClearAllPools();
        await File.WriteAllTextAsync(_store.Path, new string('#', 8192));
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_read_of_a_damaged_catalog_fails_as_corrupt_naming_the_file()
    {
        MedallionException e = await Assert.ThrowsAsync<MedallionException>(() => _store.Runs.ListRunsAsync());

        Assert.Equal(ErrorCode.CatalogCorrupt, e.Code);
        Assert.StartsWith($"The catalog '{_store.Path}' is damaged or is not a Medallion catalog: ", e.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(e.InnerException);
    }

    [Fact]
    public async Task A_write_to_a_damaged_catalog_fails_as_corrupt_and_is_not_transient()
    {
        MedallionException e = await Assert.ThrowsAsync<MedallionException>(() => _store.Runs.StartRunAsync("gold.revenue"));

        Assert.Equal(ErrorCode.CatalogCorrupt, e.Code);
        Assert.Contains("Help: restore it from a backup.", e.Message, StringComparison.Ordinal);
        Assert.False(e.IsTransient);
    }
}
