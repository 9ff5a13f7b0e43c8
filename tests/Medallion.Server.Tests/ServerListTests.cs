using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests;

/// <summary>
/// <c>GET /api/servers</c>: every server on the project's catalog reports itself there at start and at each heartbeat,
/// so any of them shows the others, what each does, and which went silent.
/// </summary>
public sealed class ServerListTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    private async Task<List<JsonElement>> ListAsync(MedallionServer server)
    {
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        http.DefaultRequestHeaders.Authorization = ServedProject.Basic("ana", ServedProject.OperatorPassword);
        return [.. (await http.GetFromJsonAsync<JsonElement>("/api/servers")).EnumerateArray()];
    }

    private Task<MedallionServer> StartSecondServerAsync() => MedallionServer.StartAsync(new MedallionServerOptions
    {
        ProjectDirectory = _served.Directory,
        HttpPort = 0,
        Grace = TimeSpan.FromSeconds(5),
    });

    [Fact]
    public async Task A_started_server_lists_itself_as_the_active_one_with_its_process_and_address()
    {
        JsonElement server = Assert.Single(await ListAsync(_served.Server));

        Assert.Equal(
            (_served.Server.Scheduler.Holder.Id, Environment.MachineName, Environment.ProcessId, "active", _served.Server.HttpAddress.ToString(), true, false),
            (server.GetProperty("id").GetString(), server.GetProperty("host").GetString(), server.GetProperty("pid").GetInt32(), server.GetProperty("role").GetString(),
                server.GetProperty("http_address").GetString(), server.GetProperty("this").GetBoolean(), server.GetProperty("silent").GetBoolean()));
        Assert.False(string.IsNullOrEmpty(server.GetProperty("version").GetString()));
    }

    [Fact]
    public async Task A_second_server_on_the_project_is_listed_by_the_first_as_its_standby()
    {
        await using MedallionServer second = await StartSecondServerAsync();

        List<JsonElement> servers = await ListAsync(_served.Server);

        Assert.Equal(
            [(_served.Server.Scheduler.Holder.Id, "active", true), (second.Scheduler.Holder.Id, "standby", false)],
            servers.Select(s => (s.GetProperty("id").GetString(), s.GetProperty("role").GetString(), s.GetProperty("this").GetBoolean())));
    }

    [Fact]
    public async Task A_server_that_stopped_cleanly_is_listed_no_more()
    {
        MedallionServer second = await StartSecondServerAsync();
        await second.DisposeAsync();

        List<JsonElement> servers = await ListAsync(_served.Server);

        Assert.Equal([_served.Server.Scheduler.Holder.Id], servers.Select(s => s.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task A_server_whose_heartbeats_stopped_longer_ago_than_the_lease_reads_as_silent()
    {
        var killed = new LeaseHolder("killed-server", "node-9", 4242, DateTimeOffset.UtcNow.AddHours(-1));
        var then = new ManualClock(DateTimeOffset.UtcNow - new SchedulerOptions().LeaseTimeToLive - TimeSpan.FromSeconds(5));
        await using (CatalogStore catalog = await CatalogStore.OpenAsync(_served.Catalog.Path, then))
        {
            await catalog.Servers.ReportAsync(killed, "active", "0.1.0", null);
        }

        List<JsonElement> servers = await ListAsync(_served.Server);

        Assert.Equal(
            [("killed-server", true), (_served.Server.Scheduler.Holder.Id, false)],
            servers.Select(s => (s.GetProperty("id").GetString(), s.GetProperty("silent").GetBoolean())));
    }

    [Fact]
    public async Task A_viewer_may_not_list_the_servers_where_the_project_runs()
    {
        HttpResponseMessage response = await _served.GetAsync("/api/servers", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
