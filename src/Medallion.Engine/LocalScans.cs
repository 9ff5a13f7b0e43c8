using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;

namespace Medallion.Engine;

/// <summary>Plans of a Delta table's reads whose files DuckDB can open: the kernel's plan, its files then fetched to the table's <see cref="LocalMirror"/>.</summary>
public static class LocalScans
{
    /// <summary>
    /// <see cref="DeltaTable.PlanScanAsync"/>, then fetches the planned files (those left after data skipping) to the
    /// table's mirror: a remote table's files are read from the object cache, a local table's in place.
    /// </summary>
    public static async Task<ScanPlan> PlanLocalScanAsync(this DeltaTable table, Snapshot snapshot, ScanPredicate? filter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ScanPlan plan = await table.PlanScanAsync(snapshot, filter, cancellationToken).ConfigureAwait(false);
        await LocalMirror.Of(table.Store).FetchAsync(plan, cancellationToken).ConfigureAwait(false);
        return plan;
    }
}
