using System;
using System.Globalization;
using Medallion.DuckDb;

namespace Medallion.DuckDb.Benchmarks;

/// <summary>
/// Reading rows of (BIGINT, DOUBLE, VARCHAR) through DuckDbDataReader with typed getters, against DuckDB
/// consuming the same rows inside the engine: <c>SELECT count(*), sum(...) FROM (&lt;same query&gt;)</c>.
/// </summary>
internal static class ReadScenario
{
    private const int Repeats = 3;

    public static void Run(DuckDbConnection connection, long rows)
    {
        const string Numbers = "SELECT id, amount FROM source";
        const string WithText = "SELECT id, amount, customer FROM source";

        Console.WriteLine("read: BIGINT + DOUBLE");
        TimeSpan engineSum = Sql.Best(Repeats, () => Sql.Scalar(connection, $"SELECT count(*) + sum(id) + sum(amount) FROM ({Numbers})"));
        Sql.Report("engine: count(*), sum(id), sum(amount)", rows, engineSum, TimeSpan.Zero);
        foreach (bool stream in new[] { true, false })
        {
            // Read() alone: what fetching the chunks from DuckDB costs, before any value is read.
            TimeSpan fetch = Sql.Best(Repeats, () => ReadRowsOnly(connection, Numbers, stream, rows));
            Sql.Report($"reader Read() only, {(stream ? "streaming" : "materialized")}", rows, fetch, engineSum);
            TimeSpan reader = Sql.Best(Repeats, () => ReadNumbers(connection, Numbers, stream, rows));
            Sql.Report($"reader GetInt64+GetDouble, {(stream ? "streaming" : "materialized")}", rows, reader, engineSum, 20e6);
        }

        Console.WriteLine("read: BIGINT + DOUBLE + VARCHAR as string");
        TimeSpan engineText = Sql.Best(Repeats, () => Sql.Scalar(connection, $"SELECT count(*) + sum(id) + sum(amount) + sum(length(customer)) FROM ({WithText})"));
        Sql.Report("engine: count(*), sums, sum(length(customer))", rows, engineText, TimeSpan.Zero);
        foreach (bool stream in new[] { true, false })
        {
            TimeSpan reader = Sql.Best(Repeats, () => ReadWithText(connection, WithText, stream, rows));
            Sql.Report($"reader + GetString, {(stream ? "streaming" : "materialized")}", rows, reader, engineText, 5e6);
        }
    }

    private static void ReadRowsOnly(DuckDbConnection connection, string sql, bool stream, long expectedRows)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.StreamResults = stream;
        using DuckDbDataReader reader = command.ExecuteReader();
        long count = 0;
        while (reader.Read())
        {
            count++;
        }

        Check(expectedRows, count);
    }

    private static void ReadNumbers(DuckDbConnection connection, string sql, bool stream, long expectedRows)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.StreamResults = stream;
        using DuckDbDataReader reader = command.ExecuteReader();
        long count = 0, ids = 0;
        double amounts = 0;
        while (reader.Read())
        {
            ids += reader.GetInt64(0);
            amounts += reader.GetDouble(1);
            count++;
        }

        Check(expectedRows, count);
        GC.KeepAlive(ids + amounts);
    }

    private static void ReadWithText(DuckDbConnection connection, string sql, bool stream, long expectedRows)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.StreamResults = stream;
        using DuckDbDataReader reader = command.ExecuteReader();
        long count = 0, ids = 0, length = 0;
        double amounts = 0;
        while (reader.Read())
        {
            ids += reader.GetInt64(0);
            amounts += reader.GetDouble(1);
            length += reader.GetString(2).Length;
            count++;
        }

        Check(expectedRows, count);
        GC.KeepAlive(ids + amounts + length);
    }

    private static void Check(long expected, object? actual)
    {
        long value = Convert.ToInt64(actual, CultureInfo.InvariantCulture);
        if (value != expected)
        {
            throw new InvalidOperationException($"Expected {expected} rows, got {value}.");
        }
    }
}
