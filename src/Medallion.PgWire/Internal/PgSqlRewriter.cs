using System;
using System.Collections.Generic;
using System.Text;
using Medallion.DuckDb;
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

    /// <summary>
    /// One rewrite rule: when the tokens at <paramref name="i"/> are its pattern it records its edits, moves
    /// <paramref name="i"/> to the last token it consumed and returns true, and no later rule looks at that token.
    /// </summary>
    private delegate bool Rule(Rewriting r, ref int i);

    /// <summary>The rules in the order they are tried at each token; the first that matches wins.</summary>
    private static readonly Rule[] s_rules =
    [
        OperatorCall, SetReturningFromItem, ScalarFromItem, RegexMatch, Collate, InformationSchemaView, CatalogQualifier,
        CurrentDatabase, CurrentSetting, AnyArray, NameToRegclass, CatalogTypeCast,
    ];

    public static string Rewrite(SqlStatement statement, string database, SessionSettings? settings = null)
    {
        var r = new Rewriting(statement, database, settings);
        for (int i = 0; i < r.Tokens.Count; i++)
        {
            foreach (Rule rule in s_rules)
            {
                if (rule(r, ref i))
                {
                    break;
                }
            }
        }

        return r.Apply();
    }

    /// <summary><c>OPERATOR(pg_catalog.~)</c> is the bare operator; a regex operator's pattern then gets PostgreSQL's meaning.</summary>
    private static bool OperatorCall(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        if (!r.IsWordAt(i, "OPERATOR") || !IsSymbol(tokens, i + 1, "("))
        {
            return false;
        }

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
            string op = r.Text[tokens[operatorStart].Start..tokens[close - 1].End];
            r.Replace(tokens[i].Start, tokens[close].End, " " + op.TrimEnd('*') + " ");
            i = close;
            if (op.Contains('~', StringComparison.Ordinal) && TryRegexPattern(tokens, i + 1, op.EndsWith('*'), out string? pattern))
            {
                r.Replace(tokens[i + 1].Start, tokens[i + 1].End, pattern);
                i++;
            }
        }

        return true;
    }

    /// <summary>
    /// PostgreSQL names the one column of "FROM generate_series(...) s" after the alias s; DuckDB makes s the row. An
    /// explicit column alias gives both the same meaning.
    /// </summary>
    private static bool SetReturningFromItem(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        if (!(r.IsWordAt(i, "GENERATE_SERIES") || r.IsWordAt(i, "UNNEST")) || !IsSymbol(tokens, i + 1, "(") || !IsFromItem(tokens, i))
        {
            return false;
        }

        int close = MatchingParenthesis(tokens, i + 1);
        int alias = IsWord(tokens, close + 1, "AS") ? close + 2 : close + 1;
        if (close > 0 && alias < tokens.Count && tokens[alias].Kind == SqlTokenKind.Word && !IsReserved(tokens[alias].Value) && !IsSymbol(tokens, alias + 1, "("))
        {
            r.Replace(tokens[alias].End, tokens[alias].End, "(" + tokens[alias].Raw + ")");
        }

        return true;
    }

    /// <summary>
    /// PostgreSQL accepts a scalar function as a FROM item (one row, one column named after the alias); DuckDB wants
    /// a table, so the call becomes a one-row subquery.
    /// </summary>
    private static bool ScalarFromItem(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        if (!(r.IsWordAt(i, "STRING_TO_ARRAY") || r.IsWordAt(i, "CURRENT_SCHEMAS")) || !IsSymbol(tokens, i + 1, "(") || !IsFromItem(tokens, i))
        {
            return false;
        }

        int close = MatchingParenthesis(tokens, i + 1);
        int alias = IsWord(tokens, close + 1, "AS") ? close + 2 : close + 1;
        if (close > 0 && alias < tokens.Count && tokens[alias].Kind == SqlTokenKind.Word && !IsReserved(tokens[alias].Value))
        {
            r.Replace(tokens[i].Start, tokens[i].Start, "(SELECT ");
            r.Replace(tokens[close].End, tokens[close].End, " AS " + tokens[alias].Raw + ")");
        }

        return true;
    }

    /// <summary><c>~</c> and <c>~*</c> with a literal pattern: see <see cref="TryRegexPattern"/>.</summary>
    private static bool RegexMatch(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        if (!IsSymbol(tokens, i, "~"))
        {
            return false;
        }

        bool insensitive = IsSymbol(tokens, i + 1, "*");
        int patternAt = insensitive ? i + 2 : i + 1;
        if (TryRegexPattern(tokens, patternAt, insensitive, out string? pattern))
        {
            if (insensitive)
            {
                r.Replace(tokens[i + 1].Start, tokens[i + 1].End, string.Empty);
            }

            r.Replace(tokens[patternAt].Start, tokens[patternAt].End, pattern);
            i = patternAt;
        }

        return true;
    }

    /// <summary><c>COLLATE pg_catalog.default</c> (and any other collation) is dropped: DuckDB's collations have other names.</summary>
    private static bool Collate(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        if (!r.IsWordAt(i, "COLLATE") || i + 1 >= tokens.Count)
        {
            return false;
        }

        int last = i + 1;
        while (IsSymbol(tokens, last + 1, ".") && last + 2 < tokens.Count)
        {
            last += 2;
        }

        r.Replace(tokens[i].Start, tokens[last].End, string.Empty);
        i = last;
        return true;
    }

    /// <summary>The catalog emulation's versions of three information_schema views: lakehouse tables as BASE TABLE, with their primary keys.</summary>
    private static bool InformationSchemaView(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        if (!r.IsWordAt(i, "INFORMATION_SCHEMA") || !IsSymbol(tokens, i + 1, ".") || i + 2 >= tokens.Count
            || tokens[i + 2].Kind != SqlTokenKind.Word || tokens[i + 2].Value is not ("TABLES" or "TABLE_CONSTRAINTS" or "KEY_COLUMN_USAGE") || IsSymbol(tokens, i - 1, "."))
        {
            return false;
        }

        r.Replace(tokens[i].Start, tokens[i + 2].End, "temp.main.__information_schema_" + tokens[i + 2].Value.ToLowerInvariant());
        i += 2;
        return true;
    }

    /// <summary>A <c>pg_catalog.</c> qualifier is dropped: the emulated catalog is on DuckDB's search path.</summary>
    private static bool CatalogQualifier(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        bool qualifier = (r.IsWordAt(i, "PG_CATALOG") && !IsSymbol(tokens, i - 1, ".")) || (r.IsWordAt(i, "INFORMATION_SCHEMA") && IsWord(tokens, i + 2, "_PG_EXPANDARRAY"));
        if (!qualifier || !IsSymbol(tokens, i + 1, "."))
        {
            return false;
        }

        r.Replace(tokens[i].Start, tokens[i + 1].End, string.Empty);
        i++;
        return true;
    }

    /// <summary><c>current_database()</c> names the database the client connected to; DuckDB's catalog views keep DuckDB's name for it.</summary>
    private static bool CurrentDatabase(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        if (!(r.IsWordAt(i, "CURRENT_DATABASE") || r.IsWordAt(i, "CURRENT_CATALOG")) || !IsSymbol(tokens, i + 1, "(") || !IsSymbol(tokens, i + 2, ")") || IsSymbol(tokens, i - 1, "."))
        {
            return false;
        }

        r.Replace(tokens[i].Start, tokens[i + 2].End, "CAST(" + DuckDbConnection.QuoteLiteral(r.Database) + " AS VARCHAR)");
        i += 2;
        return true;
    }

    /// <summary>
    /// <c>current_setting('name')</c> becomes a constant: usable where DuckDB allows no subquery (table function
    /// arguments, as in Grafana's table picker).
    /// </summary>
    private static bool CurrentSetting(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        if (!r.IsWordAt(i, "CURRENT_SETTING") || r.Settings is null || !IsSymbol(tokens, i + 1, "(")
            || i + 2 >= tokens.Count || tokens[i + 2].Kind != SqlTokenKind.String || MatchingParenthesis(tokens, i + 1) is not (int close and > 0)
            || !r.Settings.TryGet(tokens[i + 2].Value, out _, out string value))
        {
            return false;
        }

        r.Replace(tokens[i].Start, tokens[close].End, "CAST(" + DuckDbConnection.QuoteLiteral(value) + " AS VARCHAR)");
        i = close;
        return true;
    }

    /// <summary>
    /// PostgreSQL's "x = ANY(array)" (pgcli); DuckDB takes ANY only over a subquery. An array parameter arrives as its
    /// text (<c>{r,p,f}</c>), which DuckDB does not read as a list.
    /// </summary>
    private static bool AnyArray(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        if (!IsSymbol(tokens, i, "=") || !IsWord(tokens, i + 1, "ANY") || !IsSymbol(tokens, i + 2, "(") || IsWord(tokens, i + 3, "SELECT")
            || MatchingParenthesis(tokens, i + 2) is not (int close and > 0))
        {
            return false;
        }

        bool parameter = close == i + 4 && tokens[i + 3].Kind == SqlTokenKind.Parameter;
        r.Replace(tokens[i].Start, tokens[i + 2].End, parameter ? "IN (SELECT unnest(string_split(trim(CAST(" : "IN (SELECT unnest(");
        r.Replace(tokens[close].Start, tokens[close].Start, parameter ? " AS VARCHAR), '{}'), ','))" : ")");
        i += 2;
        return true;
    }

    /// <summary>
    /// <c>'name'::regclass</c> looks the relation up by name (JDBC's metadata queries), <c>'name'::regtype</c> the type
    /// (pgcli's <c>'trigger'::regtype</c>); a name we do not have is -1, an OID nothing has, rather than NULL.
    /// </summary>
    private static bool NameToRegclass(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        if (tokens[i].Kind != SqlTokenKind.String || !IsSymbol(tokens, i + 1, ":") || !IsSymbol(tokens, i + 2, ":"))
        {
            return false;
        }

        int target = CastTarget(tokens, i + 3);
        if (target >= tokens.Count || tokens[target].Kind != SqlTokenKind.Word || tokens[target].Value is not ("REGCLASS" or "REGTYPE"))
        {
            return false;
        }

        string name = tokens[i].Value;
        r.Replace(tokens[i].Start, tokens[target].End, tokens[target].Value == "REGCLASS" ? RegclassLookup(name)
            : "COALESCE((SELECT min(oid) FROM pg_type WHERE typname = " + DuckDbConnection.QuoteLiteral(name) + "), -1)");
        i = target;
        return true;
    }

    /// <summary>Casts to catalog types DuckDB lacks (<c>::name</c>, <c>::oid</c>, ...) become casts to the type that holds them.</summary>
    private static bool CatalogTypeCast(Rewriting r, ref int i)
    {
        IReadOnlyList<SqlToken> tokens = r.Tokens;
        if (!IsSymbol(tokens, i, ":") || !IsSymbol(tokens, i + 1, ":"))
        {
            return false;
        }

        int type = CastTarget(tokens, i + 2);
        if (type < tokens.Count && tokens[type].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
            && s_castTypes.TryGetValue(tokens[type].Value.ToUpperInvariant(), out string? replacement))
        {
            r.Replace(tokens[i].Start, tokens[type].End, "::" + replacement);
            i = type;
        }

        return true;
    }

    /// <summary>One statement being rewritten: its tokens and the edits the rules recorded.</summary>
    private sealed class Rewriting(SqlStatement statement, string database, SessionSettings? settings)
    {
        private readonly List<(int Start, int End, string Text)> _edits = [];

        public IReadOnlyList<SqlToken> Tokens { get; } = statement.Tokens;

        public string Text => statement.Text;

        public string Database => database;

        public SessionSettings? Settings => settings;

        public bool IsWordAt(int index, string word) => IsWord(Tokens, index, word);

        /// <summary>Replaces the text from <paramref name="start"/> to <paramref name="end"/> (equal: an insertion).</summary>
        public void Replace(int start, int end, string text) => _edits.Add((start, end, text));

        /// <summary>The statement with the edits applied; the text itself when no rule matched.</summary>
        public string Apply()
        {
            if (_edits.Count == 0)
            {
                return Text;
            }

            // Edits come in token order except the column aliases, which land after their function's arguments.
            _edits.Sort((a, b) => a.Start.CompareTo(b.Start));
            var builder = new StringBuilder(Text.Length);
            int copied = 0;
            foreach ((int start, int end, string text) in _edits)
            {
                builder.Append(Text, copied, start - copied).Append(text);
                copied = end;
            }

            return builder.Append(Text, copied, Text.Length - copied).ToString();
        }
    }

    /// <summary>The token of a cast's type name at <paramref name="type"/>, past a <c>pg_catalog.</c> qualifier.</summary>
    private static int CastTarget(IReadOnlyList<SqlToken> tokens, int type) =>
        type + 1 < tokens.Count && tokens[type].Value == "PG_CATALOG" && IsSymbol(tokens, type + 1, ".") ? type + 2 : type;

    private static string RegclassLookup(string name)
    {
        int dot = name.LastIndexOf('.');
        string relation = DuckDbConnection.QuoteLiteral(dot < 0 ? name : name[(dot + 1)..]);
        string schema = dot < 0 ? string.Empty : " AND n.nspname = " + DuckDbConnection.QuoteLiteral(name[..dot]);
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
        pattern = DuckDbConnection.QuoteLiteral(wrapped);
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
