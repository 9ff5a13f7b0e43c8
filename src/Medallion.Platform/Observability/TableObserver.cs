using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Actions;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Pipelines.Running;

namespace Medallion.Platform.Observability;

/// <summary>
/// Reads a table's five pillars from its Delta log alone: commit times (freshness), the row counts in the added files'
/// statistics or the commit's <c>numOutputRows</c> (volume), <c>metaData</c> actions (schema) and the live files'
/// null counts and bounds (distribution), with the distinct counts a full model build estimated while checking its rows
/// (see <see cref="DistinctCountMetrics"/>). Nothing is scanned, and tables written by other engines are read the same way.
/// </summary>
public static class TableObserver
{
    /// <summary>The smallest volume spread: one row.</summary>
    private const double MinimumRowSpread = 1;

    /// <summary>The smallest freshness spread: one minute, in hours.</summary>
    private const double MinimumHourSpread = 1.0 / 60;

    /// <summary>Observes <paramref name="table"/> as of <paramref name="now"/>.</summary>
    /// <param name="table">The Delta table.</param>
    /// <param name="name">Its name, for the anomalies.</param>
    /// <param name="now">The time of observation: the table's age and a pending late load are measured to it.</param>
    /// <param name="options">The anomaly detector's settings; <see cref="AnomalyOptions.Default"/> when null.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaTableNotFound"/> when the table has no commits.</exception>
    public static async Task<TableObservation> ObserveAsync(DeltaTable table, TableName name, DateTimeOffset now, AnomalyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        options ??= AnomalyOptions.Default;
        var entries = new List<CommitEntry>();
        await foreach (CommitEntry entry in table.GetHistoryAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
        }

        entries.Reverse();
        Snapshot latest = await table.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        // When older commits were cleaned up, row totals start from the snapshot of the oldest commit still there.
        Snapshot? start = entries[0].Version > 0 ? await table.GetSnapshotAsync(entries[0].Version, cancellationToken).ConfigureAwait(false) : null;
        List<CommitObservation> commits = ReadCommits(entries, start);
        List<SchemaChange> schemaChanges = ReadSchemaChanges(entries);
        List<Anomaly> anomalies = FindAnomalies(name, commits, now, options);
        CommitObservation? lastLoad = commits.LastOrDefault(c => c.ChangesData);
        (long Version, Dictionary<string, long> Counts)? distinct = entries
            .Select(e => (e.Version, Counts: DistinctCountMetrics.Read(e.CommitInfo)))
            .LastOrDefault(e => e.Counts.Count > 0) is { Counts.Count: > 0 } newest ? newest : null;
        DateTimeOffset lastChange = lastLoad?.Timestamp ?? commits[^1].Timestamp;
        return new TableObservation(
            name,
            latest.Version,
            commits[^1].Timestamp,
            lastLoad?.Timestamp,
            now - lastChange,
            latest.RecordCount,
            lastLoad?.RowsAdded,
            commits,
            schemaChanges,
            Distribution(latest, distinct?.Counts ?? []),
            anomalies,
            distinct?.Version);
    }

    /// <summary>The anomalies of a commit series: each load's volume and wait against the loads before it, then the wait still going on at <paramref name="now"/>.</summary>
    internal static List<Anomaly> FindAnomalies(TableName name, IReadOnlyList<CommitObservation> commits, DateTimeOffset now, AnomalyOptions options)
    {
        List<CommitObservation> loads = commits.Where(c => c.ChangesData).ToList();
        var volume = loads.Where(c => c.RowsAdded is not null).Select(c => new MetricPoint(c.Timestamp, c.RowsAdded!.Value, c.Version)).ToList();
        var waits = loads.Skip(1).Select((c, i) => new MetricPoint(c.Timestamp, (c.Timestamp - loads[i].Timestamp).TotalHours, c.Version)).ToList();
        var anomalies = AnomalyDetector.ScoreAll(volume, options, MinimumRowSpread)
            .Where(s => s.IsAnomaly(options.Sensitivity, AnomalyDirection.Both))
            .Select(s => new Anomaly(name, ObservedMetric.Volume, s))
            .Concat(AnomalyDetector.ScoreAll(waits, options, MinimumHourSpread)
                .Where(s => s.IsAnomaly(options.Sensitivity, AnomalyDirection.Spike))
                .Select(s => new Anomaly(name, ObservedMetric.Freshness, s)))
            .OrderBy(a => a.Score.Point.Time)
            .ToList();
        if (loads.Count > 0 && now > loads[^1].Timestamp)
        {
            var waiting = new MetricPoint(now, (now - loads[^1].Timestamp).TotalHours);
            if (AnomalyDetector.Score(waits, waiting, options, MinimumHourSpread, loads[^1].Timestamp) is { } score && score.IsAnomaly(options.Sensitivity, AnomalyDirection.Spike))
            {
                anomalies.Add(new Anomaly(name, ObservedMetric.Freshness, score, Pending: true));
            }
        }

        return anomalies;
    }

