using System.Net;
using Medallion.Ingestion.Tests;
using Medallion.Pipelines;
using Medallion.Platform;
using Medallion.Server.Tests;

namespace Medallion.Web.Tests;

/// <summary>The sources page after a real incremental pass over an HTTP API: the position shown is the cursor value committed with the bronze rows.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SourcesPageCursorTests : IAsyncLifetime
{
    private readonly ApiServer _api = new(_ => ApiAnswer.Json("{\"items\":[{\"id\":1,\"at\":\"2026-01-01\"},{\"id\":2,\"at\":\"2026-01-02\"}]}"));
    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync(later: files => files.Write(
            "sources/feed.yml", $"sources:\n  - name: feed\n    url: {_api.BaseUrl}/orders\n    records: items\n    incremental: {{field: at, param: since}}\n    target: bronze.feed\n"));
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_served.Directory);
        await foreach (IngestPass pass in SourceIngestion.IngestOnceAsync(environment, SourceIngestion.Select(environment.Project, ["feed"])))
        {
            Assert.Equal(2, pass.Record.Rows);
        }
    }

    public async Task DisposeAsync()
    {
        await _served.DisposeAsync();
        _api.Dispose();
    }

    [Fact]
    public async Task An_incremental_api_source_shows_the_cursor_value_it_resumes_after_and_the_rows_of_its_pass()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);

        (HttpStatusCode status, string html) = await session.GetAsync("/sources");

        Assert.Equal(HttpStatusCode.OK, status);
        string row = html[html.IndexOf("data-table=\"bronze.feed\"", StringComparison.Ordinal)..];
        row = row[..row.IndexOf("</tr>", StringComparison.Ordinal)];
        Assert.Contains("<td class=\"position\"><code>at = 2026-01-02</code></td>", row, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">2</td>", row, StringComparison.Ordinal);
        Assert.Contains("state-succeeded", row, StringComparison.Ordinal);
    }
}
