using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;

namespace Medallion.Pipelines.Running;

/// <summary>
/// Points a model's table references at relations of the runner's choosing (a snapshot scan, or only the rows that
/// changed), through DuckDB's own parser (<see cref="TableRedirector"/>). Text is never patched.
/// </summary>
internal static class ModelSqlBinder
{
    /// <summary>The SQL of <paramref name="sql"/> with each reference to a key of <paramref name="relations"/> reading the named temp relation instead.</summary>
    public static Task<string> BindAsync(DuckDbConnection connection, string sql, IReadOnlyDictionary<TableName, string> relations, CancellationToken cancellationToken) =>
        // The graph parsed this SQL already; SQL that is not a SELECT comes back as written and running it reports DuckDB's own error.
        TableRedirector.RedirectAsync(
            connection,
            sql,
            (schema, table) => relations.TryGetValue(new TableName(schema, table), out string? relation) ? relation : null,
            cancellationToken);
}
