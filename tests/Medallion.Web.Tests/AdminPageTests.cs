using System.Net;
using System.Net.Http.Headers;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>
/// The admin page in Chromium, as the admin ana: users, grants and tokens made there work at once (sign-in, the SQL
/// page, the REST API with Bearer); rita, neither admin nor granted anything, is refused it and has no link to it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AdminPageTests : IAsyncLifetime
{
    private const string RitaPassword = "rita-secret";
    private ServedProject _served = null!;
    private LaunchedChromium _chromium = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        await _served.Catalog.Identity.SetUserAsync("rita", PgUserStore.CreateScramVerifier(RitaPassword));
        _chromium = await LaunchedChromium.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _served.DisposeAsync();
    }

    [Fact]
    public async Task A_user_the_admin_adds_on_the_page_can_sign_in_with_the_role_given()
    {
        await using BrowserScenario scenario = await AnaAsync("admin-add-user");
        IPage page = scenario.Page;
        await page.ClickAsync("header nav a[href='/admin']");
        ILocator form = page.Locator("#add-user");
        await form.Locator("input[name=name]").FillAsync("nora");
        await form.Locator("input[name=password]").FillAsync("nora-secret");
        await form.Locator("select[name=roles]").First.SelectOptionAsync("operator");

        await form.Locator("button[type=submit]").ClickAsync();

        await Expect(page.Locator("table.admin-users tr[data-user=nora]")).ToContainTextAsync("operator");
        await scenario.FinishAsync();
        await using BrowserScenario nora = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "admin-added-user-signed-in", "nora", "nora-secret");
        await Expect(nora.Page.Locator(".who")).ToContainTextAsync("(operator)");
        await Expect(nora.Page.Locator("header nav a[href='/admin']")).ToHaveCountAsync(0);
        await nora.FinishAsync();
    }

    [Fact]
    public async Task Adding_a_user_whose_name_is_taken_says_so_beside_the_form_in_portuguese_and_keeps_their_password()
    {
        DateTimeOffset updated = (await _served.Catalog.Identity.FindUserAsync("rita"))!.UpdatedAt;
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "admin-user-taken", "ana", ServedProject.OperatorPassword, locale: "pt-BR");
        IPage page = scenario.Page;
        await page.GotoAsync("/admin");
        ILocator form = page.Locator("#add-user");
        await form.Locator("input[name=name]").FillAsync("rita");
        await form.Locator("input[name=password]").FillAsync("another-secret");

        await form.Locator("button[type=submit]").ClickAsync();

        await Expect(page.Locator("#add-user + p.notice")).ToHaveTextAsync("Não foi feito: Já existe o usuário rita: a API trocaria a senha dele. Escolha outro nome.");
        Assert.Equal(updated, (await _served.Catalog.Identity.FindUserAsync("rita"))!.UpdatedAt);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_grant_made_on_the_page_lets_a_user_without_one_read_the_table_on_the_sql_page()
    {
        await using BrowserScenario ana = await AnaAsync("admin-grant");
        IPage page = ana.Page;
        await page.GotoAsync("/admin");
        ILocator form = page.Locator("#grant");
        await form.Locator("select[name=privilege]").SelectOptionAsync("select");
        await form.Locator("input[name=object]").FillAsync("silver.orders");
        await form.Locator("input[name=grantee]").FillAsync("rita");

        await form.Locator("button[type=submit]").ClickAsync();

        await Expect(page.Locator("table.admin-grants tr", new() { HasText = "rita" })).ToContainTextAsync("select on silver.orders");
        await ana.FinishAsync();
        await using BrowserScenario rita = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "admin-granted-sql", "rita", RitaPassword);
        await rita.Page.GotoAsync("/sql");
        await rita.Page.FillAsync("#sql", "SELECT order_id FROM silver.orders ORDER BY order_id");
        await rita.Page.ClickAsync("button[value=html]");
        await Expect(rita.Page.Locator("#query-summary")).ToContainTextAsync("2 rows");
        await rita.FinishAsync();
    }

    [Fact]
    public async Task A_token_created_on_the_page_is_shown_once_works_with_bearer_and_is_refused_once_revoked()
    {
        await using BrowserScenario scenario = await AnaAsync("admin-token");
        IPage page = scenario.Page;
        await page.GotoAsync("/admin#tokens");
        await page.Locator("#create-token select[name=user]").SelectOptionAsync("rita");
        await page.ClickAsync("#create-token button[type=submit]");
        await Expect(page.Locator("#token-secret")).ToBeVisibleAsync();
        string secret = await page.Locator("#token-secret-value").InnerTextAsync();
        Assert.Equal(HttpStatusCode.OK, await GetJobsWithAsync(secret));

        await page.ClickAsync("#token-secret button[data-reload]");
        await Expect(page.Locator("#token-secret")).ToBeHiddenAsync();
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        ILocator row = page.Locator("table.admin-tokens tr", new() { HasText = "rita" });
        await Expect(row).ToHaveCountAsync(1);
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await row.Locator("button[data-method=DELETE]").ClickAsync();

        await Expect(row).ToContainTextAsync("revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, await GetJobsWithAsync(secret));
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_user_who_is_not_an_admin_is_refused_the_page_and_sees_no_link_to_it()
    {
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "admin-refused", "rita", RitaPassword);
        IPage page = scenario.Page;

        IAPIResponse refused = await page.Context.APIRequest.GetAsync("/admin");

        Assert.Equal(403, refused.Status);
        Assert.DoesNotContain("add-user", await refused.TextAsync(), StringComparison.Ordinal);
        await Expect(page.Locator("header nav a")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("header nav a[href='/admin']")).ToHaveCountAsync(0);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_page_reads_in_portuguese()
    {
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "admin-pt-br", "ana", ServedProject.OperatorPassword, locale: "pt-BR");
        IPage page = scenario.Page;

        await page.ClickAsync("header nav a[href='/admin']");

        await Expect(page.Locator("h1")).ToHaveTextAsync("Administração");
        await Expect(page.Locator("#users h2")).ToHaveTextAsync("Usuários");
        await Expect(page.Locator("#grants h2")).ToHaveTextAsync("Permissões");
        await Expect(page.Locator("#create-token button[type=submit]")).ToHaveTextAsync("Criar token");
        string text = await page.Locator("main").InnerTextAsync();
        foreach (string english in (string[])["Add user", "Row filters", "Create role", "Server role", "Last used"])
        {
            Assert.DoesNotContain(english, text, StringComparison.Ordinal);
        }

        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_page_does_not_scroll_sideways_on_a_phone()
    {
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "admin-phone", "ana", ServedProject.OperatorPassword, viewport: BrowserScenario.Phone);
        IPage page = scenario.Page;

        await page.GotoAsync("/admin");

        await Expect(page.Locator("#tokens h2")).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the admin page scrolls sideways at 390 px");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_forged_request_without_the_anti_forgery_token_adds_no_user()
    {
        await using BrowserScenario scenario = await AnaAsync("admin-forged");
        IPage page = scenario.Page;
        await page.GotoAsync("/admin");

        IAPIResponse forged = await page.Context.APIRequest.PostAsync("/api/users", new()
        {
            DataObject = new { name = "mallory", password = "mallory-secret", admin = true },
        });

        Assert.Equal(400, forged.Status);
        Assert.Contains("anti-forgery", await forged.TextAsync(), StringComparison.Ordinal);
        Assert.Null(await _served.Catalog.Identity.FindUserAsync("mallory"));
        await scenario.FinishAsync();
    }

    private async Task<HttpStatusCode> GetJobsWithAsync(string secret)
    {
        using var client = new HttpClient { BaseAddress = _served.Server.HttpAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using HttpResponseMessage response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private Task<BrowserScenario> AnaAsync(string name) =>
        BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, name, "ana", ServedProject.OperatorPassword);
}
