using System.Net;
using Medallion.Server.Tests;

namespace Medallion.Web.Tests;

/// <summary>The lineage page over HTTP: it draws the project the server has loaded, whose drawing it keeps between requests.</summary>
public sealed class LineagePageTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync(options => options with { WatchProject = false });

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_model_added_to_the_project_appears_in_the_lineage_graph_once_the_server_reloads()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);
        (_, string before) = await session.GetAsync("/lineage");
        await File.WriteAllTextAsync(Path.Combine(_served.Directory, "models", "gold", "margin.sql"), "SELECT revenue / 10 AS margin FROM gold.revenue\n");
        (_, string unchanged) = await session.GetAsync("/lineage");

        using var reload = new HttpRequestMessage(HttpMethod.Post, "/api/reload") { Headers = { Authorization = ServedProject.Basic("ana", ServedProject.OperatorPassword) } };
        using HttpResponseMessage reloaded = await _served.Http.SendAsync(reload);
        (HttpStatusCode status, string after) = await session.GetAsync("/lineage");

        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        Assert.DoesNotContain("data-table=\"gold.margin\"", before, StringComparison.Ordinal);
        Assert.DoesNotContain("data-table=\"gold.margin\"", unchanged, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("data-table=\"gold.margin\"", after, StringComparison.Ordinal);
        Assert.Contains("data-from=\"gold.revenue\" data-to=\"gold.margin\"", after, StringComparison.Ordinal);
    }
}
