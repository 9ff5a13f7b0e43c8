using System.Net.Http.Headers;
using System.Text.Json;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>
/// The Unity Catalog API under attack and under grants: who is not signed in gets nothing, a reader sees only what their
/// SQL reads, and a table they may not read is answered exactly as one that does not exist.
/// </summary>
public sealed class UnityCatalogAccessTests(UnityCatalogProject project) : IClassFixture<UnityCatalogProject>
{
    public static TheoryData<string> Routes => new()
    {
        "/catalogs", "/catalogs/shop", "/schemas?catalog_name=shop", "/schemas/shop.silver",
        "/tables?catalog_name=shop&schema_name=silver", "/tables/shop.silver.orders", "/delta/v1/config",
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_request_without_credentials_answers_UNAUTHENTICATED(string route)
    {
        await project.FailAsync(route, null, 401, "UNAUTHENTICATED");
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_forged_token_answers_UNAUTHENTICATED(string route)
    {
        string message = await project.FailAsync(route, ServedProject.Bearer("mdl_" + new string('A', 43)), 401, "UNAUTHENTICATED");

        Assert.Equal("the API token is unknown, expired or revoked", message);
    }

    [Fact]
    public async Task A_users_password_over_HTTP_Basic_is_accepted_as_by_the_rest_of_the_API()
    {
        JsonElement list = await project.ReadAsync("/schemas?catalog_name=shop", "ListSchemasResponse", ServedProject.Basic("rita", "rita-secret"));

        Assert.Equal(["gold"], Names(list, "schemas"));
    }

    [Fact]
    public async Task The_web_UIs_session_is_accepted_as_by_the_rest_of_the_API()
    {
        using var browser = new WebSession(project.Served);
        await browser.SignInOrFailAsync("rita", "rita-secret");

        using HttpResponseMessage response = await browser.Http.GetAsync(UnityCatalogProject.Prefix + "/schemas?catalog_name=shop");
        using var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        UcSchemas.AssertValid("ListSchemasResponse", list.RootElement);
        Assert.Equal(["gold"], Names(list.RootElement, "schemas"));
    }

    [Fact]
    public async Task A_wrong_password_answers_UNAUTHENTICATED()
    {
        await project.FailAsync("/schemas?catalog_name=shop", ServedProject.Basic("rita", "not-her-secret"), 401, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task A_user_without_grants_sees_no_schema()
    {
        JsonElement list = await project.ReadAsync("/schemas?catalog_name=shop", "ListSchemasResponse", project.Nora);

        Assert.Empty(list.GetProperty("schemas").EnumerateArray());
    }

    [Fact]
    public async Task A_user_without_grants_gets_TABLE_DOES_NOT_EXIST_for_a_table_that_exists()
    {
        await project.FailAsync("/tables/shop.silver.orders", project.Nora, 404, "TABLE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task A_table_a_user_may_not_read_is_answered_as_one_that_does_not_exist()
    {
        (int hiddenStatus, JsonElement hidden) = await project.GetAsync("/tables/shop.silver.orders", project.Rita);
        (int missingStatus, JsonElement missing) = await project.GetAsync("/tables/shop.silver.ordes", project.Rita);

        Assert.Equal((missingStatus, missing.GetRawText().Replace("ordes", "orders", StringComparison.Ordinal)), (hiddenStatus, hidden.GetRawText()));
    }

    [Fact]
    public async Task A_schema_with_no_table_the_user_may_read_is_answered_as_one_that_does_not_exist()
    {
        (int hiddenStatus, JsonElement hidden) = await project.GetAsync("/schemas/shop.silver", project.Rita);
        (int missingStatus, JsonElement missing) = await project.GetAsync("/schemas/shop.silvr", project.Rita);

        Assert.Equal((missingStatus, missing.GetRawText().Replace("silvr", "silver", StringComparison.Ordinal)), (hiddenStatus, hidden.GetRawText()));
    }

    [Fact]
    public async Task A_user_lists_only_the_tables_granted_to_them()
    {
        JsonElement list = await project.ReadAsync("/tables?catalog_name=shop&schema_name=gold", "ListTablesResponse", project.Rita);

        Assert.Equal(["revenue"], Names(list, "tables"));
    }

    [Fact]
    public async Task Listing_a_schema_the_user_reads_nothing_of_answers_SCHEMA_DOES_NOT_EXIST()
    {
        await project.FailAsync("/tables?catalog_name=shop&schema_name=silver", project.Rita, 404, "SCHEMA_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task A_user_granted_some_columns_sees_only_those()
    {
        JsonElement table = await project.ReadAsync("/tables/shop.silver.orders", "TableInfo", project.Cora);

        Assert.Equal(["order_id", "amount"], Names(table, "columns"));
    }

    [Fact]
    public async Task A_reader_under_a_row_filter_and_a_mask_finds_the_table_with_every_column_as_metadata()
    {
        // What they may read of the data is the SQL endpoint's to enforce; the listing holds no value of a row.
        JsonElement table = await project.ReadAsync("/tables/shop.silver.orders", "TableInfo", project.Flo);

        Assert.Equal(["order_id", "email", "amount"], Names(table, "columns"));
    }

    [Fact]
    public async Task A_forged_page_token_answers_INVALID_PARAMETER_VALUE()
    {
        await project.FailAsync("/tables?catalog_name=shop&schema_name=silver&page_token=CfDJ8forged", project.Admin, 400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_page_token_of_another_schema_answers_INVALID_PARAMETER_VALUE()
    {
        string token = await TokenAsync(project.Admin);

        await project.FailAsync($"/tables?catalog_name=shop&schema_name=gold&page_token={Uri.EscapeDataString(token)}", project.Admin, 400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_page_token_of_another_user_answers_INVALID_PARAMETER_VALUE()
    {
        string token = await TokenAsync(project.Admin);

        await project.FailAsync($"/tables?catalog_name=shop&schema_name=silver&page_token={Uri.EscapeDataString(token)}", project.Cora, 400, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_page_token_of_the_catalog_list_is_never_given_so_any_is_refused()
    {
        await project.FailAsync("/catalogs?page_token=abc", project.Admin, 400, "INVALID_PARAMETER_VALUE");
    }

    [Theory]
    [InlineData("shop.silver.orders%2F..%2F..%2Fbronze.orders")]
    [InlineData("shop.silver.orders'--")]
    [InlineData("shop.silver.%22orders%22")]
    [InlineData("shop.silver.%C3%B6rders")]
    [InlineData("shop.silver.%2E%2E")]
    [InlineData("shop.silver")]
    [InlineData("shop..orders")]
    [InlineData("shop.silver.orders.orders")]
    public async Task A_hostile_table_name_answers_a_Unity_Catalog_error_naming_no_other_table(string fullName)
    {
        (int status, JsonElement body) = await project.GetAsync("/tables/" + fullName, project.Rita);

        UcSchemas.AssertValid("Error", body);
        Assert.True(status is 400 or 404, $"{status}: {body}");
        Assert.DoesNotContain("revenue", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_very_long_table_name_answers_INVALID_PARAMETER_VALUE_without_echoing_it()
    {
        string message = await project.FailAsync("/tables/shop.silver." + new string('x', 5000), project.Admin, 400, "INVALID_PARAMETER_VALUE");

        Assert.True(message.Length < 400, message);
    }

    [Theory]
    [InlineData("../../etc")]
    [InlineData("silver'; DROP TABLE x; --")]
    [InlineData("s%C3%ADlver")]
    public async Task A_hostile_schema_name_answers_SCHEMA_DOES_NOT_EXIST(string schema)
    {
        await project.FailAsync($"/tables?catalog_name=shop&schema_name={schema}", project.Admin, 404, "SCHEMA_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task A_route_the_server_does_not_serve_answers_a_Unity_Catalog_404()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, UnityCatalogProject.Prefix + "/temporary-volume-credentials")
        {
            Headers = { Authorization = project.Admin },
            Content = new StringContent("""{"volume_id": "x", "operation": "READ_VOLUME"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        using HttpResponseMessage response = await project.Served.Http.SendAsync(request);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        UcSchemas.AssertValid("Error", body.RootElement);
        Assert.Equal((404, "ENDPOINT_NOT_FOUND"), ((int)response.StatusCode, body.RootElement.GetProperty("error_code").GetString()));
    }

    private async Task<string> TokenAsync(AuthenticationHeaderValue who)
    {
        JsonElement first = await project.ReadAsync("/tables?catalog_name=shop&schema_name=silver&max_results=1", "ListTablesResponse", who);
        return first.GetProperty("next_page_token").GetString()!;
    }

    private static IEnumerable<string?> Names(JsonElement list, string member) =>
        list.GetProperty(member).EnumerateArray().Select(s => s.GetProperty("name").GetString());
}
