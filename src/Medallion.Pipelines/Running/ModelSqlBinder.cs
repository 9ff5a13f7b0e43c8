using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;

namespace Medallion.Pipelines.Running;

/// <summary>
/// Points a model's table references at relations of the runner's choosing (a snapshot scan, or only the rows that
/// changed), through DuckDB's own parser: the SQL goes through <c>json_serialize_sql</c>, every <c>BASE_TABLE</c>
/// naming an upstream table is redirected, and <c>json_deserialize_sql</c> gives the SQL back. Text is never patched.
/// </summary>
internal static class ModelSqlBinder
{
    /// <summary>The SQL of <paramref name="sql"/> with each reference to a key of <paramref name="relations"/> reading the named temp relation instead.</summary>
    public static async Task<string> BindAsync(DuckDbConnection connection, string sql, IReadOnlyDictionary<TableName, string> relations, CancellationToken cancellationToken)
    {
        ParsedStatement parsed = await ParsedStatement.ParseAsync(connection, sql, cancellationToken).ConfigureAwait(false);
        if (!parsed.IsSelect)
        {
            // The graph parsed this SQL already; running it as written reports DuckDB's own error.
            return sql;
        }

        foreach (Medallion.Engine.Sessions.TableReference reference in parsed.References)
        {
            if (relations.TryGetValue(new TableName(reference.Schema, reference.Table), out string? relation))
            {
                reference.RedirectTo("temp", "main", relation);
            }
        }

        return await parsed.ToSqlAsync(connection, cancellationToken).ConfigureAwait(false);
    }
}
