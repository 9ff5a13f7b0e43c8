using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Engine.Sessions;

/// <summary>
/// Points the table references of a SELECT at other relations through DuckDB's own parser, the rewrite the sessions
/// use for time travel: the SQL goes through <c>json_serialize_sql</c>, every <c>BASE_TABLE</c> the caller redirects
/// reads <c>temp.main.&lt;relation&gt;</c> instead, and <c>json_deserialize_sql</c> gives the SQL back. Text is never patched.
/// </summary>
public static class TableRedirector
{
    /// <summary>
    /// The SQL of <paramref name="sql"/> with each table reference for which <paramref name="redirect"/> (given the
    /// reference's schema and table name as written) returns a relation name reading that temp relation instead.
    /// SQL that is not a SELECT, or that references no table the caller redirects, comes back unchanged (so running
    /// SQL that is not a SELECT reports DuckDB's own error).
    /// </summary>
    public static async Task<string> RedirectAsync(DuckDbConnection connection, string sql, Func<string, string, string?> redirect, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(redirect);
        ParsedStatement parsed = await ParsedStatement.ParseAsync(connection, sql, cancellationToken).ConfigureAwait(false);
        if (!parsed.IsSelect)
        {
            return sql;
        }

        bool redirected = false;
        foreach (TableReference reference in parsed.References)
        {
            if (redirect(reference.Schema, reference.Table) is { } relation)
            {
                reference.RedirectTo("temp", "main", relation);
                redirected = true;
            }
        }

        return redirected ? await parsed.ToSqlAsync(connection, cancellationToken).ConfigureAwait(false) : sql;
    }
}
