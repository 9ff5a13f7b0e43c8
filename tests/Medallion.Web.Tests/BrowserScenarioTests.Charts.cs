using System.Text.RegularExpressions;
using Medallion.Catalog;
using Medallion.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>The table page's charts of rows and size over the versions, and their axes.</summary>
public sealed partial class BrowserScenarioTests
{
    [Fact]
    public async Task The_rows_chart_of_versions_within_a_day_labels_its_times_in_hours_and_its_counts_with_separators()
    {
        await RecordLaterVersionsAsync(TimeSpan.FromHours(2));
        await using BrowserScenario scenario = await SignedInAsync("chart-hours", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;

        await page.GotoAsync("/tables/silver.orders");

        ILocator chart = page.Locator("svg#chart-rows");
        await Expect(chart.Locator("text.tick.value")).ToHaveTextAsync(["2", "6,173", "12,345"]);
        await Expect(chart.Locator("text.tick.time")).ToHaveCountAsync(3);
        foreach (string time in await chart.Locator("text.tick.time").AllTextContentsAsync())
        {
            Assert.Matches(HourAndMinute(), time);
        }

        await Expect(chart.Locator("text.axis-title").First).ToHaveTextAsync("rows");
        await Expect(chart.Locator("text.axis-title").Last).ToContainTextAsync("time of day");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_rows_chart_of_versions_over_days_labels_its_dates_and_counts_in_portuguese()
    {
        await RecordLaterVersionsAsync(TimeSpan.FromDays(2));
        await using BrowserScenario scenario = await SignedInAsync("chart-days-pt-br", "ana", ServedProject.OperatorPassword, "pt-BR");
        IPage page = scenario.Page;

        await page.GotoAsync("/tables/silver.orders");

        ILocator chart = page.Locator("svg#chart-rows");
        await Expect(chart.Locator("text.tick.value")).ToHaveTextAsync(["2", "6.173", "12.345"]);
        foreach (string date in await chart.Locator("text.tick.time").AllTextContentsAsync())
        {
            Assert.Matches(BrazilianDate(), date);
        }

        await Expect(chart.Locator("text.axis-title").First).ToHaveTextAsync("linhas");
        await Expect(chart.Locator("text.axis-title").Last).ToHaveTextAsync("data (UTC)");
        await scenario.FinishAsync();
    }

    /// <summary>Records two later versions of silver.orders (1,500 then 12,345 rows), <paramref name="step"/> apart, as runs would.</summary>
    private async Task RecordLaterVersionsAsync(TimeSpan step)
    {
        TableName orders = TableName.Parse("silver.orders");
        TableVersionRecord built = (await _served.Catalog.Tables.GetTableHistoryAsync(orders)).Single();
        await _served.Catalog.Tables.RecordTableVersionAsync(built with { Version = built.Version + 1, RowCount = 1500, CommittedAt = built.CommittedAt + step });
        await _served.Catalog.Tables.RecordTableVersionAsync(built with { Version = built.Version + 2, RowCount = 12345, CommittedAt = built.CommittedAt + (2 * step) });
    }

    [GeneratedRegex(@"^\d\d:\d\d$")]
    private static partial Regex HourAndMinute();

    [GeneratedRegex(@"^\d\d/\d\d/\d{4}$")]
    private static partial Regex BrazilianDate();
}
