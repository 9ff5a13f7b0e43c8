using System.Text.RegularExpressions;
using Medallion.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>
/// The web UI in Debian's Chromium, driven by Playwright: each scenario saves a screenshot under
/// <c>TestResults/screenshots</c> and fails on any console error, page error, failed request or error answer.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class BrowserScenarioTests : IAsyncLifetime
{
    private ServedProject _served = null!;
    private LaunchedChromium _chromium = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync(later: SourcesProject.Define);
        await SourcesProject.RecordPassesAsync(_served.Catalog);
        _chromium = await LaunchedChromium.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _served.DisposeAsync();
    }

    [Fact]
    public async Task An_operator_signs_in_and_sees_the_health_of_the_server()
    {
        await using BrowserScenario scenario = await OpenAsync("sign-in");
        IPage page = scenario.Page;

        await page.GotoAsync("/jobs");
        await Expect(page).ToHaveURLAsync(new Regex("/login\\?ReturnUrl="));
        await page.FillAsync("#user", "ana");
        await page.FillAsync("#password", ServedProject.OperatorPassword);
        await page.ClickAsync("form.login button[type=submit]");

        await Expect(page).ToHaveURLAsync(new Regex("/jobs$"));
        await page.ClickAsync("nav >> text=Home");
        await Expect(page.Locator("h1")).ToHaveTextAsync("shop");
        await Expect(page.Locator("dl.facts")).ToContainTextAsync("ready");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Searching_the_catalog_finds_a_table_whose_page_shows_its_schema_preview_and_lineage()
    {
        await using BrowserScenario scenario = await SignedInAsync("catalog-table", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;

        await page.GotoAsync("/catalog");
        await page.FillAsync("#q", "orders");
        await page.PressAsync("#q", "Enter");
        await Expect(page.Locator("table.catalog tbody tr")).ToHaveCountAsync(2);
        await page.ClickAsync("table.catalog a:text-is('silver.orders')");

        await Expect(page.Locator("h1")).ToHaveTextAsync("silver.orders");
        await Expect(page.Locator("p.lead")).ToHaveTextAsync("Orders, typed.");
        await Expect(page.Locator("table.schema tr", new() { HasText = "email" })).ToContainTextAsync("pii");
        await Expect(page.Locator("section[aria-labelledby=preview] table.result tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator(".lineage")).ToContainTextAsync("bronze.orders");
        await Expect(page.Locator(".lineage")).ToContainTextAsync("gold.revenue");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Selecting_a_table_in_the_lineage_graph_highlights_its_neighbours_and_clicks_through_to_its_page()
    {
        await using BrowserScenario scenario = await SignedInAsync("lineage", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;

        await page.GotoAsync("/tables/bronze.orders");
        await page.ClickAsync("a[href='/lineage']");
        await page.ClickAsync("g.node[data-table='silver.orders']");

        await Expect(page.Locator("g.node.lit")).ToHaveCountAsync(3);
        await Expect(page.Locator("path.edge.lit")).ToHaveCountAsync(2);
        await page.ClickAsync("#lineage-selected a");
        await Expect(page.Locator("h1")).ToHaveTextAsync("silver.orders");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_lineage_graph_zooms_with_its_buttons_pans_by_dragging_and_fits_again()
    {
        await using BrowserScenario scenario = await SignedInAsync("lineage-zoom", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;
        await page.GotoAsync("/lineage");
        ILocator graph = page.Locator("#lineage-graph");
        string fit = (await graph.GetAttributeAsync("viewBox"))!;
        double fitWidth = double.Parse(fit.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);

        await page.ClickAsync("button[data-zoom=in]");
        string zoomed = (await graph.GetAttributeAsync("viewBox"))!;
        LocatorBoundingBoxResult box = (await graph.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + 3, box.Y + 3);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + 103, box.Y + 3, new() { Steps = 5 });
        await page.Mouse.UpAsync();
        string panned = (await graph.GetAttributeAsync("viewBox"))!;
        await page.ClickAsync("button[data-zoom=fit]");

        Assert.True(double.Parse(zoomed.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture) < fitWidth, $"{zoomed} is not narrower than {fit}");
        Assert.NotEqual(zoomed.Split(' ')[0], panned.Split(' ')[0]);
        Assert.Equal(zoomed.Split(' ')[2], panned.Split(' ')[2]);
        await Expect(graph).ToHaveAttributeAsync("viewBox", fit);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Triggering_a_job_opens_its_run_whose_live_log_runs_until_it_succeeds()
    {
        await using BrowserScenario scenario = await SignedInAsync("trigger-live-log", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;

        await page.GotoAsync("/jobs");
        await page.ClickAsync("tr[data-job=nightly] button:text-is('Trigger')");

        await Expect(page).ToHaveURLAsync(new Regex("/runs/[0-9a-f-]+$"));
        await Expect(page.Locator("#log")).ToContainTextAsync("attempt 1 started", new() { Timeout = 30_000 });
        await Expect(page.Locator("#run-status .state-succeeded")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.Locator("#log .end")).ToContainTextAsync("succeeded");
        await Expect(page.Locator("#log")).ToContainTextAsync("model gold.revenue succeeded");
        await Expect(page.Locator("table.models")).ToContainTextAsync("gold.revenue");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Triggering_a_job_with_variables_opens_a_run_that_shows_them_and_a_malformed_line_is_named_before_anything_is_sent()
    {
        await using BrowserScenario scenario = await SignedInAsync("trigger-variables", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;
        await page.GotoAsync("/jobs");
        ILocator row = page.Locator("tr[data-job=nightly]");
        await row.Locator("details.trigger-variables summary").ClickAsync();

        await row.Locator("textarea").FillAsync("region=SP\nno equals sign");
        await row.Locator("details.trigger-variables button").ClickAsync();
        await Expect(page.Locator("#notice")).ToContainTextAsync("Expected name=value on line 2: no equals sign");
        Assert.EndsWith("/jobs", page.Url, StringComparison.Ordinal);

        await row.Locator("textarea").FillAsync("region=SP\n\nsince=2026-01-01");
        await row.Locator("details.trigger-variables button").ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("/runs/[0-9a-f-]+$"));
        await Expect(page.Locator("#run-variables")).ToHaveTextAsync("region=SP, since=2026-01-01");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_backfill_dialog_previews_the_intervals_of_a_range_and_starts_them_on_the_backfills_page()
    {
        await using BrowserScenario scenario = await SignedInAsync("backfill-dialog", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;
        await page.GotoAsync("/jobs");
        ILocator dialog = page.Locator("tr[data-job=nightly] details.backfill");
        await dialog.Locator("summary").ClickAsync();
        await dialog.Locator("input[name=from]").FillAsync("2026-01-01");
        await dialog.Locator("input[name=to]").FillAsync("2026-01-03");
        await dialog.Locator("select[name=reprocess]").SelectOptionAsync("all");

        await dialog.Locator("button[data-backfill=preview]").ClickAsync();

        await Expect(dialog.Locator(".backfill-preview tbody tr")).ToHaveCountAsync(2);
        await Expect(dialog.Locator(".backfill-summary")).ToHaveTextAsync("2 intervals; to run: 2");

        await dialog.Locator("button[data-backfill=start]").ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("/backfills/[^/]+$"));
        await Expect(page.Locator("dl.facts")).ToContainTextAsync("nightly");
        await Expect(page.Locator("table.intervals tbody tr")).ToHaveCountAsync(2);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_query_on_the_sql_page_shows_its_rows_and_time()
    {
        await using BrowserScenario scenario = await SignedInAsync("sql", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;

        await page.GotoAsync("/sql");
        await page.FillAsync("#sql", "SELECT order_id, email, amount FROM silver.orders ORDER BY order_id");
        await page.ClickAsync("button[value=html]");

        await Expect(page.Locator("#query-summary")).ToContainTextAsync("2 rows in");
        await Expect(page.Locator("table.result tbody tr").First).ToContainTextAsync("a@x.com");
        await Expect(page.Locator("#sql")).ToHaveValueAsync("SELECT order_id, email, amount FROM silver.orders ORDER BY order_id");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_viewer_sees_no_action_buttons_and_a_forged_post_is_refused()
    {
        await using BrowserScenario scenario = await SignedInAsync("viewer", "vic", ServedProject.ViewerPassword);
        IPage page = scenario.Page;

        await page.GotoAsync("/jobs");
        await Expect(page.Locator("tr[data-job=nightly]")).ToBeVisibleAsync();
        await Expect(page.Locator("button[data-action]")).ToHaveCountAsync(0);
        string token = await page.Locator("meta[name=csrf-token]").GetAttributeAsync("content") ?? string.Empty;
        IAPIResponse withoutToken = await page.APIRequest.PostAsync("/api/jobs/nightly/trigger");
        IAPIResponse withToken = await page.APIRequest.PostAsync("/api/jobs/nightly/trigger", new() { Headers = new Dictionary<string, string> { ["X-Medallion-Antiforgery"] = token } });

        // The role is checked first, so both are forbidden; an operator's request without the token is refused too (WebAccessTests).
        Assert.Equal((403, 403), (withoutToken.Status, withToken.Status));
        Assert.Empty((await _served.Catalog.Runs.QueryRunsAsync(new Medallion.Catalog.RunQuery { Job = "nightly" })).Runs);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_sources_page_lists_each_source_with_its_position_and_the_error_of_a_failed_pass()
    {
        await using BrowserScenario scenario = await SignedInAsync("sources", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;

        await page.GotoAsync("/");
        await page.ClickAsync("nav >> text=Sources");

        await Expect(page.Locator("h1")).ToHaveTextAsync("Sources");
        await Expect(page.Locator("table.sources tbody tr")).ToHaveCountAsync(4);
        ILocator orders = page.Locator("tr[data-table='bronze.orders']");
        await Expect(orders).ToContainTextAsync("file");
        await Expect(orders.Locator("td.position")).ToHaveTextAsync("files: 1");
        await Expect(orders.Locator(".state-succeeded")).ToBeVisibleAsync();
        ILocator customers = page.Locator("tr[data-table='bronze.customers']");
        await Expect(customers).ToContainTextAsync("cdc");
        await Expect(customers.Locator("td.position")).ToHaveTextAsync("0/1A2B3C");
        await Expect(customers).ToContainTextAsync("2,048 B");
        ILocator invoices = page.Locator("tr[data-table='bronze.invoices']");
        await Expect(invoices.Locator(".state-failed")).ToBeVisibleAsync();
        await Expect(invoices.Locator("td.error")).ToHaveTextAsync(SourcesProject.FailedPassError);
        await Expect(page.Locator("tr[data-source=weather]")).ToContainTextAsync("never ran");
        await Expect(invoices.Locator("a:text-is('bronze.invoices')")).ToHaveAttributeAsync("href", "/tables/bronze.invoices");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_brazilian_browser_gets_the_pages_in_portuguese_with_a_jobs_times_in_its_time_zone()
    {
        await using BrowserScenario scenario = await SignedInAsync("pt-br-jobs", "ana", ServedProject.OperatorPassword, locale: "pt-BR");
        IPage page = scenario.Page;

        await page.GotoAsync("/jobs");

        await Expect(page.Locator("nav")).ToContainTextAsync("Tarefas");
        await Expect(page.Locator("tr[data-job=nightly]")).ToContainTextAsync("todo dia às 03:00");
        // 03:00 in São Paulo: shown by the script in the job's zone, which it names, and in the browser's language.
        await Expect(page.Locator("tr[data-job=nightly] time").First).ToContainTextAsync("03:00 (America/Sao_Paulo)");
        await scenario.FinishAsync();
    }

    private Task<BrowserScenario> SignedInAsync(string name, string user, string password, string locale = "en-US", ViewportSize? viewport = null) =>
        BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, name, user, password, locale, viewport);

    private Task<BrowserScenario> OpenAsync(string name, string locale = "en-US", ViewportSize? viewport = null) =>
        BrowserScenario.OpenAsync(_chromium.Browser, _served.Server.HttpAddress, name, locale, viewport);
}
