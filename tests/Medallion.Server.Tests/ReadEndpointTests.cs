using System.Net;
using System.Text.Json;

namespace Medallion.Server.Tests;

/// <summary>The REST API's reads: tables, their history and lineage, runs, each as the CLI's operations return them.</summary>
public sealed class ReadEndpointTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task Tables_lists_the_projects_tables_in_layer_order_with_rows_and_versions()
    {
        using JsonDocument tables = await GetJsonAsync("/api/tables");

        Assert.Equal(
            ["bronze.orders:2", "silver.orders:2", "gold.revenue:1"],
            tables.RootElement.EnumerateArray().Select(t => $"{t.GetProperty("name").GetProperty("namespace").GetString()}.{t.GetProperty("name").GetProperty("name").GetString()}:{t.GetProperty("rows").GetInt64()}"));
    }

    [Fact]
    public async Task A_table_by_its_bare_name_is_described_with_its_columns_and_classification()
    {
        using JsonDocument table = await GetJsonAsync("/api/tables/silver.orders");

        JsonElement email = table.RootElement.GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "email");
        Assert.Equal("pii", email.GetProperty("classification").GetString());
        Assert.Equal("sales-team", table.RootElement.GetProperty("summary").GetProperty("owner").GetString());
        Assert.Equal(["bronze"], table.RootElement.GetProperty("upstream").EnumerateArray().Select(u => u.GetProperty("namespace").GetString()));
    }

    [Fact]
    public async Task An_unknown_table_is_404_with_a_suggestion()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/tables/silver.ordres", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        (HttpStatusCode status, string code, string title, string detail) = await ServedProject.ProblemAsync(response);
        Assert.Equal((HttpStatusCode.NotFound, "MDL6903", "Catalog object not found"), (status, code, title));
        Assert.Contains("silver.orders", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tables_history_names_the_run_that_wrote_each_version()
    {
        using JsonDocument history = await GetJsonAsync("/api/tables/gold.revenue/history?limit=5");

        JsonElement version = history.RootElement.EnumerateArray().Single();
        Assert.Equal(0, version.GetProperty("version").GetInt64());
        Assert.Equal(_served.FirstRun.RunId, version.GetProperty("run_id").GetString());
    }

    [Fact]
    public async Task Lineage_of_gold_reaches_back_to_bronze()
    {
        using JsonDocument lineage = await GetJsonAsync("/api/tables/gold.revenue/lineage?direction=upstream");

        string[] edges = [.. lineage.RootElement.EnumerateArray().Select(e => e.GetProperty("upstream").GetProperty("namespace").GetString() + "->" + e.GetProperty("downstream").GetProperty("namespace").GetString())];
        Assert.Contains("silver->gold", edges);
        Assert.Contains("bronze->silver", edges);
    }

    [Fact]
    public async Task Runs_lists_the_run_and_a_run_is_found_by_an_id_prefix()
    {
        using JsonDocument runs = await GetJsonAsync("/api/runs?limit=10");
        using JsonDocument run = await GetJsonAsync("/api/runs/" + _served.FirstRun.RunId[..12]);

        Assert.Equal(_served.FirstRun.RunId, runs.RootElement.GetProperty("runs").EnumerateArray().Single().GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, runs.RootElement.GetProperty("next_cursor").ValueKind);
        Assert.Equal(_served.FirstRun.RunId, run.RootElement.GetProperty("run").GetProperty("id").GetString());
        Assert.Equal(
            ["bronze.orders", "gold.revenue", "silver.orders"],
            run.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("model").GetProperty("namespace").GetString() + "." + m.GetProperty("model").GetProperty("name").GetString()).Order());
    }

    [Fact]
    public async Task A_lineage_direction_that_is_not_one_is_refused_naming_the_three()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/tables/gold.revenue/lineage?direction=sideways", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal(
            (HttpStatusCode.BadRequest, "MDL9505", "API request invalid", "direction 'sideways' is not upstream, downstream or both"),
            await ServedProject.ProblemAsync(response));
    }

    [Fact]
    public async Task Runs_filtered_by_a_status_that_does_not_exist_are_refused_naming_the_statuses()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/runs?status=done", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal(
            (HttpStatusCode.BadRequest, "MDL9505", "API request invalid", "status 'done' is not one of running, succeeded, failed, skipped, cancelled, queued, interrupted"),
            await ServedProject.ProblemAsync(response));
    }

    [Fact]
    public async Task Runs_filtered_by_status_leave_out_the_others()
    {
        using JsonDocument failed = await GetJsonAsync("/api/runs?status=failed");

        Assert.Equal(0, failed.RootElement.GetProperty("runs").GetArrayLength());
    }

    [Fact]
    public async Task A_runs_log_of_a_run_that_does_not_exist_is_404()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/runs/nope/logs", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Jobs_show_their_schedule_and_next_fire_times_in_utc()
    {
        using JsonDocument jobs = await GetJsonAsync("/api/jobs");

        JsonElement nightly = jobs.RootElement.EnumerateArray().Single(j => j.GetProperty("name").GetString() == "nightly");
        Assert.Equal("0 3 * * * (America/Sao_Paulo)", nightly.GetProperty("schedule").GetString());
        DateTimeOffset[] next = [.. nightly.GetProperty("next_runs").EnumerateArray().Select(t => t.GetDateTimeOffset())];
        Assert.Equal(5, next.Length);
        // São Paulo keeps UTC-3 all year since 2019, so 03:00 there is 06:00 UTC.
        Assert.All(next, t => Assert.Equal(new TimeSpan(6, 0, 0), t.UtcDateTime.TimeOfDay));
        Assert.Equal("jobs/revenue.yml:2:5", nightly.GetProperty("location").GetString());
    }

    [Fact]
    public async Task A_paused_job_has_no_next_fire_times()
    {
        using JsonDocument job = await GetJsonAsync("/api/jobs/refresh");

        Assert.True(job.RootElement.GetProperty("paused").GetBoolean());
        Assert.Equal(0, job.RootElement.GetProperty("next_runs").GetArrayLength());
    }

    [Fact]
    public async Task An_unknown_job_is_404_with_a_suggestion()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/jobs/nigthly", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal(
            (HttpStatusCode.NotFound, "MDL6903", "Catalog object not found", "there is no job 'nigthly'; did you mean 'nightly'?\nHelp: medallion jobs lists them (GET /api/jobs)."),
            await ServedProject.ProblemAsync(response));
    }

    [Fact]
    public async Task A_tables_quality_has_the_latest_result_of_each_rule_and_every_result_newest_first()
    {
        using var trigger = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/nightly/trigger") { Headers = { Authorization = ServedProject.Basic("ana", ServedProject.OperatorPassword) } };
        using HttpResponseMessage triggered = await _served.Http.SendAsync(trigger);
        string second = JsonDocument.Parse(await triggered.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await WaitUntilAsync(async () => (await _served.Catalog.Runs.GetRunAsync(second))!.Status == Medallion.Catalog.RunStatus.Succeeded);

        using JsonDocument quality = await GetJsonAsync("/api/tables/silver.orders/quality");

        string Row(JsonElement r) => $"{r.GetProperty("run_id").GetString()} {r.GetProperty("rule").GetString()} {r.GetProperty("severity").GetString()} passed={r.GetProperty("passed").GetBoolean()} failing={r.GetProperty("failing_rows").GetInt64()}";
        Assert.Equal("silver", quality.RootElement.GetProperty("table").GetProperty("namespace").GetString());
        Assert.Equal(
            [$"{second} accepted_values(email) warn passed=False failing=1", $"{second} not_null(order_id) fail passed=True failing=0"],
            quality.RootElement.GetProperty("latest").EnumerateArray().Select(Row));
        Assert.Equal(
            [
                $"{second} accepted_values(email) warn passed=False failing=1", $"{second} not_null(order_id) fail passed=True failing=0",
                $"{_served.FirstRun.RunId} accepted_values(email) warn passed=False failing=1", $"{_served.FirstRun.RunId} not_null(order_id) fail passed=True failing=0",
            ],
            quality.RootElement.GetProperty("history").EnumerateArray().Select(Row));
    }

    [Fact]
    public async Task A_runs_detail_carries_the_quality_results_of_its_models()
    {
        using JsonDocument run = await GetJsonAsync($"/api/runs/{_served.FirstRun.RunId}");

        Assert.Equal(
            ["silver.orders accepted_values(email) False", "silver.orders not_null(order_id) True"],
            run.RootElement.GetProperty("quality").EnumerateArray().Select(q =>
                $"{q.GetProperty("model").GetProperty("namespace").GetString()}.{q.GetProperty("model").GetProperty("name").GetString()} {q.GetProperty("rule").GetString()} {q.GetProperty("passed").GetBoolean()}"));
    }

    [Fact]
    public async Task Quality_of_an_unknown_table_is_404_with_a_suggestion()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/tables/silver.ordres/quality", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("silver.orders", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> done)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await done())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "not done after 60 s");
            await Task.Delay(100);
        }
    }

    private async Task<JsonDocument> GetJsonAsync(string path)
    {
        using HttpResponseMessage response = await _served.GetAsync(path, ServedProject.Basic("vic", ServedProject.ViewerPassword));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }
}
