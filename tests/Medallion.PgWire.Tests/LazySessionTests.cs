using System.Net;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>
/// A client's session loads a table's latest version when a statement names it, not every table's at connect: on an object
/// store each table costs requests, and a dashboard asks for one. A catalog query still sees every table.
/// </summary>
public sealed class LazySessionTests : IAsyncLifetime
{
    private readonly TempDirectory _warehouse = new();
    private DuckDbDatabase? _database;
    private PgWireServer? _server;

    public async Task InitializeAsync()
    {
        using (DuckDbDatabase writing = DuckDbDatabase.Open())
        using (DuckDbConnection connection = writing.CreateConnection())
        {
            await new DeltaWriter(connection).WriteAsync(Path.Combine(_warehouse.Path, "gold", "daily_revenue"), "SELECT 'north' AS region, 10::BIGINT AS orders");
        }

        // A table whose log cannot be read: a session that loaded every table at connect could not open.
        string broken = Path.Combine(_warehouse.Path, "silver", "broken", "_delta_log");
        Directory.CreateDirectory(broken);
        await File.WriteAllTextAsync(Path.Combine(broken, "00000000000000000000.json"), "{not json\n");
        _database = DuckDbEngines.Default.OpenServing(null, [_warehouse.Path]);
        _server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            TrustLoopback = true,
            SessionFactory = new LakehouseSessionFactory(_database, new DirectoryTableLocator(_warehouse.Path)),
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
        _warehouse.Dispose();
    }

    private NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_server!.Port};Username=analyst;Database=lake;Pooling=false;Server Compatibility Mode=NoTypeLoading");
        connection.Open();
        return connection;
    }

    [Fact]
    public void A_client_reads_a_table_while_another_table_of_the_lake_cannot_be_loaded()
    {
        using NpgsqlConnection connection = Open();
        using var command = new NpgsqlCommand("SELECT count(*) FROM gold.daily_revenue WHERE orders = 10", connection);

        Assert.Equal(1L, command.ExecuteScalar());
    }

    [Fact]
    public void A_catalog_query_loads_every_table_and_names_the_one_that_cannot_be_loaded()
    {
        using NpgsqlConnection connection = Open();
        using var command = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'gold'", connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Contains("silver/broken' is corrupt at line 1", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_query_of_the_columns_catalog_a_bi_tool_syncs_from_also_loads_every_table_first()
    {
        using NpgsqlConnection connection = Open();
        // information_schema.columns is served from a sanitized copy of DuckDB's own: it too describes every table.
        using var command = new NpgsqlCommand("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'gold'", connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Contains("silver/broken' is corrupt at line 1", error.MessageText, StringComparison.Ordinal);
    }
}
