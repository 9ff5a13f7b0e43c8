using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests;

/// <summary>
/// Definitions reloaded while the server runs: a file change (debounced), SIGHUP, or <c>POST /api/reload</c>; a project
/// that no longer loads keeps the last good definitions and reports where it is wrong.
/// </summary>
public sealed class ReloadTests : IAsyncLifetime
{
    private ServedProject? _served;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_served is not null)
        {
            await _served.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_job_file_added_to_a_served_project_is_scheduled_without_a_restart()
    {
        _served = await ServedProject.StartAsync();

        await File.WriteAllTextAsync(Path.Combine(_served.Directory, "jobs", "quick.yml"), "jobs:\n  - name: quick\n    select: silver.orders\n    every: 1s\n");

        RunRecord run = await WaitForRunAsync("quick", r => r.Status == RunStatus.Succeeded);
        Assert.Equal(RunTrigger.Schedule, run.Trigger);
        Assert.True(_served.Server.Reload.Ok);
        Assert.Contains("quick", (await _served.Server.Scheduler.GetJobsAsync()).Select(j => j.Job.Name));
    }

    [Fact]
    public async Task A_model_added_with_its_job_is_built_by_that_job_after_the_reload()
    {
        _served = await ServedProject.StartAsync();

        await File.WriteAllTextAsync(Path.Combine(_served.Directory, "models", "gold", "order_count.sql"), "SELECT count(*) AS orders FROM silver.orders\n");
        await File.WriteAllTextAsync(Path.Combine(_served.Directory, "jobs", "count.yml"), "jobs:\n  - name: count\n    select: gold.order_count\n    every: 1s\n");

        RunRecord run = await WaitForRunAsync("count", r => r.Status is not (RunStatus.Queued or RunStatus.Running));
        RunDetail detail = (await _served.Catalog.Runs.GetRunDetailAsync(run.Id))!;
        Assert.Equal(RunStatus.Succeeded, run.Status);
        ModelRunRecord model = Assert.Single(detail.Models);
        Assert.Equal((new TableName("gold", "order_count"), RunStatus.Succeeded), (model.Model, model.Status));
    }

    [Fact]
    public async Task The_sql_endpoint_serves_a_model_added_by_a_reload_once_its_job_built_it()
    {
        _served = await ServedProject.StartAsync();

        await File.WriteAllTextAsync(Path.Combine(_served.Directory, "models", "gold", "order_count.sql"), "SELECT count(*) AS orders FROM silver.orders\n");
        await File.WriteAllTextAsync(Path.Combine(_served.Directory, "jobs", "count.yml"), "jobs:\n  - name: count\n    select: gold.order_count\n    every: 1s\n");
        await WaitForRunAsync("count", r => r.Status == RunStatus.Succeeded);

        var connection = new Npgsql.NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = _served.Server.PgPort!.Value, Username = "ana", Password = ServedProject.OperatorPassword, Database = "shop", Pooling = false };
        await using var sql = new Npgsql.NpgsqlConnection(connection.ConnectionString);
        await sql.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT orders FROM gold.order_count", sql);

        Assert.Equal(2L, Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_job_removed_from_its_file_is_no_longer_planned()
    {
        _served = await ServedProject.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(_served.Directory, "jobs", "quick.yml"), "jobs:\n  - name: quick\n    select: silver.orders\n    every: 1s\n");
        await WaitForRunAsync("quick", r => r.Status == RunStatus.Succeeded);

        File.Delete(Path.Combine(_served.Directory, "jobs", "quick.yml"));
        await WaitUntilAsync(async () => !(await _served.Server.Scheduler.GetJobsAsync()).Any(j => j.Job.Name == "quick"));
        int runs = await CountRunsAsync("quick");
        // A pass that starts after the reload plans from the new definitions, which no longer hold the job.
        await Scheduling.SchedulerProject.WaitForFreshPassAsync(_served.Server.Scheduler);

        // A run queued just before the reload may still end; none is planned after it.
        Assert.InRange(await CountRunsAsync("quick"), runs, runs + 1);
        Assert.DoesNotContain((await _served.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "quick" })).Runs, r => r.Status is RunStatus.Queued);
    }

    [Fact]
    public async Task A_broken_job_file_keeps_the_old_jobs_running_and_reports_the_error_with_its_place()
    {
        _served = await ServedProject.StartAsync();

        await File.WriteAllTextAsync(Path.Combine(_served.Directory, "jobs", "revenue.yml"), "jobs:\n  - name: nightly\n    select: +gold.revenue\n    schedule: \"0 3 * * *\"\n    every: 1h\n");
        await WaitUntilAsync(() => Task.FromResult(!_served.Server.Reload.Ok));

        const string Expected = "MDL6011: jobs/revenue.yml:5:12: job 'nightly' has both 'schedule' and 'every'. Expected one trigger per job: schedule, every, on_new_data or after (or none, to run it only when triggered).";
        using HttpResponseMessage response = await _served.GetAsync("/api/project", ServedProject.Basic("vic", ServedProject.ViewerPassword));
        using JsonDocument project = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement reload = project.RootElement.GetProperty("reload");
        Assert.False(reload.GetProperty("ok").GetBoolean());
        Assert.Equal(Expected, reload.GetProperty("error").GetString());
        Assert.True(reload.GetProperty("last_attempt").GetDateTimeOffset() > reload.GetProperty("loaded_at").GetDateTimeOffset());
        Assert.Equal(["nightly", "refresh"], (await _served.Server.Scheduler.GetJobsAsync()).Select(j => j.Job.Name).Order());
        RunRecord run = await _served.Server.Scheduler.TriggerAsync("nightly");
        Assert.Equal(RunStatus.Succeeded, (await WaitForRunAsync("nightly", r => r.Id == run.Id && r.Status is not (RunStatus.Queued or RunStatus.Running))).Status);
    }

    [Fact]
    public async Task Fixing_a_broken_file_reloads_and_clears_the_error()
    {
        _served = await ServedProject.StartAsync();
        string file = Path.Combine(_served.Directory, "jobs", "revenue.yml");
        string good = await File.ReadAllTextAsync(file);
        await File.WriteAllTextAsync(file, "jobs:\n  - name: nightly\n    selct: +gold.revenue\n");
        await WaitUntilAsync(() => Task.FromResult(!_served.Server.Reload.Ok));

        await File.WriteAllTextAsync(file, good.Replace("name: refresh", "name: refresh_often", StringComparison.Ordinal));
        await WaitUntilAsync(() => Task.FromResult(_served.Server.Reload.Ok));

        Assert.Null(_served.Server.Reload.Error);
        Assert.Equal(_served.Server.Reload.LastAttempt, _served.Server.Reload.LoadedAt);
        Assert.Equal(["nightly", "refresh_often"], (await _served.Server.Scheduler.GetJobsAsync()).Select(j => j.Job.Name).Order());
    }

    [Fact]
    public async Task An_operator_reloads_through_the_api_and_the_action_is_recorded()
    {
        _served = await ServedProject.StartAsync(options => options with { WatchProject = false });
        await File.WriteAllTextAsync(Path.Combine(_served.Directory, "jobs", "more.yml"), "jobs:\n  - name: more\n    select: gold.revenue\n");

        using HttpResponseMessage response = await PostAsync("/api/reload", "ana", ServedProject.OperatorPassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(status.RootElement.GetProperty("ok").GetBoolean());
        Assert.Contains("more", (await _served.Server.Scheduler.GetJobsAsync()).Select(j => j.Job.Name));
        ServerAction action = Assert.Single(await _served.Catalog.Identity.ListServerActionsAsync());
        Assert.Equal(("ana", "reload", "shop", (string?)null), (action.User, action.Action, action.Target, action.Detail));
    }

    [Fact]
    public async Task A_reload_through_the_api_of_a_broken_project_is_the_errors_problem_and_the_old_definitions_stay()
    {
        _served = await ServedProject.StartAsync(options => options with { WatchProject = false });
        await File.WriteAllTextAsync(Path.Combine(_served.Directory, "jobs", "more.yml"), "jobs:\n  - name: more\n    select: gold.revnue\n");

        using HttpResponseMessage response = await PostAsync("/api/reload", "ana", ServedProject.OperatorPassword);

        (HttpStatusCode status, string code, _, string message) = await ServedProject.ProblemAsync(response);
        Assert.Equal((HttpStatusCode.BadRequest, "MDL6011"), (status, code));
        Assert.StartsWith("jobs/more.yml:3:13: 'select' of job 'more' matches nothing", message, StringComparison.Ordinal);
        Assert.Contains("\nThe server keeps running the definitions loaded at ", message, StringComparison.Ordinal);
        Assert.Equal(["nightly", "refresh"], (await _served.Server.Scheduler.GetJobsAsync()).Select(j => j.Job.Name).Order());
        ServerAction action = Assert.Single(await _served.Catalog.Identity.ListServerActionsAsync());
        Assert.StartsWith("failed: MDL6011: jobs/more.yml:3:13:", action.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_viewer_cannot_reload()
    {
        _served = await ServedProject.StartAsync(options => options with { WatchProject = false });

        using HttpResponseMessage response = await PostAsync("/api/reload", "vic", ServedProject.ViewerPassword);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await _served.Catalog.Identity.ListServerActionsAsync());
    }

    [Fact]
    public async Task Sighup_reloads_the_project()
    {
        _served = await ServedProject.StartAsync(options => options with { WatchProject = false });
        await File.WriteAllTextAsync(Path.Combine(_served.Directory, "jobs", "more.yml"), "jobs:\n  - name: more\n    select: gold.revenue\n");
        await Task.Delay(ProjectReloader.Debounce * 2);
        Assert.DoesNotContain("more", (await _served.Server.Scheduler.GetJobsAsync()).Select(j => j.Job.Name));

        // kill(1), as an operator would send it.
        using (Process kill = Process.Start("kill", ["-HUP", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }

        await WaitUntilAsync(async () => (await _served.Server.Scheduler.GetJobsAsync()).Any(j => j.Job.Name == "more"));
        Assert.True(_served.Server.Reload.Ok);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string user, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Headers = { Authorization = ServedProject.Basic(user, password) } };
        return await _served!.Http.SendAsync(request);
    }

    private async Task<int> CountRunsAsync(string job) => (await _served!.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = job })).Runs.Count;

    private async Task<RunRecord> WaitForRunAsync(string job, Func<RunRecord, bool> done)
    {
        RunRecord? found = null;
        await WaitUntilAsync(async () =>
        {
            found = (await _served!.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = job })).Runs.FirstOrDefault(done);
            return found is not null;
        });
        return found!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        Stopwatch waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("the condition did not hold within 30 s");
            }

            await Task.Delay(50);
        }
    }
}
