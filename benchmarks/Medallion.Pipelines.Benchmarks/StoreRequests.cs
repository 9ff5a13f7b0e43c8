using System;
using System.Collections.Generic;
using System.Linq;

namespace Medallion.Pipelines.Benchmarks;

/// <summary>
/// The requests a phase made of the GCS test server, by kind, when the benchmark serves the store itself: what each
/// run costs in round trips, which decide its time on a real store more than on a loopback one.
/// </summary>
internal static class StoreRequests
{
    /// <summary>Every request the server received so far (<c>METHOD /path?query</c>), or null when the store is not served here.</summary>
    public static Func<IReadOnlyList<string>>? Source { get; set; }

    /// <summary>How many requests, then how many of each kind (<c>list</c>, <c>read log</c>, <c>read data</c>, <c>info</c>, <c>write log</c>, ...).</summary>
    public static string Describe(IReadOnlyList<string> requests)
    {
        IEnumerable<string> kinds = requests.Select(Kind).GroupBy(k => k).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
        return $"{requests.Count} ({string.Join(", ", kinds)})";
    }

    private static string Kind(string request)
    {
        string[] parts = request.Split(' ', 2);
        string target = Uri.UnescapeDataString(parts.Length > 1 ? parts[1] : string.Empty);
        string what = target.Contains("_last_checkpoint", StringComparison.Ordinal) ? "hint"
            : target.Contains(".checkpoint.parquet", StringComparison.Ordinal) ? "checkpoint"
            : target.Contains("/_delta_log/", StringComparison.Ordinal) ? "log"
            : target.Contains(".parquet", StringComparison.Ordinal) ? "data"
            : "other";
        return parts[0] switch
        {
            "GET" when target.Contains("alt=media", StringComparison.Ordinal) => "read " + what,
            "GET" when target.Contains("/o?", StringComparison.Ordinal) || target.EndsWith("/o", StringComparison.Ordinal) => "list",
            "GET" => "info " + what,
            "POST" or "PUT" => "write " + what,
            "DELETE" => "delete " + what,
            _ => parts[0],
        };
    }
}
