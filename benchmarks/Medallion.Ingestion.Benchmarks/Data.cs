using System;
using System.Diagnostics;
using System.Threading.Tasks;
using Npgsql;

namespace Medallion.Ingestion.Benchmarks;

/// <summary>The source tables, generated server-side in a database of the benchmark's own.</summary>
internal static class Data
{
    public const string Database = "medallion_bench";

    /// <summary>The ten columns of the full-load table and how each is read from a binary COPY.</summary>
    public const string FullColumns = "id, qty, amount, score, name, code, active, day, created_at, ref";

    /// <summary>Creates the benchmark's database when missing; returns the connection string that uses it.</summary>
    public static async Task<string> EnsureDatabaseAsync(string server)
    {
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var exists = new NpgsqlCommand($"SELECT count(*) FROM pg_database WHERE datname = '{Database}'", connection);
            if ((long)(await exists.ExecuteScalarAsync())! == 0)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {Database}", connection);
                await create.ExecuteNonQueryAsync();
            }
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = Database }.ConnectionString;
    }

    /// <summary>
    /// <c>bench_full</c> with <paramref name="rows"/> rows: bigint, int, numeric(12,2), double, text (10% NULL),
    /// varchar, bool, date, timestamptz and uuid; kept between runs when it already has that many rows.
    /// </summary>
    public static async Task EnsureFullTableAsync(string postgres, long rows)
    {
        await using var connection = new NpgsqlConnection(postgres + ";Command Timeout=0");
        await connection.OpenAsync();
        try
        {
            await using var count = new NpgsqlCommand("SELECT count(*) FROM bench_full", connection);
            if ((long)(await count.ExecuteScalarAsync())! == rows)
            {
                Console.WriteLine($"setup: bench_full ({rows:N0} rows) already there");
                return;
            }
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // First run.
        }

        Stopwatch elapsed = Stopwatch.StartNew();
        string[] statements =
        [
            "DROP TABLE IF EXISTS bench_full",
            $"""
            CREATE TABLE bench_full AS SELECT
                i AS id,
                (i % 100000)::int AS qty,
                ((i % 1000003) * 0.01)::numeric(12,2) AS amount,
                i * 0.37::float8 AS score,
                CASE WHEN i % 10 = 0 THEN NULL ELSE 'customer ' || (i % 50000) END AS name,
                ('SKU-' || lpad((i % 99991)::text, 8, '0'))::varchar(20) AS code,
                i % 3 = 0 AS active,
                DATE '2020-01-01' + (i % 2000)::int AS day,
                TIMESTAMPTZ '2026-01-01 00:00:00+00' + i * INTERVAL '1 second' AS created_at,
                md5(i::text)::uuid AS ref
            FROM generate_series(1::bigint, {rows}) i
            """,
            "VACUUM ANALYZE bench_full",
        ];
        foreach (string statement in statements)
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync();
        }

        Console.WriteLine($"setup: generated bench_full ({rows:N0} rows) in {elapsed.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>
    /// Drops the replication slot and publication the CDC phases read <c>bench_cdc</c> through. A slot left behind keeps
    /// the server's write-ahead log from its position on, for good: one forgotten after a run held 8 GB of the test
    /// server's disk. Called before each CDC phase and when the benchmark ends.
    /// </summary>
    public static async Task DropCdcSlotAsync(string postgres)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        async Task ExecuteAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        // The stream of a benchmark that just stopped may still hold the slot: end it, then drop the slot once it is free.
        await ExecuteAsync("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'medallion_public_bench_cdc' AND active");
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await ExecuteAsync("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'medallion_public_bench_cdc'");
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 50)
            {
                await Task.Delay(100);
            }
        }

        await ExecuteAsync("DROP PUBLICATION IF EXISTS medallion_public_bench_cdc");
    }

    /// <summary>
    /// A fresh <c>bench_cdc</c> (and no slot or publication left by an earlier run) holding <paramref name="perWorker"/>
    /// rows for each generator worker, ids <c>(w + 1) * 1e9 + n</c>.
    /// </summary>
    public static async Task ResetCdcTableAsync(string postgres, int workers, int perWorker)
    {
        await DropCdcSlotAsync(postgres);
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        string[] statements =
        [
            "DROP TABLE IF EXISTS bench_cdc",
            "CREATE TABLE bench_cdc (id bigint PRIMARY KEY, qty int NOT NULL, amount numeric(12,2), note text, updated_at timestamptz NOT NULL DEFAULT now())",
            $"""
            INSERT INTO bench_cdc (id, qty, amount, note)
            SELECT (w + 1) * 1000000000::bigint + n, n, n * 0.5, 'seed ' || n
            FROM generate_series(0, {workers - 1}) w, generate_series(0, {perWorker - 1}) n
            """,
        ];
        foreach (string statement in statements)
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
