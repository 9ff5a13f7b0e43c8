using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine;
using Medallion.Pipelines.Environments;

namespace Medallion.Platform;

public sealed partial class Lakehouse
{
    /// <summary>
    /// Prunes the catalog's run history: the finished runs that started before <paramref name="before"/> and everything
    /// that belongs only to them (see <see cref="RunStore.PruneRunsAsync"/> for what always stays).
    /// </summary>
    /// <param name="before">Runs that started before this instant may go.</param>
    /// <param name="dryRun">Count what would go and change nothing.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public Task<RunPruning> PruneRunsAsync(DateTimeOffset before, bool dryRun = false, CancellationToken cancellationToken = default) =>
        _catalog is null
            ? Task.FromResult(new RunPruning(before, dryRun, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            : _catalog.Runs.PruneRunsAsync(before, dryRun, cancellationToken);

    /// <summary>
    /// Keeps every built table of the project tidy (<see cref="DeltaWriter.MaintainAsync"/>): a checkpoint when one is
    /// overdue, expired log files removed, and unreferenced data files vacuumed, each per the table's own retentions or
    /// the project's <c>maintenance:</c> defaults. Tables not built yet are skipped, and so is the platform's audit,
    /// which has an upkeep of its own. A table that fails is reported and the others go on. A file a live shallow clone of
    /// an environment still reads (<see cref="CloneReferences"/>) is never vacuumed.
    /// </summary>
    /// <param name="cancellationToken">Stops between tables.</param>
    /// <returns>One outcome per table looked at, in the project's table order.</returns>
    public async Task<IReadOnlyList<TableUpkeep>> MaintainTablesAsync(CancellationToken cancellationToken = default)
    {
        DeltaWriter writer = NewWriter();
        CloneReferences clones = _catalog is null
            ? CloneReferences.None
            : await CloneReferences.FindAsync(_environment, Project.Maintenance.JanitorRetention, cancellationToken).ConfigureAwait(false);
        var outcomes = new List<TableUpkeep>();
        foreach (TableName name in _tables.Keys.Order(Comparer<TableName>.Create(Compare)))
        {
            string location = _tables[name].Location;
            try
            {
                if (await writer.TryGetSnapshotAsync(location, cancellationToken).ConfigureAwait(false) is null)
                {
                    continue;
                }

                TableMaintenance done = await writer.MaintainAsync(location, Project.Maintenance.LogRetention, Project.Maintenance.DeletedFileRetention, clones.KeysUnder(location), cancellationToken).ConfigureAwait(false);
                outcomes.Add(new TableUpkeep(name, done, null));
            }
            catch (MedallionException e) when (e.Code == ErrorCode.DeltaTableProtected)
            {
                // The audit: its own upkeep (AuditLog.MaintainAsync) packs and vacuums it.
            }
            catch (MedallionException e)
            {
                outcomes.Add(new TableUpkeep(name, null, e.Message));
            }
        }

        return outcomes;
    }
}
