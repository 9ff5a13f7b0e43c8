using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>
/// A run's page in Chromium while the run goes on: its state, models, timeline and attempts follow the run without a
/// reload, and its log filters and ends by the run's state. Runs are held where the test wants them by an HTTP API source
/// whose answers wait for the test (<see cref="ReleaseAnswer"/>), or by a model that runs until it is cancelled.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RunPageTests : IAsyncLifetime
{
    private const string BrokenValue = "Could not convert string 'x' to INT32";

    /// <summary>Each answer of the API waits for one release, so a run stays running on its source step until the test lets it go.</summary>
    private readonly SemaphoreSlim _answers = new(0);
    private readonly ApiServer _api;
    private ServedProject _served = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public RunPageTests()
    {
        _api = new ApiServer(_ =>
        {
            _answers.Wait(TimeSpan.FromMinutes(2));
            return ApiAnswer.Json("{\"items\":[{\"id\":1},{\"id\":2}]}");
        });
    }

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync(later: files => files
            .Write("sources/feeds.yml", $"sources:\n  - name: left\n    url: {_api.BaseUrl}/left\n    records: items\n    target: bronze.left\n  - name: right\n    url: {_api.BaseUrl}/right\n    records: items\n    target: bronze.right\n")
            .Write("models/silver/broken.sql", "SELECT CAST('x' AS INTEGER) AS n FROM bronze.orders\n")
            .Write("models/silver/slow.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3\n")
            .Write("jobs/watched.yml", """
                jobs:
                  - name: feed
                    sources: [left]
                    max_active_runs: 1
                  - name: pair
                    sources: [left, right]
                  - name: broken
                    select: silver.broken
                  - name: slow
                    select: silver.slow
                """));
        _playwright = await Playwright.CreateAsync();
        _browser = await BrowserScenario.LaunchAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        _answers.Release(100);
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _served.DisposeAsync();
        _api.Dispose();
        _answers.Dispose();
    }

    [Fact]
    public async Task A_run_queued_while_its_page_is_open_goes_to_running_and_succeeded_with_its_models_filled_in_without_a_reload()
    {
        string ahead = await _served.TriggerAsync("feed");
        await AnswersAskedAsync(1);
        string watched = await _served.TriggerAsync("feed");
        await using BrowserScenario scenario = await SignedInAsync("run-live");
        IPage page = scenario.Page;
        await page.GotoAsync($"/runs/{watched}");
        await Expect(page.Locator("#run-status .state-queued")).ToBeVisibleAsync();
        await page.EvaluateAsync("() => { window.notReloaded = true; }");

        ReleaseAnswer();
        await _served.EndedAsync(ahead);
        await AnswersAskedAsync(2);

        await Expect(page.Locator("#run-status .state-running")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.Locator("table.models tr[data-model='bronze.left'] .state.state-running")).ToBeVisibleAsync();
        await Expect(page.Locator("table.attempts tbody tr")).ToHaveCountAsync(1);
        ReleaseAnswer();
        await Expect(page.Locator("#run-status .state-succeeded")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        ILocator row = page.Locator("table.models tr[data-model='bronze.left']");
        await Expect(row.Locator(".state.state-succeeded")).ToBeVisibleAsync();
        await Expect(row.Locator("td.num").First).ToHaveTextAsync("2");
        await Expect(page.Locator("table.attempts tbody tr .state-succeeded")).ToBeVisibleAsync();
        await Expect(page.Locator("#run-live button.danger")).ToHaveCountAsync(0);
        await Expect(page.Locator("#run-live button:text-is('Retry')")).ToBeVisibleAsync();
        await Expect(page.Locator("#run-live")).Not.ToHaveAttributeAsync("data-live", new Regex("."));
        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"), "the page was reloaded");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_timeline_draws_models_that_ran_side_by_side_as_overlapping_bars()
    {
        string run = await _served.TriggerAsync("pair");
        await AnswersAskedAsync(2);
        ReleaseAnswer(2);
        await _served.EndedAsync(run);
        await using BrowserScenario scenario = await SignedInAsync("run-timeline");
        IPage page = scenario.Page;

        await page.GotoAsync($"/runs/{run}");

        LocatorBoundingBoxResult left = (await page.Locator("tr[data-model='bronze.left'] .gantt-bar").BoundingBoxAsync())!;
        LocatorBoundingBoxResult right = (await page.Locator("tr[data-model='bronze.right'] .gantt-bar").BoundingBoxAsync())!;
        Assert.True(left.X < right.X + right.Width && right.X < left.X + left.Width, $"the bars do not overlap: {left.X}+{left.Width} and {right.X}+{right.Width}");
        LocatorBoundingBoxResult track = (await page.Locator("tr[data-model='bronze.left'] .gantt-track").BoundingBoxAsync())!;
        Assert.True(left.Width > track.Width / 4, $"a bar of a model that took most of the run is {left.Width} of {track.Width} px wide");
        await Expect(page.Locator("tr[data-model='bronze.left'] .gantt-bar.state-succeeded")).ToHaveAttributeAsync("title", new Regex(@"^starts at \+[\d.,]+ m?s, takes [\d.,]+ m?s$"));
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task The_log_filters_by_model_and_by_level_the_lines_it_has_and_those_streamed_later()
    {
        string run = await _served.TriggerAsync("feed");
        await AnswersAskedAsync(1);
        await using BrowserScenario scenario = await SignedInAsync("run-log-filters");
        IPage page = scenario.Page;
        await page.GotoAsync($"/runs/{run}");
        await Expect(page.Locator("#log .line[data-model='bronze.left']")).ToHaveCountAsync(1);
        await page.SelectOptionAsync("#log-model", "bronze.left");

        ReleaseAnswer();

        await Expect(page.Locator("#log .line.end")).ToHaveTextAsync("Run succeeded");
        await Expect(page.Locator("#log .line:not(.end):visible", new() { HasText = "source bronze.left succeeded: 2 rows" })).ToHaveCountAsync(1);
        await Expect(page.Locator("#log .line:not(.end):not([data-model='bronze.left']):visible")).ToHaveCountAsync(0);
        await Expect(page.Locator("#log-hidden")).ToContainTextAsync("lines hidden by the filters:");
        await page.SelectOptionAsync("#log-model", string.Empty);
        await page.SelectOptionAsync("#log-level", "warning");
        await Expect(page.Locator("#log .line:not(.end):visible")).ToHaveCountAsync(0);
        await Expect(page.Locator("#log .line.end")).ToBeVisibleAsync();
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_cancelled_run_s_page_ends_its_log_with_a_cancelled_line_and_no_green_one()
    {
        string run = await _served.TriggerAsync("slow");
        await using BrowserScenario scenario = await SignedInAsync("run-cancelled");
        IPage page = scenario.Page;
        await page.GotoAsync($"/runs/{run}");
        await Expect(page.Locator("table.models tr[data-model='silver.slow'] .state.state-running")).ToBeVisibleAsync(new() { Timeout = 60_000 });

        await page.ClickAsync("#run-live button.danger");

        await Expect(page.Locator("#log .line.end")).ToHaveTextAsync("Run cancelled", new() { Timeout = 60_000 });
        await Expect(page.Locator("#run-status .state-cancelled")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        string endColour = await page.Locator("#log .line.end").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        Assert.Equal(await page.Locator("#run-status .state").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor"), endColour);
        Assert.NotEqual("rgb(31, 122, 58)", endColour);
        await Expect(page.Locator("table.models tr[data-model='silver.slow'] .state.state-cancelled")).ToBeVisibleAsync();
        await Expect(page.Locator("#run-live button.danger")).ToHaveCountAsync(0);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_failed_model_s_error_is_shown_once_without_a_repeated_prefix_and_the_log_ends_failed()
    {
        await using BrowserScenario scenario = await BrokenRunPageAsync("run-failed");
        IPage page = scenario.Page;

        await Expect(page.Locator("#log .line.end.state-failed")).ToHaveTextAsync("Run failed");
        string log = await page.Locator("#log").InnerTextAsync();
        Assert.Equal(1, Regex.Count(log, Regex.Escape(BrokenValue)));
        Assert.Matches(@"MDL6101: models/silver/broken\.sql(:\d+:\d+)?: model silver\.broken failed in DuckDB", log);
        Assert.Contains("attempt 1 failed at silver.broken (not transient, so not retried)", log, StringComparison.Ordinal);
        string main = await page.Locator("main").InnerTextAsync();
        Assert.DoesNotContain("silver.broken: silver.broken", main, StringComparison.Ordinal);
        Assert.DoesNotContain("silver.broken: model silver.broken", main, StringComparison.Ordinal);
        await Expect(page.Locator("#run-error")).ToHaveTextAsync(new Regex(@"^MDL6101: models/silver/broken\.sql(:\d+:\d+)?: model silver\.broken failed in DuckDB: Conversion Error"));
        // Once in the log, once above it as the run's error; the model's row and the attempt's point to that.
        Assert.Equal(2, Regex.Count(main, Regex.Escape(BrokenValue)));
        await Expect(page.Locator("tr.model-error[data-model='silver.broken']")).ToHaveTextAsync("the run's error, above");
        await Expect(page.Locator("table.attempts td.error")).ToHaveTextAsync("the run's error, above");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_failed_run_s_page_speaks_portuguese_its_timeline_filters_and_end_line_included()
    {
        await using BrowserScenario scenario = await BrokenRunPageAsync("run-failed-pt-br", locale: "pt-BR");
        IPage page = scenario.Page;

        await Expect(page.Locator("#log .line.end")).ToHaveTextAsync("A execução falhou");
        await Expect(page.Locator("table.models th.gantt-head")).ToContainTextAsync("Linha do tempo");
        await Expect(page.Locator("label[for=log-model]")).ToHaveTextAsync("Modelo");
        await Expect(page.Locator("label[for=log-level]")).ToHaveTextAsync("Nível");
        await Expect(page.Locator("#log-model option[value='']")).ToHaveTextAsync("Todos os modelos");
        await Expect(page.Locator("#log-level option[value=warning]")).ToHaveTextAsync("Avisos e erros");
        await Expect(page.Locator("tr.model-error[data-model='silver.broken']")).ToHaveTextAsync("o erro da execução, acima");
        await Expect(page.Locator("tr[data-model='bronze.orders'] .gantt-bar")).ToHaveAttributeAsync("title", new Regex(@"^começa em \+[\d.,]+ m?s, leva [\d.,]+ m?s$"));
        await page.SelectOptionAsync("#log-level", "error");
        await Expect(page.Locator("#log-hidden")).ToContainTextAsync("linhas ocultas pelos filtros:");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_failed_run_s_page_fits_a_phone_without_sideways_scrolling()
    {
        await using BrowserScenario scenario = await BrokenRunPageAsync("run-failed-390", width: 390);
        IPage page = scenario.Page;

        await Expect(page.Locator("#log .line.end")).ToBeVisibleAsync();
        string wider = await page.EvaluateAsync<string>(
            "() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('table.attempts, pre.log')).map(e => e.tagName + '.' + e.className).join(', ')");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 390 px: " + wider);
        LocatorBoundingBoxResult bar = (await page.Locator("tr[data-model='silver.broken'] .gantt-bar").BoundingBoxAsync())!;
        Assert.True(bar.X + bar.Width <= 390, $"the timeline's bar ends at {bar.X + bar.Width} px");
        await scenario.FinishAsync();
    }

    private Task<BrowserScenario> SignedInAsync(string name, string locale = "en-US") =>
        BrowserScenario.SignedInAsync(_browser, _served.Server.HttpAddress, name, "ana", ServedProject.OperatorPassword, locale);

    /// <summary>The page of a run of the job whose model fails, opened after the run ended, in a window <paramref name="width"/> pixels wide.</summary>
    private async Task<BrowserScenario> BrokenRunPageAsync(string name, string locale = "en-US", int width = 1280)
    {
        string run = await _served.TriggerAsync("broken");
        await _served.EndedAsync(run);
        BrowserScenario scenario = await SignedInAsync(name, locale);
        await scenario.Page.SetViewportSizeAsync(width, 900);
        await scenario.Page.GotoAsync($"/runs/{run}");
        return scenario;
    }

    /// <summary>Lets <paramref name="count"/> held answers of the API go (each a source step's request).</summary>
    private void ReleaseAnswer(int count = 1) => _answers.Release(count);

    /// <summary>Triggers a job through the REST API as the operator; the run's id.</summary>
    /// <summary>Waits until the API has been asked <paramref name="count"/> times in all (source steps under way and held).</summary>
    private async Task AnswersAskedAsync(int count) =>
        await WaitUntilAsync(() => Task.FromResult(_api.Requests.Count >= count), $"the API was asked {_api.Requests.Count} times, not {count}");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(50);
        }
    }
}
