using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using static Medallion.Catalog.Internal.CatalogDatabase;

namespace Medallion.Catalog;

/// <summary>
/// The catalog's tables: namespaces, each table's registration (location, docs, owner, tags), its columns with docs and
/// classification, the history of its versions, and lineage edges between tables and columns.
/// Reached through <see cref="CatalogStore.Tables"/>.
/// </summary>
public sealed class TableCatalog
{
    private readonly CatalogDatabase _db;

    internal TableCatalog(CatalogDatabase db) => _db = db;

    private const string TableColumns = "namespace, name, location, format, description, owner, tags, created_at, updated_at, unique_key";

    /// <summary>Lists the namespaces, by name.</summary>
    public Task<List<string>> ListNamespacesAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync("SELECT name FROM namespaces ORDER BY name", [], r => r.GetString(0), cancellationToken);

    /// <summary>
    /// Registers a table or updates its registration (location, description, owner, tags, unique key). Its
    /// namespace is created when missing. <see cref="CatalogTable.CreatedAt"/> is kept from the first
    /// registration; <see cref="CatalogTable.UpdatedAt"/> becomes now.
    /// </summary>
    /// <returns>The table as stored.</returns>
    public async Task<CatalogTable> UpsertTableAsync(CatalogTable table, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentException.ThrowIfNullOrWhiteSpace(table.Location);
        await _db.ExecuteInTransactionAsync(RegistrationStatements(table, replace: true), cancellationToken).ConfigureAwait(false);
        return (await GetTableAsync(table.Name, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Registers a table the catalog does not know yet (its namespace too), and leaves an existing registration as it is:
    /// for writers whose idea of the table's docs is not the one its readers see (another environment's build).
    /// </summary>
    public Task AddTableIfAbsentAsync(CatalogTable table, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentException.ThrowIfNullOrWhiteSpace(table.Location);
        return _db.ExecuteInTransactionAsync(RegistrationStatements(table, replace: false), cancellationToken);
    }

    /// <summary>The table's registration, or null when the catalog does not know it.</summary>
    public async Task<CatalogTable?> GetTableAsync(TableName name, CancellationToken cancellationToken = default)
    {
        List<CatalogTable> tables = await _db.QueryAsync(
            $"SELECT {TableColumns} FROM tables WHERE namespace = @ns AND name = @name",
            [("@ns", name.Namespace.ToLowerInvariant()), ("@name", name.Name.ToLowerInvariant())],
            ReadTable,
            cancellationToken).ConfigureAwait(false);
        return tables.Count == 0 ? null : tables[0];
    }

    /// <summary>Lists the tables, by namespace and name; only those of <paramref name="ns"/> when given.</summary>
    public Task<List<CatalogTable>> ListTablesAsync(string? ns = null, CancellationToken cancellationToken = default) =>
        // Two statements rather than "@ns IS NULL OR ...": PostgreSQL cannot tell the type of a parameter that is only
        // ever null, and the filtered one walks the primary key.
        ns is null
            ? _db.QueryAsync($"SELECT {TableColumns} FROM tables ORDER BY namespace, name", [], ReadTable, cancellationToken)
            : _db.QueryAsync($"SELECT {TableColumns} FROM tables WHERE namespace = @ns ORDER BY namespace, name", [("@ns", ns.ToLowerInvariant())], ReadTable, cancellationToken);

    /// <summary>Removes a table with its columns and history; lineage edges and runs stay as history.</summary>
    /// <returns>True when the table existed.</returns>
    public async Task<bool> DeleteTableAsync(TableName name, CancellationToken cancellationToken = default) =>
        await _db.ExecuteAsync(
            "DELETE FROM tables WHERE namespace = @ns AND name = @name",
            [("@ns", name.Namespace.ToLowerInvariant()), ("@name", name.Name.ToLowerInvariant())],
            cancellationToken).ConfigureAwait(false) > 0;

    /// <summary>Replaces the table's columns (in order) with their docs, classification and tags, in one transaction.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when the table is not registered.</exception>
    public async Task SetColumnsAsync(TableName table, IReadOnlyList<CatalogColumn> columns, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(columns);
        await EnsureTableExistsAsync(table, cancellationToken).ConfigureAwait(false);
        await _db.ExecuteInTransactionAsync(ColumnStatements(table, columns), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The table's columns in order; empty when none are recorded.</summary>
    public Task<List<CatalogColumn>> GetColumnsAsync(TableName table, CancellationToken cancellationToken = default) =>
        _db.QueryAsync(
            """
            SELECT name, data_type, nullable, description, classification, tags FROM columns
            WHERE namespace = @ns AND table_name = @table ORDER BY ordinal
            """,
            [("@ns", table.Namespace.ToLowerInvariant()), ("@table", table.Name.ToLowerInvariant())],
            r => ReadColumn(r, 0),
            cancellationToken);

    /// <summary>Every registered table's columns in order, in one query: what a search over all tables reads.</summary>
    public async Task<Dictionary<TableName, List<CatalogColumn>>> GetColumnsByTableAsync(CancellationToken cancellationToken = default)
    {
        List<(TableName Table, CatalogColumn Column)> rows = await _db.QueryAsync(
            "SELECT namespace, table_name, name, data_type, nullable, description, classification, tags FROM columns ORDER BY namespace, table_name, ordinal",
            [],
            r => (new TableName(r.GetString(0), r.GetString(1)), ReadColumn(r, 2)),
            cancellationToken).ConfigureAwait(false);
        return rows.GroupBy(r => r.Table).ToDictionary(g => g.Key, g => g.Select(r => r.Column).ToList());
    }

    /// <summary>A column from <c>name, data_type, nullable, description, classification, tags</c>, starting at <paramref name="first"/>.</summary>
    private static CatalogColumn ReadColumn(DbDataReader r, int first) =>
        new(r.GetString(first), r.GetString(first + 1), r.GetInt64(first + 2) != 0, GetNullableString(r, first + 3), GetNullableString(r, first + 4), CatalogJson.ReadStrings(r.GetString(first + 5)));

    /// <summary>Records a committed version of a table with its schema (the table's schema history).</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when the table is not registered.</exception>
    public async Task RecordTableVersionAsync(TableVersionRecord version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        await EnsureTableExistsAsync(version.Table, cancellationToken).ConfigureAwait(false);
        (string Sql, (string Name, object? Value)[] Parameters) statement = VersionStatement(version);
        await _db.ExecuteAsync(statement.Sql, statement.Parameters, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The recorded versions of the table <c>prod</c> serves, newest first (see <see cref="GetTableHistoryAsync(TableName, string, CancellationToken)"/>).</summary>
    public Task<List<TableVersionRecord>> GetTableHistoryAsync(TableName table, CancellationToken cancellationToken = default) =>
        GetTableHistoryAsync(table, EnvironmentStore.Production, cancellationToken);

    /// <summary>
    /// The recorded versions, newest first, of the physical table <paramref name="environment"/> reads for <paramref name="table"/>:
    /// where its pointer points (an environment other than <c>prod</c> reads prod's for a model it did not build), the table's
    /// own location when none does. So after a promotion prod's history is the promoted table's, and after a rollback the
    /// earlier one's again.
    /// </summary>
    public Task<List<TableVersionRecord>> GetTableHistoryAsync(TableName table, string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        return _db.QueryAsync(
            $"""
            SELECT namespace, table_name, version, schema_json, operation, row_count, run_id, committed_at, file_count, size_bytes, location FROM table_versions
            WHERE namespace = @ns AND table_name = @table
              AND location = {EnvironmentStore.PointerSql("@model", "@environment")}
            ORDER BY version DESC
            """,
            [("@ns", table.Namespace.ToLowerInvariant()), ("@table", table.Name.ToLowerInvariant()), ("@model", table.ToString().ToLowerInvariant()), ("@environment", environment)],
            r => new TableVersionRecord(
                new TableName(r.GetString(0), r.GetString(1)), r.GetInt64(2), r.GetString(3), r.GetString(4), GetNullableInt64(r, 5), GetNullableString(r, 6), ParseTime(r.GetString(7)))
            {
                FileCount = GetNullableInt64(r, 8),
                SizeBytes = GetNullableInt64(r, 9),
                Location = r.GetString(10) is { Length: > 0 } location ? location : null,
            },
            cancellationToken);
    }

    /// <summary>
    /// The newest recorded version of every table as <c>prod</c> serves it (of the physical table its pointer names), in one
    /// query (the primary key serves it), so that a scrape of <c>/metrics</c> stays cheap with thousands of tables.
    /// </summary>
    public Task<List<TableState>> GetTableStatesAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync(
            $"""
            SELECT v.namespace, v.table_name, v.version, v.row_count, v.file_count, v.size_bytes, v.committed_at
            FROM table_versions v
            JOIN (SELECT namespace, table_name, location, max(version) AS version FROM table_versions GROUP BY namespace, table_name, location) newest
              ON newest.namespace = v.namespace AND newest.table_name = v.table_name AND newest.location = v.location AND newest.version = v.version
            WHERE v.location = COALESCE(
                (SELECT COALESCE(e.location, '') FROM environment_models e WHERE e.environment = '{EnvironmentStore.Production}' AND e.model = v.namespace || '.' || v.table_name),
                '')
            """,
            [],
            r => new TableState(
                new TableName(r.GetString(0), r.GetString(1)), r.GetInt64(2), GetNullableInt64(r, 3), GetNullableInt64(r, 4), GetNullableInt64(r, 5), ParseTime(r.GetString(6))),
            cancellationToken);

    /// <summary>The namespace (when missing) and the table's row: replaced when <paramref name="replace"/>, else inserted only when missing.</summary>
    internal List<(string Sql, (string Name, object? Value)[] Parameters)> RegistrationStatements(CatalogTable table, bool replace)
    {
        string ns = table.Name.Namespace.ToLowerInvariant();
        string now = _db.Now();
        string onConflict = replace
            ? """
              DO UPDATE SET location = excluded.location, format = excluded.format,
                  description = excluded.description, owner = excluded.owner, tags = excluded.tags, updated_at = excluded.updated_at,
                  unique_key = excluded.unique_key
              """
            : "DO NOTHING";
        return
        [
            ("INSERT INTO namespaces (name, description, created_at) VALUES (@name, NULL, @now) ON CONFLICT (name) DO NOTHING",
                [("@name", ns), ("@now", now)]),
            ($"INSERT INTO tables ({TableColumns}) VALUES (@ns, @name, @location, @format, @description, @owner, @tags, @now, @now, @unique_key) ON CONFLICT (namespace, name) {onConflict}",
                [("@ns", ns), ("@name", table.Name.Name.ToLowerInvariant()), ("@location", table.Location), ("@format", table.Format),
                 ("@description", table.Description), ("@owner", table.Owner), ("@tags", CatalogJson.WriteStrings(table.Tags)), ("@now", now),
                 ("@unique_key", table.UniqueKey.Count == 0 ? null : CatalogJson.WriteStrings(table.UniqueKey))]),
        ];
    }

    /// <summary>Replaces the table's column list.</summary>
    internal static List<(string Sql, (string Name, object? Value)[] Parameters)> ColumnStatements(TableName table, IReadOnlyList<CatalogColumn> columns)
    {
        (string, object?) ns = ("@ns", table.Namespace.ToLowerInvariant());
        (string, object?) tableName = ("@table", table.Name.ToLowerInvariant());
        var statements = new List<(string Sql, (string Name, object? Value)[] Parameters)>
        {
            ("DELETE FROM columns WHERE namespace = @ns AND table_name = @table", [ns, tableName]),
        };
        statements.AddRange(columns.Select((column, ordinal) => (
            """
            INSERT INTO columns (namespace, table_name, name, ordinal, data_type, nullable, description, classification, tags)
            VALUES (@ns, @table, @name, @ordinal, @type, @nullable, @description, @classification, @tags)
            """,
            new (string, object?)[]
            {
                ns, tableName, ("@name", column.Name), ("@ordinal", ordinal), ("@type", column.DataType), ("@nullable", column.Nullable ? 1 : 0),
                ("@description", column.Description), ("@classification", column.Classification), ("@tags", CatalogJson.WriteStrings(column.Tags)),
            })));
        return statements;
    }

    internal static (string Sql, (string Name, object? Value)[] Parameters) VersionStatement(TableVersionRecord version) =>
    (
        """
        INSERT INTO table_versions (namespace, table_name, location, version, schema_json, operation, row_count, run_id, committed_at, file_count, size_bytes)
        VALUES (@ns, @table, @location, @version, @schema, @operation, @rows, @run, @at, @files, @bytes)
        ON CONFLICT (namespace, table_name, location, version) DO UPDATE SET schema_json = excluded.schema_json, operation = excluded.operation,
            row_count = excluded.row_count, run_id = excluded.run_id, committed_at = excluded.committed_at,
            file_count = excluded.file_count, size_bytes = excluded.size_bytes
        """,
        [
            ("@ns", version.Table.Namespace.ToLowerInvariant()), ("@table", version.Table.Name.ToLowerInvariant()), ("@location", version.Location ?? string.Empty), ("@version", version.Version),
            ("@schema", version.SchemaJson), ("@operation", version.Operation), ("@rows", version.RowCount), ("@run", version.RunId),
            ("@at", FormatTime(version.CommittedAt)), ("@files", version.FileCount), ("@bytes", version.SizeBytes),
        ]);

    private async Task EnsureTableExistsAsync(TableName table, CancellationToken cancellationToken)
    {
        if (await GetTableAsync(table, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new MedallionException(
                ErrorCode.CatalogObjectNotFound,
                $"The catalog has no table {table}.\nHelp: register it first (a run registers every model and source table).");
        }
    }

    private static CatalogTable ReadTable(DbDataReader r) => new(
        new TableName(r.GetString(0), r.GetString(1)),
        r.GetString(2),
        r.GetString(3),
        GetNullableString(r, 4),
        GetNullableString(r, 5),
        CatalogJson.ReadStrings(r.GetString(6)),
        ParseTime(r.GetString(7)),
        ParseTime(r.GetString(8)))
    {
        UniqueKey = r.IsDBNull(9) ? [] : CatalogJson.ReadStrings(r.GetString(9)),
    };

    private const string LineageColumns = "upstream, upstream_column, downstream, downstream_column";

    /// <summary>
    /// Replaces every edge of <c>prod</c> that ends in <paramref name="downstream"/> with <paramref name="edges"/>, in one
    /// transaction: a model's lineage is whatever its current SQL reads.
    /// </summary>
    /// <exception cref="ArgumentException">An edge ends in another table.</exception>
    public Task ReplaceLineageAsync(TableName downstream, IReadOnlyList<LineageEdge> edges, CancellationToken cancellationToken = default) =>
        ReplaceLineageAsync(downstream, edges, EnvironmentStore.Production, null, cancellationToken);

    /// <summary>
    /// Replaces the edges that end in <paramref name="downstream"/>'s physical table <paramref name="location"/> with
    /// <paramref name="edges"/>, recorded by <paramref name="environment"/>, in one transaction. Edges are kept per physical
    /// table and read at an environment's pointer, so an environment's build leaves prod's lineage alone, a promotion makes
    /// the promoted build's lineage prod's, and a rollback makes the earlier one prod's again.
    /// </summary>
    /// <param name="downstream">The model the edges end in.</param>
    /// <param name="edges">What it reads, table-level and column-level.</param>
    /// <param name="environment">The environment whose build the edges describe.</param>
    /// <param name="location">The physical table built (the environment's pointer); null for the one <paramref name="environment"/> reads now.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    /// <exception cref="ArgumentException">An edge ends in another table.</exception>
    public Task ReplaceLineageAsync(TableName downstream, IReadOnlyList<LineageEdge> edges, string environment, string? location, CancellationToken cancellationToken = default)
    {
        CheckLineage(downstream, edges, environment);
        return _db.WriteAsync(
            (connection, transaction) =>
            {
                string physical = location ?? QueryPointer(connection, transaction, downstream.ToString().ToLowerInvariant(), environment);
                int changed = 0;
                foreach ((string sql, (string Name, object? Value)[] parameters) in LineageStatements(downstream, edges, environment, physical))
                {
                    changed += Execute(connection, transaction, sql, parameters);
                }

                return changed;
            },
            cancellationToken);
    }

    /// <exception cref="ArgumentException">An edge ends in another table than <paramref name="downstream"/>.</exception>
    internal static void CheckLineage(TableName downstream, IReadOnlyList<LineageEdge> edges, string environment)
    {
        ArgumentNullException.ThrowIfNull(edges);
        ArgumentException.ThrowIfNullOrEmpty(environment);
        if (edges.FirstOrDefault(e => !e.Downstream.Equals(downstream)) is { } stray)
        {
            throw new ArgumentException($"The edge {stray.Upstream} -> {stray.Downstream} does not end in {downstream}.", nameof(edges));
        }
    }

    /// <summary>
    /// The statements that replace the edges ending in <paramref name="downstream"/>'s physical table <paramref name="location"/>
    /// with <paramref name="edges"/> (checked with <see cref="CheckLineage"/>), recorded by <paramref name="environment"/>.
    /// </summary>
    internal static List<(string Sql, (string Name, object? Value)[] Parameters)> LineageStatements(TableName downstream, IReadOnlyList<LineageEdge> edges, string environment, string location)
    {
        string target = downstream.ToString().ToLowerInvariant();
        List<(string Sql, (string Name, object? Value)[] Parameters)> statements =
            [("DELETE FROM lineage_edges WHERE downstream = @downstream AND location = @location", [("@downstream", target), ("@location", location)])];
        foreach (LineageEdge edge in edges.Distinct())
        {
            statements.Add((
                $"INSERT INTO lineage_edges (location, environment, {LineageColumns}) VALUES (@location, @environment, @up, @upColumn, @downstream, @downColumn) ON CONFLICT DO NOTHING",
                [
                    ("@location", location), ("@environment", environment),
                    ("@up", edge.Upstream.ToString().ToLowerInvariant()), ("@upColumn", edge.UpstreamColumn ?? string.Empty),
                    ("@downstream", target), ("@downColumn", edge.DownstreamColumn ?? string.Empty),
                ]));
        }

        return statements;
    }

    /// <summary>The physical table <paramref name="environment"/> reads for <paramref name="model"/> (see <see cref="EnvironmentStore.PointerSql"/>).</summary>
    internal static string QueryPointer(DbConnection connection, DbTransaction transaction, string model, string environment)
    {
        using DbCommand command = CreateCommand(connection, transaction, $"SELECT {EnvironmentStore.PointerSql("@model", "@environment")}", [("@model", model), ("@environment", environment)]);
        return (string)command.ExecuteScalar()!;
    }

    /// <summary>The edges of <c>prod</c> that end in <paramref name="table"/> (what it reads), table-level and column-level.</summary>
    public Task<List<LineageEdge>> GetUpstreamEdgesAsync(TableName table, CancellationToken cancellationToken = default) =>
        GetUpstreamEdgesAsync(table, EnvironmentStore.Production, cancellationToken);

    /// <summary>
    /// The edges that end in <paramref name="table"/> as <paramref name="environment"/> built it (what it reads): those of the
    /// physical table its pointer names, prod's for a model it did not build.
    /// </summary>
    public Task<List<LineageEdge>> GetUpstreamEdgesAsync(TableName table, string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        return _db.QueryAsync(
            $"SELECT {LineageColumns} FROM lineage_edges WHERE downstream = @table AND location = {EnvironmentStore.PointerSql("@table", "@environment")} ORDER BY {LineageColumns}",
            [("@table", table.ToString().ToLowerInvariant()), ("@environment", environment)],
            ReadEdge,
            cancellationToken);
    }

    /// <summary>The edges of <c>prod</c> that start in <paramref name="table"/> (what reads it), table-level and column-level.</summary>
    public Task<List<LineageEdge>> GetDownstreamEdgesAsync(TableName table, CancellationToken cancellationToken = default) =>
        GetDownstreamEdgesAsync(table, EnvironmentStore.Production, cancellationToken);

    /// <summary>The edges that start in <paramref name="table"/> (what reads it), each of its downstream model as <paramref name="environment"/> built it.</summary>
    public Task<List<LineageEdge>> GetDownstreamEdgesAsync(TableName table, string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        return _db.QueryAsync(
            $"SELECT {LineageColumns} FROM lineage_edges WHERE upstream = @table AND location = {EnvironmentStore.PointerSql("lineage_edges.downstream", "@environment")} ORDER BY {LineageColumns}",
            [("@table", table.ToString().ToLowerInvariant()), ("@environment", environment)],
            ReadEdge,
            cancellationToken);
    }

    /// <summary>
    /// Every table-level edge as <paramref name="environment"/> built its models (each model's of the physical table its pointer
    /// names, prod's for a model it did not build): the environment's whole graph, in one query.
    /// </summary>
    public Task<List<LineageEdge>> GetTableLineageAsync(string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        return _db.QueryAsync(
            $"SELECT {LineageColumns} FROM lineage_edges WHERE upstream_column = '' AND downstream_column = '' AND location = {EnvironmentStore.PointerSql("lineage_edges.downstream", "@environment")} ORDER BY {LineageColumns}",
            [("@environment", environment)],
            ReadEdge,
            cancellationToken);
    }

    private static LineageEdge ReadEdge(DbDataReader r) => new(
        TableName.Parse(r.GetString(0)),
        r.GetString(1) is { Length: > 0 } upColumn ? upColumn : null,
        TableName.Parse(r.GetString(2)),
        r.GetString(3) is { Length: > 0 } downColumn ? downColumn : null);
}
