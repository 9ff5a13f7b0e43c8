using System.Net.Http.Headers;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.PgWire;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>
/// The shop project served once for a class of Unity Catalog tests, with one more model (silver.order_days: a table of
/// many types, partitioned by day, a column documented) and readers: the admin <c>ana</c>, <c>rita</c> granted
/// gold.revenue, <c>cora</c> granted two columns of silver.orders, <c>flo</c> granted silver.orders under a row filter and
/// the project's mask of its pii column, <c>nora</c> granted nothing. Each has an API token.
/// </summary>
public sealed class UnityCatalogProject : IAsyncLifetime
{
    public const string Prefix = "/api/2.1/unity-catalog";

    public ServedProject Served { get; private set; } = null!;

    public AuthenticationHeaderValue Admin { get; private set; } = null!;

    public AuthenticationHeaderValue Rita { get; private set; } = null!;

    public AuthenticationHeaderValue Cora { get; private set; } = null!;

    public AuthenticationHeaderValue Flo { get; private set; } = null!;

    public AuthenticationHeaderValue Nora { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Served = await ServedProject.StartAsync(more: files => files.Write("models/silver/order_days.sql", """
            /* ---
            description: Orders by day.
            partition_by: [day]
            columns:
              id:
                description: The order's number.
            --- */
            SELECT CAST(order_id AS INTEGER) AS id, DATE '2026-11-27' AS day, TIMESTAMPTZ '2026-11-27 10:00:00+00' AS at,
                   CAST(order_id AS INTEGER) > 1 AS big, CAST(amount AS DOUBLE) AS ratio, CAST(amount AS FLOAT) AS share,
                   CAST(1 AS SMALLINT) AS small, CAST(1 AS TINYINT) AS tiny, [1, 2] AS parts,
                   {'a': 1, 'first name': 'x'} AS info, MAP {'k': 1} AS extras, 'x'::BLOB AS raw
            FROM bronze.orders
            """));
        CatalogStore catalog = Served.Catalog;
        Admin = await TokenAsync("ana");
        Rita = await UserAsync("rita", new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "gold.revenue", [], GranteeKind.User, "rita"));
        Cora = await UserAsync("cora", new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", ["order_id", "amount"], GranteeKind.User, "cora"));
        Flo = await UserAsync("flo", new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", [], GranteeKind.User, "flo"));
        await catalog.Access.SetRowFilterAsync(new RowFilter("silver.orders", GranteeKind.User, "flo", "order_id = 1"), ["silver.orders"]);
        await catalog.Access.SetMaskingPolicyAsync(new MaskingPolicy("pii", MaskingPolicyKind.Hash));
        Nora = await UserAsync("nora", null);

        async Task<AuthenticationHeaderValue> UserAsync(string name, AccessGrant? grant)
        {
            await catalog.Identity.SetUserAsync(name, PgUserStore.CreateScramVerifier(name + "-secret"));
            if (grant is not null)
            {
                await catalog.Access.GrantAsync(grant, ["gold.revenue", "silver.orders"]);
            }

            return await TokenAsync(name);
        }

        async Task<AuthenticationHeaderValue> TokenAsync(string name) =>
            ServedProject.Bearer((await catalog.Identity.CreateApiTokenAsync(name, null)).Secret);
    }

    public async Task DisposeAsync() => await Served.DisposeAsync();

    /// <summary>GETs a route of the API (below its prefix) as <paramref name="who"/>: the status and the body as JSON.</summary>
    public async Task<(int Status, JsonElement Body)> GetAsync(string route, AuthenticationHeaderValue? who)
    {
        using HttpResponseMessage response = await Served.GetAsync(Prefix + route, who);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"GET {route} answered {(int)response.StatusCode} with {response.Content.Headers.ContentType}: {text}");
        using var document = JsonDocument.Parse(text);
        return ((int)response.StatusCode, document.RootElement.Clone());
    }

    /// <summary>POSTs <paramref name="body"/> (JSON text, or any text a hostile client sends) to a route of the API as <paramref name="who"/>: the status and the body as JSON.</summary>
    public async Task<(int Status, JsonElement Body)> PostAsync(string route, string body, AuthenticationHeaderValue? who) =>
        await UcHttp.PostAsync(Served, Prefix + route, body, who);

    /// <summary>Asks temporary credentials for the table <paramref name="fullName"/> (by its id, as clients do after getTable) as <paramref name="who"/>.</summary>
    public async Task<(int Status, JsonElement Body)> TableCredentialsAsync(string fullName, string operation, AuthenticationHeaderValue who)
    {
        JsonElement table = await ReadAsync("/tables/shop." + fullName, "TableInfo", Admin);
        return await PostAsync("/temporary-table-credentials", JsonSerializer.Serialize(new { table_id = table.GetProperty("table_id").GetString(), operation }), who);
    }

    /// <summary>GETs a route that must answer 200 with a body valid for <paramref name="definition"/> of the schemas written from the document.</summary>
    public async Task<JsonElement> ReadAsync(string route, string definition, AuthenticationHeaderValue? who)
    {
        (int status, JsonElement body) = await GetAsync(route, who);
        Assert.True(status == 200, $"GET {route} answered {status}: {body}");
        UcSchemas.AssertValid(definition, body);
        return body;
    }

    /// <summary>GETs a route that must answer Unity Catalog's error with <paramref name="status"/> and <paramref name="code"/>; its message.</summary>
    public async Task<string> FailAsync(string route, AuthenticationHeaderValue? who, int status, string code)
    {
        (int actual, JsonElement body) = await GetAsync(route, who);
        UcSchemas.AssertValid("Error", body);
        Assert.Equal((status, code), (actual, body.GetProperty("error_code").GetString()));
        return body.GetProperty("message").GetString()!;
    }

    /// <summary>The directory of a table of the lake.</summary>
    public string TableDirectory(string ns, string name) => Path.Combine(Served.Directory, "lake", ns, name);

    /// <summary>The newest <c>metaData</c> action of a table's log, read from its JSON commits.</summary>
    public JsonElement DeltaMetadata(string ns, string name)
    {
        JsonElement? metadata = null;
        foreach (string commit in Directory.GetFiles(Path.Combine(TableDirectory(ns, name), "_delta_log"), "*.json").Order(StringComparer.Ordinal))
        {
            foreach (string line in File.ReadLines(commit).Where(l => l.Length > 0))
            {
                using var action = JsonDocument.Parse(line);
                if (action.RootElement.TryGetProperty("metaData", out JsonElement found))
                {
                    metadata = found.Clone();
                }
            }
        }

        return metadata ?? throw new InvalidOperationException($"{ns}.{name} has no metaData action");
    }
}
