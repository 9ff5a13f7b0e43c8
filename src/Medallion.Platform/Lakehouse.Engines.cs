using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
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
        return new TableForEngines(summary, StorageResolver.ToUri(entry.Location), snapshot, columns, createdAt);
    }
}
