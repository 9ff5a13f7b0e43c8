using System.Globalization;
using System.Text.Json;
using Medallion.Ingestion.Tests;

namespace Medallion.Cli.Tests;

/// <summary>
/// One <c>medallion server</c> child process running a project with an <c>every: 2s</c> job, a cron job, a data trigger on
/// the table the periodic job writes, and a job ingesting an HTTP API that fails twice before it answers.
/// </summary>
public sealed class ScheduledServer : IAsyncLifetime
{
    private int _apiRequests;

    public ScheduledServer()
    {
        // Answers 503 twice, then two records: a source that is down for a while.
        Api = new ApiServer(_ => Interlocked.Increment(ref _apiRequests) <= 2
            ? new ApiAnswer(503, "{\"error\":\"maintenance\"}")
            : ApiAnswer.Json("{\"items\":[{\"id\":1},{\"id\":2}]}"));
        Project = new ServerProject("""
            jobs:
              - name: ticker
                select: silver.ticks
                every: 2s
              - name: minutely
                select: silver.orders
                schedule: "* * * * *"
              - name: tick_counter
                select: gold.tick_count
                on_new_data: [silver.ticks]
              - name: crm
                sources: [crm_orders]
                retries: {count: 3, backoff: {initial: 1s, max: 1s}, jitter: false}
            """)
            .Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/orders/*.csv\n    target: bronze.orders\n")
            .Write("sources/api.yml", $"sources:\n  - name: crm_orders\n    url: {Api.BaseUrl}/orders\n    records: items\n    max_attempts: 1\n")
            .Write("data/orders/1.csv", "id,amount\n1,10\n2,20\n")
            .Write("models/silver/orders.sql", "SELECT id, amount FROM bronze.orders\n")
            .Write("models/silver/ticks.sql", $"/* ---\nmaterialized: append\n--- */\nSELECT CAST(getvariable('interval_end') AS TIMESTAMPTZ) AS fired, range AS n FROM range({RowsPerTick})\n")
            .Write("models/gold/tick_count.sql", "SELECT count(*) AS ticks FROM silver.ticks\n");
    }

    public const int RowsPerTick = 10;

    public ApiServer Api { get; }

    internal ServerProject Project { get; }

    internal ServerProcess Server { get; private set; } = null!;

    public int ApiRequests => Volatile.Read(ref _apiRequests);

    public async Task InitializeAsync() => Server = await ServerProcess.StartAsync(Project.Directory, "--grace", "5s");

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.TerminateAsync();
            Server.Dispose();
        }

        Api.Dispose();
        Project.Dispose();
    }
}

/// <summary>What the scheduler of a real <c>medallion server</c> process does, seen through its REST API and its tables.</summary>
public sealed class ServerSchedulingTests(ScheduledServer fixture) : IClassFixture<ScheduledServer>
{
    private ServerProcess Server => fixture.Server;

    [Fact]
    public async Task An_every_2s_job_runs_once_per_fire_time_over_consecutive_two_second_intervals()
    {
        await Server.WaitForAsync("three succeeded ticker runs", async () => (await SucceededAsync("ticker")).Count >= 3, TimeSpan.FromSeconds(30));

        List<JsonElement> runs = await SucceededAsync("ticker");
        List<(DateTimeOffset Start, DateTimeOffset End)> intervals = [.. runs.Select(r => (Start: Time(r, "interval_start"), End: Time(r, "interval_end"))).OrderBy(i => i.End)];
        Assert.All(runs, r => Assert.Equal("schedule", r.GetProperty("trigger").GetString()));
        Assert.All(intervals, i => Assert.Equal((TimeSpan.FromSeconds(2), 0L), (i.End - i.Start, i.End.ToUnixTimeMilliseconds() % 2000)));
        Assert.Equal(intervals.Count, intervals.Select(i => i.End).Distinct().Count());
        for (int i = 1; i < intervals.Count; i++)
        {
            Assert.Equal(intervals[i - 1].End, intervals[i].Start);
        }
    }

