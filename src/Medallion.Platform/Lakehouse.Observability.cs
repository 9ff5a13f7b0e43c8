using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Platform.Observability;

namespace Medallion.Platform;

public sealed partial class Lakehouse
{
    /// <summary>
    /// The five pillars of the built tables (freshness, volume, schema, distribution; lineage is <see cref="GetLineageAsync"/>)
    /// and their volume and freshness anomalies, read from each table's Delta log and file statistics.
    /// </summary>
    /// <param name="name">One table (see <see cref="ResolveTable"/>); null for every built table.</param>
    /// <param name="now">The time of observation (the table's age, a pending late load).</param>
    /// <param name="options">The anomaly detector's settings; the defaults when null.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaTableNotFound"/> when the one table asked for has not been built.</exception>
    public async Task<IReadOnlyList<TableObservation>> ObserveAsync(TableName? name, DateTimeOffset now, AnomalyOptions? options = null, CancellationToken cancellationToken = default)
    {
        var observations = new List<TableObservation>();
        IReadOnlyList<TableName> tables = name is { } one ? [one] : TableNames;
        foreach (TableName table in tables)
        {
            Entry entry = Find(table);
            if (await OpenDeltaAsync(entry.Location, cancellationToken).ConfigureAwait(false) is not { } delta)
            {
                if (name is not null)
                {
                    throw NotBuilt(table, entry.Location);
                }

                continue;
            }

            observations.Add(await TableObserver.ObserveAsync(delta, table, now, options, cancellationToken).ConfigureAwait(false));
        }

        return observations;
    }
}
