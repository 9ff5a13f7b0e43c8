using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;

namespace Medallion.Platform.Observability;

/// <summary>The metrics whose history is checked for anomalies.</summary>
public enum ObservedMetric
{
    /// <summary>Rows a load added (drops and spikes count).</summary>
    Volume,

    /// <summary>Time since the previous load (only a longer wait counts: a late load).</summary>
    Freshness,
}

/// <summary>One commit as data observability sees it: when, what, and how many rows it moved (from the files' statistics).</summary>
/// <param name="Version">The table version.</param>
/// <param name="Timestamp">The commit time.</param>
/// <param name="Operation">The commit's operation (WRITE, MERGE, OPTIMIZE...), when recorded.</param>
/// <param name="ChangesData">Whether the commit changed data (adds or removes with <c>dataChange</c>), rather than only rearranging files or metadata.</param>
/// <param name="RowsAdded">Rows in the data files it added, or the commit's <c>numOutputRows</c> metric; null when neither is known.</param>
/// <param name="TotalRows">Rows in the table after the commit, when every live file has statistics.</param>
public sealed record CommitObservation(long Version, DateTimeOffset Timestamp, string? Operation, bool ChangesData, long? RowsAdded, long? TotalRows);

/// <summary>A change of the table's schema between two versions.</summary>
/// <param name="Version">The version whose <c>metaData</c> changed the schema.</param>
/// <param name="Timestamp">When.</param>
/// <param name="Added">Columns that appeared, as <c>name type</c>.</param>
/// <param name="Removed">Columns that vanished, as <c>name type</c>.</param>
/// <param name="TypeChanged">Columns whose type changed, as <c>name: old -> new</c>.</param>
public sealed record SchemaChange(long Version, DateTimeOffset Timestamp, IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> TypeChanged)
{
    /// <summary>The change in one line: <c>+ discount decimal(10,2); - coupon string</c>.</summary>
    public string Describe() => string.Join("; ", [.. Added.Select(a => "+ " + a), .. Removed.Select(r => "- " + r), .. TypeChanged.Select(t => "~ " + t)]);
}

/// <summary>One column's values as the data files' statistics describe them: no scan of the data.</summary>
/// <param name="Column">The column (logical name).</param>
/// <param name="Type">Its Delta type.</param>
/// <param name="NullCount">Nulls across the live files, when every file records them.</param>
/// <param name="NullFraction">Nulls over rows, when both are known.</param>
/// <param name="Min">The smallest value across the files, as JSON text, when recorded.</param>
/// <param name="Max">The largest value across the files, as JSON text, when recorded.</param>
/// <param name="ApproxDistinct">
/// Distinct values (NULL not counted) estimated by the last full build that checked the rows (a HyperLogLog sketch, about
/// 1.6 % standard error), as of <see cref="TableObservation.DistinctCountsVersion"/>; null when no commit recorded one.
/// </param>
public sealed record ColumnDistribution(string Column, string Type, long? NullCount, double? NullFraction, string? Min, string? Max, long? ApproxDistinct);

/// <summary>A value of a metric outside its expected range.</summary>
/// <param name="Table">The table.</param>
/// <param name="Metric">Volume or freshness.</param>
/// <param name="Score">The value, its expected range and score.</param>
/// <param name="Pending">True for the wait since the last load, still going on (no commit yet): the table is late now.</param>
public sealed record Anomaly(TableName Table, ObservedMetric Metric, AnomalyScore Score, bool Pending = false)
{
    /// <summary>The table version whose commit was anomalous; null for a pending freshness anomaly.</summary>
    public long? Version => Score.Point.Version;

    /// <summary>What happened, for people: <c>volume drop at version 12: 1,000 rows, expected about 10,000 (score -31.2)</c>.</summary>
    public string Describe()
    {
        string kind = Metric == ObservedMetric.Volume ? (Score.Score < 0 ? "volume drop" : "volume spike") : (Pending ? "late: no load yet" : "late load");
        string where = Pending ? "" : $" at version {Version}";
        string value = Metric == ObservedMetric.Volume
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Score.Point.Value:N0} rows, expected about {Score.Expected:N0}")
            : $"{Hours(Score.Point.Value)} since the previous load, usually about {Hours(Score.Expected)}";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kind}{where}: {value} (score {Score.Score:0.0})");
    }

    private static string Hours(double hours) => DurationText.Format(TimeSpan.FromHours(hours));
}

/// <summary>
/// The five pillars of one table at its latest version, read from its Delta log and its files' statistics: freshness,
/// volume, schema, distribution (lineage is the catalog's), and the anomalies of volume and freshness.
/// </summary>
/// <param name="Table">The table.</param>
/// <param name="Version">Its latest version.</param>
/// <param name="LastCommit">When it was last committed.</param>
/// <param name="LastDataChange">When data last changed (compaction and metadata commits do not count); null when never.</param>
/// <param name="Age">Time from <see cref="LastDataChange"/> (else <see cref="LastCommit"/>) to the time of observation.</param>
/// <param name="TotalRows">Rows now, from the files' statistics; null when a file lacks them.</param>
/// <param name="RowsAddedLastLoad">Rows the last data-changing commit added.</param>
/// <param name="Commits">The commits still in the log, oldest first.</param>
/// <param name="SchemaChanges">The schema changes in the log, oldest first.</param>
/// <param name="Columns">Each top-level column's nulls, minimum, maximum and estimated distinct values.</param>
/// <param name="Anomalies">Anomalous loads, oldest first, then the pending freshness anomaly if the table is late now.</param>
/// <param name="DistinctCountsVersion">
/// The newest version whose commit recorded distinct-count estimates (the columns' <see cref="ColumnDistribution.ApproxDistinct"/>);
/// older than <see cref="Version"/> when later commits (incremental loads, compaction) recorded none. Null when none did.
/// </param>
public sealed record TableObservation(
    TableName Table,
    long Version,
    DateTimeOffset LastCommit,
    DateTimeOffset? LastDataChange,
    TimeSpan Age,
    long? TotalRows,
    long? RowsAddedLastLoad,
    IReadOnlyList<CommitObservation> Commits,
    IReadOnlyList<SchemaChange> SchemaChanges,
    IReadOnlyList<ColumnDistribution> Columns,
    IReadOnlyList<Anomaly> Anomalies,
    long? DistinctCountsVersion);
