using System.Text.RegularExpressions;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>
/// The SQL page in Chromium: the schema browser, completions, history, saved queries (kept on the server), the chart of
/// a result, how cells are shown and how a failed query is; as an admin (ana) and as rita, granted only <c>silver.orders</c>.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SqlPageTests : IAsyncLifetime
{
    private const string RitaPassword = "rita-secret";
    private ServedProject _served = null!;
    private LaunchedChromium _chromium = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        await _served.Catalog.Identity.SetUserAsync("rita", PgUserStore.CreateScramVerifier(RitaPassword));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", [], GranteeKind.User, "rita"), ["silver.orders"]);
        _chromium = await LaunchedChromium.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _served.DisposeAsync();
    }

    [Fact]
    public async Task The_schema_browser_lists_every_table_by_namespace_and_inserts_a_clicked_column_and_table_at_the_cursor()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-schema-browser");
        IPage page = scenario.Page;
        await page.GotoAsync("/sql");
        await Expect(page.Locator("#schema-tree li[data-table]")).ToHaveCountAsync(3);
        await Expect(page.Locator("#schema-tree li[data-namespace=gold] li[data-table]")).ToHaveAttributeAsync("data-table", "gold.revenue");

        await page.ClickAsync("li[data-table='silver.orders'] button.toggle");
        ILocator columns = page.Locator("li[data-table='silver.orders'] li.column");
        await Expect(columns).ToHaveCountAsync(3);
        await Expect(columns.Nth(2)).ToContainTextAsync("amount");
        await Expect(columns.Nth(2).Locator(".type")).ToHaveTextAsync("DECIMAL(10,2)");
        await page.FillAsync("#sql", "SELECT ");
        await columns.Nth(1).Locator("button.insert").ClickAsync();
        await page.Keyboard.TypeAsync(" FROM");
        await page.ClickAsync("li[data-table='silver.orders'] > button.insert");

        await Expect(page.Locator("#sql")).ToHaveValueAsync("SELECT email FROM silver.orders");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Completion_offers_a_table_then_the_columns_of_the_tables_the_query_names_and_accepts_with_tab()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-completion");
        IPage page = scenario.Page;
        await page.GotoAsync("/sql");
        await page.ClickAsync("#sql");

        await page.Keyboard.TypeAsync("SELECT * FROM silver.or");
        ILocator options = page.Locator("#sql-completions [role=option]");
        await Expect(options).ToHaveCountAsync(1);
        await Expect(options.First).ToContainTextAsync("silver.orders");
        await Expect(page.Locator("#sql")).ToHaveAttributeAsync("aria-activedescendant", "completion-0");
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.Locator("#sql")).ToHaveValueAsync("SELECT * FROM silver.orders");
        await Expect(page.Locator("#sql-completions")).ToBeHiddenAsync();
        await page.Keyboard.TypeAsync(" WHERE em");
        await Expect(options).ToHaveCountAsync(1);
        await Expect(options.First).ToContainTextAsync("email");
        await page.Keyboard.PressAsync("Tab");

        await Expect(page.Locator("#sql")).ToHaveValueAsync("SELECT * FROM silver.orders WHERE email");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Arrows_move_through_the_completions_and_escape_closes_them_leaving_the_text_as_typed()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-completion-keys");
        IPage page = scenario.Page;
        await page.GotoAsync("/sql");
        await page.ClickAsync("#sql");

        await page.Keyboard.TypeAsync("SELECT * FROM or");
        ILocator options = page.Locator("#sql-completions [role=option]");
        await Expect(options).ToHaveCountAsync(2);
        await Expect(options.Nth(0)).ToHaveAttributeAsync("aria-selected", "true");
        await page.Keyboard.PressAsync("ArrowDown");
        await Expect(options.Nth(1)).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(page.Locator("#sql")).ToHaveAttributeAsync("aria-activedescendant", "completion-1");
        await page.Keyboard.PressAsync("Escape");

        await Expect(page.Locator("#sql-completions")).ToBeHiddenAsync();
        await Expect(page.Locator("#sql")).ToHaveAttributeAsync("aria-expanded", "false");
        await Expect(page.Locator("#sql")).ToHaveValueAsync("SELECT * FROM or");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_restricted_user_sees_neither_in_the_browser_nor_in_the_completions_a_table_they_may_not_read_and_sees_masked_columns_marked()
    {
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "sql-restricted", "rita", RitaPassword);
        IPage page = scenario.Page;
        await page.GotoAsync("/sql");

        await Expect(page.Locator("#schema-tree li[data-table]")).ToHaveCountAsync(1);
        await Expect(page.Locator("#schema-tree li[data-table]")).ToHaveAttributeAsync("data-table", "silver.orders");
        await page.ClickAsync("li[data-table='silver.orders'] button.toggle");
        await Expect(page.Locator("li.column", new() { HasText = "email" }).Locator(".masked")).ToHaveTextAsync("masked");
        await Expect(page.Locator("li.column", new() { HasText = "amount" }).Locator(".masked")).ToHaveCountAsync(0);
        await page.ClickAsync("#sql");
        await page.Keyboard.TypeAsync("SELECT * FROM ");
        await page.Keyboard.PressAsync("Control+Space");
        ILocator options = page.Locator("#sql-completions [role=option]");
        await Expect(options).ToHaveCountAsync(1);
        await Expect(options.First).ToContainTextAsync("silver.orders");
        await page.Keyboard.TypeAsync("gold.re");
        await Expect(page.Locator("#sql-completions")).ToBeHiddenAsync();
        IAPIResponse columns = await page.APIRequest.GetAsync("/sql/columns?table=gold.revenue");
        Assert.Equal(404, columns.Status);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_query_run_appears_in_the_history_and_runs_again_from_it_with_one_click()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-history");
        IPage page = scenario.Page;
        await RunAsync(page, "SELECT 42 AS answer");
        await Expect(page.Locator("#query-summary")).ToContainTextAsync("1 rows in");
        await page.FillAsync("#sql", "SELECT 1 AS other");
        await page.ClickAsync("button[value=html]");
        ILocator history = page.Locator("#query-history li");
        await Expect(history).ToHaveCountAsync(2);
        await Expect(history.First).ToContainTextAsync("SELECT 1 AS other");

        await history.Nth(1).Locator("button.query-run").ClickAsync();

        await Expect(page.Locator("table.result th")).ToHaveTextAsync("answer");
        await Expect(page.Locator("table.result td")).ToHaveTextAsync("42");
        await Expect(page.Locator("#sql")).ToHaveValueAsync("SELECT 42 AS answer");
        await Expect(history.First).ToContainTextAsync("SELECT 42 AS answer");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_query_saved_in_one_browser_opens_in_another_browser_of_the_same_user()
    {
        await using (BrowserScenario first = await AnaAsync("sql-saved-first-browser"))
        {
            await first.Page.GotoAsync("/sql");
            await first.Page.FillAsync("#sql", "SELECT email FROM silver.orders");
            await first.Page.FillAsync("#save-name", "Customer e-mails");
            await first.Page.ClickAsync("#save-query");
            await Expect(first.Page.Locator("#save-status")).ToHaveTextAsync("Saved: Customer e-mails");
            await Expect(first.Page.Locator("#saved-queries li")).ToHaveCountAsync(1);
            await first.FinishAsync();
        }

        await using BrowserScenario second = await AnaAsync("sql-saved-second-browser");
        IPage page = second.Page;
        await page.GotoAsync("/sql");
        ILocator saved = page.Locator("#saved-queries li");
        await Expect(saved).ToHaveCountAsync(1);
        await saved.Locator("button.query-open").ClickAsync();

        await Expect(page.Locator("#sql")).ToHaveValueAsync("SELECT email FROM silver.orders");
        await Expect(page.Locator("#save-name")).ToHaveValueAsync("Customer e-mails");
        await Expect(page.Locator("#saved-note")).ToHaveTextAsync("Kept on the server: they follow you to any browser, and those you share every signed-in user can open.");
        await Expect(page.Locator("#history-note")).ToHaveTextAsync("History is kept in this browser only.");
        await second.FinishAsync();
    }

    [Fact]
    public async Task A_deleted_saved_query_is_gone_from_the_page_and_from_the_server()
    {
        await _served.Catalog.SavedQueries.SaveAsync("ana", "Customer e-mails", "SELECT email FROM silver.orders", null, shared: false);
        await using BrowserScenario scenario = await AnaAsync("sql-saved-delete");
        IPage page = scenario.Page;
        await page.GotoAsync("/sql");
        ILocator saved = page.Locator("#saved-queries li");
        await Expect(saved).ToHaveCountAsync(1);

        await page.ClickAsync("button[aria-label='Delete Customer e-mails']");

        await Expect(saved).ToHaveCountAsync(0);
        await Expect(page.Locator("#saved-empty")).ToBeVisibleAsync();
        Assert.Null(await _served.Catalog.SavedQueries.FindAsync("ana", "Customer e-mails"));
        await page.ReloadAsync();
        await Expect(page.Locator("#saved-empty")).ToBeVisibleAsync();
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_query_shared_by_another_user_shows_with_its_owner_and_opens_but_cannot_be_deleted_from_the_page()
    {
        await _served.Catalog.SavedQueries.SaveAsync("ana", "Revenue", "SELECT * FROM gold.revenue", null, shared: true);
        await _served.Catalog.SavedQueries.SaveAsync("ana", "Drafts", "SELECT 1", null, shared: false);
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "sql-saved-shared", "rita", RitaPassword);
        IPage page = scenario.Page;
        await page.GotoAsync("/sql");
        ILocator saved = page.Locator("#saved-queries li");
        await Expect(saved).ToHaveCountAsync(1);
        await Expect(saved.Locator(".query-owner")).ToHaveTextAsync("by ana");
        await Expect(saved.Locator("button.query-delete")).ToHaveCountAsync(0);

        await saved.Locator("button.query-open").ClickAsync();

        await Expect(page.Locator("#sql")).ToHaveValueAsync("SELECT * FROM gold.revenue");
        await Expect(page.Locator("#save-status")).ToHaveTextAsync("Opened: Revenue (by ana)");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_query_saved_shared_is_marked_shared_in_the_list()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-saved-share");
        IPage page = scenario.Page;
        await page.GotoAsync("/sql");
        await page.FillAsync("#sql", "SELECT * FROM gold.revenue");
        await page.FillAsync("#save-name", "Revenue");
        await page.CheckAsync("#save-shared");

        await page.ClickAsync("#save-query");

        await Expect(page.Locator("#saved-queries li .query-shared")).ToHaveTextAsync("shared");
        Assert.True((await _served.Catalog.SavedQueries.FindAsync("ana", "Revenue"))!.Shared);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_save_the_server_refuses_says_why_beside_the_button()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-saved-refused");
        scenario.ExpectErrorAnswer(400, "/api/saved-queries/ana/a%2Fb");
        IPage page = scenario.Page;
        await page.GotoAsync("/sql");
        await page.FillAsync("#sql", "SELECT 1");
        await page.FillAsync("#save-name", "a/b");

        await page.ClickAsync("#save-query");

        await Expect(page.Locator("#save-status")).ToHaveTextAsync("Not saved: The name 'a/b' holds '/', which a saved query's name may not.");
        await Expect(page.Locator("#saved-queries li")).ToHaveCountAsync(0);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Queries_saved_in_the_browser_before_move_to_the_server_once_and_leave_the_browser()
    {
        await _served.Catalog.SavedQueries.SaveAsync("ana", "Totals", "SELECT 2", null, shared: false);
        await using BrowserScenario scenario = await AnaAsync("sql-saved-moved");
        IPage page = scenario.Page;
        await page.GotoAsync("/");
        await page.EvaluateAsync("""
            localStorage.setItem('medallion.sql.ana.saved', JSON.stringify([
              { name: 'Customer e-mails', sql: 'SELECT email FROM silver.orders', saved_at: '2026-11-01T10:00:00Z' },
              { name: 'totals', sql: 'SELECT 1', saved_at: '2026-11-01T10:00:00Z' }
            ]))
            """);

        await page.GotoAsync("/sql");

        await Expect(page.Locator("#saved-queries li button.query-open")).ToHaveTextAsync(["Customer e-mails", "Totals", "totals (this browser)"]);
        Assert.Null(await page.EvaluateAsync<string?>("localStorage.getItem('medallion.sql.ana.saved')"));
        Assert.Equal("SELECT email FROM silver.orders", (await _served.Catalog.SavedQueries.FindAsync("ana", "Customer e-mails"))!.Sql);
        await page.ReloadAsync();
        await Expect(page.Locator("#saved-queries li")).ToHaveCountAsync(3);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Saved_queries_and_history_belong_to_the_user_who_made_them()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-saved-per-user");
        IPage page = scenario.Page;
        await page.GotoAsync("/sql");
        await page.FillAsync("#sql", "SELECT 42 AS answer");
        await page.FillAsync("#save-name", "Ana's");
        await page.ClickAsync("#save-query");
        await Expect(page.Locator("#saved-queries li")).ToHaveCountAsync(1);
        await page.ClickAsync("button[value=html]");
        await Expect(page.Locator("#query-history li")).ToHaveCountAsync(1);

        // The same browser, another user: nothing of ana's shows.
        await page.ClickAsync("button:text-is('Sign out')");
        await page.GotoAsync("/login");
        await page.FillAsync("#user", "rita");
        await page.FillAsync("#password", RitaPassword);
        await page.ClickAsync("form.login button[type=submit]");
        await Expect(page.Locator(".who")).ToContainTextAsync("rita");
        await page.GotoAsync("/sql");

        await Expect(page.Locator("#saved-empty")).ToBeVisibleAsync();
        await Expect(page.Locator("#saved-queries li")).ToHaveCountAsync(0);
        await Expect(page.Locator("#query-history li")).ToHaveCountAsync(0);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_chart_of_a_grouped_result_draws_a_bar_for_each_group_with_labelled_axes()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-chart");
        IPage page = scenario.Page;
        await RunAsync(page, "SELECT email, sum(amount) AS total FROM silver.orders GROUP BY email ORDER BY email");

        await page.ClickAsync("#result-chart summary");

        ILocator bars = page.Locator("#chart rect.bar");
        await Expect(bars).ToHaveCountAsync(2);
        await Expect(bars.Nth(1).Locator("title")).ToHaveTextAsync("b@x.com: 20");
        await Expect(page.Locator("#chart text.axis-title")).ToHaveTextAsync(["email", "total"]);
        await Expect(page.Locator("#chart text.tick-x")).ToHaveTextAsync(["a@x.com", "b@x.com"]);
        double first = (await bars.Nth(0).BoundingBoxAsync())!.Height, second = (await bars.Nth(1).BoundingBoxAsync())!.Height;
        Assert.InRange(second / first, 1.9, 2.1);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_chart_draws_a_line_over_the_columns_chosen()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-chart-line");
        IPage page = scenario.Page;
        await RunAsync(page, "SELECT order_id, amount, amount * 2 AS doubled FROM silver.orders ORDER BY order_id");
        await page.ClickAsync("#result-chart summary");

        await page.SelectOptionAsync("#chart-kind", "line");
        await page.SelectOptionAsync("#chart-y", new SelectOptionValue { Label = "doubled" });

        await Expect(page.Locator("#chart polyline.series")).ToHaveCountAsync(1);
        await Expect(page.Locator("#chart circle.point")).ToHaveCountAsync(2);
        await Expect(page.Locator("#chart circle.point title").Last).ToHaveTextAsync("2: 40");
        await Expect(page.Locator("#chart text.axis-title")).ToHaveTextAsync(["order_id", "doubled"]);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Lists_structs_and_maps_show_as_json()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-nested");
        IPage page = scenario.Page;
        await RunAsync(page, "SELECT [1, 2] AS codes, {'id': 1, 'kind': 'retail', 'tags': ['a', NULL]} AS profile, MAP {'tier': 'gold'} AS attributes, [] AS nothing");

        await Expect(page.Locator("table.result tbody td")).ToHaveTextAsync(["[1,2]", "{\"id\":1,\"kind\":\"retail\",\"tags\":[\"a\",null]}", "{\"tier\":\"gold\"}", "[]"]);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Numeric_headers_align_right_with_their_values()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-numeric-headers");
        IPage page = scenario.Page;
        await RunAsync(page, "SELECT email, amount FROM silver.orders ORDER BY order_id");

        await Expect(page.Locator("table.result th:text-is('amount')")).ToHaveCSSAsync("text-align", "right");
        await Expect(page.Locator("table.result th:text-is('email')")).ToHaveCSSAsync("text-align", "left");
        await Expect(page.Locator("table.result td.num").First).ToHaveCSSAsync("text-align", "right");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_failed_query_shows_its_error_in_the_page_and_the_browser_logs_no_error()
    {
        await using BrowserScenario scenario = await AnaAsync("sql-failed");
        IPage page = scenario.Page;
        await page.GotoAsync("/sql");
        await page.FillAsync("#sql", "SELECT * FROM silver.nowhere");

        await page.ClickAsync("button[value=html]");

        await Expect(page.Locator("#query-error")).ToContainTextAsync("Query failed");
        await Expect(page.Locator("#query-error pre")).ToContainTextAsync("silver.nowhere");
        await Expect(page.Locator("#sql")).ToHaveValueAsync("SELECT * FROM silver.nowhere");
        // FinishAsync fails on any console error or error answer.
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_page_reads_in_portuguese_on_a_phone_without_sideways_scrolling()
    {
        await _served.Catalog.SavedQueries.SaveAsync("ana", "Receita por e-mail de cliente, com o total de cada um", "SELECT email, sum(amount) FROM silver.orders GROUP BY email", null, shared: true);
        await _served.Catalog.SavedQueries.SaveAsync("rita", "Pedidos grandes", "SELECT * FROM silver.orders WHERE amount > 15", null, shared: true);
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "sql-pt-br-phone", "ana", ServedProject.OperatorPassword, locale: "pt-BR");
        IPage page = scenario.Page;
        await page.SetViewportSizeAsync(390, 844);
        await RunAsync(page, "SELECT email, sum(amount) AS total FROM silver.orders GROUP BY email ORDER BY email");
        await page.ClickAsync("#result-chart summary");
        await page.ClickAsync("li[data-table='silver.orders'] button.toggle");

        await Expect(page.Locator("#schema-panel summary")).ToHaveTextAsync("Tabelas");
        await Expect(page.Locator("#saved-panel summary")).ToHaveTextAsync("Consultas salvas");
        await Expect(page.Locator("#history-panel summary")).ToHaveTextAsync("Histórico");
        await Expect(page.Locator("#result-chart summary")).ToHaveTextAsync("Gráfico");
        await Expect(page.Locator("#save-query")).ToHaveTextAsync("Salvar consulta");
        await Expect(page.Locator("label.check")).ToHaveTextAsync("Compartilhar com todos");
        await Expect(page.Locator("#saved-queries .query-shared")).ToHaveTextAsync("compartilhada");
        await Expect(page.Locator("#saved-queries .query-owner")).ToHaveTextAsync("por rita");
        await Expect(page.Locator("#saved-note")).ToHaveTextAsync("Ficam no servidor: acompanham você em qualquer navegador, e as que você compartilha qualquer usuário conectado pode abrir.");
        await Expect(page.Locator("#history-note")).ToHaveTextAsync("O histórico fica só neste navegador.");
        await Expect(page.Locator("#chart rect.bar")).ToHaveCountAsync(2);
        await Expect(page.Locator("li[data-table='silver.orders'] li.column")).ToHaveCountAsync(3);
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), "the page scrolls sideways at 390 px");
        await scenario.FinishAsync();
    }

    /// <summary>Opens the SQL page and runs <paramref name="sql"/> on it.</summary>
    private static async Task RunAsync(IPage page, string sql)
    {
        await page.GotoAsync("/sql");
        await page.FillAsync("#sql", sql);
        await page.ClickAsync("button[value=html]");
    }

    private Task<BrowserScenario> AnaAsync(string name) =>
        BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, name, "ana", ServedProject.OperatorPassword);
}
