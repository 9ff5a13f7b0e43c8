using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Running;

/// <summary>
/// A model's SQL as a run hands it to DuckDB: its SELECT, re-written by DuckDB's own parser, with each table it reads
/// pointing at the temp view the run reads that table through (the table's snapshot, or only its new rows for an
/// incremental build).
/// </summary>
public static class ModelCompilation
{
    /// <summary>The model's SQL as its run executes it (see <see cref="ModelCompilation"/>).</summary>
    /// <param name="connection">A DuckDB connection to parse on; nothing is run.</param>
    /// <param name="graph">The project's models.</param>
    /// <param name="model">One of its models.</param>
    /// <param name="cancellationToken">Stops the parse.</param>
    public static Task<string> CompileAsync(DuckDbConnection connection, ModelGraph graph, TableName model, CancellationToken cancellationToken = default) =>
        ModelSqlBinder.BindAsync(connection, graph.GetModel(model).Sql, UpstreamViews(graph, model), cancellationToken);

    /// <summary>The temp view each upstream table of <paramref name="model"/> is read through in a run.</summary>
    internal static Dictionary<TableName, string> UpstreamViews(ModelGraph graph, TableName model) =>
        graph.GetAnalysis(model).Dependencies.ToDictionary(t => t, ViewName);

    /// <summary>The temp view a run reads <paramref name="table"/> through.</summary>
    public static string ViewName(TableName table) => $"__medallion_upstream__{table.Namespace.ToLowerInvariant()}__{table.Name.ToLowerInvariant()}";
}
