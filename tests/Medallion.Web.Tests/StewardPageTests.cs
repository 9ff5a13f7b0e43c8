using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>
/// A table's page as a data steward uses it: docs edited in the catalog over the project files (by operators only, with
/// who changed what), and how the table is made and watched (its SQL, jobs, volume, anomalies, who may read it).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StewardPageTests : IAsyncLifetime
{
    private const string RitaPassword = "rita-secret";
    private ServedProject _served = null!;
    private LaunchedChromium _chromium = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        // rita reads silver.orders, only the rows of small orders: a reader who is no admin.
        await _served.Catalog.Identity.SetUserAsync("rita", PgUserStore.CreateScramVerifier(RitaPassword));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", [], GranteeKind.User, "rita"), ["silver.orders"]);
        await _served.Catalog.Access.SetRowFilterAsync(new RowFilter("silver.orders", GranteeKind.User, "rita", "amount < 15"));
        _chromium = await LaunchedChromium.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _served.DisposeAsync();
    }

    [Fact]
    public async Task An_operator_edits_the_description_and_a_columns_doc_and_the_page_says_who_changed_them()
    {
        await using BrowserScenario scenario = await SignedInAsync("docs-edit", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;
        await page.GotoAsync("/tables/silver.orders");

        await page.ClickAsync("details.docs-edit > summary >> text=Edit docs");
        await page.FillAsync("form.docs-form textarea[name=description]", "Paid orders, one row per order.");
        await page.ClickAsync("form.docs-form button[type=submit] >> nth=0");
        await Expect(page.Locator("p.lead")).ToHaveTextAsync("Paid orders, one row per order.");
        ILocator amount = page.Locator("table.schema tr", new() { HasText = "amount" });
        await amount.Locator("details.docs-edit > summary").ClickAsync();
        await amount.Locator("textarea[name=description]").FillAsync("In euros, tax included.");
        await amount.Locator("button[type=submit]").ClickAsync();

        await Expect(page.Locator("table.schema tr", new() { HasText = "amount" })).ToContainTextAsync("In euros, tax included.");
        await Expect(page.Locator("table.schema tr", new() { HasText = "amount" }).Locator(".edited")).ToContainTextAsync("edited by ana");
        await Expect(page.Locator(".edited[data-field=description]").First).ToContainTextAsync("Orders, typed.");
        await Expect(page.Locator("ol.doc-history li")).ToHaveCountAsync(2);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_viewer_sees_the_edited_text_and_who_changed_it_and_has_no_edit_control()
    {
        await EditAsync("/api/tables/silver.orders/docs", new { description = "Paid orders." });
        await using BrowserScenario scenario = await SignedInAsync("docs-viewer-pt", "vic", ServedProject.ViewerPassword, "pt-BR");
        IPage page = scenario.Page;

        await page.GotoAsync("/tables/silver.orders");

        await Expect(page.Locator("p.lead")).ToHaveTextAsync("Paid orders.");
        await Expect(page.Locator(".edited[data-field=description]")).ToContainTextAsync("editado por ana em");
        await Expect(page.Locator(".edited[data-field=description]")).ToContainTextAsync("Orders, typed.");
        await Expect(page.Locator("#doc-history")).ToHaveTextAsync("Histórico da documentação");
        await Expect(page.Locator("details.docs-edit")).ToHaveCountAsync(0);
        await Expect(page.Locator("button[data-put]")).ToHaveCountAsync(0);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Reverting_an_edited_description_on_a_phone_shows_the_project_files_text_again()
    {
        await EditAsync("/api/tables/silver.orders/docs", new { description = "Paid orders." });
        await using BrowserScenario scenario = await SignedInAsync("docs-revert-phone-pt", "ana", ServedProject.OperatorPassword, "pt-BR", BrowserScenario.Phone);
        IPage page = scenario.Page;
        await page.GotoAsync("/tables/silver.orders");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the table page scrolls sideways on a phone");

        await page.ClickAsync(".edited[data-field=description] button:text-is('Reverter')");

        await Expect(page.Locator("p.lead")).ToHaveTextAsync("Orders, typed.");
        await Expect(page.Locator(".edited[data-field=description]")).ToHaveCountAsync(0);
        await Expect(page.Locator("ol.doc-history li").First).ToContainTextAsync("de volta aos arquivos do projeto");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_docs_edit_forged_by_a_viewer_with_a_valid_session_and_token_is_refused_with_403()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("vic", ServedProject.ViewerPassword);
        await session.GetAsync("/tables/silver.orders");
        using var forged = new HttpRequestMessage(HttpMethod.Put, "/api/tables/silver.orders/docs") { Content = JsonContent.Create(new { description = "forged" }) };
        forged.Headers.Add("X-Medallion-Antiforgery", session.Token);

        using HttpResponseMessage response = await session.Http.SendAsync(forged);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await _served.Catalog.Docs.GetHistoryAsync(TableName.Parse("silver.orders")));
    }

    [Fact]
    public async Task Tags_an_operator_gives_a_table_are_found_by_the_catalog_search()
    {
        await using BrowserScenario scenario = await SignedInAsync("docs-tags", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;
        await page.GotoAsync("/tables/gold.revenue");
        await page.ClickAsync("details.docs-edit > summary >> text=Edit docs");
        await page.FillAsync("form.docs-form input[name=tags]", "finance, board-report");
        await page.ClickAsync("form.docs-form button[type=submit] >> nth=0");
        await Expect(page.Locator(".edited[data-field=tags]")).ToBeVisibleAsync();

        await page.GotoAsync("/catalog?q=board-report");

        await Expect(page.Locator("table.catalog tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("table.catalog tbody tr")).ToContainTextAsync("gold.revenue");
        await Expect(page.Locator("table.catalog tbody tr")).ToContainTextAsync("finance, board-report");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_models_page_shows_its_sql_as_written_and_as_compiled_and_the_jobs_that_build_it()
    {
        await using BrowserScenario scenario = await SignedInAsync("table-sql-jobs", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;

        await page.GotoAsync("/tables/silver.orders");

        await Expect(page.Locator("#sql ~ h3 code")).ToHaveTextAsync("models/silver/orders.sql");
        await Expect(page.Locator("#sql-source")).ToContainTextAsync("description: Orders, typed.");
        await Expect(page.Locator("#sql-compiled")).ToContainTextAsync("__medallion_upstream__bronze__orders");
        await Expect(page.Locator("#sql-compiled")).Not.ToContainTextAsync("description:");
        await Expect(page.Locator("#jobs-building li")).ToHaveCountAsync(2);
        await Expect(page.Locator("#jobs-building a[href='/jobs#job-refresh']")).ToBeVisibleAsync();
        await Expect(page.Locator("#jobs-building li", new() { HasText = "refresh" })).ToContainTextAsync("every 15m");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_load_far_smaller_than_usual_shows_as_an_anomaly_beside_the_rows_added_per_load()
    {
        MedallionProject project = await MedallionProject.LoadAsync(_served.Directory);
        for (int load = 2; load <= 10; load++)
        {
            // Nine loads of 50 rows, then one of 2: the monitor's detector calls the last a volume drop.
            int rows = load == 10 ? 2 : 50;
            await File.WriteAllTextAsync(Path.Combine(_served.Directory, "data", "orders", $"{load}.csv"),
                "order_id,email,amount\n" + string.Concat(Enumerable.Range(0, rows).Select(i => $"{(load * 1000) + i},c@x.com,5\n")));
            RunResult run = await ProjectRunner.RunAsync(project, new RunOptions { Sources = ["orders"], SourcesOnly = true });
            Assert.True(run.Succeeded, string.Join("; ", run.Steps.Select(s => s.Error)));
        }

        await using BrowserScenario scenario = await SignedInAsync("table-anomaly-phone-pt", "ana", ServedProject.OperatorPassword, "pt-BR", BrowserScenario.Phone);
        IPage page = scenario.Page;

        await page.GotoAsync("/tables/bronze.orders");

        await Expect(page.Locator("svg#chart-added circle.point")).ToHaveCountAsync(10);
        await Expect(page.Locator("li.anomaly")).ToHaveCountAsync(1);
        await Expect(page.Locator("li.anomaly")).ToContainTextAsync(new Regex("Queda de volume na versão \\d+: 2 linhas, esperado cerca de 50"));
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the table page scrolls sideways on a phone");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task An_admin_sees_who_may_read_a_table_with_their_row_filter_and_a_reader_who_is_no_admin_does_not()
    {
        await using BrowserScenario admin = await SignedInAsync("table-readers", "ana", ServedProject.OperatorPassword);
        await admin.Page.GotoAsync("/tables/silver.orders");
        ILocator rita = admin.Page.Locator("#table-readers tr", new() { HasText = "rita" });
        await Expect(rita).ToContainTextAsync("amount < 15");
        await Expect(admin.Page.Locator("#table-readers tr", new() { HasText = "ana" })).ToContainTextAsync("everything");
        await admin.FinishAsync();

        await using BrowserScenario reader = await SignedInAsync("table-readers-hidden", "rita", RitaPassword);
        await reader.Page.GotoAsync("/tables/silver.orders");
        await Expect(reader.Page.Locator("h1")).ToHaveTextAsync("silver.orders");
        await Expect(reader.Page.Locator("#readers")).ToHaveCountAsync(0);
        await reader.FinishAsync();
    }

    /// <summary>Edits docs through the REST API as ana, the operator.</summary>
    private async Task EditAsync(string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path)
        {
            Content = JsonContent.Create(body),
            Headers = { Authorization = ServedProject.Basic("ana", ServedProject.OperatorPassword) },
        };
        using HttpResponseMessage response = await _served.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task<BrowserScenario> SignedInAsync(string name, string user, string password, string locale = "en-US", ViewportSize? viewport = null) =>
        BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, name, user, password, locale, viewport);
}
