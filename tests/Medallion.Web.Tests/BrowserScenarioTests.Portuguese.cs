using System.Text.RegularExpressions;
using Medallion.Server.Tests;
using Medallion.Server.Web;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>The pages in Brazilian Portuguese: no text of the UI left in English, run logs included.</summary>
public sealed partial class BrowserScenarioTests
{
    // Every text a person reads or hears: the text of the page, and the names, hints and tooltips of its elements.
    private const string ReadTexts = """
        () => {
          const texts = [];
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (node.parentElement.closest('textarea, pre.error, td.error, code')) continue;
            texts.push(node.textContent.trim());
          }
          document.body.querySelectorAll('[aria-label], [title], [placeholder]').forEach(element => {
            ['aria-label', 'title', 'placeholder'].forEach(name => { if (element.hasAttribute(name)) texts.push(element.getAttribute(name).trim()); });
          });
          return texts.filter(text => text.length > 0);
        }
        """;

    [Fact]
    public async Task Every_page_in_portuguese_shows_no_text_of_the_ui_in_english()
    {
        HashSet<string> english = [.. WebText.TranslatedEnglish.Select(text => text.Trim())];
        string[] paths =
        [
            "/", "/jobs", "/runs", Medallion.Server.Web.PageContext.RunUrl(_served.FirstRun.RunId), "/catalog", "/catalog?q=orders",
            "/tables/silver.orders", "/tables/silver.orders?column=email", "/lineage", "/sources", "/sql",
        ];
        await using BrowserScenario scenario = await SignedInAsync("pt-br-every-page", "ana", ServedProject.OperatorPassword, "pt-BR");
        var left = new List<string>();

        foreach (string path in paths)
        {
            await scenario.Page.GotoAsync(path);
            string[] texts = await scenario.Page.EvaluateAsync<string[]>(ReadTexts);
            left.AddRange(texts.Where(english.Contains).Distinct().Select(text => $"{path}: '{text}'"));
        }

        Assert.True(left.Count == 0, "left in English: " + string.Join("; ", left));
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_run_log_in_portuguese_translates_its_fixed_words_and_keeps_the_names()
    {
        await using BrowserScenario scenario = await SignedInAsync("pt-br-run-log", "ana", ServedProject.OperatorPassword, "pt-BR");
        IPage page = scenario.Page;
        await page.GotoAsync("/jobs");

        await page.ClickAsync("tr[data-job=nightly] button:text-is('Disparar')");

        await Expect(page).ToHaveURLAsync(new Regex("/runs/[0-9a-f-]+$"));
        await Expect(page.Locator("#log")).ToContainTextAsync("tentativa 1 iniciada", new() { Timeout = 30_000 });
        await Expect(page.Locator("#run-status .state-succeeded")).ToHaveTextAsync("sucesso", new() { Timeout = 60_000 });
        await Expect(page.Locator("#log .end")).ToContainTextAsync("Execução concluída com sucesso");
        await Expect(page.Locator("#log")).ToContainTextAsync("modelo gold.revenue: etapa concluída");
        await Expect(page.Locator("#log")).Not.ToContainTextAsync("gold.revenue: modelo gold.revenue");
        await Expect(page.Locator("#log")).Not.ToContainTextAsync("attempt");
        await Expect(page.Locator("dl.facts")).ToContainTextAsync("API");
        await scenario.FinishAsync();
    }
}
