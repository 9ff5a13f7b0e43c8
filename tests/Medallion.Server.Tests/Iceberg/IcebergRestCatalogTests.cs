using System.Text.Json;

namespace Medallion.Server.Tests.Iceberg;

/// <summary>
/// The Iceberg REST catalog on <c>medallion server</c>: config, namespaces, the UniForm tables listed and loaded with their
/// metadata, each answer valid for the schema written from the catalog's OpenAPI document; and under attack and grants.
/// </summary>
public sealed class IcebergRestCatalogTests(IcebergRestProject project) : IClassFixture<IcebergRestProject>
{
    private static readonly string[] s_notFound = ["NoSuchNamespaceException", "NoSuchTableException", "NotFoundException"];

    public static TheoryData<string> Routes => new()
    {
        "/config", "/namespaces", "/namespaces/silver", "/namespaces/silver/tables", "/namespaces/silver/tables/orders_iceberg",
    };

    [Fact]
    public async Task Config_answers_no_prefix_and_the_endpoints_served_by_the_specs_resource_paths()
    {
        JsonElement config = await project.ReadAsync("/config", "CatalogConfig", project.Admin);

        Assert.Empty(config.GetProperty("overrides").EnumerateObject());
        // The spec: "<HTTP verb> <resource path from OpenAPI REST spec>", whose paths all begin /v1/{prefix}/.
        Assert.Equal(
            ["GET /v1/{prefix}/namespaces", "GET /v1/{prefix}/namespaces/{namespace}", "HEAD /v1/{prefix}/namespaces/{namespace}",
                "GET /v1/{prefix}/namespaces/{namespace}/tables", "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}", "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}"],
            config.GetProperty("endpoints").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Config_for_another_warehouse_answers_BadRequestException_naming_the_project()
    {
        string message = await project.FailAsync("/config?warehouse=lake", project.Admin, 400, "BadRequestException");

        Assert.Equal("warehouse 'lake' is not this server's: its one warehouse is its project, 'shop'", message);
    }

    [Fact]
    public async Task Namespaces_lists_the_projects_namespaces_as_one_level_each()
    {
        JsonElement list = await project.ReadAsync("/namespaces", "ListNamespacesResponse", project.Admin);

        Assert.Subset(
            list.GetProperty("namespaces").EnumerateArray().Select(n => string.Join('.', n.EnumerateArray().Select(p => p.GetString()))).ToHashSet(),
            new HashSet<string> { "bronze", "silver", "gold" });
    }

    [Fact]
    public async Task Namespaces_are_paged_by_page_size_and_the_token_of_the_previous_page()
    {
        JsonElement first = await project.ReadAsync("/namespaces?pageSize=1", "ListNamespacesResponse", project.Admin);
        string token = first.GetProperty("next-page-token").GetString()!;
        JsonElement second = await project.ReadAsync($"/namespaces?pageSize=1&pageToken={Uri.EscapeDataString(token)}", "ListNamespacesResponse", project.Admin);

        Assert.Equal("bronze", first.GetProperty("namespaces")[0][0].GetString());
        Assert.Equal("gold", second.GetProperty("namespaces")[0][0].GetString());
    }

    [Fact]
    public async Task A_namespace_is_read_by_its_name()
    {
        JsonElement ns = await project.ReadAsync("/namespaces/silver", "GetNamespaceResponse", project.Admin);

        Assert.Equal(["silver"], ns.GetProperty("namespace").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task Tables_lists_only_the_uniform_tables_of_a_namespace()
    {
        JsonElement list = await project.ReadAsync("/namespaces/silver/tables", "ListTablesResponse", project.Admin);

        Assert.Equal(["orders_iceberg"], list.GetProperty("identifiers").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Load_table_answers_the_newest_metadata_file_and_its_content()
    {
        JsonElement result = await project.ReadAsync("/namespaces/silver/tables/orders_iceberg", "LoadTableResult", project.Admin);

        string location = result.GetProperty("metadata-location").GetString()!;
        string newest = Path.GetFileName(Directory.GetFiles(Path.Combine(project.TableDirectory("silver", "orders_iceberg"), "metadata"), "v*.metadata.json")
            .OrderBy(f => long.Parse(Path.GetFileName(f)[1..^".metadata.json".Length], System.Globalization.CultureInfo.InvariantCulture)).Last());
        Assert.EndsWith("/lake/silver/orders_iceberg/metadata/" + newest, location, StringComparison.Ordinal);
        using JsonDocument onDisk = JsonDocument.Parse(await File.ReadAllTextAsync(new Uri(location).LocalPath));
        Assert.True(JsonElement.DeepEquals(onDisk.RootElement, result.GetProperty("metadata")), result.GetProperty("metadata").ToString());
        Assert.Equal(["order_id", "email", "amount"], result.GetProperty("metadata").GetProperty("schemas")[0].GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Load_table_asked_for_vended_credentials_of_a_local_table_answers_none_and_audits_the_issue()
    {
        JsonElement result = await project.ReadAsync("/namespaces/silver/tables/orders_iceberg", "LoadTableResult", project.Admin, delegation: "vended-credentials");

        Assert.False(result.TryGetProperty("storage-credentials", out _));
        Assert.Empty(result.GetProperty("config").EnumerateObject());
        Assert.Equal("ana|silver.orders_iceberg|ok|none", await project.Served.WaitForSqlAsync(
            "SELECT concat_ws('|', \"user\", target, outcome, details::json->>'credentials') FROM medallion_audit.events WHERE action = 'credentials.issue' AND target = 'silver.orders_iceberg' AND \"user\" = 'ana' LIMIT 1",
            "ana|silver.orders_iceberg|ok|none"));
    }

    [Fact]
    public async Task A_masked_reader_asking_for_vended_credentials_is_refused_with_the_issuers_reason_and_audited()
    {
        (int status, JsonElement? body) = await project.SendAsync(HttpMethod.Get, "/namespaces/silver/tables/orders_iceberg", project.Ivy, delegation: "vended-credentials");

        Assert.Equal(403, status);
        Assert.Equal(
            "MDL5704: No credentials for the files of 'silver.orders_iceberg': masks on email narrow what ivy reads of silver.orders_iceberg, and files read directly would bypass them.\nHelp: read it through Medallion's SQL endpoint (PostgreSQL protocol), which applies them.",
            body!.Value.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(("ForbiddenException", 403), (body.Value.GetProperty("error").GetProperty("type").GetString(), body.Value.GetProperty("error").GetProperty("code").GetInt32()));
        Assert.Equal("ivy|error|MDL5704", await project.Served.WaitForSqlAsync(
            "SELECT concat_ws('|', \"user\", outcome, error_code) FROM medallion_audit.events WHERE action = 'credentials.issue' AND target = 'silver.orders_iceberg' AND \"user\" = 'ivy' LIMIT 1",
            "ivy|error|MDL5704"));
    }

    [Theory]
    [InlineData("remote-signing")]
    [InlineData("vended-credentials-please")]
    [InlineData("signed;vended-credentials")]
    public async Task A_delegation_without_vended_credentials_is_answered_with_the_metadata_and_no_credentials(string delegation)
    {
        JsonElement result = await project.ReadAsync("/namespaces/silver/tables/orders_iceberg", "LoadTableResult", project.Admin, delegation);

        Assert.False(result.TryGetProperty("storage-credentials", out _));
        Assert.Empty(result.GetProperty("config").EnumerateObject());
    }

    [Fact]
    public async Task A_masked_reader_sending_remote_signing_is_refused_as_without_the_header()
    {
        await project.FailAsync("/namespaces/silver/tables/orders_iceberg", project.Ivy, 403, "ForbiddenException", delegation: "remote-signing");
    }

    [Fact]
    public async Task A_huge_delegation_header_answers_BadRequestException_saying_what_it_takes()
    {
        string message = await project.FailAsync("/namespaces/silver/tables/orders_iceberg", project.Admin, 400, "BadRequestException", delegation: string.Join(',', Enumerable.Repeat("vended-credentials", 200)));

        Assert.StartsWith("X-Iceberg-Access-Delegation is 3799 characters long; it is a comma-separated list of access mechanisms (vended-credentials, remote-signing) of at most 256", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Vended_credentials_for_a_table_of_another_namespace_find_nothing()
    {
        (int status, JsonElement? body) = await project.SendAsync(HttpMethod.Get, "/namespaces/gold/tables/orders_iceberg", project.Admin, delegation: "vended-credentials");

        Assert.Equal((404, "NoSuchTableException"), (status, body!.Value.GetProperty("error").GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Vended_credentials_for_a_table_the_reader_may_not_read_are_refused_as_for_one_that_does_not_exist()
    {
        (int status, JsonElement? body) = await project.SendAsync(HttpMethod.Get, "/namespaces/silver/tables/orders_iceberg", project.Rita, delegation: "vended-credentials");

        Assert.Equal((404, "NoSuchNamespaceException"), (status, body!.Value.GetProperty("error").GetProperty("type").GetString()));
    }

    [Fact]
    public async Task A_plain_delta_table_answers_NoSuchTableException_saying_how_to_enable_uniform()
    {
        string message = await project.FailAsync("/namespaces/silver/tables/orders", project.Admin, 404, "NoSuchTableException");

        Assert.StartsWith("Table 'silver.orders' is a Delta table without UniForm, so it has no Iceberg metadata. Enable UniForm for it: in its model's config, table_properties with delta.universalFormat.enabledFormats: iceberg and delta.enableIcebergCompatV2: true", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Head_answers_204_for_a_uniform_table_and_404_for_a_plain_delta_table()
    {
        (int uniform, JsonElement? uniformBody) = await project.SendAsync(HttpMethod.Head, "/namespaces/silver/tables/orders_iceberg", project.Admin);
        (int plain, _) = await project.SendAsync(HttpMethod.Head, "/namespaces/silver/tables/orders", project.Admin);
        (int ns, _) = await project.SendAsync(HttpMethod.Head, "/namespaces/silver", project.Admin);

        Assert.Equal((204, 404, 204), (uniform, plain, ns));
        Assert.Null(uniformBody);
    }

    [Fact]
    public async Task An_unknown_namespace_answers_NoSuchNamespaceException()
    {
        string message = await project.FailAsync("/namespaces/platinum/tables", project.Admin, 404, "NoSuchNamespaceException");

        Assert.Equal("Namespace 'platinum' does not exist.", message);
    }

    [Theory]
    [InlineData("/namespaces/..%2F..%2F..%2Fetc/tables/passwd")]
    [InlineData("/namespaces/silver%1F..%1Fgold/tables/revenue")]
    [InlineData("/namespaces/silver/tables/..%2Forders_iceberg")]
    [InlineData("/namespaces/silver/tables/orders_iceberg%2F..%2F..%2Forders")]
    public async Task A_name_that_traverses_paths_names_nothing(string route)
    {
        (int status, JsonElement? body) = await project.SendAsync(HttpMethod.Get, route, project.Admin);

        Assert.Equal(404, status);
        Assert.Contains(body!.Value.GetProperty("error").GetProperty("type").GetString(), s_notFound);
    }

    [Fact]
    public async Task A_page_size_that_is_not_a_positive_number_answers_BadRequestException()
    {
        string message = await project.FailAsync("/namespaces/silver/tables?pageSize=-3", project.Admin, 400, "BadRequestException");

        Assert.StartsWith("pageSize '-3' is not a whole number of 1 or more", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_page_token_answers_BadRequestException()
    {
        await project.FailAsync("/namespaces/silver/tables?pageToken=CfDJ8forged", project.Admin, 400, "BadRequestException");
    }

    [Fact]
    public async Task A_write_answers_UnsupportedOperationException_and_changes_nothing()
    {
        string message = await project.FailAsync("/namespaces/silver/tables/orders_iceberg", project.Admin, 406, "UnsupportedOperationException", HttpMethod.Delete);

        Assert.Equal("DELETE is not served: this catalog is read-only; Medallion's runs write its tables", message);
        Assert.True(Directory.Exists(Path.Combine(project.TableDirectory("silver", "orders_iceberg"), "metadata")));
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_request_without_credentials_answers_NotAuthorizedException(string route)
    {
        await project.FailAsync(route, null, 401, "NotAuthorizedException");
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_forged_token_answers_NotAuthorizedException(string route)
    {
        string message = await project.FailAsync(route, ServedProject.Bearer("mdl_" + new string('A', 43)), 401, "NotAuthorizedException");

        Assert.Equal("the API token is unknown, expired or revoked", message);
    }

    [Fact]
    public async Task A_user_without_grants_sees_no_namespace_and_no_table()
    {
        JsonElement list = await project.ReadAsync("/namespaces", "ListNamespacesResponse", project.Nora);

        Assert.Empty(list.GetProperty("namespaces").EnumerateArray());
        await project.FailAsync("/namespaces/silver/tables/orders_iceberg", project.Nora, 404, "NoSuchNamespaceException");
    }

    [Fact]
    public async Task A_table_a_user_may_not_read_is_answered_as_one_that_does_not_exist()
    {
        (int hiddenStatus, JsonElement? hidden) = await project.SendAsync(HttpMethod.Get, "/namespaces/gold/tables/orders_iceberg", project.Rita);
        (int missingStatus, JsonElement? missing) = await project.SendAsync(HttpMethod.Get, "/namespaces/gold/tables/nothing_here", project.Rita);

        Assert.Equal((404, 404), (hiddenStatus, missingStatus));
        Assert.Equal(missing!.Value.GetRawText().Replace("nothing_here", "orders_iceberg", StringComparison.Ordinal), hidden!.Value.GetRawText());
    }

    [Fact]
    public async Task A_masked_reader_is_refused_the_table_and_sent_to_the_sql_endpoint()
    {
        string message = await project.FailAsync("/namespaces/silver/tables/orders_iceberg", project.Ivy, 403, "ForbiddenException");

        Assert.Equal(
            "Table 'silver.orders_iceberg' is not served through the Iceberg REST catalog to this reader: masks on email narrow what ivy reads of silver.orders_iceberg, and files read directly would bypass them. Query it through the SQL endpoint (the PostgreSQL protocol) instead.",
            message);
    }

    [Fact]
    public async Task A_masked_reader_still_finds_the_table_listed()
    {
        JsonElement list = await project.ReadAsync("/namespaces/silver/tables", "ListTablesResponse", project.Ivy);

        Assert.Equal(["orders_iceberg"], list.GetProperty("identifiers").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
    }
}
