using System.Collections.Generic;
using System.Threading;
using Medallion.Engine.Sql;
using Medallion.PgWire.Protocol;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;

namespace Medallion.PgWire.Internal;

/// <summary>
/// Makes a DuckDB session look like PostgreSQL to clients' own queries: session-scoped (TEMP) macros
/// shadow or add the functions clients call (<c>version()</c>, <c>current_setting</c>,
/// <c>pg_get_userbyid</c>, ...), on top of the <c>pg_catalog</c> views DuckDB already has. Everything
/// is TEMP, so it needs no write access and vanishes with the session.
/// </summary>
internal static class CatalogEmulation
{
    private const string SettingsTable = "temp.main.__medallion_settings";
    private const string KeyColumnsTable = "temp.main.__medallion_key_columns";
    private const string PrimaryKeys = "temp.main.__medallion_primary_keys";

    /// <summary>pg_get_indexdef of a primary key's index (DuckDB has no such function): the statement that would create it.</summary>
    private const string IndexDefinition = "(SELECT 'CREATE UNIQUE INDEX ' || constraint_name || ' ON ' || schema_name || '.' || table_name || ' USING btree (' || array_to_string(column_names, ', ') || ')' "
        + "FROM " + PrimaryKeys + " k WHERE k.index_oid = index_relation)";

    /// <summary>Added to a table's OID to make its primary key's (DuckDB numbers its catalog entries from 0 up, far below).</summary>
    private const long PrimaryKeyOidBase = 1L << 30;

    /// <summary>PostgreSQL's fixed OIDs of the pg_catalog and information_schema namespaces and of array_recv.</summary>
    private const int PgCatalogNamespaceOid = 11;
    private const int InformationSchemaNamespaceOid = 13183;
    private const int ArrayReceiveOid = 2400;

    /// <summary>The types in pg_type: OID, name, length, passed by value, category, array type OID (PostgreSQL's pg_type.dat).</summary>
    private static readonly (int Oid, string Name, int Length, bool ByValue, char Category, int Array)[] s_types =
    [
        (16, "bool", 1, true, 'B', 1000),
        (17, "bytea", -1, false, 'U', 1001),
        (18, "char", 1, true, 'Z', 1002),
        (19, "name", 64, false, 'S', 1003),
        (20, "int8", 8, true, 'N', 1016),
        (21, "int2", 2, true, 'N', 1005),
        (23, "int4", 4, true, 'N', 1007),
        (24, "regproc", 4, true, 'N', 1008),
        (25, "text", -1, false, 'S', 1009),
        (26, "oid", 4, true, 'N', 1028),
        (28, "xid", 4, true, 'U', 1011),
        (114, "json", -1, false, 'U', 199),
        (700, "float4", 4, true, 'N', 1021),
        (701, "float8", 8, true, 'N', 1022),
        (705, "unknown", -2, false, 'X', 0),
        (1042, "bpchar", -1, false, 'S', 1014),
        (1043, "varchar", -1, false, 'S', 1015),
        (1082, "date", 4, true, 'D', 1182),
        (1083, "time", 8, true, 'D', 1183),
        (1114, "timestamp", 8, true, 'D', 1115),
        (1184, "timestamptz", 8, true, 'D', 1185),
        (1186, "interval", 16, false, 'T', 1187),
        (1266, "timetz", 12, false, 'D', 1270),
        (1700, "numeric", -1, false, 'N', 1231),
        (2205, "regclass", 4, true, 'N', 2210),
        (2206, "regtype", 4, true, 'N', 2211),
        (2950, "uuid", 16, false, 'U', 2951),
        (3802, "jsonb", -1, false, 'U', 3807),
    ];

    private static readonly HashSet<string> s_triggers = new(System.StringComparer.Ordinal)
    {
        "VERSION", "CURRENT_SETTING", "SET_CONFIG", "FORMAT_TYPE", "ARRAY_UPPER", "ARRAY_LOWER", "INFORMATION_SCHEMA", "PARSE_IDENT", "QUOTE_IDENT", "GENERATE_SUBSCRIPTS",
    };

