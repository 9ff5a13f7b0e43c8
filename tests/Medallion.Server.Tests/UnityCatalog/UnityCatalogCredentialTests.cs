using System.Text.Json;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>
/// Temporary credentials for local tables, under grants and under attack: a local table's answer has no credentials (its
/// files are read at its file:// location), only a reader of the whole table gets one, only an admin a write, and
/// whatever a request forges or leaves out is refused in Unity Catalog's error shape.
/// </summary>
public sealed class UnityCatalogCredentialTests(UnityCatalogProject project) : IClassFixture<UnityCatalogProject>
{
    [Fact]
    public async Task A_local_tables_credentials_are_none_with_its_file_location()
    {
        (int status, JsonElement body) = await project.TableCredentialsAsync("silver.orders", "READ", project.Admin);

        Assert.Equal(200, status);
        UcSchemas.AssertValid("TemporaryCredentials", body);
        Assert.Equal(
            (new Uri(project.TableDirectory("silver", "orders")).AbsoluteUri, false),
            (body.GetProperty("url").GetString(), body.TryGetProperty("expiration_time", out _)));
    }

    [Theory]
    [InlineData("rita", "gold.revenue", "READ")]
    [InlineData("ana", "gold.revenue", "READ_WRITE")]
    [InlineData("ana", "silver.orders", "READ_WRITE")]
    public async Task A_reader_of_the_whole_table_gets_READ_and_an_admin_READ_WRITE(string user, string table, string operation)
    {
        (int status, JsonElement body) = await project.TableCredentialsAsync(table, operation, Who(user));

        Assert.True(status == 200, body.ToString());
        UcSchemas.AssertValid("TemporaryCredentials", body);
    }

