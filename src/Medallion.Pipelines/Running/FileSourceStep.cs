using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Engine;
using Medallion.Pipelines.Sources;

namespace Medallion.Pipelines.Running;

/// <summary>Loads a file source with <see cref="FileSourceLoader"/>: new files only, in one commit.</summary>
internal sealed class FileSourceStep : ISourceLoader
{
    public static readonly FileSourceStep Instance = new();

    public async Task<SourceLoadOutcome> LoadAsync(
        MedallionProject project, SourceDefinition source, DeltaWriter writer, string runId, TimeProvider time, CancellationToken cancellationToken)
    {
        SourceLoadResult result = await FileSourceLoader.LoadAsync(project, source, writer, runId, time, cancellationToken).ConfigureAwait(false);
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
