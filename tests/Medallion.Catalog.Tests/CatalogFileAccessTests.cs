using System.Runtime.Versioning;
using Microsoft.Data.Sqlite;

namespace Medallion.Catalog.Tests;

/// <summary>The catalog holds SCRAM verifiers: only its owner may read it (issue #23, finding 8). Unix file modes: Linux and macOS.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class CatalogFileAccessTests : IDisposable
{
    private const string Verifier = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$c3RvcmVka2V5:c2VydmVya2V5";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_new_catalog_its_write_ahead_log_and_its_folder_are_for_their_owner_only()
    {
        await using CatalogStore store = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_dir.Path));
        await store.Identity.SetUserAsync("analyst", Verifier);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(_dir.Path, ".medallion")));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(store.Path));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(store.Path + "-wal"));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(store.Path + "-shm"));
    }

    [Fact]
    public async Task Opening_a_world_readable_catalog_makes_it_readable_by_its_owner_only_and_keeps_its_users()
    {
        string path = await CreateCatalogWithAUserAsync();
        File.SetUnixFileMode(path, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await using CatalogStore reopened = await CatalogStore.OpenAsync(path);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
        Assert.Equal(Verifier, await reopened.Identity.FindUserVerifierAsync("analyst"));
    }

    [Fact]
    public async Task Opening_a_catalog_its_group_may_write_keeps_the_group_and_drops_the_others()
    {
        string path = await CreateCatalogWithAUserAsync();
        UnixFileMode shared = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
        File.SetUnixFileMode(path, shared | UnixFileMode.OtherRead);

        await using CatalogStore reopened = await CatalogStore.OpenAsync(path);

        Assert.Equal(shared, File.GetUnixFileMode(path));
    }

    private async Task<string> CreateCatalogWithAUserAsync()
    {
        string path = Path.Combine(_dir.Path, "catalog.db");
        await using (CatalogStore store = await CatalogStore.OpenAsync(path))
        {
            await store.Identity.SetUserAsync("analyst", Verifier);
        }

        // Closing the last connection checkpoints and removes the -wal and -shm files, as after a finished command.
        SqliteConnection.ClearAllPools();
        return path;
    }
}
