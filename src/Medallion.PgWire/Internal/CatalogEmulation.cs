using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

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

    public static async Task InstallAsync(ISqlSession session, string user, string database, SessionSettings settings, CancellationToken cancellationToken)
    {
        settings.TryGet("server_version", out _, out string serverVersion);
        string version = $"PostgreSQL {serverVersion} on x86_64-pc-linux-gnu, compiled by DuckDB {DuckDbDatabase.LibraryVersion}, 64-bit";
        string userLiteral = DuckDbConnection.QuoteLiteral(user);
        string[] statements =
        [
            $"CREATE OR REPLACE TEMP TABLE {SettingsTable} (name VARCHAR PRIMARY KEY, setting VARCHAR)",
            $"CREATE OR REPLACE TEMP MACRO version() AS {DuckDbConnection.QuoteLiteral(version)}",
            $"CREATE OR REPLACE TEMP MACRO current_database() AS {DuckDbConnection.QuoteLiteral(database)}",
            $"CREATE OR REPLACE TEMP MACRO pg_get_userbyid(role_oid) AS {userLiteral}",
            $"CREATE OR REPLACE TEMP MACRO current_setting(setting_name) AS (SELECT s.setting FROM {SettingsTable} s WHERE lower(s.name) = lower(setting_name)), (setting_name, missing_ok) AS (SELECT s.setting FROM {SettingsTable} s WHERE lower(s.name) = lower(setting_name))",
            "CREATE OR REPLACE TEMP MACRO set_config(setting_name, new_value, is_local) AS new_value",
            PgTypeView(),
            "CREATE OR REPLACE TEMP VIEW pg_namespace AS SELECT oid, nspname, 10::BIGINT AS nspowner, nspacl FROM pg_catalog.pg_namespace "
                + $"UNION ALL SELECT {PgCatalogNamespaceOid}, 'pg_catalog', 10, NULL UNION ALL SELECT {InformationSchemaNamespaceOid}, 'information_schema', 10, NULL",
            $"CREATE OR REPLACE TEMP VIEW pg_proc AS SELECT * FROM pg_catalog.pg_proc UNION ALL BY NAME SELECT {ArrayReceiveOid}::BIGINT AS oid, 'array_recv' AS proname, {PgCatalogNamespaceOid}::BIGINT AS pronamespace",
            "CREATE OR REPLACE TEMP VIEW pg_range AS SELECT * FROM (VALUES (0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT)) t(rngtypid, rngsubtype, rngmultitypid, rngcollation, rngsubopc, rngcanonical, rngsubdiff) WHERE false",
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
