using System.Text.Json;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>
/// The request sequences other engines make to find tables through the Unity Catalog API, replayed: what each reads of
/// the answers is there, in the form it parses.
/// </summary>
public sealed class UnityCatalogClientTests(UnityCatalogProject project) : IClassFixture<UnityCatalogProject>
{
    /// <summary>The type texts DuckDB's uc_catalog extension turns into its types (a decimal, array, map or struct by its prefix).</summary>
    private static readonly string[] s_duckDbTypes = ["tinyint", "smallint", "bigint", "int", "long", "string", "double", "float", "boolean", "timestamp", "binary", "date", "void"];

    [Fact]
    public async Task DuckDBs_attach_lists_schemas_then_every_table_of_each_in_one_request_with_columns_it_parses()
    {
        // ATTACH 'shop' AS lake (TYPE UC_CATALOG): schemas, then each schema's tables without max_results (the extension
        // does not page), reading name, table_type, table_id, storage_location and, of each column, name, type_text,
        // type_precision, type_scale and position, failing on any that is missing.
        JsonElement schemas = await project.ReadAsync("/schemas?catalog_name=shop", "ListSchemasResponse", project.Admin);
        var seen = new List<string>();
        foreach (string schema in schemas.GetProperty("schemas").EnumerateArray().Select(s => s.GetProperty("name").GetString()!))
        {
            JsonElement tables = await project.ReadAsync($"/tables?catalog_name=shop&schema_name={schema}", "ListTablesResponse", project.Admin);
            Assert.False(tables.TryGetProperty("next_page_token", out _));
            foreach (JsonElement table in tables.GetProperty("tables").EnumerateArray())
            {
                Assert.All(table.GetProperty("columns").EnumerateArray(), column =>
                {
                    string type = column.GetProperty("type_text").GetString()!;
                    Assert.True(s_duckDbTypes.Contains(type) || type.StartsWith("decimal(", StringComparison.Ordinal) || type.StartsWith("array<", StringComparison.Ordinal)
                        || type.StartsWith("map<", StringComparison.Ordinal) || type.StartsWith("struct<", StringComparison.Ordinal), type);
                });
                seen.Add(schema + "." + table.GetProperty("name").GetString());
            }
        }

        Assert.Subset(seen.ToHashSet(), new HashSet<string> { "bronze.orders", "silver.order_days", "silver.orders", "gold.revenue" });
    }

    [Fact]
    public async Task DuckDBs_read_of_a_listed_table_finds_it_again_by_its_full_name()
    {
        JsonElement tables = await project.ReadAsync("/tables?catalog_name=shop&schema_name=gold", "ListTablesResponse", project.Admin);
        JsonElement listed = tables.GetProperty("tables").EnumerateArray().Single();

        JsonElement table = await project.ReadAsync("/tables/shop.gold.revenue", "TableInfo", project.Admin);

        Assert.Equal(listed.GetRawText(), table.GetRawText());
    }

    [Fact]
    public async Task Sparks_listTables_follows_pages_of_the_servers_length_until_no_token()
    {
        // UCSingleCatalog.listTables asks with max_results=0 (the server's page length) and follows next_page_token
        // while it is non-empty.
        var names = new List<string>();
        string? token = null;
        do
        {
            JsonElement page = await project.ReadAsync(
                "/tables?catalog_name=shop&schema_name=silver&max_results=0" + (token is null ? string.Empty : "&page_token=" + Uri.EscapeDataString(token)), "ListTablesResponse", project.Admin);
            names.AddRange(page.GetProperty("tables").EnumerateArray().Select(t => t.GetProperty("name").GetString()!));
            token = page.TryGetProperty("next_page_token", out JsonElement next) ? next.GetString() : null;
        }
        while (!string.IsNullOrEmpty(token));

        Assert.Equal(["order_days", "orders"], names);
    }

    [Fact]
    public async Task Sparks_loadTable_gets_the_partition_columns_in_order_and_the_location_it_reads()
    {
        // loadTable: getTable, a field per column from type_text and nullable, the partition columns sorted by
        // partition_index, the table at storage_location with provider data_source_format.
        JsonElement table = await project.ReadAsync("/tables/shop.silver.order_days", "TableInfo", project.Admin);

        Assert.Equal(
            ("day", "delta", true),
            (string.Join(",", table.GetProperty("columns").EnumerateArray().Where(c => c.TryGetProperty("partition_index", out _)).OrderBy(c => c.GetProperty("partition_index").GetInt32()).Select(c => c.GetProperty("name").GetString())),
             table.GetProperty("data_source_format").GetString()!.ToLowerInvariant(),
             Directory.Exists(Path.Combine(new Uri(table.GetProperty("storage_location").GetString()!).LocalPath, "_delta_log"))));
    }

    [Fact]
    public async Task Sparks_loadTable_of_a_missing_table_gets_a_404_it_turns_into_no_such_table()
    {
        await project.FailAsync("/tables/shop.silver.refunds", project.Admin, 404, "TABLE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Dafts_catalog_walk_reaches_a_table_from_the_catalogs_list()
    {
        // Daft's UnityCatalog: list catalogs, list the catalog's schemas, list a schema's tables, load one by full name.
        JsonElement catalogs = await project.ReadAsync("/catalogs", "ListCatalogsResponse", project.Rita);
        string catalog = catalogs.GetProperty("catalogs")[0].GetProperty("name").GetString()!;
        JsonElement schemas = await project.ReadAsync($"/schemas?catalog_name={catalog}", "ListSchemasResponse", project.Rita);
        string schema = schemas.GetProperty("schemas")[0].GetProperty("name").GetString()!;
        JsonElement tables = await project.ReadAsync($"/tables?catalog_name={catalog}&schema_name={schema}", "ListTablesResponse", project.Rita);
        string name = tables.GetProperty("tables")[0].GetProperty("name").GetString()!;

        JsonElement table = await project.ReadAsync($"/tables/{catalog}.{schema}.{name}", "TableInfo", project.Rita);

        Assert.Equal(("shop", "gold", "revenue", "revenue"), (catalog, schema, name, table.GetProperty("columns")[0].GetProperty("name").GetString()));
    }
}
