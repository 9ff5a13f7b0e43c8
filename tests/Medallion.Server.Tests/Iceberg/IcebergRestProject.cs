using System.Net.Http.Headers;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.PgWire;

namespace Medallion.Server.Tests.Iceberg;

/// <summary>
/// The shop project served for the Iceberg REST catalog's tests, with a UniForm model (silver.orders_iceberg, its email
/// classified pii like silver.orders') beside the plain Delta tables, and readers: the admin <c>ana</c>, <c>ivy</c>
/// granted silver.orders_iceberg (whose pii column the project's mask hides from her), <c>rita</c> granted gold.revenue,
/// and <c>nora</c> granted nothing. Each has an API token.
/// </summary>
public sealed class IcebergRestProject : IAsyncLifetime
{
    public const string Prefix = "/api/2.1/unity-catalog/iceberg/v1";

    private static readonly JsonSchemaFile s_schemas = new(Path.Combine("Iceberg", "iceberg-rest.schema.json"), "https://medallion.invalid/iceberg-rest.schema.json");

    public ServedProject Served { get; private set; } = null!;

    public AuthenticationHeaderValue Admin { get; private set; } = null!;

    public AuthenticationHeaderValue Ivy { get; private set; } = null!;

    public AuthenticationHeaderValue Rita { get; private set; } = null!;

    public AuthenticationHeaderValue Nora { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Served = await ServedProject.StartAsync(more: files => files.Write("models/silver/orders_iceberg.sql", """
            /* ---
            description: Orders, for Iceberg readers.
            columns:
              email:
                classification: pii
            table_properties:
              delta.universalFormat.enabledFormats: iceberg
              delta.enableIcebergCompatV2: true
            --- */
            SELECT CAST(order_id AS BIGINT) AS order_id, lower(email) AS email, CAST(amount AS DECIMAL(10, 2)) AS amount FROM bronze.orders
            """));
        CatalogStore catalog = Served.Catalog;
        await catalog.Access.SetMaskingPolicyAsync(new MaskingPolicy("pii", MaskingPolicyKind.Hash));
        Admin = await TokenAsync("ana");
        Ivy = await UserAsync("ivy", new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders_iceberg", [], GranteeKind.User, "ivy"));
        Rita = await UserAsync("rita", new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "gold.revenue", [], GranteeKind.User, "rita"));
        Nora = await UserAsync("nora", null);

        async Task<AuthenticationHeaderValue> UserAsync(string name, AccessGrant? grant)
        {
            await catalog.Identity.SetUserAsync(name, PgUserStore.CreateScramVerifier(name + "-secret"));
            if (grant is not null)
            {
                await catalog.Access.GrantAsync(grant, ["gold.revenue", "silver.orders", "silver.orders_iceberg"]);
            }

            return await TokenAsync(name);
        }

        async Task<AuthenticationHeaderValue> TokenAsync(string name) =>
            ServedProject.Bearer((await catalog.Identity.CreateApiTokenAsync(name, null)).Secret);
    }

    public async Task DisposeAsync() => await Served.DisposeAsync();

    /// <summary>Sends <paramref name="method"/> to a route below the prefix as <paramref name="who"/>: the status and the body as JSON (null when empty).</summary>
    public async Task<(int Status, JsonElement? Body)> SendAsync(HttpMethod method, string route, AuthenticationHeaderValue? who, string? delegation = null)
    {
        using var request = new HttpRequestMessage(method, Prefix + route);
        request.Headers.Authorization = who;
        if (delegation is not null)
        {
            request.Headers.Add("X-Iceberg-Access-Delegation", delegation);
        }

        using HttpResponseMessage response = await Served.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0)
        {
            return ((int)response.StatusCode, null);
        }

        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"{method} {route} answered {(int)response.StatusCode} with {response.Content.Headers.ContentType}: {text}");
        using var document = JsonDocument.Parse(text);
        return ((int)response.StatusCode, document.RootElement.Clone());
    }

    /// <summary>GETs a route that must answer 200 with a body valid for <paramref name="definition"/> of the schemas written from the OpenAPI document.</summary>
    public async Task<JsonElement> ReadAsync(string route, string definition, AuthenticationHeaderValue? who, string? delegation = null)
    {
        (int status, JsonElement? body) = await SendAsync(HttpMethod.Get, route, who, delegation);
        Assert.True(status == 200, $"GET {route} answered {status}: {body}");
        s_schemas.AssertValid(definition, body!.Value);
        return body.Value;
    }

    /// <summary>Sends a request that must answer Iceberg's error with <paramref name="status"/> and <paramref name="type"/>; its message.</summary>
    public async Task<string> FailAsync(string route, AuthenticationHeaderValue? who, int status, string type, HttpMethod? method = null, string? delegation = null)
    {
        (int actual, JsonElement? body) = await SendAsync(method ?? HttpMethod.Get, route, who, delegation);
        Assert.NotNull(body);
        s_schemas.AssertValid("IcebergErrorResponse", body.Value);
        JsonElement error = body.Value.GetProperty("error");
        Assert.Equal((status, type, status), (actual, error.GetProperty("type").GetString(), error.GetProperty("code").GetInt32()));
        return error.GetProperty("message").GetString()!;
    }

    /// <summary>The directory of a table of the lake.</summary>
    public string TableDirectory(string ns, string name) => Path.Combine(Served.Directory, "lake", ns, name);
}
