using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;

namespace Medallion.Pipelines.Running;

/// <summary>A committed table version as the catalog records it (see <see cref="CommitRecorder"/>).</summary>
/// <param name="Table">The table's registration, used when the catalog does not know the table yet.</param>
/// <param name="Version">The version with its schema and sizes.</param>
/// <param name="Columns">The table's columns as of that version, with their docs.</param>
internal sealed record CommitRecord(CatalogTable Table, TableVersionRecord Version, IReadOnlyList<CatalogColumn> Columns)
{
    /// <summary>For a model's own table: what the environment now holds of the model (what <c>medallion plan</c> compares with); null for other tables.</summary>
    public ModelStateRecord? State { get; init; }

    /// <summary>
    /// Leaves the catalog's columns of the table as they are: a build in an environment other than <c>prod</c> wrote a
    /// physical table of its own, whose version is recorded under its pointer (<see cref="TableVersionRecord.Location"/>),
    /// while the catalog's columns describe the table prod serves (a promotion makes them the promoted table's).
    /// </summary>
    public bool KeepColumns { get; init; }

    /// <summary>The model's lineage as built, to record of the physical table its <see cref="State"/> points at; null to leave lineage alone.</summary>
    public IReadOnlyList<LineageEdge>? Lineage { get; init; }

    /// <summary>Writes the version, the columns, the model's state, its lineage and the step's outcome when given, in one catalog write.</summary>
    public async Task WriteAsync(CatalogStore catalog, ModelRunRecord? modelRun)
    {
        CrashPoint.Reach("run.committed.before-catalog");
        await catalog.Runs.RecordCommitAsync(Table, Version, KeepColumns ? null : Columns, modelRun, State, State is null ? null : Lineage, CancellationToken.None).ConfigureAwait(false);
    }
}
