using System.Text;
using System.Text.Json;

namespace Medallion.Server.Tests.Iceberg;

/// <summary>
/// A test that runs only with a real Trino at hand: skipped unless <c>MEDALLION_TEST_TRINO_URL</c> names its HTTP address.
/// That Trino runs on this machine (it reaches the served catalog at 127.0.0.1 and the lake's local files) with dynamic
/// catalogs (<c>catalog.management=dynamic</c>), so the test adds a catalog for the server it starts and drops it after.
/// </summary>
public sealed class LiveTrinoFactAttribute : FactAttribute
{
    public const string Variable = "MEDALLION_TEST_TRINO_URL";

    public LiveTrinoFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"Set {Variable} to a Trino's address (e.g. http://127.0.0.1:8080; catalog.management=dynamic, on this machine) to read a UniForm table through the Iceberg REST catalog.";
        }
    }
}

/// <summary>Trino finds a UniForm table through the Iceberg REST catalog and reads the rows Medallion wrote.</summary>
public sealed class LiveTrinoTests
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromMinutes(5) };

    [LiveTrinoFact]
    public async Task Trino_reads_a_uniform_table_through_the_iceberg_rest_catalog()
    {
        var project = new IcebergRestProject();
        await project.InitializeAsync();
        string catalog = "medallion_" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            string uri = project.Served.Http.BaseAddress!.ToString().TrimEnd('/') + "/api/2.1/unity-catalog/iceberg";
            await QueryAsync($"""
                CREATE CATALOG {catalog} USING iceberg WITH (
                  "iceberg.catalog.type" = 'rest', "iceberg.rest-catalog.uri" = '{uri}', "iceberg.rest-catalog.warehouse" = 'shop',
                  "iceberg.rest-catalog.security" = 'OAUTH2', "iceberg.rest-catalog.oauth2.token" = '{project.Admin.Parameter}',
                  "fs.native-local.enabled" = 'true', "local.location" = '/')
                """);

            List<JsonElement> rows = await QueryAsync($"SELECT count(*), sum(amount) FROM {catalog}.silver.orders_iceberg");

            Assert.Equal((2, 30m), (rows[0][0].GetInt64(), decimal.Parse(rows[0][1].ToString(), System.Globalization.CultureInfo.InvariantCulture)));
        }
        finally
        {
            await QueryAsync($"DROP CATALOG IF EXISTS {catalog}");
            await project.DisposeAsync();
        }
    }

    /// <summary>Runs a statement through Trino's client protocol (POST /v1/statement, then each nextUri): its rows.</summary>
    private static async Task<List<JsonElement>> QueryAsync(string sql)
    {
        string trino = Environment.GetEnvironmentVariable(LiveTrinoFactAttribute.Variable)!.TrimEnd('/');
        using var request = new HttpRequestMessage(HttpMethod.Post, trino + "/v1/statement") { Content = new StringContent(sql, Encoding.UTF8, "text/plain") };
        request.Headers.Add("X-Trino-User", "medallion-test");
        JsonElement page = await SendAsync(request);
        var rows = new List<JsonElement>();
        while (true)
        {
            if (page.TryGetProperty("error", out JsonElement error))
            {
                Assert.Fail($"Trino refused {sql}: {error.GetProperty("message").GetString()}");
            }

            if (page.TryGetProperty("data", out JsonElement data))
            {
                rows.AddRange(data.EnumerateArray());
            }

            if (!page.TryGetProperty("nextUri", out JsonElement next))
            {
                return rows;
            }

            using var follow = new HttpRequestMessage(HttpMethod.Get, next.GetString());
            follow.Headers.Add("X-Trino-User", "medallion-test");
            page = await SendAsync(follow);
        }
    }

    private static async Task<JsonElement> SendAsync(HttpRequestMessage request)
    {
        using HttpResponseMessage response = await s_http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Trino answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