    [Fact]
    public async Task Each_succeeded_run_of_the_every_2s_job_appended_its_rows_once()
    {
        await Server.WaitForAsync("two succeeded ticker runs", async () => (await SucceededAsync("ticker")).Count >= 2, TimeSpan.FromSeconds(30));
        await Server.PostAsync("api/jobs/ticker/pause");
        await Server.WaitForAsync("the ticker to stop running", async () => (await Server.GetRunsAsync("ticker")).All(Ended), TimeSpan.FromSeconds(30));

        List<string> fired = [.. (await SucceededAsync("ticker")).Select(r => Time(r, "interval_end").ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Order()];
        List<string> rows = await fixture.Project.QueryAsync("SELECT epoch_ms(fired) AS fired, count(*) AS n FROM silver.ticks GROUP BY fired ORDER BY fired");
        JsonElement table = await Server.GetAsync("api/tables/silver.ticks");
        await Server.PostAsync("api/jobs/ticker/unpause");

        Assert.Equal(fired.Select(f => $"{f},{ScheduledServer.RowsPerTick}"), rows);
        Assert.Equal(fired.Count * ScheduledServer.RowsPerTick, table.GetProperty("summary").GetProperty("rows").GetInt64());
    }

    [Fact]
    public async Task A_cron_job_lists_every_minute_as_its_next_fire_times()
    {
        JsonElement job = await Server.GetAsync("api/jobs/minutely");
        DateTimeOffset now = DateTimeOffset.UtcNow;

        List<DateTimeOffset> next = [.. job.GetProperty("next_runs").EnumerateArray().Select(t => t.GetDateTimeOffset())];
        DateTimeOffset firstMinute = new(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        Assert.Equal("* * * * *", job.GetProperty("schedule").GetString());
        Assert.Equal(5, next.Count);
        Assert.True(next[0] == firstMinute.AddMinutes(1) || next[0] == firstMinute.AddMinutes(2), $"next fire {next[0]:O} at {now:O}");
        Assert.Equal(Enumerable.Range(0, 5).Select(i => next[0].AddMinutes(i)), next);
    }

    [Fact]
    public async Task A_job_on_new_data_runs_after_the_table_it_watches_gets_a_new_version()
    {
        await Server.WaitForAsync("a data-triggered run", async () => (await SucceededAsync("tick_counter")).Count >= 1, TimeSpan.FromSeconds(30));

        JsonElement run = (await SucceededAsync("tick_counter")).Last();
        JsonElement detail = await Server.GetAsync("api/runs/" + run.GetProperty("id").GetString());
        JsonElement model = Assert.Single(detail.GetProperty("models").EnumerateArray());
        Assert.Equal(("data", JsonValueKind.Null, JsonValueKind.Null), (run.GetProperty("trigger").GetString(), run.GetProperty("interval_start").ValueKind, run.GetProperty("interval_end").ValueKind));
        Assert.Equal(("gold.tick_count", "succeeded", 1L), (model.GetProperty("model").GetProperty("namespace").GetString() + "." + model.GetProperty("model").GetProperty("name").GetString(), model.GetProperty("status").GetString(), model.GetProperty("rows_written").GetInt64()));
        long ticks = long.Parse((await fixture.Project.QueryAsync("SELECT ticks FROM gold.tick_count")).Single(), CultureInfo.InvariantCulture);
        Assert.True(ticks > 0 && ticks % ScheduledServer.RowsPerTick == 0, $"gold.tick_count counted {ticks} ticks");
    }

    [Fact]
    public async Task A_source_whose_api_fails_twice_succeeds_on_the_third_attempt_with_every_attempt_recorded()
    {
        JsonElement triggered = await Server.PostAsync("api/jobs/crm/trigger");
        string id = triggered.GetProperty("id").GetString()!;
        await Server.WaitForAsync("the crm run to end", async () => Ended(await RunAsync(id)), TimeSpan.FromSeconds(30));

        JsonElement detail = await Server.GetAsync("api/runs/" + id);
        List<(string?, bool)> attempts = [.. detail.GetProperty("attempts").EnumerateArray().Select(a => (a.GetProperty("status").GetString(), a.GetProperty("transient").GetBoolean()))];
        Assert.Equal(("succeeded", "api"), (detail.GetProperty("run").GetProperty("status").GetString(), detail.GetProperty("run").GetProperty("trigger").GetString()));
        Assert.Equal([("failed", true), ("failed", true), ("succeeded", false)], attempts);
        Assert.StartsWith("bronze.crm_orders: MDL8101: Source 'crm_orders': GET", detail.GetProperty("attempts")[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, fixture.ApiRequests);
        Assert.Equal(["1", "2"], await fixture.Project.QueryAsync("SELECT id FROM bronze.crm_orders ORDER BY id"));
    }

    private async Task<JsonElement> RunAsync(string id) => (await Server.GetAsync("api/runs/" + id)).GetProperty("run");

    private async Task<List<JsonElement>> SucceededAsync(string job) =>
        [.. (await Server.GetRunsAsync(job)).Where(r => r.GetProperty("status").GetString() == "succeeded")];

    private static bool Ended(JsonElement run) => run.GetProperty("status").GetString() is not ("queued" or "running");

    private static DateTimeOffset Time(JsonElement run, string property) => run.GetProperty(property).GetDateTimeOffset();
}
