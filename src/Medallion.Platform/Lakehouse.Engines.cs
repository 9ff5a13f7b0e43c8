using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Iceberg;
using Medallion.Delta.Snapshots;
using Medallion.Engine;

namespace Medallion.Platform;

/// <summary>The lakehouse's tables as other engines find them through a catalog API.</summary>
public sealed partial class Lakehouse
{
    /// <summary>
    /// What another engine needs of a table the reader may read: its docs, its location as a URI, its current Delta
    /// snapshot (read without its file list) and the columns the reader may read. No row is counted and no history read,
    /// so listing many tables this way costs one log read each.
    /// </summary>
    /// <param name="name">A table of <see cref="TableNames"/> (see <see cref="ResolveTable"/>).</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>The table, or null when it has no Delta version yet (nothing for an engine to read).</returns>
    public async Task<TableForEngines?> DescribeForEnginesAsync(TableName name, CancellationToken cancellationToken = default)
    {
        Entry entry = Find(name);
        if (await OpenDeltaAsync(entry.Location, cancellationToken).ConfigureAwait(false) is not { } table)
        {
            return null;
        }

        Snapshot snapshot = await table.GetLatestSnapshotWithoutFilesAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<ColumnInfo> columns = await GrantedColumnsAsync(name, entry, snapshot, cancellationToken).ConfigureAwait(false);
        DateTimeOffset createdAt = snapshot.Metadata.CreatedTime is long created
            ? DateTimeOffset.FromUnixTimeMilliseconds(created)
            : entry.Registered is { CreatedAt: var registered } && registered != default ? registered : snapshot.Timestamp;
        TableSummary summary = Declared(name, entry) with { Version = snapshot.Version, UpdatedAt = snapshot.Timestamp };
        return new TableForEngines(summary, Project.Stores.ToEngineUri(entry.Location), snapshot, columns, createdAt)
        {
            FileAccessRefusal = FileAccessRefusal(name),
            Location = entry.Location,
        };
    }

    /// <summary>
    /// The newest Iceberg metadata (Delta UniForm) of a table the reader may read; null when it has none (UniForm is not
    /// enabled, or no conversion has been written yet).
    /// </summary>
    /// <param name="name">A table of <see cref="TableNames"/> (see <see cref="ResolveTable"/>).</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<IcebergMetadataFile?> FindIcebergMetadataAsync(TableName name, CancellationToken cancellationToken = default)
    {
        Entry entry = Find(name);
        return await OpenDeltaAsync(entry.Location, cancellationToken).ConfigureAwait(false) is { } table
            ? await IcebergConverter.FindLatestAsync(table.Store, cancellationToken).ConfigureAwait(false)
            : null;
    }

    /// <summary>
    /// Why the reader may not be handed a table's files (storage paths, credentials, Iceberg metadata): what they read of
    /// it is narrowed by a row filter, masks or a column grant, which files read directly would bypass; null when they
    /// read the whole table.
    /// </summary>
    private string? FileAccessRefusal(TableName name)
    {
        if (Reader.Find(name) is not { } access)
        {
            return null;
        }

        var limits = new List<string>();
        if (access.RowFilter is not null)
        {
            limits.Add("a row filter");
        }

        if (access.Masks.Count > 0)
        {
            var masked = new List<string>(access.Masks.Keys);
            masked.Sort(StringComparer.Ordinal);
            limits.Add("masks on " + string.Join(", ", masked));
        }

        if (access.Columns is not null)
        {
            limits.Add("a grant of some of its columns");
        }

        return limits.Count == 0 ? null : $"{string.Join(", ", limits)} narrow what {Reader.Session?.User ?? "this reader"} reads of {name}, and files read directly would bypass them";
    }
}
