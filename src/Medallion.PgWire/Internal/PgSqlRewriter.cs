using System;
using System.Collections.Generic;
using System.Text;
using Medallion.Engine.Sql;

namespace Medallion.PgWire.Internal;

/// <summary>
/// Lexical fixes for PostgreSQL spellings DuckDB does not accept, mostly from clients' catalog
/// queries: <c>pg_catalog.</c> qualifiers (the emulated catalog is on DuckDB's search path),
/// <c>OPERATOR(pg_catalog.~)</c>, <c>COLLATE pg_catalog.default</c>, and casts to catalog types
/// DuckDB lacks (<c>::name</c>, <c>::oid</c>, <c>::regclass</c>, ...), and <c>current_database()</c>, which
/// must name the database the client connected to while DuckDB's own catalog views keep seeing
/// DuckDB's name for it. Nothing is parsed: only
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

    public static string Rewrite(SqlStatement statement, string database, SessionSettings? settings = null)
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
                    string op = statement.Text[tokens[operatorStart].Start..tokens[close - 1].End];
                    edits.Add((token.Start, tokens[close].End, " " + op.TrimEnd('*') + " "));
                    i = close;
                    if (op.Contains('~', StringComparison.Ordinal) && TryRegexPattern(tokens, i + 1, op.EndsWith('*'), out string? pattern))
                    {
                        edits.Add((tokens[i + 1].Start, tokens[i + 1].End, pattern));
                        i++;
                    }
                }
            }
            else if (token.Kind == SqlTokenKind.Word && token.Value is "GENERATE_SERIES" or "UNNEST" && IsSymbol(tokens, i + 1, "(") && IsFromItem(tokens, i))
            {
                // PostgreSQL names the one column of "FROM generate_series(...) s" after the alias s;
                // DuckDB makes s the row. An explicit column alias gives both the same meaning.
                int close = MatchingParenthesis(tokens, i + 1);
                int alias = IsWord(tokens, close + 1, "AS") ? close + 2 : close + 1;
                if (close > 0 && alias < tokens.Count && tokens[alias].Kind == SqlTokenKind.Word && !IsReserved(tokens[alias].Value) && !IsSymbol(tokens, alias + 1, "("))
                {
                    edits.Add((tokens[alias].End, tokens[alias].End, "(" + tokens[alias].Raw + ")"));
                }
            }
            else if (token.Kind == SqlTokenKind.Word && token.Value is "STRING_TO_ARRAY" or "CURRENT_SCHEMAS" && IsSymbol(tokens, i + 1, "(") && IsFromItem(tokens, i))
            {
                // PostgreSQL accepts a scalar function as a FROM item (one row, one column named
                // after the alias); DuckDB wants a table, so the call becomes a one-row subquery.
                int close = MatchingParenthesis(tokens, i + 1);
                int alias = IsWord(tokens, close + 1, "AS") ? close + 2 : close + 1;
                if (close > 0 && alias < tokens.Count && tokens[alias].Kind == SqlTokenKind.Word && !IsReserved(tokens[alias].Value))
                {
                    edits.Add((token.Start, token.Start, "(SELECT "));
                    edits.Add((tokens[close].End, tokens[close].End, " AS " + tokens[alias].Raw + ")"));
                }
            }
            else if (IsSymbol(tokens, i, "~"))
            {
                bool insensitive = IsSymbol(tokens, i + 1, "*");
                int patternAt = insensitive ? i + 2 : i + 1;
                if (TryRegexPattern(tokens, patternAt, insensitive, out string? pattern))
                {
                    if (insensitive)
                    {
                        edits.Add((tokens[i + 1].Start, tokens[i + 1].End, string.Empty));
                    }

                    edits.Add((tokens[patternAt].Start, tokens[patternAt].End, pattern));
                    i = patternAt;
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
            else if (token.Kind == SqlTokenKind.Word && token.Value == "INFORMATION_SCHEMA" && IsSymbol(tokens, i + 1, ".") && i + 2 < tokens.Count
                && tokens[i + 2].Kind == SqlTokenKind.Word && tokens[i + 2].Value is "TABLES" or "TABLE_CONSTRAINTS" or "KEY_COLUMN_USAGE" && !IsSymbol(tokens, i - 1, "."))
            {
                // The catalog emulation's versions: lakehouse tables as BASE TABLE, with their primary keys.
                edits.Add((token.Start, tokens[i + 2].End, "temp.main.__information_schema_" + tokens[i + 2].Value.ToLowerInvariant()));
                i += 2;
            }
            else if (token.Kind == SqlTokenKind.Word && ((token.Value == "PG_CATALOG" && !IsSymbol(tokens, i - 1, ".")) || (token.Value == "INFORMATION_SCHEMA" && IsWord(tokens, i + 2, "_PG_EXPANDARRAY")))
                && IsSymbol(tokens, i + 1, "."))
            {
                edits.Add((token.Start, tokens[i + 1].End, string.Empty));
                i++;
            }
            else if (token.Kind == SqlTokenKind.Word && token.Value is "CURRENT_DATABASE" or "CURRENT_CATALOG" && IsSymbol(tokens, i + 1, "(") && IsSymbol(tokens, i + 2, ")") && !IsSymbol(tokens, i - 1, "."))
            {
                edits.Add((token.Start, tokens[i + 2].End, "CAST(" + Medallion.DuckDb.DuckDbConnection.QuoteLiteral(database) + " AS VARCHAR)"));
                i += 2;
            }
            else if (token.Kind == SqlTokenKind.Word && token.Value == "CURRENT_SETTING" && settings is not null && IsSymbol(tokens, i + 1, "(")
                && i + 2 < tokens.Count && tokens[i + 2].Kind == SqlTokenKind.String && MatchingParenthesis(tokens, i + 1) is int close && close > 0
                && settings.TryGet(tokens[i + 2].Value, out _, out string value))
            {
                // A constant: usable where DuckDB allows no subquery (table function arguments, as in Grafana's table picker).
                edits.Add((token.Start, tokens[close].End, "CAST(" + Medallion.DuckDb.DuckDbConnection.QuoteLiteral(value) + " AS VARCHAR)"));
                i = close;
            }
            else if (IsSymbol(tokens, i, "=") && IsWord(tokens, i + 1, "ANY") && IsSymbol(tokens, i + 2, "(") && !IsWord(tokens, i + 3, "SELECT")
                && MatchingParenthesis(tokens, i + 2) is int anyClose && anyClose > 0)
            {
                // PostgreSQL's "x = ANY(array)" (pgcli); DuckDB takes ANY only over a subquery. An array parameter
                // arrives as its text ({r,p,f}), which DuckDB does not read as a list.
                bool parameter = anyClose == i + 4 && tokens[i + 3].Kind == SqlTokenKind.Parameter;
                edits.Add((token.Start, tokens[i + 2].End, parameter ? "IN (SELECT unnest(string_split(trim(CAST(" : "IN (SELECT unnest("));
                edits.Add((tokens[anyClose].Start, tokens[anyClose].Start, parameter ? " AS VARCHAR), '{}'), ','))" : ")"));
                i += 2;
            }
            else if (token.Kind == SqlTokenKind.String && IsSymbol(tokens, i + 1, ":") && IsSymbol(tokens, i + 2, ":") && CastTarget(tokens, i + 3) is int regclass
                && regclass < tokens.Count && tokens[regclass].Kind == SqlTokenKind.Word && tokens[regclass].Value is "REGCLASS" or "REGTYPE")
            {
                // 'name'::regclass looks the relation up by name (JDBC's metadata queries), 'name'::regtype the type
                // (pgcli's 'trigger'::regtype); a name we do not have is -1, an OID nothing has, rather than NULL.
                edits.Add((token.Start, tokens[regclass].End, tokens[regclass].Value == "REGCLASS" ? RegclassLookup(token.Value)
                    : "COALESCE((SELECT min(oid) FROM pg_type WHERE typname = " + Medallion.DuckDb.DuckDbConnection.QuoteLiteral(token.Value) + "), -1)"));
                i = regclass;
            }
            else if (IsSymbol(tokens, i, ":") && IsSymbol(tokens, i + 1, ":"))
            {
                int type = CastTarget(tokens, i + 2);
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

        // Edits come in token order except the column aliases, which land after their function's arguments.
        edits.Sort((a, b) => a.Start.CompareTo(b.Start));
        var builder = new StringBuilder(statement.Text.Length);
        int copied = 0;
        foreach ((int start, int end, string text) in edits)
        {
            builder.Append(statement.Text, copied, start - copied).Append(text);
            copied = end;
        }

        return builder.Append(statement.Text, copied, statement.Text.Length - copied).ToString();
    }

    /// <summary>The token of a cast's type name at <paramref name="type"/>, past a <c>pg_catalog.</c> qualifier.</summary>
    private static int CastTarget(IReadOnlyList<SqlToken> tokens, int type) =>
        type + 1 < tokens.Count && tokens[type].Value == "PG_CATALOG" && IsSymbol(tokens, type + 1, ".") ? type + 2 : type;

    private static string RegclassLookup(string name)
    {
        int dot = name.LastIndexOf('.');
        string relation = Medallion.DuckDb.DuckDbConnection.QuoteLiteral(dot < 0 ? name : name[(dot + 1)..]);
        string schema = dot < 0 ? string.Empty : " AND n.nspname = " + Medallion.DuckDb.DuckDbConnection.QuoteLiteral(name[..dot]);
        // DuckDB's own pg_class: served sessions may not call duckdb_tables()/duckdb_views() themselves.
        return $"(SELECT min(c.oid) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = {relation}{schema})";
    }

    /// <summary>
    /// PostgreSQL's <c>~</c> finds the pattern anywhere in the text; DuckDB's <c>~</c> must match the
    /// whole text. Wrapping the pattern in "anything" on both sides gives PostgreSQL's meaning
    /// (anchors in the pattern still anchor, RE2 has no multi-line mode by default).
    /// </summary>
    private static bool TryRegexPattern(IReadOnlyList<SqlToken> tokens, int index, bool caseInsensitive, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? pattern)
    {
        pattern = null;
        if (index >= tokens.Count || tokens[index].Kind != SqlTokenKind.String)
        {
            return false;
        }

        string wrapped = (caseInsensitive ? "(?i)" : string.Empty) + "(?s:.*)(?:" + tokens[index].Value + ")(?s:.*)";
        pattern = Medallion.DuckDb.DuckDbConnection.QuoteLiteral(wrapped);
        return true;
    }

    private static bool IsFromItem(IReadOnlyList<SqlToken> tokens, int i)
    {
        int before = i - 1;
        if (IsSymbol(tokens, before, ".") && IsWord(tokens, before - 1, "PG_CATALOG"))
        {
            before -= 2;
        }

        return IsWord(tokens, before, "FROM") || IsWord(tokens, before, "JOIN") || (IsSymbol(tokens, before, ",") && InFromClause(tokens, before));
    }

    /// <summary>Whether the comma at <paramref name="comma"/> separates FROM items rather than select-list items (pgcli's unnest((...)) AS column).</summary>
    private static bool InFromClause(IReadOnlyList<SqlToken> tokens, int comma)
    {
        int depth = 0;
        for (int i = comma - 1; i >= 0; i--)
        {
            if (IsSymbol(tokens, i, ")"))
            {
                depth++;
            }
            else if (IsSymbol(tokens, i, "("))
            {
                if (depth == 0)
                {
                    return false;
                }

                depth--;
            }
            else if (depth == 0 && (IsWord(tokens, i, "FROM") || IsWord(tokens, i, "JOIN")))
            {
                return true;
            }
            else if (depth == 0 && IsWord(tokens, i, "SELECT"))
            {
                return false;
            }
        }

        return false;
    }

    private static int MatchingParenthesis(IReadOnlyList<SqlToken> tokens, int open)
    {
        int depth = 0;
        for (int i = open; i < tokens.Count; i++)
        {
            if (IsSymbol(tokens, i, "("))
            {
                depth++;
            }
            else if (IsSymbol(tokens, i, ")") && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsReserved(string word) => word is "WHERE" or "ON" or "JOIN" or "LEFT" or "RIGHT" or "INNER" or "CROSS" or "FULL" or "ORDER" or "GROUP" or "LIMIT" or "UNION" or "WITH" or "HAVING" or "WINDOW" or "OFFSET" or "NATURAL" or "USING" or "EXCEPT" or "INTERSECT" or "LATERAL";

    private static bool IsWord(IReadOnlyList<SqlToken> tokens, int index, string word) =>
        index >= 0 && index < tokens.Count && tokens[index].Kind == SqlTokenKind.Word && tokens[index].Value == word;

    private static bool IsSymbol(IReadOnlyList<SqlToken> tokens, int index, string symbol) =>
        index >= 0 && index < tokens.Count && tokens[index].Kind == SqlTokenKind.Symbol && tokens[index].Value == symbol;
}
