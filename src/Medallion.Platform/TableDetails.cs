using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Platform;

/// <summary>Everything known about one table.</summary>
/// <param name="Summary">The table's summary (as in the table list).</param>
/// <param name="Definition">Where it is defined and how (the model's file and materialization, or the source's files); null for other tables.</param>
/// <param name="PartitionColumns">Its partition columns.</param>
/// <param name="Columns">Its columns in table order, documented.</param>
/// <param name="RecentVersions">Its last versions, newest first.</param>
/// <param name="LastRun">The model's last run; null when it never ran.</param>
/// <param name="Quality">The latest result of each of its rules.</param>
/// <param name="Upstream">The tables it is computed from.</param>
/// <param name="Downstream">The tables computed from it.</param>
public sealed record TableDetails(
    TableSummary Summary,
    string? Definition,
    IReadOnlyList<string> PartitionColumns,
    IReadOnlyList<ColumnInfo> Columns,
    IReadOnlyList<TableVersionInfo> RecentVersions,
    ModelRunRecord? LastRun,
    IReadOnlyList<QualityResultRecord> Quality,
    IReadOnlyList<TableName> Upstream,
    IReadOnlyList<TableName> Downstream);
