using System.Collections.Generic;
using System.Linq;
using Medallion.Pipelines;

namespace Medallion.Platform;

/// <summary>The database, HTTP API and file sources one ingest lands (see <see cref="SourceIngestion.Select"/>).</summary>
/// <param name="Databases">The database sources, each with all its tables.</param>
/// <param name="Apis">The HTTP API sources.</param>
public sealed record IngestSelection(IReadOnlyList<DatabaseSourceDefinition> Databases, IReadOnlyList<ApiSourceDefinition> Apis)
{
    /// <summary>The file sources: each loads the files it has not loaded yet.</summary>
    public IReadOnlyList<SourceDefinition> Files { get; init; } = [];

    /// <summary>The sources' names: the databases' first, then the APIs', then the file sources'.</summary>
    public IReadOnlyList<string> Names => [.. Databases.Select(s => s.Name).Concat(Apis.Select(s => s.Name)).Concat(Files.Select(s => s.Name))];
}
