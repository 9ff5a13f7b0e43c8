using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Pipelines.Tests;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Medallion.Server.Tests;

/// <summary>
/// The first start of a server on a project without users: the server adds an operator and admin <c>admin</c> through the
/// access service, audited, whose generated password is kept for its owner only; later starts leave the users alone.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FirstAdminTests : IDisposable
{
    private readonly TestProject _files = new("name: shop\nstorage: lake\n");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _files.Dispose();
    }

    private MedallionServerOptions Options => new()
    {
        ProjectDirectory = _files.Directory,
        HttpPort = 0,
        Sql = new SqlEndpointOptions { Port = 0 },
        Grace = TimeSpan.FromSeconds(5),
        FirstAdmin = true,
    };

    [Fact]
    public async Task A_first_start_without_users_adds_an_operator_admin_who_signs_in_with_the_password_in_an_owner_only_file_and_reads_its_audited_creation()
    {
        await using MedallionServer server = await MedallionServer.StartAsync(Options);

        string password = Assert.IsType<string>(server.FirstAdminPassword);
        string file = FirstAdmin.PasswordFile(_files.Directory);
        Assert.Equal(password + "\n", await File.ReadAllTextAsync(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal("server|user.add|admin|ok|{\"roles\":[\"operator\"],\"admin\":true}", await WaitForAuditAsync(server, password));
    }

    [Fact]
    public async Task A_start_on_a_project_with_users_adds_no_admin_and_writes_no_password()
    {
        await using (CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_files.Directory)))
        {
            await catalog.Identity.SetUserAsync("ana", PgUserStore.CreateScramVerifier("ana-secret"));
        }

        await using MedallionServer server = await MedallionServer.StartAsync(Options);

        Assert.Null(server.FirstAdminPassword);
        Assert.False(File.Exists(FirstAdmin.PasswordFile(_files.Directory)));
        await using CatalogStore reopened = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_files.Directory));
        Assert.Equal(["ana"], (await reopened.Identity.ListUsersAsync()).Select(u => u.Name));
    }

    [Fact]
    public async Task Two_servers_starting_together_on_a_project_without_users_add_one_admin_and_leave_its_working_password_in_the_file()
    {
        MedallionServer[] servers = await Task.WhenAll(MedallionServer.StartAsync(Options), MedallionServer.StartAsync(Options));
        try
        {
            string password = Assert.Single(servers.Select(s => s.FirstAdminPassword).OfType<string>());
            Assert.Equal(password + "\n", await File.ReadAllTextAsync(FirstAdmin.PasswordFile(_files.Directory)));
            Assert.Equal(["admin-password"], Directory.GetFiles(Path.GetDirectoryName(FirstAdmin.PasswordFile(_files.Directory))!, "admin-password*").Select(Path.GetFileName));
        }
        finally
        {
            foreach (MedallionServer server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>The server's admin events, read over the SQL endpoint as the new admin, once written (a second or so after the act).</summary>
    private static async Task<string> WaitForAuditAsync(MedallionServer server, string password)
    {
        const string Expected = "server|user.add|admin|ok|{\"roles\":[\"operator\"],\"admin\":true}";
        DateTime deadline = DateTime.UtcNow.AddSeconds(90);
        string? seen = null;
        while (seen != Expected && DateTime.UtcNow < deadline)
        {
            await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={server.PgPort};Username={FirstAdmin.UserName};Password={password};Database=shop;Pooling=false;Timeout=60");
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT string_agg(concat_ws('|', channel, action, target, outcome, details), ';') FROM medallion_audit.events WHERE kind = 'admin'", connection);
            try
            {
                seen = await command.ExecuteScalarAsync() as string;
            }
            catch (PostgresException missing) when (missing.SqlState == "42P01")
            {
                // The audit table is written with its first event.
            }

            if (seen != Expected)
            {
                await Task.Delay(200);
            }
        }

        return seen ?? "(no admin event)";
    }
}
