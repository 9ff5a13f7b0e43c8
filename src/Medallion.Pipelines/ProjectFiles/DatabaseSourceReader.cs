using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using Medallion.Ingestion;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// Reads a database source of a sources file (an entry with <c>connection:</c>):
/// <code>
/// - name: shop
///   connection: shop_db          # a postgres or mysql connection of medallion.yml
///   mode: incremental            # full | incremental | cdc; each table may override it
///   batch_rows: 100000
///   parallelism: 4               # full loads from PostgreSQL: parts read at once (default: half the cores)
///   tables:
///     - table: public.orders
///       target: bronze.orders    # default bronze.&lt;table&gt;
///       cursor: [updated_at, id]
///     - table: public.customers
///       mode: cdc
///       slot: medallion_customers
/// </code>
/// </summary>
internal static class DatabaseSourceReader
{
    public static readonly string[] Keys = ["name", "description", "connection", "mode", "batch_rows", "parallelism", "tables", "freshness"];
    private static readonly string[] s_tableKeys = ["table", "target", "mode", "cursor", "key", "slot", "publication", "batch_rows", "parallelism"];
    private static readonly string[] s_modes = ["full", "incremental", "cdc"];
    private static readonly string[] s_databaseTypes = ["postgres", "mysql"];

    public static bool IsDatabaseSource(YamlNode item) =>
        item is YamlMappingNode map && map.Children.Keys.Any(k => k is YamlScalarNode { Value: "connection" });

    public static DatabaseSourceDefinition Read(YamlFile file, YamlNode item, IReadOnlyDictionary<string, ConnectionDefinition> connections)
    {
        YamlMap source = file.Map(item, "a database source", Keys);
        string connectionName = source.RequiredString("connection", "this source", "my_postgres");
        if (!connections.TryGetValue(connectionName, out ConnectionDefinition? connection))
        {
            throw file.Error(source.Value("connection")!, $"no connection is named '{connectionName}' in {ProjectLoader.ProjectFileName}.{NameSuggester.DidYouMean(connectionName, connections.Keys.ToList())} Expected one of: {(connections.Count == 0 ? "(none defined; add one under 'connections:')" : string.Join(", ", connections.Keys))}.");
        }

        if (!s_databaseTypes.Contains(connection.Type, StringComparer.OrdinalIgnoreCase))
        {
            throw file.Error(source.Value("connection")!, $"connection '{connectionName}' has type '{connection.Type}' (at {connection.Location}), which is not a database. Expected a connection of type postgres or mysql.");
        }

        string name = source.String("name") ?? connectionName;
        IngestionMode mode = Mode(source) ?? IngestionMode.Full;
        int batchRows = BatchRows(source) ?? 100_000;
        int? parallelism = Parallelism(source, connection);
        IReadOnlyList<YamlNode> items = source.List("tables");
        if (items.Count == 0)
        {
            throw file.Error(item, $"database source '{name}' has no 'tables'. Expected e.g. 'tables: [{{table: public.orders}}]'.");
        }

        var tables = new List<DatabaseTableDefinition>();
        foreach (YamlNode tableItem in items)
        {
            // The source's parallelism is for its full loads; a table's own overrides it.
            DatabaseTableDefinition table = ReadTable(file, tableItem, name, mode, batchRows, connection);
            tables.Add(table.Mode == IngestionMode.Full && table.Parallelism is null ? table with { Parallelism = parallelism } : table);
        }

        return new DatabaseSourceDefinition(name, connection, tables, source.String("description"), file.Location(item)) { Freshness = AlertsReader.ReadFreshness(source) };
    }

