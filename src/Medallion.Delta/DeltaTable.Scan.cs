using System;
using System.Collections.Generic;
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

        await ErasedFiles.ThrowIfErasedAsync(Store, snapshot.Version, files, cancellationToken).ConfigureAwait(false);
        return new ScanPlan(snapshot, files, DescribeColumns(snapshot), filter, skipped);
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
