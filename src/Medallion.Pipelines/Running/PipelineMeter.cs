using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.Delta.Actions;

namespace Medallion.Pipelines.Running;

/// <summary>
/// The pipeline's own measurements, as <see cref="System.Diagnostics.Metrics"/> instruments of the meter
/// <see cref="Name"/>: the server exports them (to Prometheus) without this layer knowing how. Labels are bounded:
/// a table or model name and a severity, never a value.
/// </summary>
public static class PipelineMeter
{
    /// <summary>The meter's name, for listeners that pick it.</summary>
    public const string Name = "Medallion.Pipelines";

    private static readonly Meter s_meter = new(Name);

    private static readonly Counter<long> s_bytesWritten = s_meter.CreateCounter<long>(
        "medallion.table.written", "By", "Bytes of data files a commit added to a table (the commit's numOutputBytes).");

    private static readonly Counter<long> s_rulesBroken = s_meter.CreateCounter<long>(
        "medallion.quality.rules_broken", "{rule}", "Quality rules a model's rows broke, by severity (warn, quarantine, fail).");

    private static readonly Counter<long> s_tablesRemoved = s_meter.CreateCounter<long>(
        "medallion.janitor.tables_removed", "{table}", "Physical tables of model versions the janitor removed: no environment pointed at them for longer than its retention.");

    internal static void RecordTableRemoved() => s_tablesRemoved.Add(1);

    internal static void RecordCommit(TableName table, CommitInfo? commit)
    {
        if (commit is null || commit.Raw.ValueKind != JsonValueKind.Object
            || !commit.Raw.TryGetProperty("operationMetrics", out JsonElement metrics) || metrics.ValueKind != JsonValueKind.Object
            || !metrics.TryGetProperty("numOutputBytes", out JsonElement bytes))
        {
            return;
        }

        long value = bytes.ValueKind switch
        {
            JsonValueKind.Number when bytes.TryGetInt64(out long n) => n,
            JsonValueKind.String when long.TryParse(bytes.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out long n) => n,
            _ => -1,
        };
        if (value > 0)
        {
            s_bytesWritten.Add(value, new KeyValuePair<string, object?>("table", Label(table)));
        }
    }

    internal static void RecordRuleBroken(TableName model, string severity) =>
        s_rulesBroken.Add(1, new KeyValuePair<string, object?>("model", Label(model)), new KeyValuePair<string, object?>("severity", severity));

    private static string Label(TableName table) => table.ToString().ToLowerInvariant();
}
