using System.Collections.Generic;
using Medallion.Delta.Snapshots;

namespace Medallion.Delta.Scans;

/// <summary>
/// What an engine needs to read a snapshot as SQL rows: the files to read (after pruning) with their partition
/// values and deleted row indexes, and the columns with their physical names and types. The engine reads each
/// file's physical columns, renames them to logical names, fills partition columns from
/// <see cref="ScanFile.PartitionValues"/>, and drops the rows in <see cref="ScanFile.DeletedRowIndexes"/>.
/// </summary>
public sealed class ScanPlan
{
    internal ScanPlan(Snapshot snapshot, IReadOnlyList<ScanFile> files, IReadOnlyList<ScanColumn> columns, ScanPredicate? filter, int skippedFiles)
    {
        Snapshot = snapshot;
        Files = files;
        Columns = columns;
        Filter = filter;
        SkippedFileCount = skippedFiles;
    }

    /// <summary>The snapshot being scanned.</summary>
    public Snapshot Snapshot { get; }

    /// <summary>The files that may hold matching rows, with their deletion vectors loaded.</summary>
    public IReadOnlyList<ScanFile> Files { get; }

    /// <summary>The table's columns in schema order.</summary>
    public IReadOnlyList<ScanColumn> Columns { get; }

    /// <summary>The predicate used for pruning, if any. Pruning is conservative; the engine must still apply the filter to rows.</summary>
    public ScanPredicate? Filter { get; }

    /// <summary>How many live files pruning skipped.</summary>
    public int SkippedFileCount { get; }
}
