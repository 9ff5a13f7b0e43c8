using System;
using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Cli.Browsing;

/// <summary>Where a table comes from.</summary>
internal enum TableKind
{
    /// <summary>A file source's target (bronze).</summary>
    Source,
    /// <summary>A SQL model.</summary>
    Model,
    /// <summary>The rows a model's <c>quarantine</c> rules set aside.</summary>
    Quarantine,
    /// <summary>Known only to the catalog or the storage (e.g. a table another tool wrote).</summary>
    Other,
}

/// <summary>One line of <c>medallion tables</c>: what the project, the catalog and the Delta log say about a table.</summary>
/// <param name="Name">The table.</param>
/// <param name="Kind">Where it comes from.</param>
/// <param name="Location">Where its files live.</param>
/// <param name="Version">The current Delta version; null when the table has not been built.</param>
/// <param name="Rows">Rows at the current version; null when not built.</param>
/// <param name="UpdatedAt">When the current version was committed; null when not built.</param>
/// <param name="Owner">Who to ask about it.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="Description">What it holds.</param>
internal sealed record TableSummary(
    TableName Name,
    TableKind Kind,
    string Location,
    long? Version,
    long? Rows,
    DateTimeOffset? UpdatedAt,
    string? Owner,
    IReadOnlyList<string> Tags,
    string? Description)
{
    public bool Built => Version is not null;
}

/// <summary>A column as <c>medallion describe</c> shows it: its type from the Delta schema and its docs from the project or catalog.</summary>
internal sealed record ColumnInfo(string Name, string DataType, bool Nullable, string? Description, string? Classification, IReadOnlyList<string> Tags);

/// <summary>One version of a table: from its Delta log, with the run that wrote it from the catalog.</summary>
/// <param name="Version">The Delta version.</param>
/// <param name="Timestamp">When it was committed.</param>
/// <param name="Operation">The commit's operation (WRITE, MERGE, ...).</param>
/// <param name="Rows">Rows in the table after the commit, when known.</param>
/// <param name="RunId">The Medallion run that committed it, when one did.</param>
internal sealed record VersionInfo(long Version, DateTimeOffset Timestamp, string? Operation, long? Rows, string? RunId);

/// <summary>Everything <c>medallion describe</c> shows about one table.</summary>
internal sealed record TableDetails(
    TableSummary Summary,
    string? Definition,
    IReadOnlyList<string> PartitionColumns,
    IReadOnlyList<ColumnInfo> Columns,
    IReadOnlyList<VersionInfo> RecentVersions,
    ModelRunRecord? LastRun,
    IReadOnlyList<QualityResultRecord> Quality,
    IReadOnlyList<TableName> Upstream,
    IReadOnlyList<TableName> Downstream);

/// <summary>A run with its models counted by outcome, for <c>medallion runs</c>.</summary>
internal sealed record RunSummary(RunRecord Run, int Succeeded, int Failed, int Skipped, int Other)
{
    public TimeSpan? Duration => Run.FinishedAt - Run.StartedAt;
}
