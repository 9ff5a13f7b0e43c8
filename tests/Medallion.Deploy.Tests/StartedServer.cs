using Medallion.Server;

namespace Medallion.Deploy.Tests;

/// <summary>A <c>medallion server</c> (in this process, on a free port) on an empty project, for the routes the manifests name.</summary>
public sealed class StartedServer : IAsyncLifetime
{
    private readonly TempDirectory _project = new("deploy-routes");
    private MedallionServer? _server;

    /// <summary>A client of the server's HTTP listener, as a probe or a scraper on its machine calls it.</summary>
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_project.Path, "medallion.yml"), "name: routes\nstorage: warehouse\n");
        _server = await MedallionServer.StartAsync(new MedallionServerOptions { ProjectDirectory = _project.Path, HttpPort = 0, WatchProject = false });
        Http.BaseAddress = _server.HttpAddress;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_server is not null)
        {
            await _server.StopAsync(CancellationToken.None);
            await _server.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _project.Dispose();
    }
}
