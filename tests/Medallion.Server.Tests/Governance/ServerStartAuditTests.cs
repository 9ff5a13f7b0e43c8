using System.Text.Json;

namespace Medallion.Server.Tests.Governance;

/// <summary>
/// A server's start is on record in the audit, with its version and where it listens, so the audit table is there from
/// the start and an admin's first query of it finds it.
/// </summary>
public sealed class ServerStartAuditTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_server_start_is_recorded_with_its_version_and_addresses()
    {
        Assert.Equal("1", await _served.WaitForSqlAsync(
            "SELECT count(*) FROM medallion_audit.events WHERE kind = 'server' AND action = 'server.start' AND channel = 'server' AND outcome = 'ok'", "1"));

        using JsonDocument details = JsonDocument.Parse(await _served.SqlScalarAsync("SELECT details FROM medallion_audit.events WHERE action = 'server.start'"));
        Assert.Equal(_served.Server.HttpAddress.ToString(), details.RootElement.GetProperty("http").GetString());
        Assert.Equal($"127.0.0.1:{_served.Server.PgPort}", details.RootElement.GetProperty("sql").GetString());
        Assert.Matches(@"^\d+\.\d+", details.RootElement.GetProperty("version").GetString());
    }
}
