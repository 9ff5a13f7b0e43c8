using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Npgsql;

namespace Medallion.PgWire.Benchmarks;

/// <summary>
/// The same rows on both sides: <c>gold.orders</c> as a Delta table (written once, kept in the temp folder) and
/// <c>bench_orders</c> in PostgreSQL, both computed from the row number so they hold identical values.
/// </summary>
internal static class Data
{
    /// <summary>The row of number <c>i</c>, in DuckDB and PostgreSQL spellings of the same arithmetic.</summary>
    private static string DuckDbRows(long rows) =>
        $"SELECT i AS id, (i % 1000)::INTEGER AS customer, ((i % 9973) * 0.01)::DECIMAL(12,2) AS amount, DATE '2026-01-01' + (i % 365)::INTEGER AS day, (i % 7)::INTEGER AS region FROM range({rows}) t(i)";

    private static string PostgresRows(long rows) =>
        $"SELECT i AS id, (i % 1000)::INTEGER AS customer, ((i % 9973) * 0.01)::NUMERIC(12,2) AS amount, DATE '2026-01-01' + (i % 365)::INTEGER AS day, (i % 7)::INTEGER AS region FROM generate_series(0::BIGINT, {rows} - 1) i";

    public static async Task EnsureDeltaTableAsync(string warehouse, long rows)
    {
        string table = Path.Combine(warehouse, "gold", "orders");
        string marker = Path.Combine(table, $"rows-{rows}");
        if (File.Exists(marker))
        {
            Console.WriteLine($"setup: Delta table gold.orders ({rows:N0} rows) already in {table}");
            return;
        }

        if (Directory.Exists(warehouse))
        {
            Directory.Delete(warehouse, recursive: true);
        }

        Stopwatch elapsed = Stopwatch.StartNew();
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();
        await new DeltaWriter(connection).WriteAsync(table, DuckDbRows(rows));
        await File.WriteAllTextAsync(marker, string.Empty);
        Console.WriteLine($"setup: wrote Delta table gold.orders ({rows:N0} rows) in {elapsed.Elapsed.TotalSeconds:0.0} s");
    }

    public static async Task EnsurePostgresTableAsync(string connectionString, long rows)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Command Timeout=0");
        await connection.OpenAsync();
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM bench_orders", connection))
        {
            try
            {
                if ((long)(await count.ExecuteScalarAsync())! == rows)
                {
                    Console.WriteLine($"setup: PostgreSQL table bench_orders ({rows:N0} rows) already loaded");
                    return;
                }
            }
            catch (PostgresException error) when (error.SqlState == "42P01")
            {
                // Not there yet.
            }
        }

        Stopwatch elapsed = Stopwatch.StartNew();
        string create = "DROP TABLE IF EXISTS bench_orders; CREATE UNLOGGED TABLE bench_orders AS " + PostgresRows(rows) + "; VACUUM ANALYZE bench_orders";
        foreach (string statement in create.Split("; "))
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync();
        }

        Console.WriteLine($"setup: loaded PostgreSQL table bench_orders ({rows:N0} rows) in {elapsed.Elapsed.TotalSeconds:0.0} s");
    }
}
