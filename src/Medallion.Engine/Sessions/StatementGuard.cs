using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine.Sql;

namespace Medallion.Engine.Sessions;

/// <summary>Whom a read-only session serves, which decides what its statements may call.</summary>
internal enum GuardProfile
{
    /// <summary>A remote client of a shared server: queries only, and only functions that read what the query names.</summary>
    Served,

    /// <summary>The interactive shell of the person at the machine: also files, DuckDB's introspection and its session statements.</summary>
    Shell,
}

/// <summary>One statement as it will run: a head the guard wrote (EXPLAIN, PREPARE) in front of a checked query, or a session statement.</summary>
/// <param name="Head">Text to put before the query (<c>EXPLAIN ANALYZE </c>), or empty.</param>
/// <param name="Query">The checked query, whose table references the session may still rewrite; null for a session statement.</param>
/// <param name="Text">The query's text (or the whole session statement), exactly as DuckDB parsed it for the check.</param>
internal sealed record CheckedStatement(string Head, ParsedStatement? Query, string Text);

/// <summary>
/// Decides what a read-only session runs, from DuckDB's own parse of each statement and before anything is bound:
/// queries (every statement a SELECT tree of <c>json_serialize_sql</c>), EXPLAIN [ANALYZE] of a query and, in the shell,
/// SET/RESET, PREPARE of a query, EXECUTE and transaction control. Everything else is refused.
/// </summary>
/// <remarks>
/// <para>
/// Guarantees. What runs is what was checked: a query runs as the very text DuckDB parsed into the checked tree; an
/// EXPLAIN or PREPARE runs as a head written here in front of the checked query, never the client's own head, so no
/// option list, comment or spelling can change what it does. Nothing is prepared or bound before the decision,
/// because binding has side effects of its own (binding <c>EXPORT DATABASE</c> creates its directory). Table functions
/// are allowed by name (<see cref="s_servedTableFunctions"/>); <c>query()</c> and <c>query_table()</c> take constant
/// arguments only, and the SQL inside is checked like the outer statement. Size limits come first, so a huge or
/// deeply nested text costs no parse.
/// </para>
/// <para>
/// Splitting a query string into statements uses <see cref="SqlLexer"/>; a split that disagrees with DuckDB's can only
/// make a statement fail the check (its text then parses to something other than one query), never pass one.
/// </para>
/// </remarks>
internal sealed class StatementGuard(DuckDbConnection parser, GuardProfile profile, bool restricted = false)
{
    /// <summary>The most UNION/INTERSECT/EXCEPT branches one statement may join (DuckDB's planning grows faster than linearly with them).</summary>
    public const int MaxSetOperations = 1000;

    /// <summary>How deeply <c>query('...')</c> may nest.</summary>
    private const int MaxNestedQueries = 4;

    private const string ReadOnlyHelp = "Help: tables change through the project's models and sources, not through queries.";

