using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Medallion.Catalog;

namespace Medallion.Server.Tests;

/// <summary>
/// A backfill as one object through the REST API: listed and read with its state, progress and runs, and cancelled
/// as a whole (its queued intervals never run, its running one commits nothing).
/// </summary>
public sealed class BackfillEndpointTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync(later: SlicedBackfillProject.Define);

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task Cancelling_a_running_backfill_stops_its_running_and_queued_intervals_and_commits_none_of_their_rows()
    {
        string id = await StartBackfillAsync("2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z");
        await WaitForAsync(id, b => b.Progress is { Succeeded: 1, Running: 1, Queued: 1 });

        using HttpResponseMessage cancel = await PostAsync($"/api/backfills/{id}/cancel", null);
        BackfillDetail ended = await WaitForAsync(id, b => b.Backfill.Status != RunStatus.Running);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(RunStatus.Cancelled, ended.Backfill.Status);
        Assert.NotNull(ended.Backfill.FinishedAt);
        Assert.Equal(new BackfillProgress(3, 0, 0, 1, 0, 2, 0), ended.Progress);
        Assert.Equal(
            [(RunStatus.Succeeded, null), (RunStatus.Cancelled, "cancelled; the models that were running committed nothing"), (RunStatus.Cancelled, $"cancelled with backfill {id} before it started")],
            ended.Runs.Select(r => (r.Status, r.Error)));
        Assert.Empty(await _served.Catalog.Runs.GetAttemptsAsync(ended.Runs[2].Id));
        using JsonDocument history = await GetJsonAsync("/api/tables/silver.sliced/history");
        JsonElement version = Assert.Single(history.RootElement.EnumerateArray());
        Assert.Equal((1, ended.Runs[0].Id), (version.GetProperty("rows").GetInt64(), version.GetProperty("run_id").GetString()));
        ServerAction action = Assert.Single(await _served.Catalog.Identity.ListServerActionsAsync(), a => a.Action == "cancel backfill");
        Assert.Equal(("ana", id), (action.User, action.Target));
    }

    [Fact]
    public async Task A_backfill_is_read_with_who_started_it_its_range_and_each_intervals_run()
    {
        string id = await StartBackfillAsync("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");

        BackfillDetail done = await WaitForAsync(id, b => b.Backfill.Status != RunStatus.Running);
        using JsonDocument listed = await GetJsonAsync("/api/backfills?job=sliced");

        Assert.Equal(
            ("sliced", DateTimeOffset.Parse("2026-01-01T00:00:00Z"), "missing", 1, "ana", RunStatus.Succeeded, 1),
            (done.Backfill.Job, done.Backfill.RangeStart, done.Backfill.Reprocess, done.Backfill.MaxActive, done.Backfill.StartedBy, done.Backfill.Status, done.Backfill.Intervals));
        Assert.Equal(new BackfillProgress(1, 0, 0, 1, 0, 0, 0), done.Progress);
        RunRecord run = Assert.Single(done.Runs);
        Assert.Equal((RunTrigger.Backfill, id, DateTimeOffset.Parse("2026-01-02T00:00:00Z")), (run.Trigger, run.BackfillId, run.IntervalEnd));
        JsonElement summary = Assert.Single(listed.RootElement.EnumerateArray());
        Assert.Equal((id, "succeeded", 1, 0), (
            summary.GetProperty("backfill").GetProperty("id").GetString(),
            summary.GetProperty("backfill").GetProperty("status").GetString(),
            summary.GetProperty("progress").GetProperty("succeeded").GetInt32(),
            summary.GetProperty("runs").GetArrayLength()));
    }

    [Fact]
    public async Task A_second_backfill_of_done_intervals_counts_them_skipped_and_succeeds_at_once()
    {
        await WaitForAsync(await StartBackfillAsync("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"), b => b.Backfill.Status != RunStatus.Running);

        BackfillDetail again = await WaitForAsync(await StartBackfillAsync("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"), b => b.Backfill.Status != RunStatus.Running);

        Assert.Equal((RunStatus.Succeeded, new BackfillProgress(1, 0, 0, 0, 0, 0, 1)), (again.Backfill.Status, again.Progress));
        Assert.Empty(again.Runs);
    }

    [Fact]
    public async Task An_unknown_backfill_is_404_naming_the_closest_one()
    {
        string id = await StartBackfillAsync("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
        string typo = id[..^1] + (id[^1] == '0' ? '1' : '0');

        using HttpResponseMessage response = await _served.GetAsync($"/api/backfills/{typo}", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal(
            (HttpStatusCode.NotFound, "MDL6903", "Catalog object not found", $"The catalog has no backfill '{typo}'. Did you mean '{id}'?\nHelp: medallion backfills lists them (GET /api/backfills)."),
            await ServedProject.ProblemAsync(response));
    }

    [Fact]
    public async Task Cancelling_a_run_id_as_a_backfill_is_404_saying_it_is_a_run()
    {
        string id = await StartBackfillAsync("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
        string runId = (await WaitForAsync(id, b => b.Runs.Count == 1)).Runs[0].Id;

        using HttpResponseMessage response = await PostAsync($"/api/backfills/{runId}/cancel", null);

        Assert.Equal(
            (HttpStatusCode.NotFound, "MDL6903", "Catalog object not found", $"'{runId}' is a run, not a backfill; it belongs to backfill '{id}'.\nHelp: medallion cancel {runId} cancels the run; medallion backfills lists backfills."),
            await ServedProject.ProblemAsync(response));
    }

    [Fact]
    public async Task A_viewer_cannot_cancel_a_backfill()
    {
        using HttpResponseMessage response = await PostAsync("/api/backfills/b1/cancel", null, "vic", ServedProject.ViewerPassword);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private async Task<string> StartBackfillAsync(string from, string to)
    {
        using HttpResponseMessage response = await PostAsync("/api/jobs/sliced/backfill", new { from, to });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("backfill").GetProperty("id").GetString()!;
    }

    private async Task<BackfillDetail> WaitForAsync(string id, Func<BackfillDetail, bool> done)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using HttpResponseMessage response = await _served.GetAsync($"/api/backfills/{id}", ServedProject.Basic("vic", ServedProject.ViewerPassword));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            BackfillDetail detail = (await response.Content.ReadFromJsonAsync<BackfillDetail>(Json))!;
            if (done(detail))
            {
                return detail;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"Backfill {id} did not get there in 60 s: {detail.Backfill.Status}, {detail.Progress}.");
            await Task.Delay(100);
        }
    }

    private async Task<JsonDocument> GetJsonAsync(string path)
    {
        using HttpResponseMessage response = await _served.GetAsync(path, ServedProject.Basic("vic", ServedProject.ViewerPassword));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
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

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
