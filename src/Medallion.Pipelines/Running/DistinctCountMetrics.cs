using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using Medallion.Delta.Actions;

namespace Medallion.Pipelines.Running;

/// <summary>
/// How a model build records its columns' estimated distinct counts: one <c>operationMetrics</c> entry per column in
/// the <c>commitInfo</c> of the commit, <c>approxDistinct.&lt;column&gt;</c> = the estimate, set only when the commit
/// holds every row the table has afterwards (a full build), since the estimates cannot be added up across commits.
/// </summary>
/// <remarks>
/// The commit rather than the catalog, because it is the least plumbing and the estimate belongs to exactly that
/// version: the writer already takes extra metrics, the entries are written atomically with the rows (no catalog row
/// for a version that never committed, or missing for one that did), and <c>medallion monitor</c>'s observer already
/// walks the log's <c>commitInfo</c> for <c>numOutputRows</c>. The catalog would take a migration, a table, its API and
/// a catalog in the observer, which reads nothing but the Delta log. Other engines keep the entries as they keep any
/// metric; they go when the log is cleaned up, like the rest of the history.
/// </remarks>
public static class DistinctCountMetrics
{
    /// <summary>The start of each entry's name; the column's name follows.</summary>
    public const string Prefix = "approxDistinct.";

    /// <summary>The <c>operationMetrics</c> entries for <paramref name="estimates"/> (column to estimated distinct values).</summary>
    public static Dictionary<string, string> ToMetrics(IReadOnlyDictionary<string, long> estimates)
    {
        ArgumentNullException.ThrowIfNull(estimates);
        return estimates.ToDictionary(e => Prefix + e.Key, e => e.Value.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }

    /// <summary>The estimates a commit recorded, by column (case-insensitive); empty when it recorded none.</summary>
    public static Dictionary<string, long> Read(CommitInfo? commit)
    {
        var estimates = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        if (commit is null || commit.Raw.ValueKind != JsonValueKind.Object
            || !commit.Raw.TryGetProperty("operationMetrics", out JsonElement metrics) || metrics.ValueKind != JsonValueKind.Object)
        {
            return estimates;
        }

        foreach (JsonProperty metric in metrics.EnumerateObject())
        {
            if (!metric.Name.StartsWith(Prefix, StringComparison.Ordinal) || metric.Name.Length == Prefix.Length)
            {
                continue;
            }

            // Written as strings, as Spark writes its metrics; a number is read too.
            long? value = metric.Value.ValueKind switch
            {
                JsonValueKind.Number when metric.Value.TryGetInt64(out long n) => n,
                JsonValueKind.String when long.TryParse(metric.Value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out long n) => n,
                _ => null,
            };
            if (value is long estimate)
            {
                estimates[metric.Name[Prefix.Length..]] = estimate;
            }
        }

        return estimates;
    }
}
