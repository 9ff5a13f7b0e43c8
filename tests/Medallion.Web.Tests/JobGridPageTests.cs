using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Medallion.Catalog;
using Medallion.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>
/// A job's grid of tables × runs (Airflow's grid) and the re-run of one table of a run, alone or with what the job builds
/// downstream of it, in Chromium: the new run repeats the old one and each page links to the other.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class JobGridPageTests : IAsyncLifetime
{
    private ServedProject _served = null!;
    private LaunchedChromium _chromium = null!;

    public async Task InitializeAsync()
    {
        // gold.order_count reads silver.orders but is not the nightly job's: a re-run with downstream leaves it alone.
        _served = await ServedProject.StartAsync(later: files => files.Write("models/gold/order_count.sql", "SELECT count(*) AS orders FROM silver.orders\n"));
        _chromium = await LaunchedChromium.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _served.DisposeAsync();
    }

    [Fact]
    public async Task A_jobs_grid_has_a_row_per_table_it_builds_and_a_cell_opens_that_table_on_the_runs_page()
    {
        string first = await RunNightlyAsync();
        string second = await RunNightlyAsync();
        await using BrowserScenario scenario = await SignedInAsync("job-grid");
        IPage page = scenario.Page;

        await page.GotoAsync("/runs");
        await page.ClickAsync("table.grid a:text-is('nightly')");

        await Expect(page.Locator("h1")).ToHaveTextAsync("Runs of nightly");
        await Expect(page.Locator("table.job-grid tbody th")).ToHaveTextAsync(["bronze.orders", "silver.orders", "gold.revenue"]);
        await Expect(page.Locator("table.job-grid thead a.cell")).ToHaveCountAsync(2);
        await Expect(page.Locator("table.job-grid tbody a.cell.state-succeeded")).ToHaveCountAsync(6);
        await page.Locator("tr[data-table='silver.orders'] a.cell").Last.ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex($"/runs/{second}#model-silver\\.orders$"));
        await Expect(page.Locator("tr#model-silver\\.orders")).ToBeVisibleAsync();
        Assert.NotEqual(first, second);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task An_operator_re_runs_a_table_with_its_downstream_in_the_job_and_the_new_run_links_back_to_the_one_it_repeats()
    {
        string original = await RunNightlyAsync();
        await using BrowserScenario scenario = await SignedInAsync("job-grid-rerun");
        IPage page = scenario.Page;
        await page.GotoAsync($"/runs/{original}");

        await page.Locator("tr#model-silver\\.orders button:text-is('Re-run with downstream')").ClickAsync();

        await Expect(page).Not.ToHaveURLAsync(new Regex($"/runs/{original}$"));
        string repeat = new Uri(page.Url).AbsolutePath["/runs/".Length..];
        await Expect(page.Locator("#run-parent a")).ToHaveAttributeAsync("href", $"/runs/{original}");
        await Expect(page.Locator("#run-parent")).ToContainTextAsync("(gold.revenue silver.orders)");
        await Expect(page.Locator("#run-status")).ToHaveTextAsync("succeeded", new() { Timeout = 120_000 });
        // The models read their source as every run of them does; the job's other reader of silver.orders is left alone.
        await Expect(page.Locator("table.models tbody tr[data-model]:not(.model-error)")).ToHaveCountAsync(3);
        await Expect(page.Locator("tr[data-model='gold.order_count']")).ToHaveCountAsync(0);
        await page.ClickAsync("#run-parent a");
        await Expect(page.Locator("#run-repeats a")).ToHaveAttributeAsync("href", $"/runs/{repeat}");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task Re_running_one_table_builds_that_table_alone()
    {
        string original = await RunNightlyAsync();

        using HttpResponseMessage response = await PostAsync($"/api/runs/{original}/tables/gold.revenue/rerun", "ana", ServedProject.OperatorPassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument run = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("gold.revenue", run.RootElement.GetProperty("selection").GetString());
        Assert.Equal(original, run.RootElement.GetProperty("parent_id").GetString());
    }

    [Fact]
    public async Task A_table_the_job_does_not_build_cannot_be_re_run_from_its_run_and_the_answer_suggests_the_jobs_tables()
    {
        string original = await RunNightlyAsync();

        using HttpResponseMessage response = await PostAsync($"/api/runs/{original}/tables/gold.revenu/rerun", "ana", ServedProject.OperatorPassword);

        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, body);
        Assert.Contains("Job 'nightly' builds no table 'gold.revenu'.", body, StringComparison.Ordinal);
        Assert.Contains("gold.revenue", body[body.IndexOf("Did you mean", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_viewer_sees_no_re_run_buttons_and_the_api_refuses_the_viewers_re_run()
    {
        string original = await RunNightlyAsync();
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "job-grid-viewer", "vic", ServedProject.ViewerPassword);
        await scenario.Page.GotoAsync($"/runs/{original}");
        await Expect(scenario.Page.Locator("table.models tbody tr[data-model]")).ToHaveCountAsync(3);

        using HttpResponseMessage response = await PostAsync($"/api/runs/{original}/tables/silver.orders/rerun?downstream=true", "vic", ServedProject.ViewerPassword);

        await Expect(scenario.Page.Locator(".row-actions button")).ToHaveCountAsync(0);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty((await _served.Catalog.Runs.QueryRunsAsync(new RunQuery { Parent = original })).Runs);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_jobs_grid_in_portuguese_fits_a_phone()
    {
        await RunNightlyAsync();
        await using BrowserScenario scenario = await SignedInAsync("job-grid-pt-br-phone", "pt-BR");
        IPage page = scenario.Page;
        await page.SetViewportSizeAsync(390, 844);

        await page.GotoAsync("/runs?job=nightly");

        await Expect(page.Locator("h1")).ToHaveTextAsync("Execuções de nightly");
        await Expect(page.Locator("table.job-grid thead th").First).ToHaveTextAsync("Tabela");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the job grid scrolls sideways at 390 px");
        await scenario.FinishAsync();
    }

    private Task<BrowserScenario> SignedInAsync(string name, string locale = "en-US") =>
        BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, name, "ana", ServedProject.OperatorPassword, locale);

    /// <summary>Triggers the nightly job and waits for its run to succeed; the run's id.</summary>
    private async Task<string> RunNightlyAsync()
    {
        string id = await _served.TriggerAsync("nightly");
        await _served.EndedAsync(id);
        Assert.Equal(RunStatus.Succeeded, (await _served.Catalog.Runs.GetRunAsync(id))!.Status);
        return id;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string user, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Headers = { Authorization = ServedProject.Basic(user, password) },
            Content = JsonContent.Create(new { }),
        };
        return await _served.Http.SendAsync(request);
    }
}
