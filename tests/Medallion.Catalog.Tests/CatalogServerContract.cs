namespace Medallion.Catalog.Tests;

/// <summary>The servers on a catalog and their heartbeats, on every engine.</summary>
public abstract class CatalogServerContract(CatalogEngine engine) : CatalogContract(engine)
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
    private static readonly LeaseHolder s_first = new("a1", "node-1", 101, s_start.AddMinutes(-1));
    private static readonly LeaseHolder s_second = new("b2", "node-2", 202, s_start.AddMinutes(-1));

    private readonly ManualTime _time = new(s_start);

    protected override TimeProvider? Time => _time;

    [Fact]
    public async Task A_server_that_reports_again_keeps_its_start_and_moves_its_heartbeat_and_role()
    {
        await Store.Servers.ReportAsync(s_first, "standby", "1.2.3", new Uri("http://node-1:8080/"));
        _time.Now = s_start.AddSeconds(10);

        await Store.Servers.ReportAsync(s_first, "active", "1.2.3", new Uri("http://node-1:8080/"));

        ServerRecord server = Assert.Single(await Store.Servers.ListAsync());
        Assert.Equal(new ServerRecord(s_first, "active", "1.2.3", new Uri("http://node-1:8080/"), s_start, s_start.AddSeconds(10)), server);
    }

    [Fact]
    public async Task Servers_are_listed_longest_running_first_as_any_other_store_on_the_catalog_reads_them()
    {
        await Store.Servers.ReportAsync(s_second, "active", "1.2.3", null);
        _time.Now = s_start.AddSeconds(1);
        await Store.Servers.ReportAsync(s_first, "web", "1.2.3", null);
        await using CatalogStore other = await CatalogStore.OpenAsync(Engine.AsAnotherProcess(Location), _time);

        List<ServerRecord> servers = await other.Servers.ListAsync();

        Assert.Equal([("b2", "active", (Uri?)null), ("a1", "web", null)], servers.Select(s => (s.Process.Id, s.Role, s.HttpAddress)));
    }

    [Fact]
    public async Task A_server_removed_at_its_stop_is_listed_no_more()
    {
        await Store.Servers.ReportAsync(s_first, "active", "1.2.3", null);
        await Store.Servers.ReportAsync(s_second, "standby", "1.2.3", null);

        await Store.Servers.RemoveAsync("a1");

        Assert.Equal(["b2"], (await Store.Servers.ListAsync()).Select(s => s.Process.Id));
    }

    [Fact]
    public async Task Forgetting_silent_servers_removes_only_those_silent_longer_than_asked()
    {
        await Store.Servers.ReportAsync(s_first, "active", "1.2.3", null);
        _time.Now = s_start.AddHours(2);
        await Store.Servers.ReportAsync(s_second, "active", "1.2.3", null);
        _time.Now = s_start.AddHours(3);

        int forgotten = await Store.Servers.ForgetSilentAsync(TimeSpan.FromHours(2));

        Assert.Equal(1, forgotten);
        Assert.Equal(["b2"], (await Store.Servers.ListAsync()).Select(s => s.Process.Id));
    }
}

public sealed class CatalogServerOnSqliteTests() : CatalogServerContract(new SqliteCatalogEngine());

public sealed class CatalogServerOnPostgresTests() : CatalogServerContract(new PostgresCatalogEngine());
