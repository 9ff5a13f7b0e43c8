using System;
using System.Diagnostics;
using System.Globalization;
using Medallion.DuckDb;

namespace Medallion.DuckDb.Benchmarks;

internal static class Sql
{
    public static void Execute(DuckDbConnection connection, string sql)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static object? Scalar(DuckDbConnection connection, string sql)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>Runs <paramref name="body"/> <paramref name="repeats"/> times and keeps the fastest (the least disturbed by other load).</summary>
    public static TimeSpan Best(int repeats, Action body)
    {
        TimeSpan best = TimeSpan.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            Stopwatch watch = Stopwatch.StartNew();
            body();
            watch.Stop();
            if (watch.Elapsed < best)
            {
                best = watch.Elapsed;
            }
        }

        return best;
    }

    public static void Report(string name, long rows, TimeSpan elapsed, TimeSpan baseline, double? targetRowsPerSecond = null)
    {
        double rate = rows / elapsed.TotalSeconds;
        string ratio = baseline == TimeSpan.Zero ? "baseline" : (elapsed.TotalSeconds / baseline.TotalSeconds).ToString("0.00", CultureInfo.InvariantCulture) + "x engine";
        string target = targetRowsPerSecond is double goal
            ? $"  target {goal / 1e6:0.#}M rows/s: {(rate >= goal ? "met" : "MISSED")}"
            : string.Empty;
        Console.WriteLine(FormattableString.Invariant($"  {name,-44} {elapsed.TotalMilliseconds,9:0.0} ms  {rate / 1e6,7:0.00}M rows/s  {ratio,-14}{target}"));
    }
}
