using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Threading;
using Medallion.DuckDb;

namespace Medallion.Engine.Sessions;

/// <summary>
/// What a served session sees of DuckDB's own catalog. A lakehouse table is a view whose SQL holds the lake's file paths
/// and, for a user under an access policy, the policy itself (the masks' expressions, the row filter with its values);
/// DuckDB's settings hold the server's folders. None of it may reach a served client, whatever the spelling.
/// </summary>
/// <remarks>
/// Guarantees. A relation of DuckDB's own (every view and table of its <c>system</c> catalog, enumerated from DuckDB
/// itself, so a relation a new DuckDB version adds is refused until it is reviewed here) is read by a served session only
/// when it is in <see cref="s_safeRelations"/> (it shows names, types and comments, never a definition) or has a copy
/// without the definitions in <see cref="Sanitized"/>, which the session reads instead. The same holds whatever the
/// schema or catalog qualification, the case, or the path to it (a CTE body, <c>query()</c>, <c>query_table()</c>).
/// Functions that return a definition or a plan are refused (<see cref="IsRefusedFunction"/>), and settings are read
/// only from <see cref="s_visibleSettings"/>.
/// </remarks>
internal static class ServedCatalog
{
    /// <summary>
    /// The qualifiers a name of DuckDB's own can be reached through: none (the search path), its schemas, and its catalog
    /// (<c>system.duckdb_views</c> is the catalog <c>system</c>'s default schema).
    /// </summary>
    private static readonly FrozenSet<string> s_systemSchemas = FrozenSet.ToFrozenSet(["", "main", "pg_catalog", "information_schema", "system"], StringComparer.OrdinalIgnoreCase);

    /// <summary>DuckDB's relations that show names, types, comments and counts, but no definition, path or setting.</summary>
    private static readonly FrozenSet<string> s_safeRelations = FrozenSet.ToFrozenSet(
    [
        // pg_catalog
        "pg_am", "pg_attrdef", "pg_attribute", "pg_class", "pg_collation", "pg_constraint", "pg_database", "pg_depend", "pg_description",
        "pg_enum", "pg_index", "pg_indexes", "pg_namespace", "pg_prepared_statements", "pg_proc", "pg_sequence", "pg_sequences",
        "pg_tablespace", "pg_type",
        // information_schema
        "character_sets", "check_constraints", "constraint_column_usage", "constraint_table_usage", "key_column_usage",
        "referential_constraints", "schemata", "table_constraints", "tables",
    ], StringComparer.OrdinalIgnoreCase);

    /// <summary>DuckDB's settings a served session may read: the ones a PostgreSQL client asks for, none of them a folder or a file.</summary>
    private static readonly FrozenSet<string> s_visibleSettings = FrozenSet.ToFrozenSet(
    [
        "timezone", "calendar", "search_path", "schema", "threads", "worker_threads", "memory_limit", "max_memory",
        "default_order", "default_null_order", "default_collation", "access_mode", "max_expression_depth",
    ], StringComparer.OrdinalIgnoreCase);

    /// <summary>Functions that return a view's SQL, a plan (with its files and filters) or a variable.</summary>
    private static readonly FrozenSet<string> s_refusedFunctions = FrozenSet.ToFrozenSet(
        ["pg_get_viewdef", "json_serialize_plan", "getvariable", "which_secret"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The copies a served session reads instead of DuckDB's relations that hold definitions, by the relation's name.</summary>
    public static FrozenDictionary<string, SanitizedRelation> Sanitized { get; } = new SanitizedRelation[]
    {
        new("pg_views", "__medallion_pg_views",
            "SELECT * REPLACE (NULL::VARCHAR AS definition) FROM pg_catalog.pg_views WHERE NOT starts_with(viewname, '__')"),
        new("views", "__medallion_information_schema_views",
            "SELECT * REPLACE (NULL::VARCHAR AS view_definition) FROM information_schema.views WHERE NOT starts_with(table_name, '__')"),
        new("pg_settings", "__medallion_pg_settings",
            "SELECT * REPLACE (CASE WHEN lower(name) IN (" + string.Join(", ", VisibleSettingLiterals()) + ") THEN setting END AS setting) FROM pg_catalog.pg_settings"),
        new("pg_tables", "__medallion_pg_tables", "SELECT * FROM pg_catalog.pg_tables WHERE NOT starts_with(tablename, '__medallion')"),
        new("columns", "__medallion_information_schema_columns", "SELECT * FROM information_schema.columns WHERE NOT starts_with(table_name, '__medallion')"),
    }.ToFrozenDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);

    private static readonly Lock s_namesLock = new();
    private static (FrozenSet<string> Relations, FrozenSet<string> Settings)? s_names;

    /// <summary>Whether <paramref name="reference"/> names one of DuckDB's own relations (by any schema DuckDB would find it through).</summary>
    public static bool IsSystemRelation(TableReference reference, DuckDbConnection connection) =>
        !reference.NamesCte && s_systemSchemas.Contains(reference.Schema) && Names(connection).Relations.Contains(reference.Table);

    /// <summary>Whether a served session may read the system relation <paramref name="name"/> as it is.</summary>
    public static bool IsSafe(string name) => s_safeRelations.Contains(name);

    /// <summary>Whether a served session may not call the function <paramref name="name"/> (case-insensitive, whatever its schema).</summary>
    public static bool IsRefusedFunction(string name) => s_refusedFunctions.Contains(name);

    /// <summary>Whether <c>current_setting(name)</c> may be read: a setting on the visible list, or a name that is no DuckDB setting (the PostgreSQL ones a client asks for).</summary>
    public static bool IsVisibleSetting(string name, DuckDbConnection connection) =>
        s_visibleSettings.Contains(name) || !Names(connection).Settings.Contains(name);

    /// <summary>The names of DuckDB's own relations and settings (with their aliases): the same for every database of this library, so read once.</summary>
    private static (FrozenSet<string> Relations, FrozenSet<string> Settings) Names(DuckDbConnection connection)
    {
        lock (s_namesLock)
        {
            if (s_names is { } names)
            {
                return names;
            }

            s_names = names = (
                Read(connection, "SELECT view_name FROM duckdb_views() WHERE internal UNION SELECT table_name FROM duckdb_tables() WHERE internal"),
                Read(connection, "SELECT name FROM duckdb_settings() UNION SELECT unnest(aliases) FROM duckdb_settings()"));
            return names;
        }
    }

    private static FrozenSet<string> Read(DuckDbConnection connection, string sql)
    {
        var names = new List<string>();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using DuckDbDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    private static IEnumerable<string> VisibleSettingLiterals()
    {
        foreach (string setting in s_visibleSettings)
        {
            yield return DuckDbConnection.QuoteLiteral(setting);
        }
    }
}

/// <summary>A copy of one of DuckDB's relations without what a served client may not see.</summary>
/// <param name="Name">The relation's name in DuckDB (<c>pg_views</c>).</param>
/// <param name="View">The temporary view a served session reads instead.</param>
/// <param name="Sql">The view's query.</param>
internal sealed record SanitizedRelation(string Name, string View, string Sql);