    /// <summary>
    /// Table functions a served client may call: they compute rows from their arguments or describe DuckDB's types and
    /// functions, and neither read files nor change or reveal the server's state.
    /// </summary>
    private static readonly FrozenSet<string> s_servedTableFunctions = FrozenSet.ToFrozenSet(
    [
        "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree",
        "pg_timezone_names", "icu_calendar_names", "duckdb_keywords", "duckdb_types", "duckdb_functions",
        "pragma_version", "pragma_platform", "pragma_table_info", "pragma_show", "pragma_collations",
        "query", "query_table",
    ], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// What the shell adds: the person at the machine reads their own files and looks into DuckDB's catalog. Functions
    /// that change the database's state (checkpoint, logging, profiling, the parser), execute serialized plans, read
    /// raw memory (arrow_scan) or show secrets and logs are refused here too.
    /// </summary>
    private static readonly FrozenSet<string> s_shellTableFunctions = FrozenSet.ToFrozenSet(
        s_servedTableFunctions.Concat(
        [
            "read_csv", "read_csv_auto", "read_json", "read_json_auto", "read_json_objects", "read_json_objects_auto",
            "read_ndjson", "read_ndjson_auto", "read_ndjson_objects", "read_parquet", "parquet_scan", "parquet_metadata",
            "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata", "parquet_full_metadata", "parquet_bloom_probe",
            "read_text", "read_blob", "glob", "sniff_csv", "summary", "histogram", "histogram_values",
            "duckdb_columns", "duckdb_constraints", "duckdb_databases", "duckdb_dependencies", "duckdb_extensions",
            "duckdb_indexes", "duckdb_memory", "duckdb_optimizers", "duckdb_prepared_statements", "duckdb_schemas",
            "duckdb_sequences", "duckdb_settings", "duckdb_tables", "duckdb_temporary_files", "duckdb_variables",
            "duckdb_views", "duckdb_approx_database_count", "duckdb_connection_count", "duckdb_table_sample",
            "pragma_database_size", "pragma_storage_info", "pragma_metadata_info", "pragma_user_agent",
            "test_all_types", "test_vector_types",
        ]),
        StringComparer.OrdinalIgnoreCase);

    /// <summary>Scalar functions with an effect beyond their result.</summary>
    private static readonly FrozenSet<string> s_refusedScalarFunctions = FrozenSet.ToFrozenSet(["write_log"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Settings the shell may not change: they write files, widen access or reconfigure logging and profiling.</summary>
    private static readonly FrozenSet<string> s_refusedShellSettings = FrozenSet.ToFrozenSet(
    [
        "profiling_output", "profile_output", "enable_profiling", "enable_profile", "profiling_mode", "custom_profiling_settings",
        "enable_logging", "logging_storage", "logging_level", "logging_mode", "enabled_log_types", "disabled_log_types",
        "log_query_path", "temp_directory", "max_temp_directory_size", "extension_directory", "secret_directory",
        "home_directory", "allowed_directories", "allowed_paths", "enable_external_access", "lock_configuration",
        "allowed_configs", "allow_persistent_secrets", "autoload_known_extensions", "autoinstall_known_extensions",
        "allow_unsigned_extensions", "allow_community_extensions", "access_mode",
    ], StringComparer.OrdinalIgnoreCase);

    /// <summary>Checks every statement of <paramref name="sql"/>; returns them as they will run.</summary>
    /// <exception cref="MedallionException">A statement is refused, or the text is too large.</exception>
    public async Task<IReadOnlyList<CheckedStatement>> CheckAsync(string sql, CancellationToken cancellationToken)
    {
        SqlTextLimits.ThrowIfTooLong(sql);
        List<SqlStatement> statements = SqlLexer.Split(sql);
        SqlTextLimits.ThrowIfTooMany(statements.Count);

        var checkedStatements = new List<CheckedStatement>(statements.Count);
        for (int i = 0; i < statements.Count; i++)
        {
            checkedStatements.Add(await CheckStatementAsync(i + 1, statements[i], cancellationToken).ConfigureAwait(false));
        }

        return checkedStatements;
    }

    private async Task<CheckedStatement> CheckStatementAsync(int number, SqlStatement statement, CancellationToken cancellationToken)
    {
        string keyword = statement.Keyword(0);
        bool shell = profile == GuardProfile.Shell;
        return keyword switch
        {
            "EXPLAIN" => await CheckExplainAsync(number, statement, cancellationToken).ConfigureAwait(false),
            "PREPARE" when shell => await CheckPrepareAsync(number, statement, cancellationToken).ConfigureAwait(false),
            "SET" or "RESET" when shell => CheckSessionStatement(number, statement, SettingName(statement)),
            "EXECUTE" or "BEGIN" or "START" or "COMMIT" or "END" or "ROLLBACK" or "ABORT" when shell => CheckSessionStatement(number, statement, null),
            _ => new CheckedStatement(string.Empty, await CheckQueryAsync(number, statement, nesting: 0, cancellationToken).ConfigureAwait(false), statement.Text),
        };
    }

    /// <summary>A statement must be one query: DuckDB parses its text to SELECT trees, and every call in them is allowed.</summary>
    private async Task<ParsedStatement> CheckQueryAsync(int number, SqlStatement statement, int nesting, CancellationToken cancellationToken)
    {
        int setOperations = statement.Tokens.Count(t => t.Kind == SqlTokenKind.Word && t.Value is "UNION" or "INTERSECT" or "EXCEPT");
        if (setOperations > MaxSetOperations)
        {
            throw new MedallionException(ErrorCode.EngineStatementTooLarge,
                $"Statement {number} joins {setOperations.ToString("N0", CultureInfo.InvariantCulture)} queries with UNION, INTERSECT or EXCEPT; at most {MaxSetOperations.ToString("N0", CultureInfo.InvariantCulture)} are accepted. Help: put the rows in a table, or use VALUES.");
        }

        ParsedStatement parsed = await ParsedStatement.ParseAsync(parser, statement.Text, cancellationToken).ConfigureAwait(false);
        if (parsed.SyntaxError is { } syntax)
        {
            throw new DuckDbException(ErrorCode.DuckDbQueryFailed, DuckDbErrorType.Parser, "Parser Error: " + syntax);
        }

        if (parsed.Tree is not { } tree)
        {
            throw Refused(number, KindOf(statement));
        }

        var nestedQueries = new List<JsonObject>();
        CheckTree(number, tree, nestedQueries);
        foreach (TableReference reference in parsed.References)
        {
            CheckRelation(number, reference);
        }

        foreach (JsonObject call in nestedQueries)
        {
            await CheckNestedQueryAsync(number, call, nesting, cancellationToken).ConfigureAwait(false);
        }

        return parsed;
    }

    /// <summary>Walks the statement tree: table functions from the allowlist, no scalar function with side effects, no file read as a table.</summary>
    private void CheckTree(int number, JsonNode root, List<JsonObject> nestedQueries)
    {
        var pending = new Stack<JsonNode>();
        pending.Push(root);
        while (pending.TryPop(out JsonNode? node))
        {
            if (node is JsonArray array)
            {
                foreach (JsonNode? child in array)
                {
                    if (child is not null)
                    {
                        pending.Push(child);
                    }
                }

                continue;
            }

            if (node is not JsonObject obj)
            {
                continue;
            }

            string? type = Text(obj, "type");
            if (type == "TABLE_FUNCTION" && obj["function"] is JsonObject function)
            {
                string name = Text(function, "function_name") ?? string.Empty;
                CheckTableFunction(number, name, function);
                if (name.Equals("query", StringComparison.OrdinalIgnoreCase) || name.Equals("query_table", StringComparison.OrdinalIgnoreCase))
                {
                    nestedQueries.Add(function);
                }
            }
            else if (Text(obj, "class") is "FUNCTION" or "WINDOW" && Text(obj, "function_name") is { } scalar)
            {
                CheckFunction(number, scalar, obj);
            }

            foreach ((string _, JsonNode? child) in obj)
            {
                if (child is not null)
                {
                    pending.Push(child);
                }
            }
        }
    }

    /// <summary>A scalar function: none with side effects; for a served session, none that returns a definition, a plan or a setting it may not see.</summary>
    private void CheckFunction(int number, string name, JsonObject call)
    {
        if (s_refusedScalarFunctions.Contains(name))
        {
            throw NotAllowed(number, $"calls {name}(), which changes the server's state");
        }

        if (restricted && SessionAccess.IsInternalRelation(name))
        {
            // The mask function would hash guessed values with the project's key, to be matched against masked ones.
            throw NotAllowed(number, $"calls {name}(), which belongs to the server");
        }

        if (profile != GuardProfile.Served)
        {
            return;
        }

        if (ServedCatalog.IsRefusedFunction(name))
        {
            throw NotAllowed(number, $"calls {name}(), which shows the server's definitions, plans or files; a served session reads the tables' data and the catalog's names and types");
        }

        if (name.Equals("current_setting", StringComparison.OrdinalIgnoreCase)
            && (call["children"] is not JsonArray { Count: > 0 } arguments || ConstantText(arguments[0]) is not { } setting || !ServedCatalog.IsVisibleSetting(setting, parser)))
        {
            throw NotAllowed(number, "calls current_setting() for a setting a served session does not see (the server's folders and engine configuration); it may read TimeZone, search_path, memory_limit, threads and the PostgreSQL settings");
        }
    }

    private void CheckTableFunction(int number, string name, JsonObject function)
    {
        FrozenSet<string> allowed = profile == GuardProfile.Served ? s_servedTableFunctions : s_shellTableFunctions;
        string schema = Text(function, "schema") ?? string.Empty;
        string catalog = Text(function, "catalog") ?? string.Empty;
        bool builtIn = schema is "" or "main" or "pg_catalog" && catalog is "" or "system";
        if (!builtIn || !allowed.Contains(name))
        {
            string reason = profile == GuardProfile.Served
                ? "a served session may call only table functions that compute rows from their arguments (generate_series, range, unnest, json_each, ...)"
                : "it changes the database's state or reveals what the shell does not show";
            throw NotAllowed(number, $"calls the table function {name}(), which this session does not allow: {reason}");
        }
    }

    /// <summary>
    /// A served client reads tables by name: a name that is a file path would be read by DuckDB's replacement scan, and of
    /// DuckDB's own relations only those that show no definition, file or setting are read (<see cref="ServedCatalog"/>).
    /// </summary>
    private void CheckRelation(int number, TableReference table)
    {
        if (profile != GuardProfile.Served || table.NamesCte)
        {
            return;
        }

        string name = table.Table;
        if (restricted && SessionAccess.IsInternalRelation(name))
        {
            throw NotAllowed(number, $"reads {name}, which belongs to the server");
        }

        if (name.IndexOfAny(['/', '\\', '.', ':']) >= 0)
        {
            throw NotAllowed(number, $"reads '{name}' as a file; a served session reads tables only");
        }

        if (ServedCatalog.IsSystemRelation(table, parser) && !ServedCatalog.IsSafe(name) && !ServedCatalog.Sanitized.ContainsKey(name))
        {
            throw NotAllowed(number, $"reads DuckDB's own relation {name}, which shows the server's internals (view definitions, files, settings or logs); a served session reads the lakehouse tables, information_schema and pg_catalog");
        }
    }

    /// <summary><c>query('...')</c> runs SQL from a string and <c>query_table('...')</c> reads a table named by one: only constants can be checked.</summary>
    private async Task CheckNestedQueryAsync(int number, JsonObject call, int nesting, CancellationToken cancellationToken)
    {
        string name = (Text(call, "function_name") ?? string.Empty).ToLowerInvariant();
        JsonArray arguments = call["children"] as JsonArray ?? [];
        List<string> constants = arguments.Select(ConstantText).Where(text => text is not null).Select(text => text!).ToList();
        if (arguments.Count == 0 || constants.Count == 0 || (name == "query" && (arguments.Count != 1 || constants.Count != 1)))
        {
            throw new MedallionException(ErrorCode.EngineUnsupportedStatement,
                $"Statement {number} calls {name}() with an argument that is not a constant string; the SQL or table it names must be written out so it can be checked. Help: write the query itself instead of building it.");
        }

        if (name == "query_table")
        {
            foreach (string table in constants)
            {
                await CheckNamedTableAsync(number, table, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (nesting + 1 >= MaxNestedQueries)
        {
            throw new MedallionException(ErrorCode.EngineStatementTooLarge, $"Statement {number} nests query() more than {MaxNestedQueries} deep.");
        }

        foreach (SqlStatement inner in SqlLexer.Split(constants[0]))
        {
            if (inner.Keyword(0) is "EXPLAIN" or "PREPARE" or "SET" or "RESET")
            {
                throw Refused(number, inner.Keyword(0));
            }

            await CheckQueryAsync(number, inner, nesting + 1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A table <c>query_table('...')</c> names: DuckDB parses the name as it would after FROM, and it is checked as a relation
    /// there would be. A relation the session reads through a copy cannot be named so, since the name is only a string.
    /// </summary>
    private async Task CheckNamedTableAsync(int number, string table, CancellationToken cancellationToken)
    {
        if (table.IndexOfAny(['/', '\\', ':']) >= 0 || table.Contains("..", StringComparison.Ordinal))
        {
            throw NotAllowed(number, $"reads '{table}' through query_table(), which names a file rather than a table");
        }

        ParsedStatement parsed = await ParsedStatement.ParseAsync(parser, "FROM " + table, cancellationToken).ConfigureAwait(false);
        if (parsed.References is not [TableReference reference] || parsed.Tree?["statements"] is not JsonArray { Count: 1 })
        {
            throw new MedallionException(ErrorCode.EngineUnsupportedStatement,
                $"Statement {number} calls query_table('{table}'), which does not name one table. Help: write the table's name, e.g. query_table('silver.orders').");
        }

        CheckRelation(number, reference);
        if (profile == GuardProfile.Served && ServedCatalog.IsSystemRelation(reference, parser) && ServedCatalog.Sanitized.ContainsKey(reference.Table))
        {
            throw NotAllowed(number, $"reads {reference.Table} through query_table(); query it by name instead");
        }
    }

    /// <summary>
    /// EXPLAIN [ANALYZE] [(ANALYZE, FORMAT f)] of a query. The head that runs is written here from the options understood;
    /// the client's head is dropped, so EXPLAIN ANALYZE runs only the checked query.
    /// </summary>
    private async Task<CheckedStatement> CheckExplainAsync(int number, SqlStatement statement, CancellationToken cancellationToken)
    {
        if (restricted)
        {
            // A plan shows the policy itself (row filters, masks), the lake's file paths, and with ANALYZE how many rows a
            // scan read before a filter hid them: each a side channel around the grant.
            throw new MedallionException(ErrorCode.EngineAccessDenied,
                $"Statement {number} is an EXPLAIN, which a user under an access policy may not run: the plan would show the policy (row filters, masks), the lake's files and the rows a filter hides.\nHelp: run the query itself; an admin can EXPLAIN it.");
        }

        IReadOnlyList<SqlToken> tokens = statement.Tokens;
        int next = 1;
        bool analyze = false;
        string? format = null;
        if (statement.Keyword(next) is "ANALYZE" or "ANALYSE")
        {
            analyze = true;
            next++;
        }

        if (next < tokens.Count && tokens[next] is { Kind: SqlTokenKind.Symbol, Value: "(" }
            && next + 1 < tokens.Count && tokens[next + 1].Kind == SqlTokenKind.Word && !StartsQuery(tokens[next + 1].Value))
        {
            next = ReadExplainOptions(number, tokens, next + 1, ref analyze, ref format);
        }

        if (next >= tokens.Count)
        {
            throw new MedallionException(ErrorCode.EngineUnsupportedStatement, $"Statement {number} is an EXPLAIN of nothing. Help: write EXPLAIN SELECT ...");
        }

        SqlStatement inner = SqlLexer.Split(statement.Text[tokens[next].Start..]) is [var only] ? only
            : throw new MedallionException(ErrorCode.EngineUnsupportedStatement, $"Statement {number} is an EXPLAIN of more than one statement.");
        if (inner.Keyword(0) is "EXPLAIN" or "PREPARE" or "SET" or "RESET" or "EXECUTE")
        {
            throw Refused(number, inner.Keyword(0));
        }

        ParsedStatement query = await CheckQueryAsync(number, inner, nesting: 0, cancellationToken).ConfigureAwait(false);
        string head = (analyze, format) switch
        {
            (false, null) => "EXPLAIN ",
            (true, null) => "EXPLAIN ANALYZE ",
            (false, _) => $"EXPLAIN (FORMAT {format}) ",
            (true, _) => $"EXPLAIN (ANALYZE, FORMAT {format}) ",
        };
        return new CheckedStatement(head, query, inner.Text);
    }

    private static int ReadExplainOptions(int number, IReadOnlyList<SqlToken> tokens, int at, ref bool analyze, ref string? format)
    {
        while (at < tokens.Count)
        {
            SqlToken option = tokens[at];
            switch (option.Kind == SqlTokenKind.Word ? option.Value : string.Empty)
            {
                case "ANALYZE" or "ANALYSE":
                    // DuckDB analyzes even for ANALYZE false, so only a bare ANALYZE (or TRUE/ON/1) is understood.
                    if (at + 1 < tokens.Count && tokens[at + 1] is { Kind: SqlTokenKind.Word or SqlTokenKind.Number } value)
                    {
                        if (value.Value is not ("TRUE" or "ON" or "1"))
                        {
                            throw new MedallionException(ErrorCode.EngineUnsupportedStatement, $"Statement {number} has EXPLAIN option ANALYZE {value.Raw}; write ANALYZE alone, or leave it out.");
                        }

                        at++;
                    }

                    analyze = true;
                    at++;
                    break;
                case "FORMAT" when at + 1 < tokens.Count && tokens[at + 1].Kind is SqlTokenKind.Word or SqlTokenKind.String
                    && tokens[at + 1].Value.ToUpperInvariant() is "TEXT" or "JSON" or "HTML" or "GRAPHVIZ" or "YAML":
                    format = tokens[at + 1].Value.ToUpperInvariant();
                    at += 2;
                    break;
                default:
                    throw new MedallionException(ErrorCode.EngineUnsupportedStatement,
                        $"Statement {number} has EXPLAIN option {option.Raw}, which is not supported. Help: use ANALYZE and FORMAT (text, json, html, graphviz, yaml).");
            }

            if (at < tokens.Count && tokens[at] is { Kind: SqlTokenKind.Symbol, Value: "," })
            {
                at++;
            }
            else if (at < tokens.Count && tokens[at] is { Kind: SqlTokenKind.Symbol, Value: ")" })
            {
                return at + 1;
            }
            else
            {
                break;
            }
        }

        throw new MedallionException(ErrorCode.EngineUnsupportedStatement, $"Statement {number} has an EXPLAIN option list that does not end with ')'.");
    }

    /// <summary>PREPARE name [(types)] AS query, in the shell: the query is checked, and the PREPARE around it is written here.</summary>
    private async Task<CheckedStatement> CheckPrepareAsync(int number, SqlStatement statement, CancellationToken cancellationToken)
    {
        IReadOnlyList<SqlToken> tokens = statement.Tokens;
        if (tokens.Count < 4 || tokens[1].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            throw new MedallionException(ErrorCode.EngineUnsupportedStatement, $"Statement {number} is not PREPARE name AS query.");
        }

        var head = new StringBuilder("PREPARE ").Append(tokens[1].Raw).Append(' ');
        int at = 2;
        if (tokens[at] is { Kind: SqlTokenKind.Symbol, Value: "(" })
        {
            head.Append('(');
            for (at++; at < tokens.Count && tokens[at] is not { Kind: SqlTokenKind.Symbol, Value: ")" }; at++)
            {
                if (tokens[at].Kind is not (SqlTokenKind.Word or SqlTokenKind.Number) && tokens[at] is not { Kind: SqlTokenKind.Symbol, Value: "," })
                {
                    throw new MedallionException(ErrorCode.EngineUnsupportedStatement, $"Statement {number} has '{tokens[at].Raw}' in the parameter types of a PREPARE.");
                }

                head.Append(tokens[at].Raw).Append(' ');
            }

            head.Append(") ");
            at++;
        }

        if (statement.Keyword(at) != "AS" || at + 1 >= tokens.Count)
        {
            throw new MedallionException(ErrorCode.EngineUnsupportedStatement, $"Statement {number} is not PREPARE name AS query.");
        }

        SqlStatement inner = SqlLexer.Split(statement.Text[tokens[at + 1].Start..]) is [var only] ? only
            : throw new MedallionException(ErrorCode.EngineUnsupportedStatement, $"Statement {number} prepares more than one statement.");
        if (inner.Keyword(0) is "EXPLAIN" or "PREPARE" or "SET" or "RESET" or "EXECUTE")
        {
            throw Refused(number, inner.Keyword(0));
        }

        ParsedStatement query = await CheckQueryAsync(number, inner, nesting: 0, cancellationToken).ConfigureAwait(false);
        return new CheckedStatement(head.Append("AS ").ToString(), query, inner.Text);
    }

    /// <summary>
    /// A shell session statement, known by its first keyword (DuckDB's grammar starts each of these kinds with its own):
    /// DuckDB must parse the text as exactly one statement. Counting parses without binding anything.
    /// </summary>
    private CheckedStatement CheckSessionStatement(int number, SqlStatement statement, string? setting)
    {
        if (setting is not null && s_refusedShellSettings.Contains(setting))
        {
            throw new MedallionException(ErrorCode.EngineReadOnly,
                $"Statement {number} changes the setting {setting}, which this session does not allow: it writes files, widens file access or reconfigures logging. {ReadOnlyHelp}");
        }

        if (DuckDbStatements.Count(parser, statement.Text) != 1)
        {
            throw Refused(number, KindOf(statement));
        }

        return new CheckedStatement(string.Empty, null, statement.Text);
    }

    /// <summary>The setting a SET or RESET names: <c>SET [SESSION|GLOBAL|LOCAL] [VARIABLE] name</c>.</summary>
    private static string? SettingName(SqlStatement statement)
    {
        int at = 1;
        if (statement.Keyword(at) is "SESSION" or "GLOBAL" or "LOCAL")
        {
            at++;
        }

        if (statement.Keyword(at) == "VARIABLE")
        {
            return null;
        }

        return at < statement.Tokens.Count && statement.Tokens[at].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier
            ? statement.Tokens[at].Value.ToLowerInvariant()
            : null;
    }

    private static bool StartsQuery(string keyword) => keyword is "SELECT" or "WITH" or "VALUES" or "FROM" or "TABLE" or "SHOW" or "DESCRIBE" or "DESC" or "SUMMARIZE" or "PIVOT" or "UNPIVOT";

    /// <summary>The kind of statement to name in a refusal: its first keyword, or for WITH the statement the CTEs lead into.</summary>
    private static string KindOf(SqlStatement statement)
    {
        string first = statement.Keyword(0);
        if (first != "WITH")
        {
            return first.Length > 0 ? first : "non-query";
        }

        int depth = 0;
        bool sawBody = false;
        foreach (SqlToken token in statement.Tokens)
        {
            if (token is { Kind: SqlTokenKind.Symbol, Value: "(" })
            {
                depth++;
            }
            else if (token is { Kind: SqlTokenKind.Symbol, Value: ")" })
            {
                depth--;
                sawBody |= depth == 0;
            }
            else if (depth == 0 && sawBody && token.Kind == SqlTokenKind.Word && token.Value is "SELECT" or "INSERT" or "UPDATE" or "DELETE" or "MERGE" or "VALUES" or "FROM" or "TABLE")
            {
                return token.Value;
            }
        }

        return first;
    }

    private static string? ConstantText(JsonNode? argument)
    {
        if (argument is not JsonObject constant || Text(constant, "class") != "CONSTANT" || constant["value"] is not JsonObject value || (bool?)value["is_null"] == true)
        {
            return null;
        }

        return value["value"] is JsonValue text && text.TryGetValue(out string? s) ? s : null;
    }

    private static string? Text(JsonObject node, string property) =>
        node[property] is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    private static MedallionException Refused(int number, string kind) =>
        new(ErrorCode.EngineReadOnly,
            $"Statement {number} is {("AEIOU".Contains(kind[0], StringComparison.Ordinal) ? "an" : "a")} {kind} statement, and this session is read-only: queries cannot change lakehouse data, write files or change settings. {ReadOnlyHelp}");

    private static MedallionException NotAllowed(int number, string what) =>
        new(ErrorCode.EngineFunctionNotAllowed, $"Statement {number} {what}.");
}
