using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines.Sources;
using Microsoft.Extensions.Logging;

namespace Medallion.Pipelines.Running;

/// <summary>Loads a file source with <see cref="FileSourceLoader"/>: new files only, in one commit.</summary>
internal sealed class FileSourceStep : ISourceLoader
{
    public static readonly FileSourceStep Instance = new();

    public async Task<SourceLoadOutcome> LoadAsync(
        MedallionProject project, SourceDefinition source, DuckDbConnection connection, string runId, TimeProvider time, DeltaSnapshotCache snapshots, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        SourceLoadResult result = await FileSourceLoader.LoadAsync(project, source, connection, runId, time, snapshots, logs, cancellationToken).ConfigureAwait(false);
        var notes = new List<string>();
        if (result.FilesLoaded.Count > 0)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{result.FilesLoaded.Count} new file(s)"));
        }

        if (result.RowsRejected > 0)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{result.RowsRejected} row(s) could not be parsed (kept with _parse_error)"));
        }

        notes.AddRange(result.Warnings);
        return new SourceLoadOutcome(result.CommittedVersion, result.RowsLoaded, notes);
    }
}
