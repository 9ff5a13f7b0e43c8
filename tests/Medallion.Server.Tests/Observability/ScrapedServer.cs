using System.Diagnostics;
using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.PgWire;
using Medallion.Pipelines.Tests;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Medallion.Server.Tests.Observability;

/// <summary>
/// A served project scraped by a real Prometheus, after two runs of its job: a PostgreSQL table loaded by CDC into
/// bronze (3 rows by the first run's snapshot, 1 more by the second run's change stream), a silver model whose warn rule
/// one row breaks, a gold total; then one query through the SQL endpoint.
/// </summary>
/// <remarks>
/// The lower layers' meters are static, so every server in the test process reports what any of them measured:
/// the job and the source carry names no other test uses, or a CDC test streaming in parallel adds to these counts.
/// </remarks>
public sealed class ScrapedServer : IAsyncLifetime
{
    public const string Job = "m_load";
    public const string Source = "m_shop";
    public const int Runs = 2;
    public const int SourceRows = 4;

    private readonly PostgresDatabase _database = new();
    private readonly TestProject _files = new("name: shop\nstorage: lake\n");

    public MedallionServer Server { get; private set; } = null!;

    public PrometheusServer Prometheus { get; private set; } = null!;

    public List<RunRecord> RunRecords { get; } = [];

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        await _database.ExecuteAsync("CREATE TABLE m_orders (id int PRIMARY KEY, amount int); INSERT INTO m_orders VALUES (1, 10), (2, 20), (3, 500)");
        NpgsqlConnectionStringBuilder pg = _database.Builder;
        _files.Write("medallion.yml", $$"""
                name: shop
                storage: lake
                connections:
                  pg: {type: postgres, host: {{pg.Host}}, port: {{pg.Port}}, database: {{pg.Database}}, user: {{pg.Username}}, password: {{pg.Password}}, pooling: false}
                """)
            .Write("sources/db.yml", $"sources:\n  - name: {Source}\n    connection: pg\n    tables:\n      - {{table: public.m_orders, mode: cdc, slot: {_database.Name}_m_orders}}\n")
            .Write("models/silver/m_orders.sql", """
                /* ---
                expectations:
                  - range: {column: amount, min: 0, max: 100}
                    severity: warn
                --- */
                SELECT id, amount FROM bronze.m_orders
                """)
            .Write("models/gold/m_total.sql", "SELECT sum(amount) AS total FROM silver.m_orders\n")
            .Write("jobs/load.yml", $"jobs:\n  - name: {Job}\n    sources: [{Source}]\n    select: +gold.m_total\n    schedule: \"0 3 * * *\"\n");
        Server = await MedallionServer.StartAsync(new MedallionServerOptions
        {
            ProjectDirectory = _files.Directory,
            HttpPort = 0,
            Sql = new SqlEndpointOptions { Port = 0 },
            Grace = TimeSpan.FromSeconds(5),
            WatchProject = false,
        });
        Prometheus = await PrometheusServer.StartAsync($"{Server.HttpAddress.Host}:{Server.HttpAddress.Port}");
        // The run comes after the first scrape, so that rates over the dashboard's windows see it happen.
        await Prometheus.WaitForValueAsync("up", v => v == 1);
        RunRecords.Add(await WaitForEndAsync((await Server.Scheduler.TriggerAsync(Job)).Id));
        // Inserted after the slot exists: the second run streams it as a change, with its commit time.
        await _database.ExecuteAsync("INSERT INTO m_orders VALUES (4, 40)");
        RunRecords.Add(await WaitForEndAsync((await Server.Scheduler.TriggerAsync(Job)).Id));
        await QueryThroughSqlEndpointAsync();
    }

    public async Task DisposeAsync()
    {
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        _files.Dispose();
        await _database.DisposeAsync();
    }

    private async Task<RunRecord> WaitForEndAsync(string runId)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(90))
        {
            RunRecord run = (await Server.Scheduler.Catalog.Runs.GetRunAsync(runId))!;
            if (run.Status is not (RunStatus.Queued or RunStatus.Running))
            {
                return run;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"run {runId} did not end within 90 s");
    }

    private async Task QueryThroughSqlEndpointAsync()
    {
        // The local token of the server's runtime file is the CLI's; a catalog user is what a BI tool would use.
        await using var catalog = await CatalogStore.OpenAsync(Path.Combine(_files.Directory, ".medallion", "catalog.db"));
        await catalog.Identity.SetUserAsync("bi", PgUserStore.CreateScramVerifier("bi-secret"));
        await catalog.Access.SetUserAdminAsync("bi", isAdmin: true);
        var connection = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Server.PgPort!.Value, Username = "bi", Password = "bi-secret", Database = "shop", Pooling = false,
            // Generous, as the PgWire tests': the whole test run shares two cores.
            Timeout = 60, CommandTimeout = 120,
        };
        await using var pg = new NpgsqlConnection(connection.ConnectionString);
        await pg.OpenAsync();
        await using NpgsqlCommand command = new("SELECT total FROM gold.m_total", pg);
        await command.ExecuteScalarAsync();
    }
}
