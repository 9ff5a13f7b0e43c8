using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;

namespace Medallion.Platform;

public sealed partial class Lakehouse
{
    /// <summary>
    /// A model's SQL as written (its file and text) and as its run hands it to DuckDB (see <see cref="ModelCompilation"/>);
    /// null for a table that is no model.
    /// </summary>
    /// <param name="name">A table of <see cref="TableNames"/> (see <see cref="ResolveTable"/>).</param>
    /// <param name="cancellationToken">Stops the parse.</param>
    public async Task<ModelSqlText?> GetModelSqlAsync(TableName name, CancellationToken cancellationToken = default)
    {
        if (Find(name).Model is not { } model)
        {
            return null;
        }

        ModelGraph graph = await GetGraphAsync(cancellationToken).ConfigureAwait(false);
        string compiled = await ModelCompilation.CompileAsync(Connection, graph, model.Name, cancellationToken).ConfigureAwait(false);
        return new ModelSqlText(model.FilePath, model.Sql, compiled, [.. graph.GetAnalysis(model.Name).Dependencies.Select(t => (t, ModelCompilation.ViewName(t)))]);
    }

    /// <summary>The project's jobs that build <paramref name="name"/>: those whose model selection holds it, or that ingest the source that loads it.</summary>
    /// <param name="name">A table of <see cref="TableNames"/> (see <see cref="ResolveTable"/>).</param>
    /// <param name="cancellationToken">Stops the parse of the models, when the lakehouse has not parsed them yet.</param>
    public async Task<IReadOnlyList<JobDefinition>> GetJobsBuildingAsync(TableName name, CancellationToken cancellationToken = default)
    {
        Entry entry = Find(name);
        if (entry.Model is null && entry.Source is null)
        {
            return [];
        }

        ModelGraph graph = await GetGraphAsync(cancellationToken).ConfigureAwait(false);
        return [.. Project.Jobs.Where(job =>
            (entry.Model is not null && job.Select is not null && graph.Select(job.Select).Contains(name))
            || (entry.Source is { } source && job.Sources.Contains(source.Name, StringComparer.OrdinalIgnoreCase)))];
    }
}

/// <summary>A model's SQL as written and as run.</summary>
/// <param name="FilePath">Its file, relative to the project.</param>
/// <param name="Source">The file's text.</param>
/// <param name="Compiled">The statement DuckDB runs: the SELECT as DuckDB's parser writes it back, each table it reads pointing at its upstream view.</param>
/// <param name="UpstreamViews">Each table the model reads, and the temp view a run reads it through (its snapshot, or only its new rows for an incremental build).</param>
public sealed record ModelSqlText(string FilePath, string Source, string Compiled, IReadOnlyList<(TableName Table, string View)> UpstreamViews);
