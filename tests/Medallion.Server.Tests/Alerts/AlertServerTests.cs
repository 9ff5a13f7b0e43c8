using System.Security.Cryptography;
using System.Text;
using Medallion.Catalog;
using Medallion.Pipelines.Tests;
using Medallion.Server.Alerts;
using Microsoft.Data.Sqlite;

namespace Medallion.Server.Tests.Alerts;

/// <summary>
/// The server end to end: a job that fails raises one alert on a signed webhook, a later success sends "resolved",
/// and the state kept in the catalog stops a restarted server from sending the same alert again.
/// </summary>
public sealed class AlertServerTests : IAsyncLifetime
{
    private const string SecretVariable = "MEDALLION_TEST_ALERT_HOOK_SECRET";
    private const string Secret = "hook-secret-19";
    private readonly CapturingHttpServer _hook = new();
    private TestProject _files = null!;
    private MedallionServer? _server;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(SecretVariable, Secret);
        _files = new TestProject($$"""
            name: shop
            storage: lake
            server_url: https://medallion.example.com/
            alerts:
              channels:
                - name: hook
                  type: webhook
                  url: {{_hook.BaseAddress}}hooks/medallion
                  secret: ${{{SecretVariable}}}
              rules:
                - when: run_failed
            """)
            .Write("models/silver/check.sql", "SELECT 1 AS v WHERE getvariable('fail') IS NULL OR error('asked to fail') IS NULL\n")
            .Write("jobs/check.yml", "jobs:\n  - name: check\n    select: silver.check\n    every: 15m\n    paused: true\n");
        _server = await StartAsync();
    }

    [Fact]
    public async Task A_failed_run_fires_one_signed_alert_and_a_later_success_sends_resolved()
    {
        RunRecord failed = await RunAsync(fail: true);

        CapturedRequest firing = _hook.Next();
        Assert.Equal(("POST", "/hooks/medallion"), (firing.Method, firing.Path));
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), firing.Body)), firing.Headers["X-Medallion-Signature"]);
        Assert.Equal(("firing", "run_failed:job:check", "job 'check' failed", "job check"),
            (firing.Json.GetProperty("status").GetString(), firing.Json.GetProperty("key").GetString(), firing.Json.GetProperty("what").GetString(), firing.Json.GetProperty("where").GetString()));
        Assert.Equal($"https://medallion.example.com/runs/{failed.Id}", firing.Json.GetProperty("url").GetString());
        Assert.Contains("asked to fail", firing.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(firing.Body), StringComparison.Ordinal);

        Assert.Empty(await _server!.Alerts.EvaluateAsync());
        Assert.False(_hook.Requests.TryTake(out _, TimeSpan.FromMilliseconds(300)), "the alert was sent twice");

        await RunAsync(fail: false);
        CapturedRequest resolved = _hook.Next();
        Assert.Equal(("resolved", "run_failed:job:check"), (resolved.Json.GetProperty("status").GetString(), resolved.Json.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task A_restarted_server_remembers_the_firing_alert_and_does_not_send_it_again()
    {
        await RunAsync(fail: true);
        Assert.Equal("firing", _hook.Next().Json.GetProperty("status").GetString());

        await _server!.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _server = await StartAsync();

        Assert.Empty(await _server.Alerts.EvaluateAsync());
        AlertState state = Assert.Single(await _server.Scheduler.Catalog.Quality.GetAlertStatesAsync());
        Assert.Equal(("run_failed:job:check", true), (state.Key, state.Firing));
        Assert.False(_hook.Requests.TryTake(out _, TimeSpan.FromMilliseconds(300)), "the restarted server sent the alert again");
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        _hook.Dispose();
        _files.Dispose();
    }

    private Task<MedallionServer> StartAsync() => MedallionServer.StartAsync(new MedallionServerOptions
    {
        ProjectDirectory = _files.Directory,
        HttpPort = 0,
        Grace = TimeSpan.FromSeconds(5),
        WatchProject = false,
        // Only the end of a run (and the test) evaluates the rules.
        AlertInterval = TimeSpan.FromHours(1),
    });

    private async Task<RunRecord> RunAsync(bool fail)
    {
        RunRecord run = await _server!.Scheduler.TriggerAsync("check", fail ? new Dictionary<string, string> { ["fail"] = "yes" } : null);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            RunRecord now = (await _server.Scheduler.Catalog.Runs.GetRunAsync(run.Id))!;
            if (now.Status is not (RunStatus.Queued or RunStatus.Running))
            {
                Assert.Equal(fail ? RunStatus.Failed : RunStatus.Succeeded, now.Status);
                return now;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"Run {run.Id} is still {now.Status} after 60 s.");
            await Task.Delay(50);
        }
    }
}
