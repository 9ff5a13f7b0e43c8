using Microsoft.Data.Sqlite;

namespace Medallion.Catalog.Tests;

public sealed class CatalogUserTests : IAsyncLifetime
{
    private const string Verifier = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$c3RvcmVka2V5:c2VydmVya2V5";

    private readonly TempDirectory _dir = new();
    private CatalogStore _store = null!;

    public async Task InitializeAsync() => _store = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_dir.Path));

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task An_added_user_is_found_by_name_with_its_verifier()
    {
        Assert.True(await _store.Identity.SetUserAsync("analyst", Verifier));

        Assert.Equal(Verifier, await _store.Identity.FindUserVerifierAsync("analyst"));
        Assert.Null(await _store.Identity.FindUserVerifierAsync("Analyst"));
    }

    [Fact]
    public async Task Setting_an_existing_user_replaces_its_verifier_and_keeps_one_row()
    {
        await _store.Identity.SetUserAsync("analyst", Verifier);
        string other = Verifier.Replace("4096", "8192", StringComparison.Ordinal);

        Assert.False(await _store.Identity.SetUserAsync("analyst", other));

        Assert.Equal(other, await _store.Identity.FindUserVerifierAsync("analyst"));
        Assert.Single(await _store.Identity.ListUsersAsync());
    }

    [Fact]
    public async Task A_plain_password_is_refused_and_nothing_is_stored()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.Identity.SetUserAsync("analyst", "s3cret-pass"));

        Assert.Empty(await _store.Identity.ListUsersAsync());
    }

    [Fact]
    public async Task The_users_table_refuses_a_plain_password_written_around_the_store()
    {
        using var connection = new SqliteConnection($"Data Source={_store.Path}");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "INSERT INTO users VALUES ('x', 's3cret-pass', '', '')";

        Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
    }

    [Fact]
    public async Task Users_are_listed_by_name_and_removed_one_at_a_time()
    {
        await _store.Identity.SetUserAsync("bi", Verifier);
        await _store.Identity.SetUserAsync("analyst", Verifier);

        Assert.Equal(["analyst", "bi"], (await _store.Identity.ListUsersAsync()).Select(u => u.Name));
        Assert.True(await _store.Identity.RemoveUserAsync("bi"));
        Assert.False(await _store.Identity.RemoveUserAsync("bi"));
        Assert.Equal(["analyst"], (await _store.Identity.ListUsersAsync()).Select(u => u.Name));
    }
}