    /// <summary>Whether a statement may use the emulation: it names a pg_* object or one of the emulated functions.</summary>
    public static bool IsNeededBy(SqlStatement statement)
    {
        foreach (SqlToken token in statement.Tokens)
        {
            if (token.Kind == SqlTokenKind.Word && (token.Value.StartsWith("PG_", System.StringComparison.Ordinal) || s_triggers.Contains(token.Value)))
            {
                return true;
            }
        }

        return false;
    }

    public static async Task InstallAsync(ISqlSession session, string user, SessionSettings settings, CancellationToken cancellationToken)
    {
        IReadOnlyList<LakehouseTable> tables = await session.ListTablesAsync(cancellationToken).ConfigureAwait(false);
        settings.TryGet("server_version", out _, out string serverVersion);
        string version = $"PostgreSQL {serverVersion} on x86_64-pc-linux-gnu, compiled by DuckDB {DuckDbDatabase.LibraryVersion}, 64-bit";
        string userLiteral = DuckDbConnection.QuoteLiteral(user);
        string[] statements =
        [
            $"CREATE OR REPLACE TEMP TABLE {SettingsTable} (name VARCHAR PRIMARY KEY, setting VARCHAR)",
            $"CREATE OR REPLACE TEMP MACRO version() AS {DuckDbConnection.QuoteLiteral(version)}",
            $"CREATE OR REPLACE TEMP MACRO pg_get_userbyid(role_oid) AS {userLiteral}",
            $"CREATE OR REPLACE TEMP MACRO current_setting(setting_name) AS (SELECT s.setting FROM {SettingsTable} s WHERE lower(s.name) = lower(setting_name)), (setting_name, missing_ok) AS (SELECT s.setting FROM {SettingsTable} s WHERE lower(s.name) = lower(setting_name))",
            "CREATE OR REPLACE TEMP MACRO quote_ident(identifier) AS CASE WHEN regexp_full_match(identifier, '[a-z_][a-z0-9_$]*') THEN identifier ELSE '\"' || replace(identifier, '\"', '\"\"') || '\"' END",
            "CREATE OR REPLACE TEMP MACRO parse_ident(qualified_name) AS string_split(qualified_name, '.'), (qualified_name, strict) AS string_split(qualified_name, '.')",
            // A session's settings change by SET; set_config answers its value as PostgreSQL does, but for the environment,
            // whose change it would only seem to make (the session would go on reading the other environment's tables).
            $"CREATE OR REPLACE TEMP MACRO set_config(setting_name, new_value, is_local) AS CASE WHEN lower(setting_name) = '{LakehouseSessionFactory.EnvironmentSetting}' THEN error('set_config cannot change {LakehouseSessionFactory.EnvironmentSetting}; use SET {LakehouseSessionFactory.EnvironmentSetting} = ''name'' between transactions') ELSE new_value END",
            PgTypeView(),
            "CREATE OR REPLACE TEMP VIEW pg_namespace AS SELECT oid, nspname, 10::BIGINT AS nspowner, nspacl FROM pg_catalog.pg_namespace "
                + $"UNION ALL SELECT {PgCatalogNamespaceOid}, 'pg_catalog', 10, NULL UNION ALL SELECT {InformationSchemaNamespaceOid}, 'information_schema', 10, NULL",
            $"CREATE OR REPLACE TEMP VIEW pg_proc AS SELECT * FROM pg_catalog.pg_proc UNION ALL BY NAME SELECT {ArrayReceiveOid}::BIGINT AS oid, 'array_recv' AS proname, {PgCatalogNamespaceOid}::BIGINT AS pronamespace",
            "CREATE OR REPLACE TEMP VIEW pg_range AS SELECT * FROM (VALUES (0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT)) t(rngtypid, rngsubtype, rngmultitypid, rngcollation, rngsubopc, rngcanonical, rngsubdiff) WHERE false",
            TypeOidMacros(),
            FormatTypeMacro(),
            PrimaryKeysTable(tables),
            PrimaryKeysView(),
            // A lakehouse table is a view over its Delta snapshot; clients list tables by relkind 'r' (psql's \dt, JDBC, SQLAlchemy).
            // A primary key is backed by an index in PostgreSQL, and JDBC finds the key's name as that index's relation.
            "CREATE OR REPLACE TEMP VIEW pg_class AS SELECT c.* REPLACE (CASE WHEN c.relkind = 'v' AND starts_with(v.comment, "
                + DuckDbConnection.QuoteLiteral(LakehouseSession.ViewCommentPrefix) + ") THEN 'r' ELSE c.relkind END AS relkind, "
                + $"c.relhasindex OR c.oid IN (SELECT table_oid FROM {PrimaryKeys}) AS relhasindex), false AS relforcerowsecurity "
                + "FROM pg_catalog.pg_class c LEFT JOIN duckdb_views() v ON c.relkind = 'v' AND v.view_oid = c.oid "
                + "WHERE NOT starts_with(c.relname, '__medallion') "
                + $"UNION ALL BY NAME SELECT index_oid AS oid, constraint_name AS relname, schema_oid AS relnamespace, 'p' AS relpersistence, 'i' AS relkind, len(attnums) AS relnatts, false AS relforcerowsecurity FROM {PrimaryKeys}",
            // psql's \d shows a table's indexes and constraints through these two.
            $"CREATE OR REPLACE TEMP MACRO pg_get_constraintdef(constraint_oid) AS COALESCE((SELECT 'PRIMARY KEY (' || array_to_string(column_names, ', ') || ')' FROM {PrimaryKeys} WHERE index_oid = constraint_oid), pg_catalog.pg_get_constraintdef(constraint_oid)), "
                + "(constraint_oid, pretty) AS pg_get_constraintdef(constraint_oid)",
            $"CREATE OR REPLACE TEMP MACRO pg_get_indexdef(index_relation) AS {IndexDefinition}, (index_relation, column_number, pretty) AS {IndexDefinition}",
            $"CREATE OR REPLACE TEMP VIEW pg_index AS SELECT * FROM pg_catalog.pg_index UNION ALL BY NAME SELECT index_oid AS indexrelid, table_oid AS indrelid, len(attnums) AS indnatts, len(attnums) AS indnkeyatts, "
                + "true AS indisunique, true AS indisprimary, false AS indisexclusion, true AS indimmediate, false AS indisclustered, true AS indisvalid, false AS indcheckxmin, true AS indisready, true AS indislive, "
                + $"false AS indisreplident, CAST(attnums AS INTEGER[]) AS indkey FROM {PrimaryKeys}",
            $"CREATE OR REPLACE TEMP VIEW pg_constraint AS SELECT * FROM pg_catalog.pg_constraint UNION ALL BY NAME SELECT index_oid AS oid, constraint_name AS conname, schema_oid AS connamespace, 'p' AS contype, "
                + $"false AS condeferrable, false AS condeferred, true AS convalidated, table_oid AS conrelid, 0 AS contypid, index_oid AS conindid, 0 AS conparentid, 0 AS confrelid, true AS conislocal, 0 AS coninhcount, false AS connoinherit, attnums AS conkey FROM {PrimaryKeys}",
            // information_schema is DuckDB's own schema, which a TEMP view cannot shadow: the rewriter points these names here.
            "CREATE OR REPLACE TEMP VIEW __information_schema_tables AS SELECT t.* REPLACE (CASE WHEN t.table_type = 'VIEW' AND starts_with(t.TABLE_COMMENT, "
                + DuckDbConnection.QuoteLiteral(LakehouseSession.ViewCommentPrefix) + ") THEN 'BASE TABLE' ELSE t.table_type END AS table_type) FROM information_schema.tables t "
                + "WHERE NOT starts_with(t.table_name, '__medallion')",
            "CREATE OR REPLACE TEMP VIEW __information_schema_table_constraints AS SELECT * FROM information_schema.table_constraints UNION ALL BY NAME "
                + "SELECT database_name AS constraint_catalog, schema_name AS constraint_schema, constraint_name, database_name AS table_catalog, schema_name AS table_schema, table_name, "
                + $"'PRIMARY KEY' AS constraint_type, 'NO' AS is_deferrable, 'NO' AS initially_deferred, 'YES' AS enforced, 'YES' AS nulls_distinct FROM {PrimaryKeys}",
            "CREATE OR REPLACE TEMP VIEW __information_schema_key_column_usage AS SELECT * FROM information_schema.key_column_usage UNION ALL BY NAME "
                + "SELECT database_name AS constraint_catalog, schema_name AS constraint_schema, constraint_name, database_name AS table_catalog, schema_name AS table_schema, table_name, "
                + $"unnest(column_names) AS column_name, unnest(generate_series(1, len(column_names))) AS ordinal_position, NULL::BIGINT AS position_in_unique_constraint FROM {PrimaryKeys}",
            "CREATE OR REPLACE TEMP VIEW pg_attribute AS SELECT c.table_oid AS attrelid, c.column_name AS attname, __pg_type_oid(c.data_type) AS atttypid, 0 AS attstattarget, "
                + "-1::SMALLINT AS attlen, c.column_index::SMALLINT AS attnum, 0 AS attndims, -1 AS attcacheoff, __pg_type_modifier(c.data_type) AS atttypmod, false AS attbyval, 'p' AS attstorage, 'i' AS attalign, "
                + "NOT c.is_nullable AS attnotnull, c.column_default IS NOT NULL AS atthasdef, false AS atthasmissing, '' AS attidentity, '' AS attgenerated, false AS attisdropped, true AS attislocal, "
                + "0 AS attinhcount, 0::BIGINT AS attcollation, '' AS attcompression, NULL::VARCHAR AS attacl, NULL::VARCHAR AS attoptions, NULL::VARCHAR AS attfdwoptions, NULL::VARCHAR AS attmissingval "
                + "FROM duckdb_columns() c WHERE NOT starts_with(c.table_name, '__medallion')",
            "CREATE OR REPLACE TEMP MACRO pg_get_expr(expression, relation_oid) AS CAST(expression AS VARCHAR), (expression, relation_oid, pretty) AS CAST(expression AS VARCHAR)",
            "CREATE OR REPLACE TEMP MACRO pg_get_statisticsobjdef_columns(statistics_oid) AS NULL::VARCHAR",
            "CREATE OR REPLACE TEMP MACRO pg_get_serial_sequence(table_name, column_name) AS NULL::VARCHAR",
            // json_build_object is variadic in PostgreSQL; SQLAlchemy's column reflection calls it with seven pairs.
            JsonBuildObjectMacro(),
            // Set-returning in PostgreSQL, as unnest is in a DuckDB select list, where several of them advance together.
            "CREATE OR REPLACE TEMP MACRO _pg_expandarray(key_array) AS unnest([{'x': key_array[i], 'n': i} FOR i IN generate_series(1, len(key_array))])",
            "CREATE OR REPLACE TEMP MACRO generate_subscripts(list_value, dimension) AS unnest(generate_series(1, len(list_value)))",
            "CREATE OR REPLACE TEMP MACRO pg_relation_is_publishable(relation_oid) AS false",
            "CREATE OR REPLACE TEMP MACRO array_upper(list_value, dimension) AS CASE WHEN len(list_value) > 0 THEN len(list_value) END",
            "CREATE OR REPLACE TEMP MACRO array_lower(list_value, dimension) AS CASE WHEN len(list_value) > 0 THEN 1 END",
            EmptyView("pg_inherits", "inhrelid BIGINT, inhparent BIGINT, inhseqno INTEGER, inhdetachpending BOOLEAN"),
            EmptyView("pg_statistic_ext", "oid BIGINT, stxrelid BIGINT, stxname VARCHAR, stxnamespace BIGINT, stxowner BIGINT, stxstattarget INTEGER, stxkeys VARCHAR, stxkind VARCHAR[], stxexprs VARCHAR"),
            EmptyView("pg_publication", "oid BIGINT, pubname VARCHAR, pubowner BIGINT, puballtables BOOLEAN, pubinsert BOOLEAN, pubupdate BOOLEAN, pubdelete BOOLEAN, pubtruncate BOOLEAN, pubviaroot BOOLEAN"),
            EmptyView("pg_publication_rel", "oid BIGINT, prpubid BIGINT, prrelid BIGINT, prqual VARCHAR, prattrs SMALLINT[]"),
            EmptyView("pg_publication_namespace", "oid BIGINT, pnpubid BIGINT, pnnspid BIGINT"),
            EmptyView("pg_policy", "oid BIGINT, polname VARCHAR, polrelid BIGINT, polcmd VARCHAR, polpermissive BOOLEAN, polroles BIGINT[], polqual VARCHAR, polwithcheck VARCHAR"),
            EmptyView("pg_trigger", "oid BIGINT, tgrelid BIGINT, tgparentid BIGINT, tgname VARCHAR, tgfoid BIGINT, tgtype SMALLINT, tgenabled VARCHAR, tgisinternal BOOLEAN, tgconstrrelid BIGINT, tgconstrindid BIGINT, tgconstraint BIGINT, tgdeferrable BOOLEAN, tginitdeferred BOOLEAN, tgnargs SMALLINT, tgattr VARCHAR, tgargs BLOB, tgqual VARCHAR, tgoldtable VARCHAR, tgnewtable VARCHAR"),
            EmptyView("pg_matviews", "schemaname VARCHAR, matviewname VARCHAR, matviewowner VARCHAR, tablespace VARCHAR, hasindexes BOOLEAN, ispopulated BOOLEAN, definition VARCHAR"),
            EmptyView("pg_partitioned_table", "partrelid BIGINT, partstrat VARCHAR, partnatts SMALLINT, partdefid BIGINT, partattrs VARCHAR, partclass VARCHAR, partcollation VARCHAR, partexprs VARCHAR"),
            $"CREATE OR REPLACE TEMP VIEW pg_roles AS SELECT {userLiteral} AS rolname, false AS rolsuper, true AS rolinherit, false AS rolcreaterole, false AS rolcreatedb, true AS rolcanlogin, false AS rolreplication, -1 AS rolconnlimit, '********' AS rolpassword, NULL::TIMESTAMPTZ AS rolvaliduntil, false AS rolbypassrls, NULL::VARCHAR[] AS rolconfig, 10::BIGINT AS oid",
            $"CREATE OR REPLACE TEMP VIEW pg_user AS SELECT {userLiteral} AS usename, 10::BIGINT AS usesysid, false AS usecreatedb, false AS usesuper, false AS userepl, false AS usebypassrls, '********' AS passwd, NULL::TIMESTAMPTZ AS valuntil, NULL::VARCHAR[] AS useconfig",
            "CREATE OR REPLACE TEMP VIEW pg_enum AS SELECT * FROM (VALUES (0::BIGINT, 0::BIGINT, 0::DOUBLE, '')) t(oid, enumtypid, enumsortorder, enumlabel) WHERE false",
        ];
        var script = new System.Text.StringBuilder(string.Join(";\n", statements));
        script.Append(";\nINSERT OR REPLACE INTO ").Append(SettingsTable).Append(" VALUES ");
        bool first = true;
        foreach ((string name, string value) in settings.All())
        {
            script.Append(first ? string.Empty : ", ").Append('(').Append(DuckDbConnection.QuoteLiteral(name)).Append(", ").Append(DuckDbConnection.QuoteLiteral(value)).Append(')');
            first = false;
        }

        await ExecuteAsync(session, script.ToString(), null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The primary keys of lakehouse tables, one row per table with the key's attribute numbers and names. The key's
    /// index gets an OID of its own, above the range DuckDB gives its catalog entries.
    /// </summary>
    private static string PrimaryKeysView() =>
        $"CREATE OR REPLACE TEMP VIEW {PrimaryKeys} AS SELECT v.database_name, v.schema_oid, v.schema_name, v.view_oid AS table_oid, v.view_name AS table_name, "
        + $"v.view_name || '_pkey' AS constraint_name, {PrimaryKeyOidBase} + v.view_oid AS index_oid, "
        + "list(c.column_index ORDER BY k.key_seq) AS attnums, list(c.column_name ORDER BY k.key_seq) AS column_names "
        + $"FROM {KeyColumnsTable} k JOIN duckdb_views() v ON lower(v.schema_name) = lower(k.schema_name) AND lower(v.view_name) = lower(k.table_name) AND NOT v.temporary "
        + "JOIN duckdb_columns() c ON c.table_oid = v.view_oid AND lower(c.column_name) = lower(k.column_name) GROUP BY ALL";

    /// <summary>The session's table keys as rows (schema, table, column, position in the key).</summary>
    private static string PrimaryKeysTable(IReadOnlyList<LakehouseTable> tables)
    {
        var sql = new System.Text.StringBuilder($"CREATE OR REPLACE TEMP TABLE {KeyColumnsTable} (schema_name VARCHAR, table_name VARCHAR, column_name VARCHAR, key_seq INTEGER)");
        string separator = "; INSERT INTO " + KeyColumnsTable + " VALUES ";
        foreach (LakehouseTable table in tables)
        {
            for (int i = 0; i < table.UniqueKey.Count; i++)
            {
                sql.Append(separator).Append(System.Globalization.CultureInfo.InvariantCulture,
                    $"({DuckDbConnection.QuoteLiteral(table.Namespace)}, {DuckDbConnection.QuoteLiteral(table.Name)}, {DuckDbConnection.QuoteLiteral(table.UniqueKey[i])}, {i + 1})");
                separator = ", ";
            }
        }

        return sql.ToString();
    }

    /// <summary>
    /// pg_type with PostgreSQL's OIDs for every type the server sends, and their array types
    /// (whose typreceive is array_recv, which is how Npgsql and others recognise arrays).
    /// </summary>
    private static string PgTypeView()
    {
        var rows = new System.Text.StringBuilder();
        foreach ((int oid, string name, int length, bool byValue, char category, int array) in s_types)
        {
            AppendType(rows, oid, name, length, byValue, 'b', category, element: 0, array, receive: 0);
            if (array != 0)
            {
                AppendType(rows, array, "_" + name, -1, false, 'b', 'A', element: oid, array: 0, receive: ArrayReceiveOid);
            }
        }

        return "CREATE OR REPLACE TEMP VIEW pg_type AS SELECT * FROM (VALUES " + rows.ToString(0, rows.Length - 1) + ") t(oid, typname, typnamespace, typowner, typlen, typbyval, typtype, typcategory, typispreferred, typisdefined, typdelim, typrelid, typsubscript, typelem, typarray, typinput, typoutput, typreceive, typsend, typmodin, typmodout, typanalyze, typalign, typstorage, typnotnull, typbasetype, typtypmod, typndims, typcollation, typdefaultbin, typdefault, typacl)";
    }

    /// <summary>json_build_object(k1, v1, ...) with one to seven key/value pairs (DuckDB's json_object wants VARCHAR keys).</summary>
    private static string JsonBuildObjectMacro()
    {
        var overloads = new List<string>();
        for (int pairs = 1; pairs <= 7; pairs++)
        {
            var parameters = new List<string>();
            var arguments = new List<string>();
            for (int i = 1; i <= pairs; i++)
            {
                parameters.Add($"k{i}, v{i}");
                arguments.Add($"CAST(k{i} AS VARCHAR), v{i}");
            }

            overloads.Add($"({string.Join(", ", parameters)}) AS json_object({string.Join(", ", arguments)})");
        }

        return "CREATE OR REPLACE TEMP MACRO json_build_object" + string.Join(", ", overloads);
    }

    /// <summary>A catalog table PostgreSQL has and the lakehouse has nothing for (inheritance, publications, policies, ...): there, with its columns, and empty.</summary>
    private static string EmptyView(string name, string columns)
    {
        var casts = new System.Text.StringBuilder();
        foreach (string column in columns.Split(", "))
        {
            string[] parts = column.Split(' ', 2);
            casts.Append(casts.Length == 0 ? string.Empty : ", ").Append("NULL::").Append(parts[1]).Append(" AS ").Append(parts[0]);
        }

        return $"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {casts} WHERE false";
    }

    /// <summary>__pg_type_oid / __pg_type_modifier: the PostgreSQL type a DuckDB column type is sent as, for pg_attribute (same mapping as the wire).</summary>
    private static string TypeOidMacros()
    {
        var simple = new System.Text.StringBuilder("CASE t");
        foreach ((string duckDbName, PgType type) in PgType.ByDuckDbName)
        {
            simple.Append(System.Globalization.CultureInfo.InvariantCulture, $" WHEN '{duckDbName}' THEN {type.Oid}");
        }

        simple.Append(" WHEN 'DECIMAL' THEN 1700 ELSE 25 END");
        var arrays = new System.Text.StringBuilder("CASE __pg_base_oid(regexp_replace(regexp_replace(t, '\\[\\d*\\]$', ''), '\\(.*\\)$', ''))");
        foreach ((int oid, _, _, _, _, int array) in s_types)
        {
            if (array != 0)
            {
                arrays.Append(System.Globalization.CultureInfo.InvariantCulture, $" WHEN {oid} THEN {array}");
            }
        }

        arrays.Append(" ELSE 25 END");
        return $"CREATE OR REPLACE TEMP MACRO __pg_base_oid(t) AS {simple}; "
            + "CREATE OR REPLACE TEMP MACRO __pg_type_oid(t) AS CASE WHEN regexp_matches(t, '\\[\\d*\\]\\[\\d*\\]$') THEN 25 "
            + $"WHEN regexp_matches(t, '\\[\\d*\\]$') THEN {arrays} "
            + "WHEN t LIKE 'DECIMAL(%' THEN 1700 ELSE __pg_base_oid(t) END; "
            + "CREATE OR REPLACE TEMP MACRO __pg_type_modifier(t) AS CASE WHEN t LIKE 'DECIMAL(%' "
            + "THEN CAST(regexp_extract(t, 'DECIMAL\\((\\d+),(\\d+)\\)', 1) AS INTEGER) * 65536 + CAST(regexp_extract(t, 'DECIMAL\\((\\d+),(\\d+)\\)', 2) AS INTEGER) + 4 ELSE -1 END";
    }

    /// <summary>format_type(oid, typmod) with PostgreSQL's display names, e.g. <c>numeric(18,2)</c>, <c>integer[]</c>.</summary>
    private static string FormatTypeMacro()
    {
        var names = new System.Text.StringBuilder("CASE type_oid");
        foreach ((int oid, string name, _, _, _, int array) in s_types)
        {
            string display = s_displayNames.GetValueOrDefault(name, name);
            names.Append(System.Globalization.CultureInfo.InvariantCulture, $" WHEN {oid} THEN '{display}'");
            if (array != 0)
            {
                names.Append(System.Globalization.CultureInfo.InvariantCulture, $" WHEN {array} THEN '{display}[]'");
            }
        }

        names.Append(" ELSE '???' END");
        return "CREATE OR REPLACE TEMP MACRO format_type(type_oid, type_modifier) AS CASE "
            + "WHEN type_oid IS NULL THEN NULL "
            + "WHEN type_oid = 1700 AND type_modifier > 4 THEN 'numeric(' || ((type_modifier - 4) // 65536) || ',' || ((type_modifier - 4) % 65536) || ')' "
            + $"ELSE {names} END";
    }

    private static readonly System.Collections.Generic.Dictionary<string, string> s_displayNames = new(System.StringComparer.Ordinal)
    {
        ["bool"] = "boolean",
        ["int2"] = "smallint",
        ["int4"] = "integer",
        ["int8"] = "bigint",
        ["float4"] = "real",
        ["float8"] = "double precision",
        ["varchar"] = "character varying",
        ["bpchar"] = "character",
        ["char"] = "\"char\"",
        ["time"] = "time without time zone",
        ["timetz"] = "time with time zone",
        ["timestamp"] = "timestamp without time zone",
        ["timestamptz"] = "timestamp with time zone",
    };

    private static void AppendType(System.Text.StringBuilder rows, int oid, string name, int length, bool byValue, char type, char category, int element, int array, int receive) =>
        rows.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"({oid}::BIGINT, '{name}', {PgCatalogNamespaceOid}::BIGINT, 10::BIGINT, {length}::SMALLINT, {(byValue ? "true" : "false")}, '{type}', '{category}', false, true, ',', 0::BIGINT, 0::BIGINT, {element}::BIGINT, {array}::BIGINT, 0::BIGINT, 0::BIGINT, {receive}::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, 'i', 'p', false, 0::BIGINT, -1, 0, 0::BIGINT, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR),");

    /// <summary>Keeps what <c>current_setting()</c> reads in step with SET.</summary>
    public static Task UpdateSettingAsync(ISqlSession session, string name, string value, CancellationToken cancellationToken) =>
        ExecuteAsync(session, $"INSERT OR REPLACE INTO {SettingsTable} VALUES ($1, $2)", [name, value], cancellationToken);

    private static async Task ExecuteAsync(ISqlSession session, string sql, object?[]? parameters, CancellationToken cancellationToken)
    {
        DuckDbCommand command = session.Connection.CreateCommand();
        command.CommandText = sql;
        foreach (object? parameter in parameters ?? [])
        {
            command.Parameters.Add(new DuckDbParameter(parameter));
        }

        await DuckDbCommands.ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
    }
}
