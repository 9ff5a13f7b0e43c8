using Microsoft.Playwright;

namespace Medallion.Web.Tests;

/// <summary>Playwright with Debian's Chromium started, shared by a test's scenarios; disposing it closes both.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class LaunchedChromium : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    private LaunchedChromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static async Task<LaunchedChromium> StartAsync()
    {
        IPlaywright playwright = await Playwright.CreateAsync();
        try
        {
            return new LaunchedChromium(playwright, await BrowserScenario.LaunchAsync(playwright));
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
