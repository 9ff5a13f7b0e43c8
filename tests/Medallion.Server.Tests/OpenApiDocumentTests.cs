using System.Net;
using System.Text.Json;

namespace Medallion.Server.Tests;

/// <summary>
/// The OpenAPI document at <c>/openapi.json</c> against the live server: every route is described, and every
/// answer of a described GET matches the schema the document gives for its status code.
/// </summary>
public sealed class OpenApiDocumentTests : IAsyncLifetime
{
    private ServedProject _served = null!;
    private JsonDocument _document = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        using HttpResponseMessage response = await _served.GetAsync("/openapi.json", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        _document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        _document.Dispose();
        await _served.DisposeAsync();
    }

    [Fact]
    public void Every_route_of_the_server_is_in_the_document()
    {
        List<string> described = [];
        foreach (JsonProperty path in _document.RootElement.GetProperty("paths").EnumerateObject())
        {
            described.AddRange(path.Value.EnumerateObject().Select(operation => operation.Name.ToUpperInvariant() + " " + path.Name));
        }

        string[] undocumented = [.. _served.Server.Routes.Where(route => route != "GET /openapi.json" && !described.Contains(route))];

        Assert.Contains("GET /api/project", _served.Server.Routes);
        Assert.Empty(undocumented);
    }

    [Fact]
    public async Task Every_get_without_parameters_answers_what_the_document_says()
    {
        var failures = new List<string>();
        int checkedCount = 0;
        foreach (JsonProperty path in _document.RootElement.GetProperty("paths").EnumerateObject())
        {
            if (path.Name.Contains('{', StringComparison.Ordinal) || !path.Value.TryGetProperty("get", out JsonElement get))
            {
                continue;
            }

            using HttpResponseMessage response = await _served.GetAsync(path.Name, ServedProject.Basic("ana", ServedProject.OperatorPassword));
            string status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!get.GetProperty("responses").TryGetProperty(status, out JsonElement described))
            {
                failures.Add($"GET {path.Name} answered {status}, which the document does not describe");
                continue;
            }

            JsonElement content = described.GetProperty("content");
            if (!content.TryGetProperty("application/json", out JsonElement json))
            {
                // Not JSON (GET /metrics speaks the Prometheus formats): the answer must be one of the described types.
                string type = response.Content.Headers.ContentType?.MediaType ?? "";
                if (!content.EnumerateObject().Any(c => c.Name == type))
                {
                    failures.Add($"GET {path.Name} answered {type}, which the document does not describe");
                }

                checkedCount++;
                continue;
            }

            using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            JsonElement schema = json.GetProperty("schema");
            failures.AddRange(SchemaCheck.Validate(_document.RootElement, schema, body.RootElement, $"GET {path.Name}"));
            checkedCount++;
        }

        Assert.Empty(failures);
        Assert.True(checkedCount >= 3, $"Only {checkedCount} endpoints were checked.");
    }

    [Theory]
    [InlineData("/api/tables/{table}/quality", "/api/tables/silver.orders/quality")]
    [InlineData("/api/backfills/{id}", null)]
    public async Task A_get_with_a_parameter_answers_what_the_document_says(string template, string? path)
    {
        if (path is null)
        {
            // A backfill of the nightly job over one day, so that there is one to read.
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/nightly/backfill")
            {
                Headers = { Authorization = ServedProject.Basic("ana", ServedProject.OperatorPassword) },
                Content = System.Net.Http.Json.JsonContent.Create(new { from = "2026-01-01T00:00:00-03:00", to = "2026-01-02T03:00:00-03:00" }),
            };
            using HttpResponseMessage started = await _served.Http.SendAsync(request);
            Assert.True(started.StatusCode == HttpStatusCode.OK, await started.Content.ReadAsStringAsync());
            using JsonDocument backfill = JsonDocument.Parse(await started.Content.ReadAsStringAsync());
            path = "/api/backfills/" + backfill.RootElement.GetProperty("backfill").GetProperty("id").GetString();
        }

        using HttpResponseMessage response = await _served.GetAsync(path, ServedProject.Basic("ana", ServedProject.OperatorPassword));
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement schema = _document.RootElement.GetProperty("paths").GetProperty(template).GetProperty("get").GetProperty("responses").GetProperty("200")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(SchemaCheck.Validate(_document.RootElement, schema, body.RootElement, "GET " + path));
    }
}
