using Npgsql;

namespace Medallion.Ingestion.Tests;

/// <summary>
/// A database of its own on the test PostgreSQL server (started by build/test-setup/postgres.sh; override with
/// MEDALLION_TEST_PG), created for the test class and dropped afterwards, so reruns start clean.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    public const string DefaultServer = "Host=127.0.0.1;Port=55432;Username=medallion;Password=medallion;Database=postgres";

    private static string Server => Environment.GetEnvironmentVariable("MEDALLION_TEST_PG") is { Length: > 0 } value ? value : DefaultServer;

    public string Name { get; } = "medallion_it_" + Guid.NewGuid().ToString("N")[..12];

    public string ConnectionString => new NpgsqlConnectionStringBuilder(Server) { Database = Name, Pooling = false }.ConnectionString;

    public NpgsqlConnectionStringBuilder Builder => new(ConnectionString);

    public async Task InitializeAsync() => await ExecuteOnServerAsync($"CREATE DATABASE {Name}");

    public async Task DisposeAsync()
    {
        // Replication slots belong to the cluster and keep their database alive: drop the ones the tests made.
        // A stream a failed test left open still holds its slot: end that walsender first.
        await ExecuteOnServerAsync($"SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '{Name}' AND active");
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                await ExecuteOnServerAsync($"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '{Name}'");
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse)
            {
                await Task.Delay(100);
            }
        }

        await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task ExecuteOnServerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Server) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
