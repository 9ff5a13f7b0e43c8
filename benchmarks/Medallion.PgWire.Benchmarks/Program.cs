using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.PgWire;
using Medallion.PgWire.Benchmarks;

// The SQL endpoint side by side with a real PostgreSQL 15 server (the test cluster, port 55432) and with
// DuckDB in-process, all measured in this run so the ratios hold on a noisy machine.
// Usage: [rows] [clients] [seconds], or streaming [rows] (that scenario alone), or masked [rows] (defaults 10,000,000 rows, 50 clients, 60 s as the issue asks). The PostgreSQL server is
// MEDALLION_TEST_PG, as for the tests.
if (args.Length > 0 && args[0] == "masked")
{
    // The same aggregation read by an admin and by a user whose grant masks a column it counts (hash) and filters rows
    // by a user attribute: the cost of masking and row filters, measured in one run. Usage: masked [rows].
    await Scenarios.MaskedAggregationAsync(args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 10_000_000);
    return;
}

// Streaming alone, to iterate on the endpoint's row path quickly: streaming [rows] (default 1,000,000).
bool streamingOnly = args.Length > 0 && args[0] == "streaming";
if (streamingOnly)
{
    args = args.Length > 1 ? [args[1]] : ["1000000"];
}

long rows = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 10_000_000;
int clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
int seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 60;
string postgres = Environment.GetEnvironmentVariable("MEDALLION_TEST_PG") is { Length: > 0 } configured
    ? configured
    : "Host=127.0.0.1;Port=55432;Username=medallion;Password=medallion;Database=postgres";
Console.WriteLine($"Medallion.PgWire benchmarks: DuckDB {DuckDbDatabase.LibraryVersion}, {rows:N0} rows, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

string project = Path.Combine(Path.GetTempPath(), "medallion-pgwire-bench");
string warehouse = Path.Combine(project, "warehouse");
await Data.EnsureDeltaTableAsync(warehouse, rows);
await Data.EnsurePostgresTableAsync(postgres, rows);

using DuckDbDatabase database = DuckDbEngines.Default.OpenServing(null, [warehouse]);
var users = new PgUserStore();
users.AddUser("bench", "bench");
await using var server = new PgWireServer(new PgWireServerOptions
{
    Address = IPAddress.Loopback,
    Port = 0,
    SessionFactory = new LakehouseSessionFactory(database, new DirectoryTableLocator(warehouse), "bench"),
    UserStore = users,
    // Every pooled client holds a place; leave room above the pool size so the benchmark never meets 53300.
    MaxConnections = clients + 20,
});
await server.StartAsync();
string medallion = $"Host=127.0.0.1;Port={server.Port};Username=bench;Password=bench;Database=bench;Timeout=120;Command Timeout=600;Maximum Pool Size={clients + 5}";
string postgresPooled = postgres + $";Timeout=120;Command Timeout=600;Maximum Pool Size={clients + 5}";

if (streamingOnly)
{
    await Scenarios.StreamingAsync(medallion, postgresPooled, Math.Min(rows, 1_000_000));
    return;
}

await Scenarios.AggregationAsync(medallion, postgresPooled, database, warehouse);
Console.WriteLine();
await Scenarios.StreamingAsync(medallion, postgresPooled, Math.Min(rows, 1_000_000));
Console.WriteLine();
await Scenarios.ConcurrentAsync(medallion, postgresPooled, clients, TimeSpan.FromSeconds(seconds));