    private static DatabaseTableDefinition ReadTable(YamlFile file, YamlNode item, string sourceName, IngestionMode sourceMode, int sourceBatchRows, ConnectionDefinition connection)
    {
        // A bare name is a table read with the source's settings.
        if (item is YamlScalarNode)
        {
            string bare = file.Scalar(item, "table");
            return new DatabaseTableDefinition(bare, DefaultTarget(bare), sourceMode, [], null, null, null, sourceBatchRows, file.Location(item));
        }

        YamlMap table = file.Map(item, $"a table of source '{sourceName}'", s_tableKeys);
        string tableName = table.RequiredString("table", "this table", "public.orders");
        TableName target = DefaultTarget(tableName);
        if (table.String("target") is { } targetText && !TableName.TryParse(targetText, out target))
        {
            throw file.Error(table.Value("target")!, $"'target' must name a table as namespace.name, but found '{targetText}'. Expected e.g. 'target: bronze.orders'.");
        }

        IngestionMode mode = Mode(table) ?? sourceMode;
        IReadOnlyList<string> cursor = table.Strings("cursor");
        if (mode == IngestionMode.Incremental && cursor.Count == 0)
        {
            throw file.Error(item, $"table '{tableName}' of source '{sourceName}' is incremental but has no 'cursor'. Expected e.g. 'cursor: [updated_at, id]'.");
        }

        if (mode != IngestionMode.Incremental && table.Value("cursor") is { } cursorNode)
        {
            throw file.Error(cursorNode, $"'cursor' applies to incremental reads, but table '{tableName}' is read in mode {Name(mode)}. Expected 'mode: incremental', or no 'cursor'.");
        }

        foreach (string cdcKey in new[] { "slot", "publication" })
        {
            if (mode != IngestionMode.Cdc && table.Value(cdcKey) is { } node)
            {
                throw file.Error(node, $"'{cdcKey}' applies to cdc reads, but table '{tableName}' is read in mode {Name(mode)}. Expected 'mode: cdc', or no '{cdcKey}'.");
            }

            // A MySQL/MariaDB binlog has no slots or publications: the position lives in bronze alone.
            if (!string.Equals(connection.Type, "postgres", StringComparison.OrdinalIgnoreCase) && table.Value(cdcKey) is { } binlogNode)
            {
                throw file.Error(binlogNode, $"'{cdcKey}' applies to PostgreSQL's logical replication, but '{connection.Name}' is {connection.Type}, whose changes are read from the binlog. Expected no '{cdcKey}'.");
            }
        }

        int? parallelism = Parallelism(table, connection);
        if (mode != IngestionMode.Full && parallelism is not null)
        {
            throw file.Error(table.Value("parallelism")!, $"'parallelism' applies to full loads, but table '{tableName}' is read in mode {Name(mode)}. Expected 'mode: full', or no 'parallelism'.");
        }

        IReadOnlyList<string> key = table.Strings("key");
        return new DatabaseTableDefinition(
            tableName, target, mode, cursor, key.Count > 0 ? key : null, table.String("slot"), table.String("publication"),
            BatchRows(table) ?? sourceBatchRows, file.Location(item)) { Parallelism = parallelism };
    }

    private static TableName DefaultTarget(string table) => new("bronze", table[(table.LastIndexOf('.') + 1)..].ToLowerInvariant());

    private static IngestionMode? Mode(YamlMap map) => map.Choice("mode", s_modes) switch
    {
        null => null,
        "incremental" => IngestionMode.Incremental,
        "cdc" => IngestionMode.Cdc,
        _ => IngestionMode.Full,
    };

    private static string Name(IngestionMode mode) => mode.ToString().ToLowerInvariant();

    private static int? Parallelism(YamlMap map, ConnectionDefinition connection)
    {
        if (map.Long("parallelism") is not long parts)
        {
            return null;
        }

        YamlNode node = map.Value("parallelism")!;
        if (parts is < 1 or > SourceTableOptions.MaxParallelism)
        {
            throw map.File.Error(node, $"'parallelism' must be between 1 and {SourceTableOptions.MaxParallelism}, but found {parts}.");
        }

        if (!string.Equals(connection.Type, "postgres", StringComparison.OrdinalIgnoreCase))
        {
            throw map.File.Error(node, $"'parallelism' applies to full loads from PostgreSQL, but '{connection.Name}' is {connection.Type}, whose tables are read by one query. Expected no 'parallelism'.");
        }

        return (int)parts;
    }

    private static int? BatchRows(YamlMap map)
    {
        if (map.Long("batch_rows") is not long rows)
        {
            return null;
        }

        return rows is >= 1 and <= 10_000_000 ? (int)rows : throw map.File.Error(map.Value("batch_rows")!, $"'batch_rows' must be between 1 and 10000000, but found {rows}.");
    }
}
