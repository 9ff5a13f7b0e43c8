using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medallion.Spark.Tests;

/// <summary>A Spark Connect server on loopback (gRPC over cleartext HTTP/2) whose service runs SQL on DuckDB.</summary>
public sealed class SparkConnectTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SparkConnectTestServer(WebApplication app, SparkConnectTestService service, int port)
    {
        _app = app;
        Service = service;
        Port = port;
    }

    internal SparkConnectTestService Service { get; }

    public int Port { get; }

    /// <summary>A connection string for this server, with a fixed user id so recorded requests are stable.</summary>
    public string Remote(string parameters = ";user_id=medallion-test") => $"sc://127.0.0.1:{Port}/{parameters}";

    public static async Task<SparkConnectTestServer> StartAsync()
    {
        var service = new SparkConnectTestService();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        WebApplication app = builder.Build();
        app.MapGrpcService<SparkConnectTestService>();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new SparkConnectTestServer(app, service, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Service.Dispose();
    }
}
