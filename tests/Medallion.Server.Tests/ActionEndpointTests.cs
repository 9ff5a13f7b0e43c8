using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Medallion.Catalog;

namespace Medallion.Server.Tests;

/// <summary>The REST API's actions: only operators take them, each is recorded with who took it, and mistakes are named.</summary>
public sealed class ActionEndpointTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_viewer_cannot_trigger_a_job()
    {
        using HttpResponseMessage response = await PostAsync("/api/jobs/nightly/trigger", null, "vic", ServedProject.ViewerPassword);

        Assert.Equal(
            (HttpStatusCode.Forbidden, "MDL9507", "API forbidden", "user vic is a viewer; this action needs the operator role (medallion user role <name> operator) or a grant of operate on server (medallion grant operate on server to <user or role>)"),
            await ServedProject.ProblemAsync(response));
        Assert.Empty(await _served.Catalog.Identity.ListServerActionsAsync());
    }

    [Fact]
    public async Task A_viewer_granted_operate_on_the_server_through_a_role_may_trigger_a_job()
    {
        await _served.Catalog.Access.CreateRoleAsync("oncall");
        await _served.Catalog.Access.AddRoleMemberAsync("oncall", "vic");
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Operate, AccessObjectKind.Server, "server", [], GranteeKind.Role, "oncall"));

        using HttpResponseMessage response = await PostAsync("/api/jobs/nightly/trigger", null, "vic", ServedProject.ViewerPassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        ServerAction action = Assert.Single(await _served.Catalog.Identity.ListServerActionsAsync());
        Assert.Equal(("vic", "trigger"), (action.User, action.Action));
    }

    [Fact]
    public async Task Revoking_operate_makes_the_user_a_viewer_again_at_its_next_request()
    {
        var grant = new AccessGrant(AccessPrivilege.Admin, AccessObjectKind.Server, "server", [], GranteeKind.User, "vic");
        await _served.Catalog.Access.GrantAsync(grant);
        using (HttpResponseMessage granted = await PostAsync("/api/jobs/nightly/trigger", null, "vic", ServedProject.ViewerPassword))
        {
            Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        }

        await _served.Catalog.Access.RevokeAsync(grant);
        using HttpResponseMessage response = await PostAsync("/api/jobs/nightly/trigger", null, "vic", ServedProject.ViewerPassword);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task An_operator_triggers_a_job_and_the_run_succeeds_with_its_variables_recorded_as_who_did_it()
    {
        using HttpResponseMessage response = await PostAsync("/api/jobs/nightly/trigger", new { variables = new Dictionary<string, string> { ["region"] = "south" } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument run = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        string id = run.RootElement.GetProperty("id").GetString()!;
        RunRecord finished = await WaitForEndAsync(id);
        Assert.Equal(RunStatus.Succeeded, finished.Status);
        Assert.Equal(RunTrigger.Api, finished.Trigger);
        Assert.Equal("south", finished.Variables["region"]);
        ServerAction action = Assert.Single(await _served.Catalog.Identity.ListServerActionsAsync());
        Assert.Equal(("ana", "trigger", "nightly", "region=south"), (action.User, action.Action, action.Target, action.Detail));
    }

    [Fact]
    public async Task Triggering_a_job_that_does_not_exist_is_404_with_a_suggestion()
    {
        using HttpResponseMessage response = await PostAsync("/api/jobs/nigthly/trigger", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("nightly", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pause_and_unpause_change_what_the_job_reports()
    {
        using HttpResponseMessage paused = await PostAsync("/api/jobs/nightly/pause", null);
        using JsonDocument pausedJob = JsonDocument.Parse(await paused.Content.ReadAsStringAsync());
        using HttpResponseMessage unpaused = await PostAsync("/api/jobs/nightly/unpause", null);
        using JsonDocument unpausedJob = JsonDocument.Parse(await unpaused.Content.ReadAsStringAsync());

        Assert.True(pausedJob.RootElement.GetProperty("paused").GetBoolean());
        Assert.Equal(0, pausedJob.RootElement.GetProperty("next_runs").GetArrayLength());
        Assert.False(unpausedJob.RootElement.GetProperty("paused").GetBoolean());
        Assert.Equal(["unpause", "pause"], (await _served.Catalog.Identity.ListServerActionsAsync()).Select(a => a.Action));
    }

    [Fact]
    public async Task A_backfill_dry_run_lists_the_intervals_and_queues_nothing()
    {
        using HttpResponseMessage response = await PostAsync("/api/jobs/nightly/backfill", new { from = "2026-01-01T00:00:00-03:00", to = "2026-01-03T23:59:59-03:00", dry_run = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument plan = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Null, plan.RootElement.GetProperty("backfill").ValueKind);
        Assert.Equal(
            ["2026-01-02T06:00:00+00:00", "2026-01-03T06:00:00+00:00"],
            plan.RootElement.GetProperty("intervals").EnumerateArray().Select(i => i.GetProperty("end").GetDateTimeOffset().ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(plan.RootElement.GetProperty("intervals").EnumerateArray(), i => Assert.True(i.GetProperty("will_run").GetBoolean()));
        Assert.Empty((await _served.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "nightly" })).Runs);
        Assert.Empty(await _served.Catalog.Identity.ListServerActionsAsync());
    }

    [Fact]
    public async Task A_backfill_over_a_range_with_no_whole_interval_is_refused()
    {
        using HttpResponseMessage response = await PostAsync("/api/jobs/nightly/backfill", new { from = "2026-01-02T00:00:00Z", to = "2026-01-01T00:00:00Z" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("No whole interval of job 'nightly'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_run_that_is_not_under_way_is_404()
    {
        using HttpResponseMessage response = await PostAsync($"/api/runs/{_served.FirstRun.RunId}/cancel", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("is neither queued nor running on this server", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_request_with_the_local_token_of_another_server_is_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/nightly/trigger")
        {
            Headers = { Authorization = ServedProject.Bearer("mdl_local_" + new string('A', 43)) },
        };

        using HttpResponseMessage response = await _served.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty((await _served.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "nightly" })).Runs);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, object? body, string user = "ana", string password = ServedProject.OperatorPassword)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Headers = { Authorization = ServedProject.Basic(user, password) },
            Content = body is null ? null : JsonContent.Create(body),
        };
        return await _served.Http.SendAsync(request);
    }

    private async Task<RunRecord> WaitForEndAsync(string runId)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            RunRecord run = (await _served.Catalog.Runs.GetRunAsync(runId))!;
            if (run.Status is not (RunStatus.Queued or RunStatus.Running))
            {
                return run;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"Run {runId} is still {run.Status} after 60 s.");
            await Task.Delay(100);
        }
    }
}
