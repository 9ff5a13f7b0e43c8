using Medallion.PgWire;
using Medallion.Pipelines.Tests;
using Medallion.Server;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace Medallion.Web.Tests;

/// <summary>
/// A project of file sources and trivial models, served without ever being built (the graph is what the lineage tests
/// are about), with an admin <c>ana</c>, and Chromium to look at it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class UnbuiltLineageProject : IAsyncDisposable
{
    public const string User = "ana";
    public const string Password = "ana-secret";

    private readonly TestProject _project;
    private readonly IPlaywright _playwright;

    private UnbuiltLineageProject(TestProject project, MedallionServer server, IPlaywright playwright, IBrowser browser)
    {
        _project = project;
        Server = server;
        _playwright = playwright;
        Browser = browser;
    }

    public MedallionServer Server { get; }

    public IBrowser Browser { get; }

    /// <param name="sources">The file sources, each loading <c>bronze.</c><i>name</i>.</param>
    /// <param name="reads">Each model (<c>namespace.name</c>) and the tables it reads.</param>
    public static async Task<UnbuiltLineageProject> StartAsync(string name, IEnumerable<string> sources, IReadOnlyDictionary<string, string[]> reads)
    {
        TestProject project = new TestProject($"name: {name}\nstorage: lake\n").WithSources([.. sources]);
        foreach ((string model, string[] tables) in reads)
        {
            project.Write($"models/{model.Replace('.', '/')}.sql", string.Join("\nUNION ALL ", tables.Select(t => $"SELECT id FROM {t}")) + "\n");
        }

        MedallionServer server = await MedallionServer.StartAsync(new MedallionServerOptions { ProjectDirectory = project.Directory, HttpPort = 0, Grace = TimeSpan.FromSeconds(5) });
        await server.Scheduler.Catalog.Identity.SetUserAsync(User, PgUserStore.CreateScramVerifier(Password));
        await server.Scheduler.Catalog.Access.SetUserAdminAsync(User, isAdmin: true);
        IPlaywright playwright = await Playwright.CreateAsync();
        return new UnbuiltLineageProject(project, server, playwright, await BrowserScenario.LaunchAsync(playwright));
    }

    /// <summary>A browser signed in as <c>ana</c> on the lineage page.</summary>
    public async Task<BrowserScenario> OpenLineageAsync(string scenario, string locale = "en-US", ViewportSize? viewport = null)
    {
        BrowserScenario opened = await BrowserScenario.SignedInAsync(Browser, Server.HttpAddress, scenario, User, Password, locale, viewport);
        await opened.Page.GotoAsync("/lineage");
        return opened;
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        await Server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _project.Dispose();
    }
}
