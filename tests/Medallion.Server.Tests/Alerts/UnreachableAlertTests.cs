using System.Net;
using System.Net.Sockets;
using Medallion.Pipelines.Tests;
using Medallion.Server.Alerts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Server.Tests.Alerts;

/// <summary>
/// The unreachable rule on a served project with its SQL endpoint and an API source whose host the test switches off
/// and on: probes that fail in a row fire one alert, and the first probe that connects resolves it.
/// </summary>
public sealed class UnreachableAlertTests : IAsyncLifetime
{
    private readonly CapturingHttpServer _hook = new();
    private TcpListener _api = new(IPAddress.Loopback, 0);
    private int _apiPort;
    private TestProject _files = null!;
    private MedallionServer _server = null!;

    public async Task InitializeAsync()
    {
        _api.Start();
        _apiPort = ((IPEndPoint)_api.LocalEndpoint).Port;
        _files = new TestProject($$"""
            name: shop
            storage: lake
            alerts:
              channels:
                - name: hook
                  type: webhook
                  url: {{_hook.BaseAddress}}hooks/medallion
              rules:
                - when: unreachable
            """)
            .Write("sources/api.yml", $"sources:\n  - name: crm\n    url: http://127.0.0.1:{_apiPort}/orders\n");
        _server = await MedallionServer.StartAsync(new MedallionServerOptions
        {
            ProjectDirectory = _files.Directory,
            HttpPort = 0,
            Sql = new SqlEndpointOptions { Port = 0, TrustLoopback = true },
            Grace = TimeSpan.FromSeconds(5),
            WatchProject = false,
            // Only the test evaluates the rules.
            AlertInterval = TimeSpan.FromHours(1),
        });
    }

    [Fact]
    public async Task A_source_host_that_refuses_connections_fires_after_two_failed_probes_and_resolves_when_it_answers_again()
    {
        _api.Stop();

        // The server's own loop may probe too; either way the alert fires at the second failure in a row, as its detail says.
        await _server.Alerts.EvaluateAsync();
        await _server.Alerts.EvaluateAsync();
        CapturedRequest firing = _hook.Next();
        Assert.Equal(("firing", "unreachable:source:crm", "source crm", "error"),
            (firing.Json.GetProperty("status").GetString(), firing.Json.GetProperty("key").GetString(), firing.Json.GetProperty("where").GetString(), firing.Json.GetProperty("severity").GetString()));
        Assert.Equal($"source 'crm' (API at 127.0.0.1:{_apiPort}) is unreachable", firing.Json.GetProperty("what").GetString());
        Assert.StartsWith($"2 probe(s) in a row failed: 127.0.0.1:{_apiPort}: Connection refused", firing.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);

        _api = new TcpListener(IPAddress.Loopback, _apiPort);
        _api.Start();
        await _server.Alerts.EvaluateAsync();
        CapturedRequest resolved = _hook.Next();
        Assert.Equal(("resolved", "unreachable:source:crm"), (resolved.Json.GetProperty("status").GetString(), resolved.Json.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task A_served_sql_endpoint_and_a_listening_source_raise_nothing()
    {
        Assert.Empty(await _server.Alerts.EvaluateAsync());
        Assert.Empty(await _server.Alerts.EvaluateAsync());
        Assert.False(_hook.Requests.TryTake(out _, TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task A_sql_endpoint_that_accepts_connections_but_does_not_speak_postgres_is_unreachable()
    {
        // A socket that accepts and hangs up at once: the port is open, the endpoint behind it is not answering.
        using var dead = new TcpListener(IPAddress.Loopback, 0);
        dead.Start();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                using Socket accepted = await dead.AcceptSocketAsync();
            }
        });
        await using var monitor = new AlertMonitor(_server.Scheduler, TimeProvider.System, NullLogger.Instance, TimeSpan.FromHours(1), (IPEndPoint)dead.LocalEndpoint);

        await monitor.EvaluateAsync();
        AlertMessage firing = Assert.Single(await monitor.EvaluateAsync());

        Assert.Equal(("unreachable:sql:endpoint", "the SQL endpoint"), (firing.Key, firing.Where));
        Assert.Contains("accepted the connection but did not answer a PostgreSQL SSLRequest", firing.Detail, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _api.Stop();
        _api.Dispose();
        _hook.Dispose();
        _files.Dispose();
    }
}
