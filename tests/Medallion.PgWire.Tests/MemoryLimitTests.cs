using System.Net;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>
/// A server whose database may use 128 MB in all (<c>medallion serve --memory-limit 128MB</c>): a query that needs more
/// fails alone with SQLSTATE 53200, and its session and the other sessions go on.
/// </summary>
public sealed class MemoryLimitTests : IAsyncLifetime
{
    private const string User = "analyst";
    private const string Password = "s3cret-pass";

    /// <summary>A list aggregate holds all its values in memory at once (DuckDB cannot spill it): 40M BIGINTs are 320 MB.</summary>
    private const string Greedy = "SELECT len(list(i ORDER BY i DESC)) FROM range(40000000) t(i)";

    private readonly string _directory = Directory.CreateTempSubdirectory("medallion-pgwire-memory-").FullName;
    private DuckDbDatabase? _database;
    private PgWireServer? _server;

    public async Task InitializeAsync()
    {
        _database = DuckDbEngines.Default.OpenServing(null, [_directory], memoryLimit: "128MB");
        var users = new PgUserStore();
        users.AddUser(User, Password);
        _server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = new LakehouseSessionFactory(_database, NoTables.Instance),
            UserStore = users,
        });
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _database?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_server!.Port};Username={User};Password={Password};Database=medallion;Pooling=false;Command Timeout=120");
        connection.Open();
        return connection;
    }

    [Fact]
    public void A_query_over_the_memory_limit_fails_with_53200_and_a_hint()
    {
        using NpgsqlConnection connection = Open();

        PostgresException error = Assert.Throws<PostgresException>(() => new NpgsqlCommand(Greedy, connection).ExecuteScalar());

        Assert.Equal("53200", error.SqlState);
        Assert.StartsWith("The server's memory limit is shared by all running queries", error.Hint, StringComparison.Ordinal);
    }

    /// <summary>Npgsql drops a connection that reports 53xxx (it treats them as critical); psql keeps using it, as PostgreSQL allows.</summary>
    [Fact]
    public async Task The_session_of_a_query_over_the_memory_limit_goes_on()
    {
        // A script goes on after a failed statement (ON_ERROR_STOP is off), on the same connection.
        string script = Path.Combine(_directory, "script.sql");
        await File.WriteAllTextAsync(script, Greedy + ";\nSELECT sum(i) FROM range(100) t(i);\n");

        (int exit, string output, string error) = await Psql.RunAsync(_server!.Port, User, Password, LakehouseSessionFactory.DefaultDatabaseName, "-v", "ON_ERROR_STOP=0", "-A", "-t", "-f", script);

        Assert.Equal(0, exit);
        Assert.Contains("ERROR:  failed to allocate", error, StringComparison.Ordinal);
        Assert.Equal("4950", output.Trim());
    }

    [Fact]
    public async Task Other_sessions_keep_answering_while_one_query_runs_out_of_memory()
    {
        using NpgsqlConnection greedy = Open();
        using NpgsqlConnection other = Open();

        Task<object?> failing = new NpgsqlCommand(Greedy, greedy).ExecuteScalarAsync();
        long answered = 0;
        while (!failing.IsCompleted)
        {
            try
            {
                answered += (long)(await new NpgsqlCommand("SELECT count(*) FROM range(1000)", other).ExecuteScalarAsync())!;
            }
            catch (PostgresException e) when (e.SqlState == "53200")
            {
                // The memory limit is one pool: a small query that asks for memory at the instant the greedy one holds
                // it all fails too, as the error's hint says. Its session goes on (psql shows it above), but Npgsql
                // closes its side on a 53xxx, so the test opens the connection again.
                other.Close();
                other.Open();
            }
        }

        PostgresException error = await Assert.ThrowsAsync<PostgresException>(() => failing);
        Assert.Equal("53200", error.SqlState);
        Assert.True(answered >= 1000);
        Assert.Equal(1000L, await new NpgsqlCommand("SELECT count(*) FROM range(1000)", other).ExecuteScalarAsync());
    }
}
