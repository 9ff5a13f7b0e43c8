using System.Collections.Concurrent;
using System.Data.Common;
using Npgsql;

namespace Medallion.Catalog.Tests;

/// <summary>
/// Catalogs on the test PostgreSQL server (<see cref="TestPostgres"/>), each in a database of its own created for it and
/// dropped on dispose, named by a <c>postgres://</c> URL that holds the server's password as a user's URL would.
/// </summary>
public sealed class PostgresCatalogEngine : CatalogEngine
{
    private readonly ConcurrentQueue<string> _databases = new();
    private readonly ConcurrentDictionary<string, byte> _connectionStrings = new();

    /// <summary>A <c>postgres://</c> URL of <paramref name="database"/> on the test server, with <paramref name="query"/> (<c>?key=value</c>) when given.</summary>
    /// <param name="database">The database.</param>
    /// <param name="query">The URL's query, starting with '?', or empty.</param>
    /// <param name="password">The password written into the URL; the server's when null.</param>
    /// <param name="port">The port; the server's when null.</param>
    public static string UrlOf(string database, string query = "", string? password = null, int? port = null)
    {
        var server = new NpgsqlConnectionStringBuilder(TestPostgres.Server);
        return $"postgres://{Uri.EscapeDataString(server.Username!)}:{Uri.EscapeDataString(password ?? server.Password!)}@{server.Host}:{port ?? server.Port}/{database}{query}";
    }

    /// <summary>A new database on the test server, dropped with the others on dispose.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        string name = "medallion_catalog_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteOnServerAsync($"CREATE DATABASE {name}");
        _databases.Enqueue(name);
        return name;
    }

    /// <inheritdoc />
    public override async Task<string> NewLocationAsync() => UrlOf(await NewDatabaseAsync());

    /// <summary>The same database under another application name: the process's one writer per catalog and Npgsql's pools are per connection string.</summary>
    public override string AsAnotherProcess(string location) => location + (location.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "ApplicationName=another-process";

    /// <inheritdoc />
    public override async Task<DbConnection> ConnectAsync(string location)
    {
        DatabaseUrl url = DatabaseUrl.Parse(location, "The test catalog", ErrorCode.CatalogLocationInvalid, ErrorCode.CatalogLocationInvalid);
        // A small pool of its own: tests that check each of many writes at once must not take every connection the server allows.
        string connectionString = new NpgsqlConnectionStringBuilder(DatabaseUrl.ConnectionString(url.Settings, postgres: true))
        {
            MaxPoolSize = 8,
            ApplicationName = "medallion-catalog-tests",
        }.ConnectionString;
        _connectionStrings.TryAdd(connectionString, 0);
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Drops the databases it made, ending the sessions a test left in them (a store it did not dispose).</summary>
    public override Task<List<string>> ListTablesAsync(string location) =>
        QueryAsync(location, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name", r => r.GetString(0));

    public override async ValueTask DisposeAsync()
    {
        foreach (string connectionString in _connectionStrings.Keys)
        {
            using var connection = new NpgsqlConnection(connectionString);
            NpgsqlConnection.ClearPool(connection);
        }

        while (_databases.TryDequeue(out string? name))
        {
            await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }
    }

    /// <summary>Runs <paramref name="sql"/> on the server's <c>postgres</c> database.</summary>
    public static async Task ExecuteOnServerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestPostgres.Server) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
