using System.Net;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Platform.Access;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>
/// A user under an access policy gets a session as lazy as everyone else's: a statement loads the tables it names, not
/// every table the user may read (here one of them has a log that cannot be read); a catalog query loads the user's
/// tables first.
/// </summary>
public sealed class LazyRestrictedSessionTests : IAsyncLifetime
{
    private const string Password = "s3cret-pass";

    private readonly TempDirectory _project = new();
    private CatalogStore? _catalog;
    private DuckDbDatabase? _database;
    private LakehouseSessionFactory? _sessions;
    private PgWireServer? _server;

    private string Warehouse => Path.Combine(_project.Path, "warehouse");

    public async Task InitializeAsync()
    {
        using (DuckDbDatabase writing = DuckDbDatabase.Open())
        using (DuckDbConnection connection = writing.CreateConnection())
        {
            var writer = new DeltaWriter(connection);
            await writer.WriteAsync(Path.Combine(Warehouse, "gold", "daily_revenue"), "SELECT 'north' AS region, 10::BIGINT AS orders");
            await writer.WriteAsync(Path.Combine(Warehouse, "silver", "customers"), "SELECT 1 AS id, 'Joana' AS name");
        }

        string broken = Path.Combine(Warehouse, "silver", "broken", "_delta_log");
        Directory.CreateDirectory(broken);
        await File.WriteAllTextAsync(Path.Combine(broken, "00000000000000000000.json"), "{not json\n");

        _catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_project.Path));
        foreach (string table in new[] { "gold.daily_revenue", "silver.customers", "silver.broken" })
        {
            TableName name = TableName.Parse(table);
            await _catalog.Tables.UpsertTableAsync(new CatalogTable(name, Path.Combine(Warehouse, name.Namespace, name.Name)));
        }

        await _catalog.Identity.SetUserAsync("ana", PgUserStore.CreateScramVerifier(Password));
        await _catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "gold.daily_revenue", [], GranteeKind.User, "ana"));
        await _catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.broken", [], GranteeKind.User, "ana"));
        _database = DuckDbEngines.Default.OpenServing(null, [Warehouse]);
        _sessions = new LakehouseSessionFactory(_database, new CatalogTableLocator(new DirectoryTableLocator(Warehouse), _catalog)) { Access = new CatalogSessionAccess(_catalog).ForUserAsync };
        _server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = _sessions,
            UserStore = new CatalogUserStore(_catalog),
        });
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _sessions?.Dispose();
        _database?.Dispose();
        if (_catalog is not null)
        {
            await _catalog.DisposeAsync();
        }

        _project.Dispose();
    }

    private NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_server!.Port};Username=ana;Password={Password};Database=medallion;Pooling=false;Server Compatibility Mode=NoTypeLoading");
        connection.Open();
        return connection;
    }

    [Fact]
    public void A_restricted_user_reads_a_granted_table_while_another_table_the_user_may_read_cannot_be_loaded()
    {
        using NpgsqlConnection connection = Open();
        using var command = new NpgsqlCommand("SELECT orders FROM gold.daily_revenue WHERE region = 'north'", connection);

        Assert.Equal(10L, command.ExecuteScalar());
    }

    [Fact]
    public void A_restricted_users_catalog_query_loads_the_tables_the_user_may_read_and_names_the_one_that_cannot_be_loaded()
    {
        using NpgsqlConnection connection = Open();
        using var command = new NpgsqlCommand("SELECT count(*) FROM information_schema.views WHERE table_schema = 'gold'", connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Contains("silver/broken' is corrupt at line 1", error.MessageText, StringComparison.Ordinal);
    }
}
