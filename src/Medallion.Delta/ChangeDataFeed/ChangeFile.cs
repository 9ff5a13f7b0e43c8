using System;
using System.Collections.Generic;

namespace Medallion.Delta.ChangeDataFeed;

/// <summary>
/// One file contributing rows to the change data feed of one commit. Rows are either every row of the file
/// except <see cref="DeletedRowIndexes"/>, or, when <see cref="SelectedRowIndexes"/> is set, only those rows.
/// </summary>
public sealed class ChangeFile
{
    internal ChangeFile(long commitVersion, DateTimeOffset commitTimestamp, string path, string? externalPath, IReadOnlyDictionary<string, object?> partitionValues,
        string? changeType, IReadOnlyList<long> deletedRowIndexes, IReadOnlyList<long>? selectedRowIndexes)
    {
        CommitVersion = commitVersion;
        CommitTimestamp = commitTimestamp;
        Path = path;
        ExternalPath = externalPath;
        PartitionValues = partitionValues;
        ChangeType = changeType;
        DeletedRowIndexes = deletedRowIndexes;
        SelectedRowIndexes = selectedRowIndexes;
    }

    /// <summary>The version whose commit holds the change (<c>_commit_version</c>).</summary>
    public long CommitVersion { get; }

    /// <summary>The commit time (<c>_commit_timestamp</c>): in-commit timestamp when present, else commit file time.</summary>
    public DateTimeOffset CommitTimestamp { get; }

    /// <summary>The file path relative to the table root, decoded.</summary>
    public string Path { get; }

    /// <summary>
    /// The absolute path or URI (decoded; a <c>file:</c> URI as its path) the log names for a file outside the table
    /// root, which a reader opens there; <see langword="null"/> for a file in the table, the object <see cref="Path"/> of its store.
    /// </summary>
    public string? ExternalPath { get; }

    /// <summary>Typed partition values by logical column name.</summary>
    public IReadOnlyDictionary<string, object?> PartitionValues { get; }

    /// <summary>
    /// <c>insert</c> or <c>delete</c> for data files read as changes; <see langword="null"/> for change data
    /// files (<c>cdc</c> actions), whose rows carry their own <c>_change_type</c> column.
    /// </summary>
    public string? ChangeType { get; }

    /// <summary>True for a change data file written by the writer (<c>_change_data/...</c>).</summary>
    public bool IsChangeDataFile => ChangeType is null;

    /// <summary>Row indexes to leave out (the file's deletion vector), ascending.</summary>
    public IReadOnlyList<long> DeletedRowIndexes { get; }

    /// <summary>When set, only these row indexes are changes (rows a deletion vector update deleted or restored).</summary>
    public IReadOnlyList<long>? SelectedRowIndexes { get; }
}