    private static List<CommitObservation> ReadCommits(List<CommitEntry> entries, Snapshot? start)
    {
        // Live files and their rows, replayed forward, so each version's total needs no snapshot of its own.
        var live = new Dictionary<string, long?>(StringComparer.Ordinal);
        foreach (ScanFile file in start?.Files ?? [])
        {
            live[file.Add.Path] = file.RecordCount;
        }

        var commits = new List<CommitObservation>();
        foreach (CommitEntry entry in entries)
        {
            List<AddFile> adds = entry.Actions.OfType<AddFile>().ToList();
            List<RemoveFile> removes = entry.Actions.OfType<RemoveFile>().ToList();
            if (start is null || entry.Version > start.Version)
            {
                foreach (RemoveFile remove in removes)
                {
                    live.Remove(remove.Path);
                }

                foreach (AddFile add in adds)
                {
                    live[add.Path] = Records(add);
                }
            }

            List<AddFile> dataAdds = adds.Where(a => a.DataChange).ToList();
            bool changesData = dataAdds.Count > 0 || removes.Any(r => r.DataChange);
            long? rowsAdded = dataAdds.All(a => Records(a) is not null) && (dataAdds.Count > 0 || !changesData)
                ? dataAdds.Sum(a => Records(a)!.Value)
                : NumOutputRows(entry.CommitInfo);
            long? total = live.Values.All(v => v is not null) ? live.Values.Sum(v => v!.Value) : null;
            commits.Add(new CommitObservation(entry.Version, entry.Timestamp, entry.CommitInfo?.Operation, changesData, rowsAdded, total));
        }

        return commits;
    }

    private static long? Records(AddFile add) =>
        FileStatistics.TryParse(add.Stats)?.NumRecords is long n ? n - (add.DeletionVector?.Cardinality ?? 0) : null;

    private static long? NumOutputRows(CommitInfo? info)
    {
        if (info is null || info.Raw.ValueKind != JsonValueKind.Object || !info.Raw.TryGetProperty("operationMetrics", out JsonElement metrics)
            || metrics.ValueKind != JsonValueKind.Object || !metrics.TryGetProperty("numOutputRows", out JsonElement rows))
        {
            return null;
        }

        // Spark writes metrics as strings, others as numbers.
        return rows.ValueKind switch
        {
            JsonValueKind.Number when rows.TryGetInt64(out long n) => n,
            JsonValueKind.String when long.TryParse(rows.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long s) => s,
            _ => null,
        };
    }

    private static List<SchemaChange> ReadSchemaChanges(List<CommitEntry> entries)
    {
        var changes = new List<SchemaChange>();
        Dictionary<string, string>? previous = null;
        foreach (CommitEntry entry in entries)
        {
            if (entry.Actions.OfType<MetadataAction>().LastOrDefault() is not { } metadata)
            {
                continue;
            }

            StructType schema = SchemaParser.Parse(metadata.Metadata.SchemaString, $"version {entry.Version}");
            var columns = schema.Fields.ToDictionary(f => f.Name, f => f.Type.ToString() ?? "", StringComparer.OrdinalIgnoreCase);
            if (previous is not null)
            {
                List<string> added = columns.Where(c => !previous.ContainsKey(c.Key)).Select(c => $"{c.Key} {c.Value}").ToList();
                List<string> removed = previous.Where(c => !columns.ContainsKey(c.Key)).Select(c => $"{c.Key} {c.Value}").ToList();
                List<string> retyped = columns.Where(c => previous.TryGetValue(c.Key, out string? old) && old != c.Value).Select(c => $"{c.Key}: {previous[c.Key]} -> {c.Value}").ToList();
                if (added.Count + removed.Count + retyped.Count > 0)
                {
                    changes.Add(new SchemaChange(entry.Version, entry.Timestamp, added, removed, retyped));
                }
            }

            previous = columns;
        }

        return changes;
    }

    private static List<ColumnDistribution> Distribution(Snapshot snapshot, Dictionary<string, long> distinct)
    {
        List<FileStatistics?> stats = snapshot.Files.Select(f => FileStatistics.TryParse(f.Add.Stats)).ToList();
        long? rows = snapshot.RecordCount;
        var columns = new List<ColumnDistribution>();
        foreach (StructField field in snapshot.Schema.Fields)
        {
            if (snapshot.PartitionColumns.Contains(field.Name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            string physical = field.GetPhysicalName(snapshot.ColumnMappingMode);
            long? nulls = 0;
            JsonElement? min = null;
            JsonElement? max = null;
            bool boundsKnown = true;
            foreach (FileStatistics? s in stats)
            {
                nulls = s is not null && Get(s.NullCount, physical) is { ValueKind: JsonValueKind.Number } n && nulls is long sum ? sum + n.GetInt64() : null;
                JsonElement? low = s is null ? null : Get(s.MinValues, physical);
                JsonElement? high = s is null ? null : Get(s.MaxValues, physical);
                if (low is null || high is null)
                {
                    // A file without bounds (all nulls, or no stats) leaves the bounds unknown, unless all its values are null.
                    boundsKnown &= s?.NumRecords is long records && Get(s.NullCount, physical) is { ValueKind: JsonValueKind.Number } c && c.GetInt64() == records;
                    continue;
                }

                min = min is null || Compare(low.Value, min.Value) < 0 ? low : min;
                max = max is null || Compare(high.Value, max.Value) > 0 ? high : max;
            }

            double? fraction = nulls is long known && rows is > 0 ? (double)known / rows.Value : null;
            columns.Add(new ColumnDistribution(field.Name, field.Type.ToString() ?? "", nulls, fraction,
                boundsKnown ? min?.GetRawText() : null, boundsKnown ? max?.GetRawText() : null,
                distinct.TryGetValue(field.Name, out long estimate) ? estimate : null));
        }

        return columns;
    }

    private static JsonElement? Get(JsonElement map, string column) =>
        map.ValueKind == JsonValueKind.Object && map.TryGetProperty(column, out JsonElement value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Object) ? value : null;

    /// <summary>Numbers compare as numbers; everything else (dates, timestamps and strings are JSON strings) by ordinal text, which orders ISO dates right.</summary>
    private static int Compare(JsonElement a, JsonElement b) =>
        a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number
            ? a.GetDouble().CompareTo(b.GetDouble())
            : string.CompareOrdinal(a.ToString(), b.ToString());
}
