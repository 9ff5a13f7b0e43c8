using System;
using System.Collections.Generic;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>
/// Decides from a statement's leading keyword whether it only reads. The endpoint serves analysts and
/// BI tools; anything else (DML, DDL, COPY, ATTACH, PRAGMA, DuckDB settings) is refused with
/// SQLSTATE 25006, as PostgreSQL refuses writes in a read-only transaction.
/// </summary>
internal static class ReadOnlyGuard
{
    private static readonly HashSet<string> s_reading = new(StringComparer.Ordinal)
    {
        "SELECT", "WITH", "VALUES", "TABLE", "FROM", "EXPLAIN", "DESCRIBE", "SUMMARIZE", "PIVOT", "UNPIVOT",
    };

    private static readonly HashSet<string> s_writing = new(StringComparer.Ordinal)
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "CREATE", "DROP", "ALTER", "TRUNCATE", "ATTACH", "DETACH", "PRAGMA", "CHECKPOINT", "VACUUM", "EXPORT", "IMPORT", "INSTALL", "LOAD",
    };

    /// <summary>Other statements DuckDB knows that are not queries: refused as writes rather than reported as syntax errors.</summary>
    private static readonly HashSet<string> s_otherCommands = new(StringComparer.Ordinal)
    {
        "USE", "CALL", "ANALYZE", "COMMENT", "GRANT", "REVOKE", "PREPARE", "EXECUTE", "UPSERT", "REPLACE", "REFRESH", "REINDEX", "CLUSTER", "LOCK", "DO", "NOTIFY", "SECURITY", "UPDATE_EXTENSIONS", "FORCE",
    };

    public static void EnsureReadOnly(SqlStatement statement)
    {
        IReadOnlyList<SqlToken> tokens = statement.Tokens;
        string keyword = statement.Keyword(0);
        bool reading = s_reading.Contains(keyword) || (tokens[0].Kind == SqlTokenKind.Symbol && tokens[0].Value == "(");
        if (!reading)
        {
            if (keyword.Length > 0 && !s_writing.Contains(keyword) && !s_otherCommands.Contains(keyword))
            {
                throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.SyntaxError, $"syntax error at or near \"{tokens[0].Raw}\"");
            }

            throw Refused(keyword.Length > 0 ? keyword : tokens[0].Raw);
        }

        // A reading statement may still wrap a write: WITH ... INSERT, EXPLAIN ANALYZE UPDATE, a
        // data-modifying CTE. Writes are statements, never expressions, so a writing keyword at any
        // position where a statement may start gives them away; identifiers named like keywords
        // must be quoted in SQL anyway.
        for (int i = 1; i < tokens.Count; i++)
        {
            if (tokens[i].Kind == SqlTokenKind.Word && s_writing.Contains(tokens[i].Value) && StartsStatement(tokens, i))
            {
                throw Refused(tokens[i].Value);
            }
        }
    }

    private static bool StartsStatement(IReadOnlyList<SqlToken> tokens, int i)
    {
        SqlToken previous = tokens[i - 1];
        return (previous.Kind == SqlTokenKind.Symbol && previous.Value is "(" or ")")
            || (previous.Kind == SqlTokenKind.Word && previous.Value is "AS" or "ANALYZE" or "EXPLAIN" or "VERBOSE" or "MATERIALIZED");
    }

    private static PgWireException Refused(string keyword) =>
        new(ErrorCode.PgWireStatementFailed, SqlState.ReadOnlySqlTransaction,
            $"cannot execute {keyword} in a read-only transaction");
}
