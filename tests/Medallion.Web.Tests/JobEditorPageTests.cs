using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Medallion.Server.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>
/// Jobs created and edited in the UI: the text is checked as the server loads it, the change is shown as a diff before it is
/// saved to <c>jobs/*.yml</c>, and the project reloads with it. A bad text, a stale edit and a viewer change nothing.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class JobEditorPageTests : IAsyncLifetime
{
    private ServedProject _served = null!;
    private LaunchedChromium _chromium = null!;

    private string JobsFile => Path.Combine(_served.Directory, "jobs", "revenue.yml");

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        _chromium = await LaunchedChromium.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _served.DisposeAsync();
    }

    [Fact]
    public async Task An_operator_changes_a_jobs_schedule_sees_the_diff_saves_it_and_the_jobs_page_shows_the_new_schedule()
    {
        await using BrowserScenario scenario = await SignedInAsync("job-editor-diff");
        IPage page = scenario.Page;
        await page.GotoAsync("/jobs");
        await page.ClickAsync("a:text-is('Edit jobs/revenue.yml')");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Edit jobs/revenue.yml");

        await page.FillAsync("#job-text", (await File.ReadAllTextAsync(JobsFile)).Replace("every: 15m", "every: 30m", StringComparison.Ordinal));
        await page.ClickAsync("button:text-is('Review')");

        await Expect(page.Locator("#job-review")).ToContainTextAsync("Defines: nightly, refresh");
        await Expect(page.Locator("pre.diff .diff-removed")).ToHaveTextAsync(["-     every: 15m"]);
        await Expect(page.Locator("pre.diff .diff-added")).ToHaveTextAsync(["+     every: 30m"]);
        await page.ClickAsync("button:text-is('Save')");
        await Expect(page).ToHaveURLAsync(new Regex("/jobs#job-nightly$"));
        await Expect(page.Locator("tr#job-refresh")).ToContainTextAsync("every 30m");
        Assert.Contains("every: 30m", await File.ReadAllTextAsync(JobsFile), StringComparison.Ordinal);
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_text_that_does_not_load_is_shown_with_its_line_and_cannot_be_saved()
    {
        string before = await File.ReadAllTextAsync(JobsFile);
        await using BrowserScenario scenario = await SignedInAsync("job-editor-error");
        IPage page = scenario.Page;
        scenario.ExpectErrorAnswer(400, "/api/job-files/revenue/check");
        await page.GotoAsync("/jobs/edit?file=revenue");

        await page.FillAsync("#job-text", before.Replace("select: silver.orders", "select: silver.ordrs", StringComparison.Ordinal));
        await page.ClickAsync("button:text-is('Review')");

        await Expect(page.Locator("#job-review pre.error")).ToContainTextAsync(new Regex("jobs/revenue\\.yml:7:13: .*'select' of job 'refresh' matches nothing.*silver\\.orders"));
        await Expect(page.Locator("button:text-is('Save')")).ToBeDisabledAsync();
        Assert.Equal("    select: silver.ordrs", await page.EvaluateAsync<string>("() => { const a = document.getElementById('job-text'); return a.value.substring(a.selectionStart, a.selectionEnd); }"));
        Assert.Equal(before, await File.ReadAllTextAsync(JobsFile));
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task An_operator_creates_a_jobs_file_and_its_job_is_scheduled_at_once()
    {
        await using BrowserScenario scenario = await SignedInAsync("job-editor-new");
        IPage page = scenario.Page;
        await page.GotoAsync("/jobs");
        await page.ClickAsync("a:text-is('New jobs file')");

        await page.FillAsync("input[name='name']", "hourly");
        await page.FillAsync("#job-text", "jobs:\n  - name: hourly\n    select: gold.revenue\n    schedule: \"@hourly\"\n");
        await page.ClickAsync("button:text-is('Review')");
        await Expect(page.Locator("pre.diff .diff-added")).ToHaveCountAsync(4);
        await page.ClickAsync("button:text-is('Save')");

        await Expect(page).ToHaveURLAsync(new Regex("/jobs#job-hourly$"));
        await Expect(page.Locator("tr#job-hourly")).ToBeVisibleAsync();
        Assert.True(File.Exists(Path.Combine(_served.Directory, "jobs", "hourly.yml")));
        Assert.Contains(_served.Server.Scheduler.Project.Jobs, job => job.Name == "hourly");
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_save_over_a_file_that_changed_since_it_was_opened_is_refused_and_keeps_the_other_change()
    {
        await using BrowserScenario scenario = await SignedInAsync("job-editor-stale");
        IPage page = scenario.Page;
        scenario.ExpectErrorAnswer(409, "/api/job-files/revenue");
        await page.GotoAsync("/jobs/edit?file=revenue");
        string theirs = (await File.ReadAllTextAsync(JobsFile)).Replace("every: 15m", "every: 20m", StringComparison.Ordinal);
        await File.WriteAllTextAsync(JobsFile, theirs);

        await page.FillAsync("#job-text", theirs.Replace("every: 20m", "every: 45m", StringComparison.Ordinal));
        await page.ClickAsync("button:text-is('Review')");
        await page.ClickAsync("button:text-is('Save')");

        await Expect(page.Locator("#job-review pre.error")).ToContainTextAsync("jobs/revenue.yml changed since it was opened for this edit, so the edit was not saved.");
        Assert.Equal(theirs, await File.ReadAllTextAsync(JobsFile));
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task A_viewer_gets_no_editor_and_no_edit_links_and_the_api_refuses_the_viewers_save()
    {
        string before = await File.ReadAllTextAsync(JobsFile);
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "job-editor-viewer", "vic", ServedProject.ViewerPassword);
        await scenario.Page.GotoAsync("/jobs");
        await Expect(scenario.Page.Locator("tr#job-nightly")).ToBeVisibleAsync();
        await Expect(scenario.Page.Locator("a[href^='/jobs/edit']")).ToHaveCountAsync(0);

        using WebSession session = new(_served);
        await session.SignInOrFailAsync("vic", ServedProject.ViewerPassword);
        (HttpStatusCode status, string html) = await session.GetAsync("/jobs/edit?file=revenue");
        using HttpResponseMessage save = await PutAsync("revenue", "jobs: []\n", "vic", ServedProject.ViewerPassword);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Only operators edit jobs.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("job-editor", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, save.StatusCode);
        Assert.Equal(before, await File.ReadAllTextAsync(JobsFile));
        await scenario.FinishAsync();
    }

    [Theory]
    [InlineData("..%2Fmedallion")]
    [InlineData("..%2F..%2Fetc%2Fcron")]
    [InlineData("a.b")]
    public async Task A_file_name_that_would_leave_the_jobs_folder_is_refused_and_nothing_is_written(string name)
    {
        string[] before = ProjectFiles();

        using HttpResponseMessage save = await PutAsync(name, "name: hijacked\n", "ana", ServedProject.OperatorPassword);

        Assert.Equal(HttpStatusCode.BadRequest, save.StatusCode);
        Assert.Contains("is not a jobs file. Expected jobs/<name>.yml", (await ServedProject.ProblemAsync(save)).Detail, StringComparison.Ordinal);
        Assert.Equal(before, ProjectFiles());
    }

    /// <summary>The project's own files with their text, leaving out what the server writes as it runs (catalog, keys, lake).</summary>
    private string[] ProjectFiles() =>
        [.. Directory.GetFiles(_served.Directory, "*", SearchOption.AllDirectories)
            .Where(path => !path.Contains("/.medallion/", StringComparison.Ordinal) && !path.Contains("/lake/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(path => path + "\n" + File.ReadAllText(path))];

    [Fact]
    public async Task The_editor_in_portuguese_fits_a_phone()
    {
        await using BrowserScenario scenario = await SignedInAsync("job-editor-pt-br-phone", "pt-BR");
        IPage page = scenario.Page;
        await page.SetViewportSizeAsync(390, 844);
        scenario.ExpectErrorAnswer(400, "/api/job-files/diario/check");

        await page.GotoAsync("/jobs/edit");
        await page.FillAsync("input[name='name']", "diario");
        await page.ClickAsync("button:text-is('Revisar')");

        await Expect(page.Locator("h1")).ToHaveTextAsync("Novo arquivo de tarefas");
        await Expect(page.Locator("#job-review pre.error")).ToContainTextAsync("jobs/diario.yml:4:13");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the job editor scrolls sideways at 390 px");
        await scenario.FinishAsync();
    }

    private Task<BrowserScenario> SignedInAsync(string name, string locale = "en-US") =>
        BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, name, "ana", ServedProject.OperatorPassword, locale);

    private async Task<HttpResponseMessage> PutAsync(string name, string text, string user, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/job-files/{name}")
        {
            Headers = { Authorization = ServedProject.Basic(user, password) },
            Content = JsonContent.Create(new { text, version = "new" }),
        };
        return await _served.Http.SendAsync(request);
    }
}

/// <summary>The Jobs page of a project that has no jobs says where jobs come from, with an example.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EmptyJobsPageTests : IAsyncLifetime
{
    private ServedProject _served = null!;
    private LaunchedChromium _chromium = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync(later: files => File.Delete(Path.Combine(files.Directory, "jobs", "revenue.yml")));
        _chromium = await LaunchedChromium.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _served.DisposeAsync();
    }

    [Fact]
    public async Task A_project_without_jobs_explains_where_jobs_come_from_and_offers_a_new_jobs_file()
    {
        await using BrowserScenario scenario = await BrowserScenario.SignedInAsync(_chromium.Browser, _served.Server.HttpAddress, "jobs-empty", "ana", ServedProject.OperatorPassword);
        IPage page = scenario.Page;

        await page.GotoAsync("/jobs");

        await Expect(page.Locator("#no-jobs")).ToContainTextAsync("Jobs are defined in the project's jobs/*.yml files");
        await Expect(page.Locator("#no-jobs pre")).ToContainTextAsync("- name: nightly");
        await Expect(page.Locator("a:text-is('New jobs file')")).ToHaveAttributeAsync("href", "/jobs/edit");
        await scenario.FinishAsync();
    }
}
