using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.DeletionVectors;
using Medallion.Delta.Internal;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;

namespace Medallion.Delta;

public sealed partial class DeltaTable
{
    /// <summary>
    /// Plans a scan of <paramref name="snapshot"/>: prunes files with <paramref name="filter"/> (partition values
    /// and min/max statistics), loads the deleted row indexes of the remaining files, and describes the columns.
    /// Deletion vectors of all planned files are held in memory.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaInvalidPredicate"/> for a filter on an unknown column or with a literal of the wrong type;
    /// <see cref="ErrorCode.DeltaInvalidDeletionVector"/> when a deletion vector cannot be read;
    /// <see cref="ErrorCode.DeltaFileErased"/> when a data subject erasure removed a file of the snapshot (see <see cref="ErasedFiles"/>).</exception>
    public async Task<ScanPlan> PlanScanAsync(Snapshot snapshot, ScanPredicate? filter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        DataSkipping? skipping = filter is null ? null : new DataSkipping(snapshot, filter);
        var files = new List<ScanFile>(snapshot.Files.Count);
        int skipped = 0;
        foreach (ScanFile file in snapshot.Files)
        {
            if (skipping is not null && !skipping.MayMatch(file))
            {
                skipped++;
                continue;
            }

            if (file.Add.DeletionVector is { } dv && file.DeletedRowIndexes.Count != dv.Cardinality)
            {
                file.DeletedRowIndexes = await DeletionVectorReader.ReadAsync(Store, dv, file.Path, cancellationToken).ConfigureAwait(false);
            }

            files.Add(file);
        }

        // The erasure records are listed while the files are fetched; an erased file's error is the erasure's, not its fetch's.
        Task erased = ErasedFiles.ThrowIfErasedAsync(Store, snapshot.Version, files, cancellationToken);
        try
        {
            await FetchToLocalAsync(files.Select(f => f.Path), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await erased.ConfigureAwait(false);
            throw;
        }

        await erased.ConfigureAwait(false);
        return new ScanPlan(snapshot, files, DescribeColumns(snapshot), filter, skipped);
    }

    /// <summary>
    /// Makes the planned files of a remote table readable at their <see cref="ScanFile.AbsolutePath"/> (the store's local
    /// mirror), downloading in parallel what the cache lacks: only the files left after data skipping. Files the log
    /// names by an absolute URI outside the table are left to the reader.
    /// </summary>
    private Task FetchToLocalAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        // A file outside the table keeps its absolute path or URI as its key.
        List<string> inside = keys.Where(k => !TablePaths.IsAbsolute(k)).ToList();
        return inside.Count == 0 ? Task.CompletedTask : Store.FetchToLocalAsync(inside, cancellationToken);
    }

    /// <summary>The columns of <paramref name="snapshot"/>'s schema as data files and partition values hold them (physical names and types under column mapping).</summary>
    public static List<ScanColumn> DescribeColumns(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var partitions = new HashSet<string>(snapshot.PartitionColumns, StringComparer.OrdinalIgnoreCase);
        var columns = new List<ScanColumn>(snapshot.Schema.Fields.Count);
        foreach (StructField field in snapshot.Schema.Fields)
        {
            columns.Add(new ScanColumn(
                field.Name,
                field.GetPhysicalName(snapshot.ColumnMappingMode),
                snapshot.ColumnMappingMode == ColumnMappingMode.Id ? field.ColumnId : null,
                field.Type,
                ColumnMapping.ToPhysical(field.Type, snapshot.ColumnMappingMode),
                partitions.Contains(field.Name)));
        }

        return columns;
    }
}
