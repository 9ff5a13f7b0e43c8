using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Running;

/// <summary>
/// Stands in for file loading until the file source loader is part of the build: a source whose table already
/// exists is used as it is (and says so); one without a table fails, so what reads it is skipped.
/// </summary>
internal sealed class ExistingTableSourceLoader : ISourceLoader
{
    public static readonly ExistingTableSourceLoader Instance = new();

    public Task<SourceLoadOutcome> LoadAsync(MedallionProject project, SourceDefinition source, DuckDbConnection connection, string runId, TimeProvider time, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string location = ProjectCatalog.TableLocation(project, source.Target);
        if (!Directory.Exists(Path.Combine(location, "_delta_log")))
        {
            throw new MedallionException(
                ErrorCode.RunUpstreamMissing,
                $"{source.Location}: source {source.Name} has no table {source.Target} at '{location}' yet, and this build cannot load files.\nHelp: write the table with 'medallion delta write {location} <file>' first.",
                location: source.Location);
        }

        return Task.FromResult(new SourceLoadOutcome(null, 0, ["files not loaded (file loading is not in this build); the existing table is used as it is"]));
    }
}
