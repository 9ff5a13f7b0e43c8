using System.Net;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.PgWire;

namespace Medallion.Server.Tests;

/// <summary>The REST API's table reads answer a signed-in user with only the tables granted to the user.</summary>
public sealed class ApiAccessTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        await _served.Catalog.Identity.SetUserAsync("rita", PgUserStore.CreateScramVerifier("rita-secret"));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "gold.revenue", [], GranteeKind.User, "rita"), ["gold.revenue"]);
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task Tables_lists_to_a_user_only_the_tables_granted()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/tables", ServedProject.Basic("rita", "rita-secret"));
        using JsonDocument tables = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(["gold.revenue"], tables.RootElement.EnumerateArray().Select(t => t.GetProperty("name").GetProperty("namespace").GetString() + "." + t.GetProperty("name").GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_table_without_a_grant_is_answered_as_one_that_does_not_exist()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/tables/silver.orders", ServedProject.Basic("rita", "rita-secret"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
