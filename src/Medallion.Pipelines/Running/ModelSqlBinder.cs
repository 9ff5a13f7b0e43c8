using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
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
/// <remarks>
/// A scheduled model binds the same SQL to the same relation names run after run, and a parse, serialization and
/// deserialization through DuckDB costs more than the rest of a small model's statements together, so bound SQL is
/// remembered per SQL text and relations (a bounded memo, cleared when full).
/// </remarks>
internal static class ModelSqlBinder
{
    private const int MaxRemembered = 4096;
    private static readonly ConcurrentDictionary<string, string> s_bound = new(StringComparer.Ordinal);

    /// <summary>The SQL of <paramref name="sql"/> with each reference to a key of <paramref name="relations"/> reading the named temp relation instead.</summary>
    public static async Task<string> BindAsync(DuckDbConnection connection, string sql, IReadOnlyDictionary<TableName, string> relations, CancellationToken cancellationToken)
    {
        string key = string.Join('\0', relations.OrderBy(r => r.Key.ToString(), StringComparer.Ordinal).Select(r => r.Key + "=" + r.Value)) + "\0" + sql;
        if (s_bound.TryGetValue(key, out string? remembered))
        {
            return remembered;
        }

        // The graph parsed this SQL already; SQL that is not a SELECT comes back as written and running it reports DuckDB's own error.
        string bound = await TableRedirector.RedirectAsync(
            connection,
            sql,
            (schema, table) => relations.TryGetValue(new TableName(schema, table), out string? relation) ? relation : null,
            cancellationToken).ConfigureAwait(false);
        if (s_bound.Count >= MaxRemembered)
        {
            s_bound.Clear();
        }

        s_bound[key] = bound;
        return bound;
    }
}
