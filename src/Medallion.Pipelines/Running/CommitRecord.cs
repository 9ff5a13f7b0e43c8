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
    /// Records only <see cref="State"/> and the step's outcome: a build in an environment other than <c>prod</c> wrote a
    /// physical table of its own, whose versions are not the logical table's (its history and columns stay prod's).
    /// </summary>
    public bool StateOnly { get; init; }

    /// <summary>Writes the version, the model's state and the step's outcome when given, in one catalog write.</summary>
    public Task WriteAsync(CatalogStore catalog, ModelRunRecord? modelRun)
    {
        CrashPoint.Reach("run.committed.before-catalog");
        if (StateOnly)
        {
            return modelRun is null
                ? catalog.Environments.SetModelStatesAsync([State!], CancellationToken.None)
                : catalog.Runs.RecordModelRunAsync(modelRun, State, CancellationToken.None);
        }

        return catalog.Runs.RecordCommitAsync(Table, Version, Columns, modelRun, State, CancellationToken.None);
    }
}
