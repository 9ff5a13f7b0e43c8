using System;
using System.Collections.Generic;
using Medallion.Delta.Actions;

namespace Medallion.Delta.Scans;

/// <summary>One live logical file of a snapshot: a data file, its partition values and its deleted rows.</summary>
public sealed class ScanFile
{
    internal ScanFile(AddFile add, string key, string? externalPath, IReadOnlyDictionary<string, object?> partitionValues, FileStatistics? stats)
    {
        Add = add;
        Path = key;
        ExternalPath = externalPath;
        PartitionValues = partitionValues;
        Stats = stats;
    }

    /// <summary>The <c>add</c> action of this file, as the log holds it.</summary>
    public AddFile Add { get; }

    internal FileStatistics? Stats { get; }

    /// <summary>The data file's path relative to the table root (percent-decoded), or its absolute path when the log gave one.</summary>
    public string Path { get; }

    /// <summary>
    /// The absolute path or URI (decoded; a <c>file:</c> URI as its path) the log names for a data file outside the table
    /// root, which a reader opens there; <see langword="null"/> for a file in the table, the object <see cref="Path"/> of its store.
    /// </summary>
    public string? ExternalPath { get; }

    /// <summary>The data file size in bytes.</summary>
    public long SizeBytes => Add.Size;

    /// <summary>When the data file was written.</summary>
    public DateTimeOffset ModificationTime => DateTimeOffset.FromUnixTimeMilliseconds(Add.ModificationTime);

    /// <summary>Typed partition values keyed by logical column name (see <see cref="Schema.PartitionValues"/> for the .NET types); null partitions are <see langword="null"/>.</summary>
    public IReadOnlyDictionary<string, object?> PartitionValues { get; }

    /// <summary>Rows physically in the data file, from its statistics, if known.</summary>
    public long? PhysicalRecordCount => Stats?.NumRecords;

    /// <summary>Whether the file has a deletion vector.</summary>
    public bool HasDeletionVector => Add.DeletionVector is not null;

    /// <summary>How many rows the deletion vector deletes (0 without one).</summary>
    public long DeletedRecordCount => Add.DeletionVector?.Cardinality ?? 0;

    /// <summary>Rows of the logical file (physical rows minus deleted rows), if the statistics give the physical count.</summary>
    public long? RecordCount => Stats?.NumRecords is long n ? n - DeletedRecordCount : null;

    /// <summary>The rows <paramref name="files"/> hold after their deletion vectors; <see langword="null"/> when one has no row count.</summary>
    public static long? TotalRecordCount(IEnumerable<ScanFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        long total = 0;
        foreach (ScanFile f in files)
        {
            if (f.RecordCount is not long n)
            {
                return null;
            }

            total += n;
        }

        return total;
    }

    /// <summary>The 0-based indexes of the deleted rows, ascending; filled in by <see cref="DeltaTable.PlanScanAsync"/>, empty without a deletion vector.</summary>
    public IReadOnlyList<long> DeletedRowIndexes { get; internal set; } = [];
}
