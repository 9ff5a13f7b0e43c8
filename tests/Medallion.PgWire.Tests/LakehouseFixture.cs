using System.Net;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>
/// A project named <c>shop</c> on disk, served the way <c>medallion serve --project</c> serves it: Delta tables
/// written with <see cref="DeltaWriter"/> under <c>warehouse/&lt;namespace&gt;/&lt;table&gt;</c>, users in the
/// project's catalog, and a database that may read files only under the warehouse.
/// </summary>
/// <remarks>
/// <c>gold.daily_revenue</c> has two versions: version 0 holds 2 rows, version 1 appends a third.
/// <c>silver.orders</c> holds 1,000 rows of several types. The catalog records (day, region) as the unique key of
/// <c>gold.daily_revenue</c>; <c>silver.orders</c> has none.
/// </remarks>
public sealed class LakehouseFixture : IAsyncLifetime
{
    public const string User = "analyst";
    public const string Password = "s3cret-pass";
    public const string ProjectName = "shop";

    private DuckDbDatabase? _database;
    private CatalogStore? _catalog;

    public string ProjectDirectory { get; } = Path.Combine(Path.GetTempPath(), "medallion-pgwire-project-" + Guid.NewGuid().ToString("N"));

    public string Warehouse => Path.Combine(ProjectDirectory, "warehouse");

    public PgWireServer Server { get; private set; } = null!;

    public int Port => Server.Port;

    public string ConnectionString(string? extra = null) =>
        $"Host=127.0.0.1;Port={Port};Username={User};Password={Password};Database={ProjectName};Pooling=false;Timeout=60;Command Timeout=120" + (extra is null ? string.Empty : ";" + extra);

    public NpgsqlConnection Open(string? extra = null)
    {
        var connection = new NpgsqlConnection(ConnectionString(extra));
        connection.Open();
        return connection;
    }

    /// <summary>A setting of the served DuckDB database, read on a connection of the server's own.</summary>
    public string? DatabaseSetting(string name)
    {
        using DuckDbConnection connection = _database!.CreateConnection();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT current_setting($1)::VARCHAR";
        command.Parameters.Add(name);
        return command.ExecuteScalar()?.ToString();
    }

    /// <summary>Runs a statement on a connection of the server's own, bypassing every session (to test the database's own defences).</summary>
    public void ChangeDatabaseSetting(string sql)
    {
        using DuckDbConnection connection = _database!.CreateConnection();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>The names of every table function and table macro the served DuckDB database knows.</summary>
    public IReadOnlyList<string> TableFunctionNames()
    {
        using DuckDbConnection connection = _database!.CreateConnection();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type IN ('table', 'table_macro') ORDER BY 1";
        using DuckDbDataReader reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>Every file under the project (warehouse, catalog) with the SHA-256 of its contents.</summary>
    public IReadOnlyDictionary<string, string> FileHashes() =>
        Directory.EnumerateFiles(ProjectDirectory, "*", SearchOption.AllDirectories)
            .Where(path => !path.Contains(Path.Combine(".medallion", ""), StringComparison.Ordinal))
            .ToDictionary(path => path, path => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))));

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ProjectDirectory);
        await File.WriteAllTextAsync(Path.Combine(ProjectDirectory, "medallion.yml"), $"name: {ProjectName}\nstorage: warehouse\n");
        using (DuckDbDatabase writing = DuckDbDatabase.Open())
        using (DuckDbConnection connection = writing.CreateConnection())
        {
            var writer = new DeltaWriter(connection);
            string revenue = Path.Combine(Warehouse, "gold", "daily_revenue");
            await writer.WriteAsync(revenue,
                "SELECT * FROM (VALUES (DATE '2026-01-01', 'north', 1234.50::DECIMAL(18,2), 10::BIGINT), (DATE '2026-01-01', 'south', 99.99::DECIMAL(18,2), 2::BIGINT)) t(day, region, revenue, orders)");
            await writer.WriteAsync(revenue, "SELECT DATE '2026-01-02' AS day, 'north' AS region, 2000.00::DECIMAL(18,2) AS revenue, 12::BIGINT AS orders");
            await writer.WriteAsync(Path.Combine(Warehouse, "silver", "orders"),
                "SELECT i::INTEGER AS id, 'customer ' || i AS customer, i * 1.5 AS amount, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i) MINUTE AS placed_at, i % 2 = 0 AS paid FROM range(1, 1001) t(i)");
        }

        _catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(ProjectDirectory));
        await _catalog.Identity.SetUserAsync(User, PgUserStore.CreateScramVerifier(Password));
        await _catalog.Tables.UpsertTableAsync(new CatalogTable(new TableName("gold", "daily_revenue"), Path.Combine(Warehouse, "gold", "daily_revenue")) { UniqueKey = ["day", "region"] });
        await _catalog.Tables.UpsertTableAsync(new CatalogTable(new TableName("silver", "orders"), Path.Combine(Warehouse, "silver", "orders")));
        _database = DuckDbEngines.Default.OpenServing(null, [Warehouse]);
        Server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = new LakehouseSessionFactory(_database, new CatalogTableLocator(new DirectoryTableLocator(Warehouse), _catalog), ProjectName),
            UserStore = new CatalogUserStore(_catalog),
        });
        await Server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _database?.Dispose();
        if (_catalog is not null)
        {
            await _catalog.DisposeAsync();
        }

        Directory.Delete(ProjectDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class LakehouseCollection : ICollectionFixture<LakehouseFixture>
{
    public const string Name = "Lakehouse";
}
