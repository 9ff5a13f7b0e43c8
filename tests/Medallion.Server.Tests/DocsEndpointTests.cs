using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Medallion.Server.Tests;

/// <summary><c>PUT /api/tables/{table}/docs</c> and its column twin: docs edited in the catalog, scriptable and audited.</summary>
public sealed class DocsEndpointTests : IAsyncLifetime
{
    private static readonly string[] s_tags = ["core", "finance"];
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task Docs_edited_over_rest_are_what_the_table_endpoint_answers_and_each_edit_is_audited_as_its_editor()
    {
        using HttpResponseMessage table = await PutAsync("/api/tables/silver.orders/docs", new { description = "Paid orders.", owner = "finance", tags = s_tags });
        using HttpResponseMessage column = await PutAsync("/api/tables/silver.orders/columns/amount/docs", new { description = "In euros." });
        using HttpResponseMessage read = await _served.GetAsync("/api/tables/silver.orders", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (table.StatusCode, column.StatusCode));
        using JsonDocument answer = JsonDocument.Parse(await column.Content.ReadAsStringAsync());
        Assert.Equal(4, answer.RootElement.GetProperty("in_force").GetArrayLength());
        using JsonDocument details = JsonDocument.Parse(await read.Content.ReadAsStringAsync());
        JsonElement summary = details.RootElement.GetProperty("summary");
        Assert.Equal(("Paid orders.", "finance", "core,finance"), (summary.GetProperty("description").GetString(), summary.GetProperty("owner").GetString(),
            string.Join(',', summary.GetProperty("tags").EnumerateArray().Select(t => t.GetString()))));
        Assert.Equal("In euros.", details.RootElement.GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "amount").GetProperty("description").GetString());
        Assert.Equal("ana|table.docs|silver.orders|description, owner, tags; ana|table.docs|silver.orders.amount|description", await _served.WaitForSqlAsync(
            "SELECT string_agg(concat_ws('|', \"user\", action, target, details::json->>'detail'), '; ' ORDER BY occurred_at, id) FROM medallion_audit.events WHERE action = 'table.docs'",
            "ana|table.docs|silver.orders|description, owner, tags; ana|table.docs|silver.orders.amount|description"));
    }

    [Fact]
    public async Task A_null_goes_back_to_the_project_files_value_and_stays_in_the_history()
    {
        (await PutAsync("/api/tables/silver.orders/docs", new { description = "Paid orders." })).Dispose();

        using HttpResponseMessage reverted = await PutAsync("/api/tables/silver.orders/docs", JsonDocument.Parse("{\"description\": null}").RootElement);

        using JsonDocument answer = JsonDocument.Parse(await reverted.Content.ReadAsStringAsync());
        Assert.Equal(0, answer.RootElement.GetProperty("in_force").GetArrayLength());
        Assert.Equal(2, answer.RootElement.GetProperty("history").GetArrayLength());
        using HttpResponseMessage read = await _served.GetAsync("/api/tables/silver.orders", ServedProject.Basic("ana", ServedProject.OperatorPassword));
        using JsonDocument details = JsonDocument.Parse(await read.Content.ReadAsStringAsync());
        Assert.Equal("Orders, typed.", details.RootElement.GetProperty("summary").GetProperty("description").GetString());
    }

    [Theory]
    [InlineData("/api/tables/silver.orders/docs", "{\"owner\": 3}", "owner is number")]
    [InlineData("/api/tables/silver.orders/columns/amount/docs", "{\"owner\": \"ana\"}", "a column has no owner of its own")]
    [InlineData("/api/tables/silver.orders/docs", "{}", "the body edits nothing")]
    public async Task A_body_that_edits_nothing_or_the_wrong_thing_is_a_400_that_says_why(string path, string body, string detail)
    {
        using HttpResponseMessage response = await PutAsync(path, JsonDocument.Parse(body).RootElement);

        (HttpStatusCode status, _, _, string problem) = await ServedProject.ProblemAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(detail, problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_column_the_table_does_not_have_is_a_404()
    {
        using HttpResponseMessage response = await PutAsync("/api/tables/silver.orders/columns/nope/docs", new { description = "x" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(await _served.Catalog.Docs.GetHistoryAsync(Catalog.TableName.Parse("silver.orders")));
    }

    private async Task<HttpResponseMessage> PutAsync<T>(string path, T body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path)
        {
            Content = JsonContent.Create(body),
            Headers = { Authorization = ServedProject.Basic("ana", ServedProject.OperatorPassword) },
        };
        return await _served.Http.SendAsync(request);
    }
}
