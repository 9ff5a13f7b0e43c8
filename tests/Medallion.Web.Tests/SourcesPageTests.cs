using System.Net;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Server.Tests;

namespace Medallion.Web.Tests;

/// <summary>The sources page over HTTP: what it must never show, and what a user granted one table sees of it.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SourcesPageTests : IAsyncLifetime
{
    private const string Password = "rita-secret";
    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync(later: SourcesProject.Define);
        await SourcesProject.RecordPassesAsync(_served.Catalog);
        await _served.Catalog.Identity.SetUserAsync("rita", PgUserStore.CreateScramVerifier(Password));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "bronze.orders", [], GranteeKind.User, "rita"), ["bronze.orders"]);
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task The_page_names_a_connection_by_host_and_database_and_never_shows_a_password_or_an_api_key()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);

        (HttpStatusCode status, string html) = await session.GetAsync("/sources");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("pg (db.internal/crm)", html, StringComparison.Ordinal);
        Assert.Contains("https://api.example.com/v1/observations", html, StringComparison.Ordinal);
        Assert.DoesNotContain(SourcesProject.DatabasePassword, html, StringComparison.Ordinal);
        Assert.DoesNotContain(SourcesProject.ApiKey, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restricted_user_sees_only_the_sources_of_the_tables_they_may_read()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("rita", Password);

        (HttpStatusCode status, string html) = await session.GetAsync("/sources");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("data-table=\"bronze.orders\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("bronze.customers", html, StringComparison.Ordinal);
        Assert.DoesNotContain("bronze.invoices", html, StringComparison.Ordinal);
        Assert.DoesNotContain("weather", html, StringComparison.Ordinal);
        Assert.DoesNotContain(SourcesProject.FailedPassError, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_brazilian_browser_reads_the_page_in_portuguese_with_numbers_in_its_format()
    {
        using WebSession session = new(_served, language: "pt-BR");
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);

        (HttpStatusCode status, string html) = await session.GetAsync("/sources");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<h1>Fontes</h1>", html, StringComparison.Ordinal);
        Assert.Contains("Último erro", html, StringComparison.Ordinal);
        Assert.Contains("nunca executou", html, StringComparison.Ordinal);
        Assert.Contains("arquivos: 1", html, StringComparison.Ordinal);
        Assert.Contains("2.048 B", html, StringComparison.Ordinal);
    }
}
