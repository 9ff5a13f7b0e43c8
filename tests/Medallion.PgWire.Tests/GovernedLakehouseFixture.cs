using System.Net;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Platform.Access;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>
/// A served project with grants: <c>bronze.customers</c> (raw CPFs and e-mails), <c>silver.customers</c> (cpf classified
/// <c>document</c>, email classified <c>pii</c>), <c>silver.orders</c> (cpf and customer_id classified <c>document</c>) and
/// <c>gold.revenue</c>. Masking policies: <c>document</c> is hashed, <c>pii</c> is partial.
/// </summary>
/// <remarks>
/// Users: <c>boss</c> is an admin; <c>ana</c> holds the role <c>analysts</c> (select on silver and on gold.revenue, no
/// unmask); <c>rita</c> may read only (id, name, region) of silver.customers and only rows of her region (SP, a user
/// attribute), and silver.orders whole; <c>nobody</c> has no grant. silver.customers has two versions: version 0 holds
/// the first three customers, version 1 adds a fourth.
/// </remarks>
public sealed class GovernedLakehouseFixture : IAsyncLifetime
{
    public const string Password = "s3cret-pass";
    public const string ProjectName = "shop";

    /// <summary>Every CPF in the lakehouse, as stored.</summary>
    public static readonly string[] Cpfs = ["390.533.447-05", "529.982.247-25", "111.444.777-35", "935.411.347-80"];

    private DuckDbDatabase? _database;
    private LakehouseSessionFactory? _sessions;

    public string ProjectDirectory { get; } = Path.Combine(Path.GetTempPath(), "medallion-governed-" + Guid.NewGuid().ToString("N"));

    public string Warehouse => Path.Combine(ProjectDirectory, "warehouse");

    public CatalogStore Catalog { get; private set; } = null!;

    public PgWireServer Server { get; private set; } = null!;

    public NpgsqlConnection Open(string user)
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Server.Port};Username={user};Password={Password};Database={ProjectName};Pooling=false;Timeout=60;Command Timeout=120");
        connection.Open();
        return connection;
    }

    /// <summary>Every view and table of DuckDB's own catalog (schema, name), as DuckDB lists them.</summary>
    public static IReadOnlyList<(string Schema, string Name)> SystemRelations()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT schema_name, view_name FROM duckdb_views() WHERE internal UNION SELECT schema_name, table_name FROM duckdb_tables() WHERE internal ORDER BY ALL";
        using DuckDbDataReader reader = command.ExecuteReader();
        var relations = new List<(string, string)>();
        while (reader.Read())
        {
            relations.Add((reader.GetString(0), reader.GetString(1)));
        }

        return relations;
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ProjectDirectory);
        await File.WriteAllTextAsync(Path.Combine(ProjectDirectory, "medallion.yml"), $"name: {ProjectName}\nstorage: warehouse\n");
        const string customers = "SELECT * FROM (VALUES (1, 'Joana', '390.533.447-05', 'joana@example.com', 'SP'), (2, 'Bruno', '529.982.247-25', 'bruno@example.com', 'RJ'), (3, 'Carla', '111.444.777-35', 'carla@example.com', 'SP')) t(id, name, cpf, email, region)";
        using (DuckDbDatabase writing = DuckDbDatabase.Open())
        using (DuckDbConnection connection = writing.CreateConnection())
        {
            var writer = new DeltaWriter(connection);
            await writer.WriteAsync(Path.Combine(Warehouse, "bronze", "customers"), customers);
            await writer.WriteAsync(Path.Combine(Warehouse, "silver", "customers"), customers);
            await writer.WriteAsync(Path.Combine(Warehouse, "silver", "customers"), "SELECT 4 AS id, 'Davi' AS name, '935.411.347-80' AS cpf, 'davi@example.com' AS email, 'MG' AS region");
            await writer.WriteAsync(Path.Combine(Warehouse, "silver", "orders"),
                "SELECT * FROM (VALUES (10, '390.533.447-05', 100.0, 1), (11, '390.533.447-05', 50.0, 1), (12, '529.982.247-25', 70.0, 2), (13, '111.444.777-35', 30.0, 3)) t(order_id, cpf, amount, customer_id)");
            await writer.WriteAsync(Path.Combine(Warehouse, "gold", "revenue"), "SELECT 'SP' AS region, 180.0 AS revenue UNION ALL SELECT 'RJ', 70.0");
        }

        Catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(ProjectDirectory));
        foreach (string table in new[] { "bronze.customers", "silver.customers", "silver.orders", "gold.revenue" })
        {
            TableName name = TableName.Parse(table);
            await Catalog.Tables.UpsertTableAsync(new CatalogTable(name, Path.Combine(Warehouse, name.Namespace, name.Name)));
        }

        CatalogColumn[] customerColumns =
        [
            new("id", "INTEGER"), new("name", "VARCHAR"), new("cpf", "VARCHAR", Classification: "document"),
            new("email", "VARCHAR", Classification: "pii"), new("region", "VARCHAR"),
        ];
        await Catalog.Tables.SetColumnsAsync(TableName.Parse("bronze.customers"), customerColumns);
        await Catalog.Tables.SetColumnsAsync(TableName.Parse("silver.customers"), customerColumns);
        await Catalog.Tables.SetColumnsAsync(TableName.Parse("silver.orders"), [new("order_id", "INTEGER"), new("cpf", "VARCHAR", Classification: "document"), new("amount", "DECIMAL(4,1)"), new("customer_id", "INTEGER", Classification: "document")]);
        await Catalog.Access.SetMaskingPolicyAsync(new MaskingPolicy("document", MaskingPolicyKind.Hash));
        await Catalog.Access.SetMaskingPolicyAsync(new MaskingPolicy("pii", MaskingPolicyKind.Partial));
        foreach (string user in new[] { "boss", "ana", "rita", "nobody" })
        {
            await Catalog.Identity.SetUserAsync(user, PgUserStore.CreateScramVerifier(Password));
        }

        await Catalog.Access.SetUserAdminAsync("boss", isAdmin: true);
        await Catalog.Access.CreateRoleAsync("analysts");
        await Catalog.Access.AddRoleMemberAsync("analysts", "ana");
        await Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Namespace, "silver", [], GranteeKind.Role, "analysts"));
        await Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "gold.revenue", [], GranteeKind.Role, "analysts"));
        await Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Columns, "silver.customers", ["id", "name", "region"], GranteeKind.User, "rita"));
        await Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", [], GranteeKind.User, "rita"));
        await Catalog.Access.SetUserAttributeAsync("rita", "region", "SP");
        await Catalog.Access.SetRowFilterAsync(new RowFilter("silver.customers", GranteeKind.User, "rita", "region = user.attribute('region')"));

        _database = DuckDbEngines.Default.OpenServing(null, [Warehouse]);
        _sessions = new LakehouseSessionFactory(_database, new CatalogTableLocator(new DirectoryTableLocator(Warehouse), Catalog), ProjectName)
        {
            Access = new CatalogSessionAccess(Catalog).ForUserAsync,
        };
        Server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = _sessions,
            UserStore = new CatalogUserStore(Catalog),
        });
        await Server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _sessions?.Dispose();
        _database?.Dispose();
        await Catalog.DisposeAsync();
        Directory.Delete(ProjectDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class GovernedLakehouseCollection : ICollectionFixture<GovernedLakehouseFixture>
{
    public const string Name = "Governed lakehouse";
}
