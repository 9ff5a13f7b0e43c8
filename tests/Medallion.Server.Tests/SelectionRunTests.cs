using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.PgWire;

namespace Medallion.Server.Tests;

/// <summary>
/// <c>POST /api/runs</c>: a run of a selection of tables that belongs to no job (Dagster's "materialize selected"),
/// as the lineage page launches it.
/// </summary>
public sealed class SelectionRunTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        // An operator who may read gold.revenue only.
        await _served.Catalog.Identity.SetUserAsync("olga", PgUserStore.CreateScramVerifier("olga-secret"));
        await _served.Catalog.Identity.SetUserRoleAsync("olga", ServerRole.Operator);
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "gold.revenue", [], GranteeKind.User, "olga"), ["gold.revenue"]);
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task An_operator_runs_a_selection_which_builds_only_its_tables_in_a_run_of_no_job()
    {
        using HttpResponseMessage response = await PostAsync("/api/runs", new { select = "gold.revenue" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string id = await RunIdAsync(response);
        await _served.EndedAsync(id);
        RunDetail detail = (await _served.Catalog.Runs.GetRunDetailAsync(id))!;
        Assert.Equal((RunStatus.Succeeded, null, RunTrigger.Api, "gold.revenue"), (detail.Run.Status, detail.Run.Job, detail.Run.Trigger, detail.Run.Selection));
        Assert.Equal(["gold.revenue"], detail.Models.Select(m => m.Model.ToString()));
        ServerAction action = Assert.Single(await _served.Catalog.Identity.ListServerActionsAsync());
        Assert.Equal(("ana", "start", "gold.revenue"), (action.User, action.Action, action.Target));
    }

    [Fact]
    public async Task A_selection_with_upstream_loads_the_sources_its_models_read_first()
    {
        using HttpResponseMessage response = await PostAsync("/api/runs", new { select = "+gold.revenue" });

        string id = await RunIdAsync(response);
        await _served.EndedAsync(id);
        RunDetail detail = (await _served.Catalog.Runs.GetRunDetailAsync(id))!;
        Assert.Equal(RunStatus.Succeeded, detail.Run.Status);
        Assert.Equal(["bronze.orders", "gold.revenue", "silver.orders"], detail.Models.Select(m => m.Model.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_viewer_cannot_run_a_selection_and_nothing_is_queued()
    {
        using HttpResponseMessage response = await PostAsync("/api/runs", new { select = "gold.revenue" }, "vic", ServedProject.ViewerPassword);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(await _served.Catalog.Runs.ListRunsAsync(10), r => r.Trigger == RunTrigger.Api);
    }

    [Fact]
    public async Task A_misspelt_selection_is_refused_with_the_closest_name_and_nothing_is_queued()
    {
        using HttpResponseMessage response = await PostAsync("/api/runs", new { select = "gold.revenu" });

        (HttpStatusCode status, string code, _, string detail) = await ServedProject.ProblemAsync(response);
        Assert.Equal((HttpStatusCode.BadRequest, "MDL6008"), (status, code));
        Assert.Contains("Did you mean gold.revenue?", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(await _served.Catalog.Runs.ListRunsAsync(10), r => r.Trigger == RunTrigger.Api);
    }

    [Fact]
    public async Task An_empty_selection_is_refused_rather_than_building_every_table()
    {
        using HttpResponseMessage response = await PostAsync("/api/runs", new { select = " " });

        (HttpStatusCode status, string code, _, _) = await ServedProject.ProblemAsync(response);
        Assert.Equal((HttpStatusCode.BadRequest, "MDL6008"), (status, code));
    }

    [Fact]
    public async Task An_operator_who_may_read_only_some_of_the_selection_builds_only_those()
    {
        using HttpResponseMessage response = await PostAsync("/api/runs", new { select = "+gold.revenue" }, "olga", "olga-secret");

        string id = await RunIdAsync(response);
        await _served.EndedAsync(id);
        RunDetail detail = (await _served.Catalog.Runs.GetRunDetailAsync(id))!;
        Assert.Equal(("gold.revenue", RunStatus.Succeeded), (detail.Run.Selection, detail.Run.Status));
        Assert.Equal(["gold.revenue"], detail.Models.Select(m => m.Model.ToString()));
    }

    [Fact]
    public async Task A_selection_of_only_tables_the_operator_may_not_read_is_refused_without_naming_any_of_them()
    {
        using HttpResponseMessage response = await PostAsync("/api/runs", new { select = "silver.orderz" }, "olga", "olga-secret");

        (HttpStatusCode status, string code, _, string detail) = await ServedProject.ProblemAsync(response);
        Assert.Equal((HttpStatusCode.BadRequest, "MDL6008"), (status, code));
        Assert.DoesNotContain("Did you mean", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_of_a_selection_is_retried_as_a_run_of_the_same_selection_linked_to_it()
    {
        using HttpResponseMessage started = await PostAsync("/api/runs", new { select = "gold.revenue" });
        string first = await RunIdAsync(started);
        await _served.EndedAsync(first);

        using HttpResponseMessage retried = await PostAsync($"/api/runs/{first}/retry", null);

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        string second = await RunIdAsync(retried);
        await _served.EndedAsync(second);
        RunRecord run = (await _served.Catalog.Runs.GetRunAsync(second))!;
        Assert.Equal((null, "gold.revenue", first, RunStatus.Succeeded), (run.Job, run.Selection, run.ParentId, run.Status));
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

    private static async Task<string> RunIdAsync(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using JsonDocument run = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return run.RootElement.GetProperty("id").GetString()!;
    }
}
