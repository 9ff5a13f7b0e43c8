using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Medallion.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>A backfill's own pages: the list with each one's progress, and one backfill's intervals followed live and cancelled.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BackfillPageTests : IAsyncLifetime
{
    // Long enough for any machine: the page follows runs that wait for a busy scheduler.
    private static readonly LocatorAssertionsToHaveTextOptions s_patient = new() { Timeout = 120_000 };

    private ServedProject _served = null!;
    private LaunchedChromium _chromium = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync(later: SlicedBackfillProject.Define);
        _chromium = await LaunchedChromium.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _served.DisposeAsync();
    }

    [Fact]
    public async Task A_running_backfills_page_follows_its_intervals_without_a_reload_and_an_operator_cancels_it_there()
    {
        string id = await StartBackfillAsync("2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z");
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "backfill-live", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;

        await page.GotoAsync($"/backfills/{id}");

        await Expect(page.Locator("h1")).ToHaveTextAsync($"Backfill {id}");
        await Expect(page.Locator("#backfill-progress")).ToHaveTextAsync(new Regex("^1 of 3 intervals done: 1 succeeded, .*; 1 running, 1 queued\\.$"), new() { Timeout = 120_000 });
        await Expect(page.Locator("table.intervals tbody tr")).ToHaveCountAsync(3);
        await page.ClickAsync("button:text-is('Cancel backfill')");

        await Expect(page.Locator("#backfill-status")).ToHaveTextAsync("cancelled", s_patient);
        await Expect(page.Locator("#backfill-progress")).ToHaveTextAsync("3 of 3 intervals done: 1 succeeded, 0 failed, 2 cancelled, 0 kept (had run); 0 running, 0 queued.");
        await Expect(page.Locator("table.intervals tbody tr td:nth-child(4)")).ToHaveTextAsync(["succeeded", "cancelled", "cancelled"]);
        await Expect(page.Locator("button:text-is('Cancel backfill')")).ToHaveCountAsync(0);
        await Expect(page.Locator("table.intervals tbody tr").First.Locator("a")).ToHaveAttributeAsync("href", new Regex("^/runs/"));
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_list_of_backfills_in_portuguese_fits_a_phone_and_links_each_backfill_and_its_job()
    {
        string id = await StartBackfillAsync("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "backfills-pt-br-phone", "vic", ServedProject.ViewerPassword, locale: "pt-BR");
        IPage page = scenario.Page;
        await page.SetViewportSizeAsync(390, 844);

        await page.GotoAsync("/runs");
        await page.ClickAsync("main a:text-is('Reprocessamentos')");

        await Expect(page.Locator("h1")).ToHaveTextAsync("Reprocessamentos");
        ILocator row = page.Locator("table.backfills tbody tr", new() { HasText = id });
        await Expect(row).ToContainTextAsync("sucesso", new() { Timeout = 120_000 });
        await Expect(row.Locator(".progress")).ToHaveAttributeAsync("aria-label", "1 de 1 intervalos concluídos: 1 com sucesso, 0 com falha, 0 cancelados, 0 mantidos (já executados); 0 em execução, 0 na fila.");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the list of backfills scrolls sideways at 390 px");
        await row.Locator("a:text-is('sliced')").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Reprocessamentos de sliced");
        await row.Locator($"a[href='/backfills/{id}']").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync($"Reprocessamento {id}");
        await Expect(page.Locator("button:text-is('Cancelar reprocessamento')")).ToHaveCountAsync(0);
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "a backfill's page scrolls sideways at 390 px");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_backfill_runs_page_names_its_interval_and_links_back_to_its_backfill()
    {
        string id = await StartBackfillAsync("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "backfill-run-link", "vic", ServedProject.ViewerPassword);
        IPage page = scenario.Page;
        await page.GotoAsync($"/backfills/{id}");
        await Expect(page.Locator("#backfill-status")).ToHaveTextAsync("succeeded", s_patient);

        await page.Locator("table.intervals tbody tr").First.Locator("a[href^='/runs/']").ClickAsync();

        await Expect(page.Locator("#run-backfill a")).ToHaveAttributeAsync("href", $"/backfills/{id}");
        await Expect(page.Locator("#run-backfill time")).ToHaveCountAsync(2);
        await page.ClickAsync("#run-backfill a");
        await Expect(page.Locator("h1")).ToHaveTextAsync($"Backfill {id}");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task An_unknown_backfill_is_a_not_found_page_that_names_it_as_text_not_markup()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("vic", ServedProject.ViewerPassword);

        (HttpStatusCode status, string html) = await session.GetAsync("/backfills/" + Uri.EscapeDataString("<b>nope"));

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("There is no backfill &lt;b&gt;nope.", html, StringComparison.Ordinal);
    }

    private async Task<string> StartBackfillAsync(string from, string to)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/sliced/backfill") { Content = JsonContent.Create(new { from, to }) };
        request.Headers.Authorization = ServedProject.Basic("ana", ServedProject.OperatorPassword);
        using HttpResponseMessage response = await _served.Http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("backfill").GetProperty("id").GetString()!;
    }
}
