using System.Collections.Generic;

namespace Medallion.Engine;

/// <summary>What a write operation did.</summary>
/// <param name="Operation">The operation as recorded in <c>commitInfo</c>, e.g. <c>WRITE</c>, <c>DELETE</c>, <c>MERGE</c>.</param>
/// <param name="TablePath">The table root.</param>
/// <param name="Version">The version committed; when nothing was committed, the table's current version (-1 for no table).</param>
/// <param name="Committed">False when there was nothing to commit (no matching rows, or an application transaction already committed).</param>
public sealed record DeltaOperationResult(string Operation, string TablePath, long Version, bool Committed)
{
    /// <summary>Data files added.</summary>
    public int FilesAdded { get; init; }

    /// <summary>Data files removed (logically; VACUUM deletes them later).</summary>
    public int FilesRemoved { get; init; }

    /// <summary>Rows written, deleted, updated or merged, as the operation counts them.</summary>
    public long RowsAffected { get; init; }

    /// <summary>The <c>operationMetrics</c> of the commit (and other operation-specific figures).</summary>
    public IReadOnlyDictionary<string, string> Metrics { get; init; } = new Dictionary<string, string>();

    /// <summary>Files the operation deleted, or would delete in a dry run (VACUUM), relative to the table root.</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];

    /// <summary>A checkpoint written after the commit, if one was due.</summary>
    public long? CheckpointVersion { get; init; }

    /// <summary>Problems that did not fail the operation (e.g. a checkpoint after the commit that could not be written).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
