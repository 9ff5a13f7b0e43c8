using System.Net;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>What a served client learns from an error: the failure, never where the server keeps its lake (issue 35).</summary>
public sealed class ServedErrorTests : IAsyncLifetime
{
    private readonly string _warehouse = Directory.CreateTempSubdirectory("medallion-pgwire-errors-").FullName;
    private DuckDbDatabase? _database;
    private PgWireServer? _server;

    public async Task InitializeAsync()
    {
        using (DuckDbDatabase writing = DuckDbDatabase.Open())
        using (DuckDbConnection connection = writing.CreateConnection())
        {
            await new DeltaWriter(connection).WriteAsync(Path.Combine(_warehouse, "gold", "revenue"), "SELECT 'SP' AS region, 180.0 AS revenue");
        }

        _database = DuckDbEngines.Default.OpenServing(null, [_warehouse]);
        _server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = new LakehouseSessionFactory(_database, new DirectoryTableLocator(_warehouse)),
            TrustLoopback = true,
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
        Directory.Delete(_warehouse, recursive: true);
    }

    [Fact]
    public void A_data_file_gone_from_under_a_table_is_named_without_the_servers_folders()
    {
        using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_server!.Port};Username=tester;Database=medallion;Pooling=false");
        connection.Open();
        Assert.Equal(180.0m, new NpgsqlCommand("SELECT revenue FROM gold.revenue", connection).ExecuteScalar());
        string file = Directory.EnumerateFiles(Path.Combine(_warehouse, "gold", "revenue"), "*.parquet").Single();
        File.Delete(file);

        PostgresException error = Assert.Throws<PostgresException>(() => new NpgsqlCommand("SELECT revenue FROM gold.revenue", connection).ExecuteScalar());

        Assert.Equal("58030", error.SqlState);
        Assert.Contains(Path.GetFileName(file), error.MessageText, StringComparison.Ordinal);
        Assert.DoesNotContain(_warehouse, error.MessageText + error.Detail + error.Hint, StringComparison.Ordinal);
    }
}
