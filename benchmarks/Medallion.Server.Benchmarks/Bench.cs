using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace Medallion.Server.Benchmarks;

/// <summary>What the scenarios share: percentiles, checks, the load average and a bulk-filled run history.</summary>
internal static class Bench
{
    /// <summary>Copies the template run's row under new, ordered ids: the history a server that ran for months holds.</summary>
    public static async Task CopyRunAsync(string catalogPath, string templateId, int copies)
    {
        await using var connection = new SqliteConnection($"Data Source={catalogPath}");
        await connection.OpenAsync();
        var columns = new List<string>();
        await using (SqliteCommand info = connection.CreateCommand())
        {
            info.CommandText = "SELECT name FROM pragma_table_info('runs')";
            await using SqliteDataReader reader = await info.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                columns.Add(reader.GetString(0));
            }
        }

        string others = string.Join(", ", columns.Where(c => c != "id"));
        await using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText = $"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @copies)
            INSERT INTO runs (id, {others})
            SELECT printf('%012x7000800000000%07x', @base + i, i), {others} FROM runs, n WHERE runs.id = @template
            """;
        insert.Parameters.AddWithValue("@copies", copies);
        insert.Parameters.AddWithValue("@template", templateId);
        // Older than the template, so the template stays the newest run.
        insert.Parameters.AddWithValue("@base", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (10L * copies) - 86_400_000L);
        insert.CommandTimeout = 600;
        await insert.ExecuteNonQueryAsync();
    }

    public static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        List<double> sorted = [.. values.Order()];
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    public static double Median(List<double> values) => Percentile(values, 0.5);

    public static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