    [Theory]
    [InlineData("flo", "silver.orders", "READ", "MDL5704")] // a mask and a row filter
    [InlineData("cora", "silver.orders", "READ", "MDL5704")] // two of its columns
    [InlineData("rita", "gold.revenue", "READ_WRITE", "MDL5705")] // a reader, not an admin
    public async Task A_user_the_files_would_show_more_than_their_grants_allow_is_refused_PERMISSION_DENIED(string user, string table, string operation, string code)
    {
        (int status, JsonElement body) = await project.TableCredentialsAsync(table, operation, Who(user));

        UcSchemas.AssertValid("Error", body);
        Assert.Equal((403, "PERMISSION_DENIED"), (status, body.GetProperty("error_code").GetString()));
        Assert.StartsWith(code + ": ", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_masked_user_is_told_to_use_the_SQL_endpoint()
    {
        (_, JsonElement body) = await project.TableCredentialsAsync("silver.orders", "READ", project.Flo);

        Assert.Contains("read it through Medallion's SQL endpoint", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_without_grants_gets_TABLE_DOES_NOT_EXIST_for_a_real_table_id()
    {
        (int status, JsonElement body) = await project.TableCredentialsAsync("silver.orders", "READ", project.Nora);

        UcSchemas.AssertValid("Error", body);
        Assert.Equal((404, "TABLE_DOES_NOT_EXIST"), (status, body.GetProperty("error_code").GetString()));
    }

    [Fact]
    public async Task An_unknown_table_id_answers_TABLE_DOES_NOT_EXIST()
    {
        (int status, JsonElement body) = await project.PostAsync("/temporary-table-credentials", $$"""{"table_id": "{{Guid.NewGuid()}}", "operation": "READ"}""", project.Admin);

        UcSchemas.AssertValid("Error", body);
        Assert.Equal((404, "TABLE_DOES_NOT_EXIST"), (status, body.GetProperty("error_code").GetString()));
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "", "the request has no body" },
        { "{\"table_id\": ", "not valid JSON" },
        { "[1, 2]", "not an object" },
        { "{\"operation\": \"READ\"}", "table_id is required" },
        { "{\"table_id\": 7, \"operation\": \"READ\"}", "table_id must be a non-empty string" },
        { "{\"table_id\": \"x\"}", "operation is required" },
        { "{\"table_id\": \"x\", \"operation\": \"WRITE\"}", "operation 'WRITE' is not one of READ, READ_WRITE" },
        { "{\"table_id\": \"x\", \"operation\": \"read\"}", "operation 'read' is not one of READ, READ_WRITE" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_malformed_table_request_answers_INVALID_PARAMETER_VALUE_saying_what_is_wrong(string body, string expected)
    {
        (int status, JsonElement answer) = await project.PostAsync("/temporary-table-credentials", body, project.Admin);

        UcSchemas.AssertValid("Error", answer);
        Assert.Equal((400, "INVALID_PARAMETER_VALUE"), (status, answer.GetProperty("error_code").GetString()));
        Assert.Contains(expected, answer.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_body_is_refused_unread()
    {
        string body = "{\"table_id\": \"" + new string('x', 64 * 1024) + "\", \"operation\": \"READ\"}";

        (int status, JsonElement answer) = await project.PostAsync("/temporary-table-credentials", body, project.Admin);

        Assert.Equal((400, "INVALID_PARAMETER_VALUE"), (status, answer.GetProperty("error_code").GetString()));
    }

    [Theory]
    [InlineData("/temporary-table-credentials")]
    [InlineData("/temporary-path-credentials")]
    public async Task A_credentials_request_without_a_token_answers_UNAUTHENTICATED(string route)
    {
        (int status, JsonElement body) = await project.PostAsync(route, """{"table_id": "x", "operation": "READ"}""", null);

        UcSchemas.AssertValid("Error", body);
        Assert.Equal((401, "UNAUTHENTICATED"), (status, body.GetProperty("error_code").GetString()));
    }

    [Fact]
    public async Task A_forged_token_answers_UNAUTHENTICATED()
    {
        (int status, JsonElement body) = await project.PostAsync("/temporary-table-credentials", """{"table_id": "x", "operation": "READ"}""", ServedProject.Bearer("mdl_" + new string('B', 43)));

        Assert.Equal((401, "UNAUTHENTICATED"), (status, body.GetProperty("error_code").GetString()));
    }

    [Fact]
    public async Task Path_credentials_for_a_tables_location_are_the_tables()
    {
        string location = (await project.ReadAsync("/tables/shop.gold.revenue", "TableInfo", project.Rita)).GetProperty("storage_location").GetString()!;

        (int status, JsonElement body) = await project.PostAsync("/temporary-path-credentials", JsonSerializer.Serialize(new { url = location + "/_delta_log", operation = "PATH_READ" }), project.Rita);

        Assert.Equal(200, status);
        UcSchemas.AssertValid("TemporaryCredentials", body);
        Assert.Equal(location.TrimEnd('/'), body.GetProperty("url").GetString());
    }

    [Fact]
    public async Task Path_credentials_for_a_table_the_user_may_not_read_are_refused_as_for_no_table()
    {
        string location = (await project.ReadAsync("/tables/shop.silver.orders", "TableInfo", project.Admin)).GetProperty("storage_location").GetString()!;

        (int hidden, JsonElement refused) = await project.PostAsync("/temporary-path-credentials", JsonSerializer.Serialize(new { url = location, operation = "PATH_READ" }), project.Rita);
        (int missing, JsonElement none) = await project.PostAsync("/temporary-path-credentials", JsonSerializer.Serialize(new { url = location + "-nothing", operation = "PATH_READ" }), project.Rita);

        UcSchemas.AssertValid("Error", refused);
        Assert.Equal((403, 403), (hidden, missing));
        Assert.Equal(none.GetProperty("message").GetString()!.Replace("-nothing", string.Empty, StringComparison.Ordinal), refused.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("file:///tmp/lake/gold/revenue/../../silver/orders", "PATH_READ")]
    [InlineData("file:///tmp/lake/gold/revenue?x=1", "PATH_READ")]
    [InlineData("gold/revenue", "PATH_READ")]
    public async Task A_path_that_does_not_say_plainly_where_it_is_is_refused(string url, string operation)
    {
        (int status, JsonElement body) = await project.PostAsync("/temporary-path-credentials", JsonSerializer.Serialize(new { url, operation }), project.Admin);

        Assert.Equal((400, "INVALID_PARAMETER_VALUE"), (status, body.GetProperty("error_code").GetString()));
    }

    [Fact]
    public async Task Credentials_to_create_a_table_at_a_path_are_refused()
    {
        (int status, JsonElement body) = await project.PostAsync("/temporary-path-credentials", """{"url": "file:///tmp/new-table", "operation": "PATH_CREATE_TABLE"}""", project.Admin);

        UcSchemas.AssertValid("Error", body);
        Assert.Equal((403, "PERMISSION_DENIED"), (status, body.GetProperty("error_code").GetString()));
    }

    [Fact]
    public async Task Each_issue_and_refusal_is_audited_with_who_what_and_the_outcome()
    {
        await project.TableCredentialsAsync("gold.revenue", "READ", project.Rita);
        await project.TableCredentialsAsync("gold.revenue", "READ_WRITE", project.Rita);

        string audited = await project.Served.WaitForSqlAsync(
            "SELECT string_agg(DISTINCT concat_ws('|', \"user\", channel, target, outcome, error_code, details::json->>'operation', details::json->>'credentials'), ', ' ORDER BY concat_ws('|', \"user\", channel, target, outcome, error_code, details::json->>'operation', details::json->>'credentials')) FROM medallion_audit.events WHERE action = 'credentials.issue' AND \"user\" = 'rita' AND target = 'gold.revenue'",
            "rita|api|gold.revenue|error|MDL5705|read_write, rita|api|gold.revenue|ok|read|none");

        Assert.Equal("rita|api|gold.revenue|error|MDL5705|read_write, rita|api|gold.revenue|ok|read|none", audited);
    }

    private System.Net.Http.Headers.AuthenticationHeaderValue Who(string user) => user switch
    {
        "ana" => project.Admin,
        "rita" => project.Rita,
        "cora" => project.Cora,
        "flo" => project.Flo,
        _ => project.Nora,
    };
}
