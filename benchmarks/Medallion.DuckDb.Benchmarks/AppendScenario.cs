using System;
using System.Globalization;
using Medallion.DuckDb;

namespace Medallion.DuckDb.Benchmarks;

/// <summary>
/// Appending rows of (BIGINT, DOUBLE, VARCHAR, INTEGER) with DuckDbAppender, against
/// <c>INSERT INTO ... SELECT ... FROM range()</c> inside DuckDB as the ceiling.
/// </summary>
internal static class AppendScenario
{
    private const int Repeats = 2;

    public static void Run(DuckDbConnection connection, long rows)
    {
        Console.WriteLine("append: BIGINT, DOUBLE, VARCHAR, INTEGER");
        string[] customers = new string[1000];
        for (int i = 0; i < customers.Length; i++)
        {
            customers[i] = "customer-" + i.ToString(CultureInfo.InvariantCulture);
        }

        TimeSpan engine = Sql.Best(Repeats, () =>
        {
            Recreate(connection);
            Sql.Execute(connection, $"INSERT INTO target SELECT i, i * 0.5, 'customer-' || (i % 1000), (i % 100)::INTEGER FROM range({rows}) t(i)");
        });
        Sql.Report("engine: INSERT INTO ... SELECT FROM range()", rows, engine, TimeSpan.Zero);

        TimeSpan appender = Sql.Best(Repeats, () =>
        {
            Recreate(connection);
            using DuckDbAppender append = connection.CreateAppender("target");
            for (long i = 0; i < rows; i++)
            {
                append.BeginRow().Append(i).Append(i * 0.5).Append(customers[i % 1000]).Append((int)(i % 100)).EndRow();
            }
        });
        long count = Convert.ToInt64(Sql.Scalar(connection, "SELECT count(*) FROM target"), CultureInfo.InvariantCulture);
        if (count != rows)
        {
            throw new InvalidOperationException($"Expected {rows} rows, got {count}.");
        }

        Sql.Report("appender: 4 typed Append calls per row", rows, appender, engine, 2.5e6);
    }

    private static void Recreate(DuckDbConnection connection) =>
        Sql.Execute(connection, "DROP TABLE IF EXISTS target; CREATE TABLE target (id BIGINT, amount DOUBLE, customer VARCHAR, bucket INTEGER)");
}
