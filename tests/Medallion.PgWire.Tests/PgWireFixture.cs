using System.Net;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>
/// A PgWire server on a free loopback port over an in-memory DuckDB database with <c>gold</c> and
/// <c>silver</c> schemas, and two users: <c>analyst</c> (password <c>s3cret-pass</c>) and <c>bi</c>.
/// </summary>
public sealed class PgWireFixture : IAsyncLifetime
{
    public const string User = "analyst";
    public const string Password = "s3cret-pass";

    private DuckDbDatabase? _database;

    public PgWireServer Server { get; private set; } = null!;

    public int Port => Server.Port;

    public string ConnectionString(string? extra = null) =>
        $"Host=127.0.0.1;Port={Port};Username={User};Password={Password};Database=medallion;Pooling=false;Timeout=15;Command Timeout=60" + (extra is null ? string.Empty : ";" + extra);

    public NpgsqlConnection Open(string? extra = null)
    {
        var connection = new NpgsqlConnection(ConnectionString(extra));
        connection.Open();
        return connection;
    }

    public async Task InitializeAsync()
    {
        _database = DuckDbDatabase.Open();
        using (DuckDbConnection setup = _database.CreateConnection())
        {
            using DuckDbCommand command = setup.CreateCommand();
            command.CommandText = """
                CREATE SCHEMA gold;
                CREATE SCHEMA silver;
                CREATE TABLE gold.daily_revenue (day DATE NOT NULL, region VARCHAR, revenue DECIMAL(18,2), orders BIGINT);
                INSERT INTO gold.daily_revenue VALUES
                    ('2026-01-01', 'north', 1234.50, 10),
                    ('2026-01-01', 'south', 99.99, 2),
                    ('2026-01-02', 'north', 2000.00, 12);
                CREATE TABLE silver.orders (id INTEGER, customer VARCHAR, amount DOUBLE, tags VARCHAR[], placed_at TIMESTAMP);
                INSERT INTO silver.orders SELECT i, 'customer ' || i, i * 1.5, ['a', 'b'], TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i) MINUTE FROM range(1, 1001) t(i);
                CREATE VIEW gold.revenue_by_region AS SELECT region, sum(revenue) AS revenue FROM gold.daily_revenue GROUP BY region;
                """;
            command.ExecuteNonQuery();
        }

        var users = new PgUserStore();
        users.AddUser(User, Password);
        users.AddUser("bi", "another-pass");
        Server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = new LakehouseSessionFactory(_database, NoTables.Instance),
            UserStore = users,
            MaxMessageBytes = 1024 * 1024,
        });
        await Server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _database?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PgWireCollection : ICollectionFixture<PgWireFixture>
{
    public const string Name = "PgWire";
}
