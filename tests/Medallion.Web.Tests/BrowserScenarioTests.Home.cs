using System.Globalization;
using Medallion.Catalog;
using Medallion.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>The home page's panels of broken quality rules and of tables past their freshness.</summary>
public sealed partial class BrowserScenarioTests
{
    [Fact]
    public async Task A_rule_broken_by_two_runs_is_listed_once_with_when_it_broke_and_its_last_run()
    {
        QualityResultRecord first = (await _served.Catalog.Quality.GetQualityResultsAsync(_served.FirstRun.RunId)).Single(q => q.Rule.StartsWith("accepted_values", StringComparison.Ordinal));
        QualityResultRecord again = first with { RunId = "run-that-broke-it-again", FailingRows = 5, CheckedAt = first.CheckedAt.AddMinutes(30) };
        await _served.Catalog.Quality.RecordQualityResultAsync(again);
        await using BrowserScenario scenario = await SignedInAsync("home-broken-rules", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;

        await page.GotoAsync("/");

        ILocator row = page.Locator("table.broken tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync(first.Rule);
        await Expect(row.Locator("td.num")).ToHaveTextAsync("5");
        await Expect(row.Locator("td").Nth(4).Locator("time")).ToHaveAttributeAsync("datetime", Iso(first.CheckedAt));
        await Expect(row.Locator("td").Nth(5).Locator("a")).ToHaveAttributeAsync("href", "/runs/run-that-broke-it-again");
        await Expect(row.Locator("td").Nth(5).Locator("time")).ToHaveAttributeAsync("datetime", Iso(again.CheckedAt));
        await scenario.FinishAsync();
    }

    [Theory]
    [InlineData("en-US", "No table has a freshness rule.")]
    [InlineData("pt-BR", "Nenhuma tabela tem regra de atualização.")]
    public async Task Without_any_freshness_rule_the_freshness_panel_says_so(string locale, string text)
    {
        await using BrowserScenario scenario = await SignedInAsync("home-no-freshness-" + locale, "ana", ServedProject.OperatorPassword, locale);
        IPage page = scenario.Page;

        await page.GotoAsync("/");

        await Expect(page.Locator("section[aria-labelledby=stale] p")).ToHaveTextAsync(text);
        await Expect(page.Locator("table.stale")).ToHaveCountAsync(0);
        await scenario.FinishAsync();
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
