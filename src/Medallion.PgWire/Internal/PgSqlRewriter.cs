using System;
using System.Collections.Generic;
using System.Text;

namespace Medallion.PgWire.Internal;

/// <summary>
/// Lexical fixes for PostgreSQL spellings DuckDB does not accept, mostly from clients' catalog
/// queries: <c>pg_catalog.</c> qualifiers (the emulated catalog is on DuckDB's search path),
/// <c>OPERATOR(pg_catalog.~)</c>, <c>COLLATE pg_catalog.default</c>, and casts to catalog types
/// DuckDB lacks (<c>::name</c>, <c>::oid</c>, <c>::regclass</c>, ...). Nothing is parsed: only
/// these token patterns are replaced, and a statement without them is returned unchanged.
/// </summary>
internal static class PgSqlRewriter
{
    private static readonly Dictionary<string, string> s_castTypes = new(StringComparer.Ordinal)
    {
        ["NAME"] = "VARCHAR",
        ["OID"] = "BIGINT",
        ["REGCLASS"] = "BIGINT",
        ["REGTYPE"] = "BIGINT",
        ["REGPROC"] = "BIGINT",
        ["REGPROCEDURE"] = "BIGINT",
        ["REGNAMESPACE"] = "BIGINT",
        ["REGROLE"] = "BIGINT",
        ["REGCONFIG"] = "BIGINT",
        ["XID"] = "BIGINT",
        ["CID"] = "BIGINT",
        ["INT2VECTOR"] = "VARCHAR",
        ["OIDVECTOR"] = "VARCHAR",
        ["PG_NODE_TREE"] = "VARCHAR",
        ["ACLITEM"] = "VARCHAR",
    };

    public static string Rewrite(SqlStatement statement)
    {
        IReadOnlyList<SqlToken> tokens = statement.Tokens;
        var edits = new List<(int Start, int End, string Text)>();
        for (int i = 0; i < tokens.Count; i++)
        {
            SqlToken token = tokens[i];
            if (token.Kind == SqlTokenKind.Word && token.Value == "OPERATOR" && IsSymbol(tokens, i + 1, "("))
            {
                int close = i + 2;
                while (close < tokens.Count && !IsSymbol(tokens, close, ")"))
                {
                    close++;
                }

                int operatorStart = i + 2;
                for (int j = i + 2; j < close; j++)
                {
                    if (IsSymbol(tokens, j, "."))
                    {
                        operatorStart = j + 1;
                    }
                }

                if (close < tokens.Count && operatorStart < close)
                {
                    edits.Add((token.Start, tokens[close].End, " " + statement.Text[tokens[operatorStart].Start..tokens[close - 1].End] + " "));
                    i = close;
                }
            }
            else if (token.Kind == SqlTokenKind.Word && token.Value == "COLLATE" && i + 1 < tokens.Count)
            {
                int last = i + 1;
                while (IsSymbol(tokens, last + 1, ".") && last + 2 < tokens.Count)
                {
                    last += 2;
                }

                edits.Add((token.Start, tokens[last].End, string.Empty));
                i = last;
            }
            else if (token.Kind == SqlTokenKind.Word && token.Value == "PG_CATALOG" && IsSymbol(tokens, i + 1, ".") && !IsSymbol(tokens, i - 1, "."))
            {
                edits.Add((token.Start, tokens[i + 1].End, string.Empty));
                i++;
            }
            else if (IsSymbol(tokens, i, ":") && IsSymbol(tokens, i + 1, ":"))
            {
                int type = i + 2;
                if (type + 1 < tokens.Count && tokens[type].Value == "PG_CATALOG" && IsSymbol(tokens, type + 1, "."))
                {
                    type += 2;
                }

                if (type < tokens.Count && tokens[type].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
                    && s_castTypes.TryGetValue(tokens[type].Value.ToUpperInvariant(), out string? replacement))
                {
                    edits.Add((token.Start, tokens[type].End, "::" + replacement));
                    i = type;
                }
            }
        }

        if (edits.Count == 0)
        {
            return statement.Text;
        }

        var builder = new StringBuilder(statement.Text.Length);
        int copied = 0;
        foreach ((int start, int end, string text) in edits)
        {
            builder.Append(statement.Text, copied, start - copied).Append(text);
            copied = end;
        }

        return builder.Append(statement.Text, copied, statement.Text.Length - copied).ToString();
    }

    private static bool IsSymbol(IReadOnlyList<SqlToken> tokens, int index, string symbol) =>
        index >= 0 && index < tokens.Count && tokens[index].Kind == SqlTokenKind.Symbol && tokens[index].Value == symbol;
}
