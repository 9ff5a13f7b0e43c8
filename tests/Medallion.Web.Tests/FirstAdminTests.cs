using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Server;

namespace Medallion.Web.Tests;

/// <summary>The first start of a project without users: an operator <c>admin</c> whose generated password is kept for its owner only.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FirstAdminTests : IDisposable
{
    private readonly TempDirectory _project = new();

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task A_catalog_without_users_gets_an_operator_admin_whose_password_is_in_an_owner_only_file()
    {
        await using CatalogStore catalog = await CatalogStore.OpenAsync(Path.Combine(_project.Path, ".medallion", "catalog.db"));

        string? password = await FirstAdmin.EnsureAsync(catalog, _project.Path);

        string file = FirstAdmin.PasswordFile(_project.Path);
        Assert.NotNull(password);
        Assert.Equal(password + "\n", await File.ReadAllTextAsync(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(ServerRole.Operator, (await catalog.FindUserAsync(FirstAdmin.UserName))!.Role);
        Assert.True(PgUserStore.VerifyPassword(await catalog.FindUserVerifierAsync(FirstAdmin.UserName), password));
    }

    [Fact]
    public async Task A_catalog_with_a_user_is_left_alone()
    {
        await using CatalogStore catalog = await CatalogStore.OpenAsync(Path.Combine(_project.Path, ".medallion", "catalog.db"));
        await catalog.SetUserAsync("ana", PgUserStore.CreateScramVerifier("ana-secret"));

        string? password = await FirstAdmin.EnsureAsync(catalog, _project.Path);

        Assert.Null(password);
        Assert.Equal(["ana"], (await catalog.ListUsersAsync()).Select(u => u.Name));
        Assert.False(File.Exists(FirstAdmin.PasswordFile(_project.Path)));
    }
}
