using Medallion.Ingestion.Tests;
using Npgsql;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion catalog migrate</c> and <c>catalog copy</c>, and a project served from a catalog in PostgreSQL (the test
/// server build/test-setup/postgres.sh starts), each test on a database of its own.
/// </summary>
public sealed class CatalogCommandLineTests : IAsyncLifetime
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-catalog-cmd-" + Guid.NewGuid().ToString("N"));

    public CatalogCommandLineTests()
    {
        Directory.CreateDirectory(Path.Combine(_project, "models", "silver"));
        WriteProjectFile(catalog: null);
        File.WriteAllText(Path.Combine(_project, "models", "silver", "people.sql"), """
            /* ---
            columns:
              email:
                classification: pii
            --- */
            SELECT 1 AS id, 'ana@example.com' AS email
            """);
    }

    private readonly List<PostgresDatabase> _databases = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        foreach (PostgresDatabase database in _databases)
        {
            await database.DisposeAsync();
        }

        Directory.Delete(_project, recursive: true);
    }

    private async Task<PostgresDatabase> NewDatabaseAsync()
    {
        var database = new PostgresDatabase();
        await database.InitializeAsync();
        _databases.Add(database);
        return database;
    }

    [Fact]
    public async Task Migrate_creates_a_new_catalog_at_the_latest_schema_and_says_so()
    {
        Cli.Result migrated = await Cli.RunAsync("catalog", "migrate", "--project", _project);

        Assert.Equal(0, migrated.ExitCode);
        Assert.Contains($"was created at schema version {Catalog.CatalogStore.LatestSchemaVersion}.", migrated.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_project, ".medallion", "catalog.db")));
    }

    [Fact]
    public async Task Migrate_leaves_a_current_catalog_as_it_is()
    {
        Assert.Equal(0, (await Cli.RunAsync("catalog", "migrate", "--project", _project)).ExitCode);

        Cli.Result again = await Cli.RunAsync("catalog", "migrate", "--project", _project);

        Assert.Equal(0, again.ExitCode);
        Assert.Contains($"was already at schema version {Catalog.CatalogStore.LatestSchemaVersion}; nothing to do.", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_catalog_copied_to_postgres_serves_the_same_runs_and_masks_the_same_way()
    {
        PostgresDatabase database = await NewDatabaseAsync();
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project)).ExitCode);
        Assert.Equal(0, (await Cli.RunWithInputAsync("ana-secret-1\n", "user", "add", "ana", "--project", _project)).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync("grant", "select", "on", "silver.people", "to", "ana", "--project", _project)).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync("access", "mask", "pii", "hash", "--project", _project)).ExitCode);
        string runs = (await Cli.RunAsync("runs", "--project", _project)).Output;
        Cli.Result masked = await Cli.RunAsync("sql", "SELECT email FROM silver.people", "--user", "ana", "--project", _project);
        Assert.Equal(0, masked.ExitCode);
        Assert.DoesNotContain("ana@example.com", masked.Output, StringComparison.Ordinal);

        Cli.Result copied = await Cli.RunAsync("catalog", "copy", "--to", Url(database), "--project", _project);
        Assert.Equal(0, copied.ExitCode);
        Assert.Contains("every table's count matches", copied.Output, StringComparison.Ordinal);
        WriteProjectFile(Url(database));

        Assert.Equal(runs, (await Cli.RunAsync("runs", "--project", _project)).Output);
        Assert.Equal(Rows(masked), Rows(await Cli.RunAsync("sql", "SELECT email FROM silver.people", "--user", "ana", "--project", _project)));
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM users WHERE name = 'ana'"));
    }

    [Fact]
    public async Task Copying_into_a_catalog_that_holds_records_is_refused_and_changes_nothing()
    {
        PostgresDatabase database = await NewDatabaseAsync();
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project)).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync("catalog", "copy", "--to", Url(database), "--project", _project)).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project)).ExitCode);

        Cli.Result again = await Cli.RunAsync("catalog", "copy", "--to", Url(database), "--project", _project);

        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("MDL6912", again.Error, StringComparison.Ordinal);
        Assert.Contains("already holds records (in namespaces, tables,", again.Error, StringComparison.Ordinal);
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM runs"));
    }

    [Fact]
    public async Task A_catalog_that_refuses_the_login_is_named_without_its_password()
    {
        PostgresDatabase database = await NewDatabaseAsync();
        var server = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        WriteProjectFile($"postgres://{server.Username}:not-the-password-7f3a@{server.Host}:{server.Port}/{database.Name}");

        Cli.Result refused = await Cli.RunAsync("catalog", "migrate", "--project", _project);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"MDL6901: Cannot open the catalog 'postgres://{server.Username}@{server.Host}:{server.Port}/{database.Name}': the server refused the login", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password-7f3a", refused.Output + refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_catalog_url_with_a_setting_npgsql_does_not_take_is_refused_naming_it()
    {
        WriteProjectFile("postgres://medallion:secret-9c1d@127.0.0.1:55432/shop?sslmod=require");

        Cli.Result refused = await Cli.RunAsync("catalog", "migrate", "--project", _project);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("MDL6910", refused.Error, StringComparison.Ordinal);
        Assert.Contains("sslmod", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-9c1d", refused.Output + refused.Error, StringComparison.Ordinal);
    }

    /// <summary>What a query printed without its last line, which says how long it took.</summary>
    private static string Rows(Cli.Result query) => query.Output[..query.Output.TrimEnd('\n').LastIndexOf('\n')];

    private static string Url(PostgresDatabase database)
    {
        var server = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        return $"postgres://{Uri.EscapeDataString(server.Username!)}:{Uri.EscapeDataString(server.Password!)}@{server.Host}:{server.Port}/{database.Name}";
    }

    private void WriteProjectFile(string? catalog) =>
        File.WriteAllText(Path.Combine(_project, "medallion.yml"), $"name: shop\nstorage: warehouse\n{(catalog is null ? "" : $"catalog: {catalog}\n")}");
}
