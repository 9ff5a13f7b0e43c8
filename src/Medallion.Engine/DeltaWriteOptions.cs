using System.Collections.Generic;
using Medallion.Delta.Transactions;

namespace Medallion.Engine;

/// <summary>Options of <see cref="DeltaWriter.WriteAsync"/>.</summary>
public sealed record DeltaWriteOptions
{
    /// <summary>Append (default) or overwrite.</summary>
    public DeltaWriteMode Mode { get; init; } = DeltaWriteMode.Append;

    /// <summary>With <see cref="DeltaWriteMode.Overwrite"/>: a SQL predicate; only rows matching it are replaced, and every written row must match it.</summary>
    public string? ReplaceWhere { get; init; }

    /// <summary>Add columns the data has and the table does not (as nullable columns) instead of refusing the write.</summary>
    public bool MergeSchema { get; init; }

    /// <summary>
    /// With <see cref="DeltaWriteMode.Overwrite"/> (and no <see cref="ReplaceWhere"/>): replace the table's schema with the
    /// data's when they differ (columns dropped, added or retyped), as Delta's <c>overwriteSchema</c> does; partitioning
    /// follows <see cref="PartitionBy"/> when given. Not for tables with column mapping, whose schema is aligned as usual.
    /// </summary>
    public bool OverwriteSchema { get; init; }

    /// <summary>Partition columns, used only when the write creates the table.</summary>
    public IReadOnlyList<string> PartitionBy { get; init; } = [];

    /// <summary>Table properties, used only when the write creates the table.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// With <see cref="ApplicationVersion"/>: an application id recorded in a <c>txn</c> action. A write whose
    /// version for this id is already committed does nothing, so a retried batch is written once.
    /// </summary>
    public string? ApplicationId { get; init; }

    /// <summary>The application's version (e.g. a batch number or source position) for <see cref="ApplicationId"/>.</summary>
    public long? ApplicationVersion { get; init; }

    /// <summary>
    /// Metadata domains (name to configuration, usually JSON) set in the same commit as the rows, such as the
    /// files or source position a load consumed: they commit atomically with the data and survive checkpoints
    /// (read them back from <c>Snapshot.DomainMetadata</c>). A concurrent commit that sets the same domain
    /// conflicts. Names starting with <c>delta.</c> are reserved for the protocol.
    /// </summary>
    public IReadOnlyDictionary<string, string> DomainMetadata { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Entries added to the <c>operationMetrics</c> of the commit's <c>commitInfo</c>: figures the caller knows about the
    /// written rows (such as estimates made while checking them), kept with the version they describe. The names the
    /// writer sets itself (<c>numFiles</c>, <c>numOutputRows</c>, ...) are refused.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metrics { get; init; } = new Dictionary<string, string>();

    /// <summary>How concurrent commits are checked against this write.</summary>
    public DeltaIsolationLevel Isolation { get; init; } = DeltaIsolationLevel.WriteSerializable;
}
