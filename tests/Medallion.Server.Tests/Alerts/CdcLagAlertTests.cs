using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.Pipelines.Tests;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Medallion.Server.Tests.Alerts;

/// <summary>
/// The cdc_lag rule on a served project whose job streams a real PostgreSQL table: a table that goes longer than
/// <c>max_age</c> without a committed source position fires one alert, and the next pass resolves it.
/// </summary>
public sealed class CdcLagAlertTests : IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private readonly CapturingHttpServer _hook = new();
    private TestProject _files = null!;
    private MedallionServer _server = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        await _database.ExecuteAsync("CREATE TABLE lagging (id int PRIMARY KEY, qty int); INSERT INTO lagging VALUES (1, 10)");
        NpgsqlConnectionStringBuilder pg = _database.Builder;
        _files = new TestProject($$"""
            name: shop
            storage: lake
            connections:
              pg: {type: postgres, host: {{pg.Host}}, port: {{pg.Port}}, database: {{pg.Database}}, user: {{pg.Username}}, password: {{pg.Password}}, pooling: false}
            alerts:
              channels:
                - name: hook
                  type: webhook
                  url: {{_hook.BaseAddress}}hooks/medallion
              rules:
                - when: cdc_lag
                  max_age: 3s
            """)
            .Write("sources/db.yml", $"sources:\n  - name: crm\n    connection: pg\n    tables:\n      - {{table: public.lagging, mode: cdc, slot: {_database.Name}_lagging}}\n")
            .Write("jobs/load.yml", "jobs:\n  - name: load\n    sources: [crm]\n    every: 1h\n    paused: true\n");
        _server = await MedallionServer.StartAsync(new MedallionServerOptions
        {
            ProjectDirectory = _files.Directory,
            HttpPort = 0,
            Grace = TimeSpan.FromSeconds(5),
            WatchProject = false,
            // Only the end of a run and the test evaluate the rules.
            AlertInterval = TimeSpan.FromHours(1),
        });
    }

    [Fact]
    public async Task A_cdc_table_without_a_committed_position_for_longer_than_max_age_fires_and_the_next_pass_resolves_it()
    {
        await RunLoadAsync();
        Assert.False(_hook.Requests.TryTake(out _, TimeSpan.FromMilliseconds(300)), "an alert fired right after a pass committed its position");

        await Task.Delay(TimeSpan.FromSeconds(4));
        await _server.Alerts.EvaluateAsync();
        CapturedRequest firing = _hook.Next();
        Assert.Equal(("firing", "cdc_lag:bronze.lagging:age", "table bronze.lagging"),
            (firing.Json.GetProperty("status").GetString(), firing.Json.GetProperty("key").GetString(), firing.Json.GetProperty("where").GetString()));
        Assert.StartsWith("crm: public.lagging into bronze.lagging has committed no source position for ", firing.Json.GetProperty("what").GetString(), StringComparison.Ordinal);

        await _database.ExecuteAsync("INSERT INTO lagging VALUES (2, 20)");
        await RunLoadAsync();
        CapturedRequest resolved = _hook.Next();
        Assert.Equal(("resolved", "cdc_lag:bronze.lagging:age"), (resolved.Json.GetProperty("status").GetString(), resolved.Json.GetProperty("key").GetString()));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _hook.Dispose();
        _files.Dispose();
        await _database.DisposeAsync();
    }

    private async Task RunLoadAsync()
    {
        RunRecord run = await _server.Scheduler.TriggerAsync("load");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await _server.Scheduler.Catalog.Runs.GetRunAsync(run.Id))!.Status is RunStatus.Queued or RunStatus.Running)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"Run {run.Id} did not end within 90 s.");
            await Task.Delay(50);
        }

        Assert.Equal(RunStatus.Succeeded, (await _server.Scheduler.Catalog.Runs.GetRunAsync(run.Id))!.Status);
    }
}
