using System.Net;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Server.Tests;

namespace Medallion.Web.Tests;

/// <summary>The home page's panels of tables past their freshness and quality rules broken in the last day, and who sees what of them.</summary>
public sealed class HomePanelTests : IAsyncLifetime
{
    private const string Password = "rita-secret";
    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        // A model with a freshness rule that was never built: past its limit from the start.
        _served = await ServedProject.StartAsync(later: files => files.Write("models/gold/late.sql", "/* ---\nfreshness: {warn_after: 30m, error_after: 1h}\n--- */\nSELECT 1 AS x\n"));
        await _served.Catalog.Identity.SetUserAsync("rita", PgUserStore.CreateScramVerifier(Password));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "gold.revenue", [], GranteeKind.User, "rita"), ["gold.revenue"]);
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task The_home_page_lists_a_table_past_its_freshness_and_a_rule_that_broke_today()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);

        (HttpStatusCode status, string html) = await session.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, status);
        string stale = Section(html, "stale");
        Assert.Contains("gold.late", stale, StringComparison.Ordinal);
        Assert.Contains("never", stale, StringComparison.Ordinal);
        Assert.Contains("error after 1 h 0 min", stale, StringComparison.Ordinal);
        string quality = Section(html, "quality");
        Assert.Contains("silver.orders", quality, StringComparison.Ordinal);
        Assert.Contains("accepted_values", quality, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_granted_one_table_sees_neither_panel_name_another()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("rita", Password);

        (HttpStatusCode status, string html) = await session.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain("gold.late", html, StringComparison.Ordinal);
        Assert.DoesNotContain("silver.orders", Section(html, "quality"), StringComparison.Ordinal);
    }

    /// <summary>The HTML of the section whose heading has the id <paramref name="id"/>.</summary>
    private static string Section(string html, string id)
    {
        int start = html.IndexOf($"aria-labelledby=\"{id}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section {id}");
        int end = html.IndexOf("</section>", start, StringComparison.Ordinal);
        return html[start..end];
    }
}
