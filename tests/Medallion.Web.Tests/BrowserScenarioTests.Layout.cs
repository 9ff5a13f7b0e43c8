using Medallion.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>How the pages fit their screen: nothing scrolls sideways on a phone, and opened panels do not stretch tables.</summary>
public sealed partial class BrowserScenarioTests
{
    private const string PageWidth = "[document.documentElement.scrollWidth, window.innerWidth]";

    [Fact]
    public async Task No_page_scrolls_sideways_on_a_phone()
    {
        (string Name, string Path)[] pages =
        [
            ("home", "/"),
            ("runs", "/runs"),
            ("a run", Medallion.Server.Web.PageContext.RunUrl(_served.FirstRun.RunId)),
            ("jobs", "/jobs"),
            ("catalog", "/catalog"),
            ("a table", "/tables/silver.orders"),
            ("a column", "/tables/silver.orders?column=email"),
            ("lineage", "/lineage"),
            ("lineage with a selection to run", "/lineage?select=" + Uri.EscapeDataString("+gold.revenue")),
            ("sources", "/sources"),
            ("SQL with a result", "/sql?q=" + Uri.EscapeDataString("SELECT order_id, email, amount, email || email || email AS long_text, 1234567890 AS big FROM silver.orders")),
        ];
        await using BrowserScenario signedOut = await OpenAsync("phone-login", viewport: BrowserScenario.Phone);
        await signedOut.Page.GotoAsync("/login");
        var tooWide = new List<string>();
        await CheckWidthAsync(signedOut.Page, "login", tooWide);
        await signedOut.FinishAsync();
        await using BrowserScenario scenario = await SignedInAsync("phone", "ana", ServedProject.OperatorPassword, viewport: BrowserScenario.Phone);

        foreach ((string name, string path) in pages)
        {
            await scenario.Page.GotoAsync(path);
            if (name.StartsWith("SQL", StringComparison.Ordinal))
            {
                await scenario.Page.ClickAsync("button[value=html]");
                await Expect(scenario.Page.Locator("table.result")).ToBeVisibleAsync();
            }

            await CheckWidthAsync(scenario.Page, name, tooWide);
        }

        Assert.True(tooWide.Count == 0, "wider than a 390 px phone: " + string.Join("; ", tooWide));
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Opening_a_jobs_trigger_and_backfill_panels_leaves_the_jobs_table_as_wide_as_before()
    {
        await using BrowserScenario scenario = await SignedInAsync("jobs-panels", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;
        await page.GotoAsync("/jobs");
        ILocator table = page.Locator("table.jobs");
        double before = (await table.BoundingBoxAsync())!.Width;
        ILocator row = page.Locator("tr[data-job=nightly]");

        await row.Locator("details.trigger-variables summary").ClickAsync();
        await row.Locator("details.backfill summary").ClickAsync();
        await row.Locator("input[name=from]").FillAsync("2026-01-01");
        await row.Locator("input[name=to]").FillAsync("2026-01-05");
        await row.Locator("button[data-backfill=preview]").ClickAsync();
        await Expect(row.Locator(".backfill-preview tbody tr")).ToHaveCountAsync(4);

        Assert.Equal(before, (await table.BoundingBoxAsync())!.Width, precision: 0);
        int[] width = await page.EvaluateAsync<int[]>(PageWidth);
        Assert.True(width[0] <= width[1], $"the page is {width[0]} px wide in a {width[1]} px window");
        await scenario.FinishAsync();
    }

    // The element that makes a page too wide: from the body down, the child without which the page fits, as a path.
    private const string Overflowing = """
        () => {
          const fits = () => document.documentElement.scrollWidth <= window.innerWidth;
          const name = e => e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '');
          const path = [];
          for (let at = document.body; at; ) {
            let culprit = null;
            for (const child of at.children) {
              const display = child.style.display;
              child.style.display = 'none';
              const without = fits();
              child.style.display = display;
              if (without) { culprit = child; break; }
            }
            if (!culprit) break;
            path.push(name(culprit));
            at = culprit;
          }
          return path.join(' > ');
        }
        """;

    private static async Task CheckWidthAsync(IPage page, string name, List<string> tooWide)
    {
        int[] width = await page.EvaluateAsync<int[]>(PageWidth);
        if (width[0] > width[1])
        {
            string culprit = await page.EvaluateAsync<string>(Overflowing);
            tooWide.Add($"{name} is {width[0]} px wide ({culprit})");
        }
    }
}
