using System;
using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Scans;

/// <summary>The parsed <c>stats</c> of a file; per-column values are keyed by physical column name.</summary>
/// <param name="NumRecords">Rows in the data file (before any deletion vector), when recorded.</param>
/// <param name="TightBounds">False when the bounds may be wider than the live rows (after a deletion vector was added).</param>
/// <param name="MinValues">Per-column minimums, an object keyed by physical name (undefined when absent).</param>
/// <param name="MaxValues">Per-column maximums, an object keyed by physical name (undefined when absent).</param>
/// <param name="NullCount">Per-column null counts, an object keyed by physical name (undefined when absent).</param>
public sealed record FileStatistics(long? NumRecords, bool TightBounds, JsonElement MinValues, JsonElement MaxValues, JsonElement NullCount)
{
    /// <summary>Parses the stats JSON string; unreadable stats are treated as absent (they only serve skipping).</summary>
    public static FileStatistics? TryParse(string? stats)
    {
        if (string.IsNullOrEmpty(stats))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(stats);
            JsonElement root = doc.RootElement;
            return new FileStatistics(
                root.Long("numRecords"),
                root.Bool("tightBounds") ?? true,
                root.TryGet("minValues", out JsonElement min) ? min.Clone() : default,
                root.TryGet("maxValues", out JsonElement max) ? max.Clone() : default,
                root.TryGet("nullCount", out JsonElement nulls) ? nulls.Clone() : default);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            return null;
        }
    }
}
