using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Platform.Access;
using Npgsql;

namespace Medallion.PgWire.Benchmarks;

internal static class Scenarios
{
    private const int Repeats = 3;

    // Odd, so the median is one run. Two equal runs here differ by up to 10% pair to pair, so nine pairs put the
    // median within a few percent of itself run to run (1.04-1.24x for the same build); 25 narrow it for a 10% target.
    private const int PairedRepeats = 25;

    /// <summary>One aggregation over every row: our endpoint vs PostgreSQL (target ≥ 10× faster) vs DuckDB in-process (target ≤ 1.2× its time).</summary>
    public static async Task AggregationAsync(string medallion, string postgres, DuckDbDatabase database, string warehouse)
    {
        const string Query = "SELECT region, count(*) AS orders, sum(amount) AS revenue, avg(amount) AS average, count(DISTINCT customer) AS customers FROM {0} GROUP BY region ORDER BY region";
        TimeSpan endpoint = await MedianAsync(() => ScalarRowsAsync(medallion, string.Format(System.Globalization.CultureInfo.InvariantCulture, Query, "gold.orders")));
        TimeSpan server = await MedianAsync(() => ScalarRowsAsync(postgres, string.Format(System.Globalization.CultureInfo.InvariantCulture, Query, "bench_orders")));
        await using LakehouseSession session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(warehouse), database);
        TimeSpan inProcess = await MedianAsync(async () =>
        {
            await using DuckDbDataReader reader = await session.ExecuteReaderAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, Query, "gold.orders"));
            while (await reader.ReadAsync())
            {
            }
        });
        Console.WriteLine($"aggregation over every row, median of {Repeats}:");
        Console.WriteLine($"  endpoint {Ms(endpoint)}, PostgreSQL 15 {Ms(server)}, DuckDB in-process {Ms(inProcess)}");
        Console.WriteLine($"  PostgreSQL / endpoint = {server / endpoint:0.0}x (target >= 10x: {Met(server / endpoint >= 10)})");
        Console.WriteLine($"  endpoint / in-process = {endpoint / inProcess:0.00}x (target <= 1.2x: {Met(endpoint / inProcess <= 1.2)})");
    }

    /// <summary>
    /// The aggregation as an admin (unmasked) and as a user who reads <c>customer</c> hashed (keyed) and a row filter on a
    /// user attribute that hides one region of seven, so both read almost the same rows (target: masked ≤ 1.1× unmasked);
    /// then the same query as a restricted user with neither, whose ratio shows the machine's noise.
    /// </summary>
    public static async Task MaskedAggregationAsync(long rows)
    {
        string project = Path.Combine(Path.GetTempPath(), "medallion-pgwire-bench");
        string warehouse = Path.Combine(project, "warehouse");
        await Data.EnsureDeltaTableAsync(warehouse, rows);
        string catalogPath = Path.Combine(project, "masked-catalog-" + Guid.NewGuid().ToString("N") + ".db");
        await using (Catalog.CatalogStore catalog = await Catalog.CatalogStore.OpenAsync(catalogPath))
        {
            await catalog.Tables.UpsertTableAsync(new Catalog.CatalogTable(new Catalog.TableName("gold", "orders"), Path.Combine(warehouse, "gold", "orders")));
            await catalog.Tables.SetColumnsAsync(new Catalog.TableName("gold", "orders"),
                [new("id", "BIGINT"), new("customer", "INTEGER", Classification: "pii"), new("amount", "DECIMAL(12,2)"), new("day", "DATE"), new("region", "INTEGER")]);
            await catalog.Identity.SetUserAsync("admin", PgUserStore.CreateScramVerifier("bench"));
            await catalog.Access.SetUserAdminAsync("admin", isAdmin: true);
            await catalog.Identity.SetUserAsync("analyst", PgUserStore.CreateScramVerifier("bench"));
            await catalog.Access.SetUserAttributeAsync("analyst", "hidden_region", "6");
            await catalog.Access.GrantAsync(new Catalog.AccessGrant(Catalog.AccessPrivilege.Select, Catalog.AccessObjectKind.Namespace, "gold", [], Catalog.GranteeKind.User, "analyst"));
            // A restricted user who reads everything unmasked and unfiltered: the same work on a database of its own, so its
            // ratio is how far apart this machine puts two equal runs.
            await catalog.Identity.SetUserAsync("viewer", PgUserStore.CreateScramVerifier("bench"));
            await catalog.Access.GrantAsync(new Catalog.AccessGrant(Catalog.AccessPrivilege.Select, Catalog.AccessObjectKind.Namespace, "gold", [], Catalog.GranteeKind.User, "viewer"));
            await catalog.Access.GrantAsync(new Catalog.AccessGrant(Catalog.AccessPrivilege.Unmask, Catalog.AccessObjectKind.Classification, "pii", [], Catalog.GranteeKind.User, "viewer"));
            await catalog.Access.SetRowFilterAsync(new Catalog.RowFilter("gold.orders", Catalog.GranteeKind.User, "analyst", "region <> CAST(user.attribute('hidden_region') AS INTEGER)"));
            using DuckDbDatabase database = DuckDbEngines.Default.OpenServing(null, [warehouse]);
            using var sessions = new LakehouseSessionFactory(database, new CatalogTableLocator(new DirectoryTableLocator(warehouse), catalog), "bench")
            {
                Access = new CatalogSessionAccess(catalog).ForUserAsync,
            };
            await using var server = new PgWireServer(new PgWireServerOptions
            {
                Address = System.Net.IPAddress.Loopback,
                Port = 0,
                SessionFactory = sessions,
                UserStore = new CatalogUserStore(catalog),
            });
            await server.StartAsync();
            const string Query = "SELECT region, count(*) AS orders, sum(amount) AS revenue, avg(amount) AS average, count(DISTINCT customer) AS customers FROM gold.orders GROUP BY region ORDER BY region";
            string Connection(string user) => $"Host=127.0.0.1;Port={server.Port};Username={user};Password=bench;Database=bench;Timeout=120;Command Timeout=600";
            string withoutCustomer = Query.Replace("count(DISTINCT customer) AS customers", "0 AS customers", StringComparison.Ordinal);
            Paired viewer = await PairedAsync(() => ScalarRowsAsync(Connection("admin"), Query), () => ScalarRowsAsync(Connection("viewer"), Query));
            Paired masked = await PairedAsync(() => ScalarRowsAsync(Connection("admin"), Query), () => ScalarRowsAsync(Connection("analyst"), Query));
            Paired filtered = await PairedAsync(() => ScalarRowsAsync(Connection("admin"), withoutCustomer), () => ScalarRowsAsync(Connection("analyst"), withoutCustomer));
            Console.WriteLine($"aggregation over {rows:N0} rows, admin (unmasked) vs a user with customer hashed and a row filter, {PairedRepeats} interleaved pairs:");
            Console.WriteLine($"  unmasked {masked.Baseline}, masked + filtered {masked.Candidate}: masked / unmasked = {masked.Ratio} (target <= 1.1x: {Met(masked.WallRatio <= 1.1)})");
            Console.WriteLine($"  without the hashed column (row filter only): admin {filtered.Baseline}, filtered user {filtered.Candidate}: {filtered.Ratio} (target <= 1.1x: {Met(filtered.WallRatio <= 1.1)})");
            Console.WriteLine($"  noise: a restricted user with neither mask nor filter (same work, own database): admin {viewer.Baseline}, user {viewer.Candidate}: {viewer.Ratio}");
        }

        File.Delete(catalogPath);
    }

    /// <summary>
    /// Streams a large result to the client: rows per second against PostgreSQL serving the same rows (target ≥ 2.5×,
    /// issue #45), in alternated pairs after a warm-up of both: the client's decoding runs in this process too, and timed
    /// one side after the other, the first side paid for tiering the client's code up that the second did not.
    /// </summary>
    public static async Task StreamingAsync(string medallion, string postgres, long rows)
    {
        const string Query = "SELECT id, customer, amount, day, region FROM {0} WHERE id < {1}";
        Paired paired = await PairedAsync(
            () => ReadAllAsync(postgres, string.Format(System.Globalization.CultureInfo.InvariantCulture, Query, "bench_orders", rows), rows),
            () => ReadAllAsync(medallion, string.Format(System.Globalization.CultureInfo.InvariantCulture, Query, "gold.orders", rows), rows));
        double ratio = 1 / paired.WallRatio;
        Console.WriteLine($"streaming {rows:N0} rows (5 columns) to Npgsql, medians of {PairedRepeats} alternated pairs:");
        Console.WriteLine($"  endpoint {paired.Candidate} = {rows / paired.CandidateWallMs / 1e3:0.00}M rows/s, PostgreSQL 15 {paired.Baseline} = {rows / paired.BaselineWallMs / 1e3:0.00}M rows/s");
        Console.WriteLine($"  endpoint / PostgreSQL rows/s = {ratio:0.00}x, the median of the pairs (target >= 2.5x: {Met(ratio >= 2.5)})");
    }

    /// <summary>Many clients at once, each running a mix of dashboard-like queries: throughput and p99 latency on both servers.</summary>
    public static async Task ConcurrentAsync(string medallion, string postgres, int clients, TimeSpan duration)
    {
        string[] mix =
        [
            "SELECT count(*) FROM {0} WHERE customer = {1}",
            "SELECT day, sum(amount) FROM {0} WHERE region = {2} AND day >= DATE '2026-03-01' AND day < DATE '2026-04-01' GROUP BY day ORDER BY day",
            "SELECT id, customer, amount FROM {0} WHERE id BETWEEN {3} AND {3} + 99 ORDER BY id",
            "SELECT 1",
        ];
        Console.WriteLine($"{clients} concurrent clients, {duration.TotalSeconds:0} s each side, query mix of {mix.Length}:");
        foreach ((string name, string connectionString, string table) in new[] { ("endpoint", medallion, "gold.orders"), ("PostgreSQL 15", postgres, "bench_orders") })
        {
            var latencies = new List<double>[clients];
            int errors = 0;
            var connections = new NpgsqlConnection[clients];
            Stopwatch connecting = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
            {
                connections[client] = new NpgsqlConnection(connectionString);
                await connections[client].OpenAsync();
            }));
            TimeSpan connected = connecting.Elapsed;
            Stopwatch wall = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
            {
                var mine = latencies[client] = [];
                var random = new Random(client);
                await using NpgsqlConnection connection = connections[client];
                for (int i = 0; wall.Elapsed < duration; i++)
                {
                    string sql = string.Format(System.Globalization.CultureInfo.InvariantCulture, mix[i % mix.Length], table, random.Next(1000), random.Next(7), random.Next(9_000_000));
                    long started = Stopwatch.GetTimestamp();
                    try
                    {
                        await using var command = new NpgsqlCommand(sql, connection);
                        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
                        while (await reader.ReadAsync())
                        {
                        }
                    }
                    catch (NpgsqlException)
                    {
                        Interlocked.Increment(ref errors);
                    }

                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }));
            double[] all = latencies.SelectMany(l => l).OrderBy(l => l).ToArray();
            double p50 = all[all.Length / 2];
            double p99 = all[Math.Min(all.Length - 1, (int)(all.Length * 0.99))];
            Console.WriteLine($"  {name}: {clients} connections opened at once in {connected.TotalMilliseconds:0} ms; {all.Length:N0} queries in {wall.Elapsed.TotalSeconds:0.0} s = {all.Length / wall.Elapsed.TotalSeconds:0.0} queries/s, p50 {p50:0.0} ms, p99 {p99:0.0} ms, {errors} errors");
        }
    }

    private static async Task ScalarRowsAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
        }
    }

    private static async Task ReadAllAsync(string connectionString, string sql, long expected)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        long rows = 0;
        decimal sink = 0;
        while (await reader.ReadAsync())
        {
            sink += reader.GetInt64(0) + reader.GetInt32(1) + reader.GetDecimal(2) + reader.GetInt32(4);
            _ = reader.GetDateTime(3);
            rows++;
        }

        if (rows != expected)
        {
            throw new InvalidOperationException($"expected {expected} rows, read {rows} (checksum {sink})");
        }
    }

    /// <summary>
    /// Runs the baseline and the candidate alternately, after one warm-up each, <see cref="PairedRepeats"/> times: on a
    /// machine whose load drifts, each pair sees about the same load, so the median of the pairs' ratios is fairer than a
    /// ratio of medians taken minutes apart. Also the process's CPU time per run (the server runs in this process), which
    /// other processes' load changes far less than wall time.
    /// </summary>
    private static async Task<Paired> PairedAsync(Func<Task> baseline, Func<Task> candidate)
    {
        await baseline();
        await candidate();
        var runs = new List<(TimeSpan Wall, TimeSpan Cpu)>[] { [], [] };
        for (int i = 0; i < PairedRepeats; i++)
        {
            foreach ((int side, Func<Task> action) in new[] { (0, baseline), (1, candidate) })
            {
                TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
                Stopwatch elapsed = Stopwatch.StartNew();
                await action();
                runs[side].Add((elapsed.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu));
            }
        }

        static double Median(IEnumerable<double> values) => values.OrderBy(v => v).ElementAt(PairedRepeats / 2);
        return new Paired(
            Median(runs[0].Select(r => r.Wall.TotalMilliseconds)), Median(runs[1].Select(r => r.Wall.TotalMilliseconds)),
            Median(runs[0].Zip(runs[1], (b, c) => c.Wall / b.Wall)),
            Median(runs[0].Select(r => r.Cpu.TotalMilliseconds)), Median(runs[1].Select(r => r.Cpu.TotalMilliseconds)));
    }

    /// <summary>Medians of a <see cref="PairedAsync"/> run: wall and CPU milliseconds of each side, and the wall ratio of the pairs.</summary>
    private sealed record Paired(double BaselineWallMs, double CandidateWallMs, double WallRatio, double BaselineCpuMs, double CandidateCpuMs)
    {
        public string Baseline => $"{BaselineWallMs:0.0} ms (CPU {BaselineCpuMs:0} ms)";

        public string Candidate => $"{CandidateWallMs:0.0} ms (CPU {CandidateCpuMs:0} ms)";

        public string Ratio => $"{WallRatio:0.00}x (CPU {CandidateCpuMs / BaselineCpuMs:0.00}x)";
    }

    /// <summary>Runs once to warm up, then <see cref="Repeats"/> times; the median.</summary>
    private static async Task<TimeSpan> MedianAsync(Func<Task> action)
    {
        await action();
        var times = new List<TimeSpan>();
        for (int i = 0; i < Repeats; i++)
        {
            Stopwatch elapsed = Stopwatch.StartNew();
            await action();
            times.Add(elapsed.Elapsed);
        }

        times.Sort();
        return times[Repeats / 2];
    }

    private static string Ms(TimeSpan time) => $"{time.TotalMilliseconds:0.0} ms";

    private static string Met(bool met) => met ? "met" : "NOT met";
}
