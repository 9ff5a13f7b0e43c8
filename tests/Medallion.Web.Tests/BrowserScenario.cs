using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>
/// One browser scenario's context in Debian's Chromium: it collects what went wrong in the page (console errors, page
/// errors, failed requests, error answers) and saves a screenshot under <c>TestResults/screenshots</c> when it finishes.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class BrowserScenario : IAsyncDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly List<string> _problems = [];
    private readonly List<(int Status, string Path)> _expectedErrors = [];
    private readonly string _name;
    private readonly IBrowserContext _context;

    private BrowserScenario(string name, IBrowserContext context, IPage page)
    {
        _name = name;
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            // The browser reports each error answer in the console too; an expected one is not a problem there either.
            if (message.Type == "error" && !_expectedErrors.Any(e => message.Text.StartsWith($"Failed to load resource: the server responded with a status of {e.Status} ", StringComparison.Ordinal)))
            {
                _problems.Add("console error: " + message.Text);
            }
        };
        page.PageError += (_, error) => _problems.Add("page error: " + error);
        page.RequestFailed += (_, request) =>
        {
            // Leaving a run page (a retry opens the new run) aborts its log stream: not a failure.
            if (!(request.Url.Contains("/logs/stream", StringComparison.Ordinal) && request.Failure == "net::ERR_ABORTED"))
            {
                _problems.Add($"request failed: {request.Method} {request.Url}: {request.Failure}");
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400 && !_expectedErrors.Contains((response.Status, new Uri(response.Url).AbsolutePath)))
            {
                _problems.Add($"error answer: {response.Status} {response.Request.Method} {response.Url}");
            }
        };
    }

    public IPage Page { get; }

    /// <summary>
    /// Lets the page receive an error answer of <paramref name="status"/> from <paramref name="path"/> without failing the
    /// scenario: a test about how the page shows a refusal expects one.
    /// </summary>
    public void ExpectErrorAnswer(int status, string path) => _expectedErrors.Add((status, path));

    /// <summary>Starts headless Chromium (build/test-setup/chromium.sh installs it).</summary>
    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run build/test-setup/chromium.sh");
        // --no-sandbox: the tests run as root in CI, where Chromium's sandbox refuses to start.
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
    }

    /// <summary>A phone's viewport (390×844), for pages that must not scroll sideways.</summary>
    public static ViewportSize Phone { get; } = new() { Width = 390, Height = 844 };

    /// <summary>
    /// A new context on <paramref name="server"/>, in São Paulo's time zone and <paramref name="locale"/>, on a desktop's
    /// 1280×900 or <paramref name="viewport"/>.
    /// </summary>
    public static async Task<BrowserScenario> OpenAsync(IBrowser browser, Uri server, string name, string locale = "en-US", ViewportSize? viewport = null)
    {
        IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.ToString(),
            Locale = locale,
            TimezoneId = "America/Sao_Paulo",
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 900 },
        });
        IPage page = await context.NewPageAsync();
        return new BrowserScenario(name, context, page);
    }

    /// <summary>A new context signed in through the sign-in form.</summary>
    public static async Task<BrowserScenario> SignedInAsync(IBrowser browser, Uri server, string name, string user, string password, string locale = "en-US", ViewportSize? viewport = null)
    {
        BrowserScenario scenario = await OpenAsync(browser, server, name, locale, viewport);
        await scenario.Page.GotoAsync("/login");
        await scenario.Page.FillAsync("#user", user);
        await scenario.Page.FillAsync("#password", password);
        await scenario.Page.ClickAsync("form.login button[type=submit]");
        await Expect(scenario.Page.Locator(".who")).ToContainTextAsync(user);
        return scenario;
    }

    /// <summary>Saves the screenshot and fails on anything that went wrong in the page.</summary>
    public async Task FinishAsync()
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, _name + ".png"), FullPage = true });
        Assert.True(_problems.Count == 0, string.Join("\n", _problems));
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();

    /// <summary><c>tests/Medallion.Web.Tests/TestResults/screenshots</c> in the checkout (or under <c>MEDALLION_TEST_RESULTS</c>).</summary>
    private static string ScreenshotDirectory { get; } = Path.Combine(
        Environment.GetEnvironmentVariable("MEDALLION_TEST_RESULTS") ?? Path.Combine(CheckoutDirectory(), "tests", "Medallion.Web.Tests", "TestResults"), "screenshots");

    private static string CheckoutDirectory()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Medallion.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Medallion.slnx above {AppContext.BaseDirectory}: set MEDALLION_TEST_RESULTS to say where screenshots go");
    }
}
