using System.Net;
using System.Text.RegularExpressions;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Server.Tests;

namespace Medallion.Web.Tests;

/// <summary>
/// The web UI as a user granted one table whose e-mails are personal data: the catalog pages show only that table, its
/// preview and the SQL page show the e-mails masked, and a table without a grant is answered as one that does not exist.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class RestrictedUserPageTests : IAsyncLifetime
{
    private const string Password = "rita-secret";
    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        await _served.Catalog.Identity.SetUserAsync("rita", PgUserStore.CreateScramVerifier(Password));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", [], GranteeKind.User, "rita"), ["silver.orders"]);
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Theory]
    [InlineData("/catalog")]
    [InlineData("/lineage")]
    public async Task The_catalog_and_the_lineage_graph_show_only_the_granted_table(string page)
    {
        using WebSession session = await SignInAsync();

        (HttpStatusCode status, string html) = await session.GetAsync(page);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("silver.orders", html, StringComparison.Ordinal);
        Assert.DoesNotContain("gold.revenue", html, StringComparison.Ordinal);
        Assert.DoesNotContain("bronze.orders", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_live_part_of_a_run_s_page_withholds_an_error_quoting_a_table_read_only_masked()
    {
        RunRecord run = await _served.Catalog.Runs.StartRunAsync("silver.orders");
        const string Quoting = "MDL6101: model silver.orders failed: a@x.com is not a number";
        await _served.Catalog.Runs.RecordModelRunAsync(new ModelRunRecord(run.Id, TableName.Parse("silver.orders"), RunStatus.Failed, null, new Dictionary<string, long>(), TimeSpan.FromSeconds(1), Quoting)
        {
            StartedAt = run.StartedAt,
        });
        await _served.Catalog.Runs.FinishRunAsync(run.Id, RunStatus.Failed, Quoting);
        using WebSession session = await SignInAsync();

        (HttpStatusCode status, string html) = await session.GetAsync($"/runs/{run.Id}/live");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("<section id=\"run-live\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("a@x.com", html, StringComparison.Ordinal);
        Assert.Contains("the message is withheld", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_without_a_grant_has_no_page()
    {
        using WebSession session = await SignInAsync();

        (HttpStatusCode status, string html) = await session.GetAsync("/tables/gold.revenue");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.DoesNotContain("revenue</", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_preview_of_the_granted_table_shows_personal_data_hashed()
    {
        using WebSession session = await SignInAsync();

        (HttpStatusCode status, string html) = await session.GetAsync("/tables/silver.orders");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain("a@x.com", html, StringComparison.Ordinal);
        Assert.True(Hash().Count(html) >= 2, "the preview shows no hashed e-mails");
    }

    [Fact]
    public async Task The_sql_page_masks_the_granted_table_and_refuses_the_other_naming_it()
    {
        using WebSession session = await SignInAsync();
        await session.GetAsync("/sql");

        using HttpResponseMessage masked = await session.PostFormAsync("/sql", [new("sql", "SELECT email FROM silver.orders ORDER BY order_id"), new("limit", "10"), new("format", "csv")]);
        using HttpResponseMessage refused = await session.PostFormAsync("/sql", [new("sql", "SELECT * FROM gold.revenue"), new("limit", "10")]);

        string csv = await masked.Content.ReadAsStringAsync();
        Assert.Equal(3, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("@x.com", csv, StringComparison.Ordinal);
        Assert.Matches(Hash(), csv);
        string error = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("MDL2107: permission denied for table gold.revenue: user rita has no grant to read it.", WebUtility.HtmlDecode(error), StringComparison.Ordinal);
    }

    private async Task<WebSession> SignInAsync()
    {
        var session = new WebSession(_served);
        await session.SignInOrFailAsync("rita", Password);
        return session;
    }

    [GeneratedRegex("[0-9a-f]{64}")]
    private static partial Regex Hash();
}
