using System.Text.Json;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>
/// Unity Catalog's REST API on <c>medallion server</c>: the project is the catalog, its namespaces schemas, its Delta
/// tables external tables, each answer valid for the schema written from the API's OpenAPI document.
/// </summary>
public sealed class UnityCatalogApiTests(UnityCatalogProject project) : IClassFixture<UnityCatalogProject>
{
    [Fact]
    public async Task Catalogs_lists_the_project_as_the_one_catalog()
    {
        JsonElement list = await project.ReadAsync("/catalogs", "ListCatalogsResponse", project.Admin);

        Assert.Equal(["shop"], list.GetProperty("catalogs").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_catalog_is_read_by_its_name()
    {
        JsonElement catalog = await project.ReadAsync("/catalogs/shop", "CatalogInfo", project.Admin);

        Assert.Equal("shop", catalog.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_catalog_the_server_does_not_have_answers_CATALOG_DOES_NOT_EXIST_naming_the_one_it_has()
    {
        string message = await project.FailAsync("/catalogs/warehouse", project.Admin, 404, "CATALOG_DOES_NOT_EXIST");

        Assert.Equal("Catalog 'warehouse' does not exist: this server's one catalog is its project, 'shop'.", message);
    }

    [Fact]
    public async Task Schemas_lists_the_projects_namespaces()
    {
        JsonElement list = await project.ReadAsync("/schemas?catalog_name=shop", "ListSchemasResponse", project.Admin);

        // The admin also reads the audit's namespace once its first event is written; the layers are there either way.
        Assert.Subset(list.GetProperty("schemas").EnumerateArray().Select(s => s.GetProperty("full_name").GetString()).ToHashSet(), new HashSet<string?> { "shop.bronze", "shop.silver", "shop.gold" });
    }

    [Fact]
    public async Task A_schema_is_read_by_its_full_name()
    {
        JsonElement schema = await project.ReadAsync("/schemas/shop.silver", "SchemaInfo", project.Admin);

        Assert.Equal(("silver", "shop"), (schema.GetProperty("name").GetString(), schema.GetProperty("catalog_name").GetString()));
    }

    [Fact]
    public async Task Schemas_without_a_catalog_name_answers_INVALID_PARAMETER_VALUE()
    {
        string message = await project.FailAsync("/schemas", project.Admin, 400, "INVALID_PARAMETER_VALUE");

        Assert.Equal("catalog_name is required", message);
    }

    [Fact]
    public async Task Tables_lists_the_built_tables_of_a_schema_by_name()
    {
        JsonElement list = await project.ReadAsync("/tables?catalog_name=shop&schema_name=silver", "ListTablesResponse", project.Admin);

        Assert.Equal(["order_days", "orders"], list.GetProperty("tables").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Tables_of_a_schema_the_project_does_not_have_answers_SCHEMA_DOES_NOT_EXIST()
    {
        string message = await project.FailAsync("/tables?catalog_name=shop&schema_name=platinum", project.Admin, 404, "SCHEMA_DOES_NOT_EXIST");

        Assert.Equal("Schema 'shop.platinum' does not exist.", message);
    }

    [Fact]
    public async Task A_table_is_an_external_Delta_table_with_the_Delta_tables_id()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.orders", "TableInfo", project.Admin);

        Assert.Equal(
            ("EXTERNAL", "DELTA", project.DeltaMetadata("silver", "orders").GetProperty("id").GetString()),
            (table.GetProperty("table_type").GetString(), table.GetProperty("data_source_format").GetString(), table.GetProperty("table_id").GetString()));
    }

    [Fact]
    public async Task A_local_tables_storage_location_is_its_file_uri()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.orders", "TableInfo", project.Admin);

        Assert.Equal(new Uri(project.TableDirectory("silver", "orders")).AbsoluteUri, table.GetProperty("storage_location").GetString());
    }

    [Fact]
    public async Task A_table_carries_its_docs_as_comment_and_owner()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.orders", "TableInfo", project.Admin);

        Assert.Equal(("Orders, typed.", "sales-team"), (table.GetProperty("comment").GetString(), table.GetProperty("owner").GetString()));
    }

    [Fact]
    public async Task A_description_a_steward_edits_in_the_catalog_is_the_tables_comment()
    {
        using var edit = new HttpRequestMessage(HttpMethod.Put, "/api/tables/gold.revenue/docs")
        {
            Headers = { Authorization = ServedProject.Basic("ana", ServedProject.OperatorPassword) },
            Content = System.Net.Http.Json.JsonContent.Create(new { description = "Revenue of every order, edited." }),
        };
        using HttpResponseMessage edited = await project.Served.Http.SendAsync(edit);
        Assert.True(edited.IsSuccessStatusCode, await edited.Content.ReadAsStringAsync());

        JsonElement table = await project.ReadAsync("/tables/shop.gold.revenue", "TableInfo", project.Admin);

        Assert.Equal("Revenue of every order, edited.", table.GetProperty("comment").GetString());
    }

    [Fact]
    public async Task A_tables_properties_are_its_Delta_configuration()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.order_days", "TableInfo", project.Admin);

        Dictionary<string, string?> configuration = project.DeltaMetadata("silver", "order_days").TryGetProperty("configuration", out JsonElement c)
            ? c.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString())
            : [];
        Assert.Equal(configuration, table.GetProperty("properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()));
    }

    [Fact]
    public async Task A_tables_update_time_is_its_current_versions_commit_time_in_epoch_milliseconds()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.orders", "TableInfo", project.Admin);

        string newest = Directory.GetFiles(Path.Combine(project.TableDirectory("silver", "orders"), "_delta_log"), "*.json").Max(StringComparer.Ordinal)!;
        long committed = new DateTimeOffset(File.GetLastWriteTimeUtc(newest)).ToUnixTimeMilliseconds();
        Assert.Equal(committed, table.GetProperty("updated_at").GetInt64());
    }

    [Fact]
    public async Task Columns_carry_Spark_type_text_and_Unity_Catalog_type_names()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.order_days", "TableInfo", project.Admin);

        Assert.Equal(
            [
                "id int INT", "day date DATE", "at timestamp TIMESTAMP", "big boolean BOOLEAN", "ratio double DOUBLE", "share float FLOAT",
                "small smallint SHORT", "tiny tinyint BYTE", "parts array<int> ARRAY", "info struct<a:int,`first name`:string> STRUCT",
                "extras map<string,int> MAP", "raw binary BINARY",
            ],
            table.GetProperty("columns").EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()} {c.GetProperty("type_text").GetString()} {c.GetProperty("type_name").GetString()}"));
    }

    [Fact]
    public async Task A_decimal_column_carries_its_precision_and_scale()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.orders", "TableInfo", project.Admin);

        JsonElement amount = table.GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "amount");
        Assert.Equal(("decimal(10,2)", "DECIMAL", 10, 2), (amount.GetProperty("type_text").GetString(), amount.GetProperty("type_name").GetString(), amount.GetProperty("type_precision").GetInt32(), amount.GetProperty("type_scale").GetInt32()));
    }

    [Fact]
    public async Task A_columns_type_json_is_its_field_of_the_Delta_schema()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.order_days", "TableInfo", project.Admin);

        using var schema = JsonDocument.Parse(project.DeltaMetadata("silver", "order_days").GetProperty("schemaString").GetString()!);
        Assert.Equal(
            schema.RootElement.GetProperty("fields").EnumerateArray().Select(f => f.GetRawText()),
            table.GetProperty("columns").EnumerateArray().Select(c => JsonDocument.Parse(c.GetProperty("type_json").GetString()!).RootElement.GetRawText()));
    }

    [Fact]
    public async Task Columns_are_numbered_in_table_order_from_zero()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.orders", "TableInfo", project.Admin);

        Assert.Equal([0, 1, 2], table.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("position").GetInt32()));
    }

    [Fact]
    public async Task Only_a_partition_column_carries_a_partition_index()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.order_days", "TableInfo", project.Admin);

        Assert.Equal(["day:0"], table.GetProperty("columns").EnumerateArray()
            .Where(c => c.TryGetProperty("partition_index", out _))
            .Select(c => c.GetProperty("name").GetString() + ":" + c.GetProperty("partition_index").GetInt32()));
    }

    [Fact]
    public async Task A_documented_column_carries_its_description_as_comment()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.order_days", "TableInfo", project.Admin);

        JsonElement id = table.GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "id");
        Assert.Equal("The order's number.", id.GetProperty("comment").GetString());
    }

    [Fact]
    public async Task A_page_of_tables_holds_max_results_and_a_token_for_the_next()
    {
        JsonElement first = await project.ReadAsync("/tables?catalog_name=shop&schema_name=silver&max_results=1", "ListTablesResponse", project.Admin);

        Assert.Equal(["order_days"], first.GetProperty("tables").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.True(first.TryGetProperty("next_page_token", out _));
    }

    [Fact]
    public async Task The_last_page_of_tables_resumes_after_the_token_and_has_no_token()
    {
        JsonElement first = await project.ReadAsync("/tables?catalog_name=shop&schema_name=silver&max_results=1", "ListTablesResponse", project.Admin);
        string token = first.GetProperty("next_page_token").GetString()!;

        JsonElement last = await project.ReadAsync($"/tables?catalog_name=shop&schema_name=silver&max_results=1&page_token={Uri.EscapeDataString(token)}", "ListTablesResponse", project.Admin);

        Assert.Equal(["orders"], last.GetProperty("tables").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.False(last.TryGetProperty("next_page_token", out _));
    }

    [Fact]
    public async Task Schemas_page_by_max_results_and_resume_after_the_token()
    {
        JsonElement first = await project.ReadAsync("/schemas?catalog_name=shop&max_results=1", "ListSchemasResponse", project.Admin);
        string token = first.GetProperty("next_page_token").GetString()!;

        JsonElement second = await project.ReadAsync($"/schemas?catalog_name=shop&max_results=1&page_token={Uri.EscapeDataString(token)}", "ListSchemasResponse", project.Admin);

        // By name: bronze, then gold (the admin's list may also hold the audit's namespace, after them).
        Assert.Equal(["bronze", "gold"], first.GetProperty("schemas").EnumerateArray().Concat(second.GetProperty("schemas").EnumerateArray()).Select(s => s.GetProperty("name").GetString()));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("ten")]
    [InlineData("99999999999")]
    public async Task A_max_results_that_is_not_a_count_answers_INVALID_PARAMETER_VALUE(string maxResults)
    {
        string message = await project.FailAsync($"/tables?catalog_name=shop&schema_name=silver&max_results={maxResults}", project.Admin, 400, "INVALID_PARAMETER_VALUE");

        Assert.StartsWith($"max_results '{maxResults}' is not a number of 0 or more", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Delta_REST_APIs_config_answers_404_so_clients_use_the_catalog_routes()
    {
        await project.FailAsync("/delta/v1/config", project.Admin, 404, "ENDPOINT_NOT_FOUND");
    }
}
