using System.Net.Http.Headers;
using System.Text;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Pipelines;
using Microsoft.Data.Sqlite;

namespace Medallion.Server.Tests;

/// <summary>A fresh project (from the template) with an operator <c>ana</c> and a viewer <c>vic</c>, served on free loopback ports.</summary>
public sealed class ServedProject : IAsyncDisposable
{
    public const string OperatorPassword = "ana-secret";
    public const string ViewerPassword = "vic-secret";

    private ServedProject(string directory, MedallionServer server, CatalogStore catalog)
    {
        Directory = directory;
        Server = server;
        Catalog = catalog;
        Http = new HttpClient { BaseAddress = server.HttpAddress };
    }

    public string Directory { get; }

    public MedallionServer Server { get; }

    /// <summary>The project's catalog, opened beside the server's (as another CLI process would).</summary>
    public CatalogStore Catalog { get; }

    public HttpClient Http { get; }

    public static async Task<ServedProject> StartAsync(Func<MedallionServerOptions, MedallionServerOptions>? configure = null)
    {
        string directory = Path.Combine(Path.GetTempPath(), "medallion-server-" + Guid.NewGuid().ToString("N"));
        await ProjectTemplate.CreateAsync(directory);
        MedallionProject project = await MedallionProject.LoadAsync(directory);
        CatalogStore catalog = await CatalogStore.OpenAsync(project.Resolve(project.Catalog));
        await catalog.SetUserAsync("ana", PgUserStore.CreateScramVerifier(OperatorPassword));
        await catalog.SetUserRoleAsync("ana", ServerRole.Operator);
        await catalog.SetUserAsync("vic", PgUserStore.CreateScramVerifier(ViewerPassword));
        var options = new MedallionServerOptions { ProjectDirectory = directory, HttpPort = 0, Sql = new SqlEndpointOptions { Port = 0 }, Grace = TimeSpan.FromSeconds(5) };
        MedallionServer server = await MedallionServer.StartAsync(configure is null ? options : configure(options));
        return new ServedProject(directory, server, catalog);
    }

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    public async Task<HttpResponseMessage> GetAsync(string path, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = authorization } };
        return await Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        await Catalog.DisposeAsync();
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
