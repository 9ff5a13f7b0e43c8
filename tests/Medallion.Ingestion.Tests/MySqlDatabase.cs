using MySql.Data.MySqlClient;

namespace Medallion.Ingestion.Tests;

/// <summary>
/// A database of its own on the test MariaDB server (started by build/test-setup/mariadb.sh; override with
/// MEDALLION_TEST_MYSQL), created for the test class and dropped afterwards, so reruns start clean.
/// </summary>
public sealed class MySqlDatabase : IAsyncLifetime
{
    public const string DefaultServer = "Server=127.0.0.1;Port=53306;User ID=medallion;Password=medallion";

    private static string Server => Environment.GetEnvironmentVariable("MEDALLION_TEST_MYSQL") is { Length: > 0 } value ? value : DefaultServer;

    public string Name { get; } = "medallion_it_" + Guid.NewGuid().ToString("N")[..12];

    public string ConnectionString => new MySqlConnectionStringBuilder(Server) { Database = Name, Pooling = false, CharacterSet = "utf8mb4" }.ConnectionString;

    public async Task InitializeAsync() => await ExecuteOnAsync(new MySqlConnectionStringBuilder(Server) { Pooling = false }.ConnectionString, $"CREATE DATABASE {Name} CHARACTER SET utf8mb4");

    public async Task DisposeAsync() => await ExecuteOnAsync(new MySqlConnectionStringBuilder(Server) { Pooling = false }.ConnectionString, $"DROP DATABASE IF EXISTS {Name}");

    public Task ExecuteAsync(string sql) => ExecuteOnAsync(ConnectionString, sql);

    /// <summary>The first column of a query's rows, as text.</summary>
    public async Task<List<string>> TextsAsync(string sql)
    {
        await using var connection = new MySqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await using System.Data.Common.DbDataReader reader = await command.ExecuteReaderAsync();
        var texts = new List<string>();
        while (await reader.ReadAsync())
        {
            texts.Add(reader.GetString(0));
        }

        return texts;
    }

    private static async Task ExecuteOnAsync(string connectionString, string sql)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
