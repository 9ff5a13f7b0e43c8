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
    /// <summary>Writes the version, and the step's outcome when given, in one catalog write.</summary>
    public Task WriteAsync(CatalogStore catalog, ModelRunRecord? modelRun)
    {
        CrashPoint.Reach("run.committed.before-catalog");
        return catalog.Runs.RecordCommitAsync(Table, Version, Columns, modelRun, CancellationToken.None);
    }
}
