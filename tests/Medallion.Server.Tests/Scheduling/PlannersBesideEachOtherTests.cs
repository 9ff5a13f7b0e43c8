using System.Globalization;
using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Scheduling;

/// <summary>
/// Schedulers that plan beside each other on one PostgreSQL catalog (<c>--planning every-server</c>), each a server of its
/// own: every one plans every job, yet each fire time runs once; a run one admits past its slots is run by another; and
/// the runs of one that goes silent are taken back by another and retried there.
/// </summary>
public sealed class PlannersBesideEachOtherTests : IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private const string Ticks = "  - name: ticks\n    select: silver.orders\n    every: 1s\n    catchup: none\n";
    private readonly SchedulerProject _project = new(
        "jobs:\n  - name: manual\n    select: silver.orders\n  - name: slow\n    select: silver.slow\n    retries: {count: 1, backoff: {initial: 1s, max: 1s}, jitter: false}\n");

    public PlannersBesideEachOtherTests() =>
        _project.Files.Write("models/silver/slow.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3");

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _project.UseCatalogIn(_database);
    }

    public async Task DisposeAsync()
    {
        await _project.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Each_fire_time_planned_by_two_schedulers_at_once_is_queued_and_run_once()
    {
        _project.Files.Write("jobs/jobs.yml", "jobs:\n" + Ticks);
        JobScheduler first = await _project.StartAsync(holder: "planner-a", besideOthers: true);
        JobScheduler second = await _project.StartAsync(holder: "planner-b", besideOthers: true);

        await SchedulerProject.WaitUntilAsync(async () => (await first.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "ticks" })).Runs.Count(r => r.Status == RunStatus.Succeeded) >= 6);
        await first.StopAsync(TimeSpan.FromSeconds(30));
        await second.StopAsync(TimeSpan.FromSeconds(30));

        List<RunRecord> runs = (await first.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "ticks" })).Runs.ToList();
        Assert.Equal((SchedulerRole.Planner, SchedulerRole.Planner), (first.Role, second.Role));
        Assert.Equal(runs.Count, runs.Select(r => r.IntervalEnd).Distinct().Count());
        Assert.All(runs, r => Assert.Equal((RunTrigger.Schedule, RunStatus.Succeeded), (r.Trigger, r.Status)));
    }

    [Fact]
    public async Task Two_schedulers_share_the_scheduled_jobs_each_job_planned_by_one_of_them()
    {
        WriteTickJobs();
        JobScheduler first = await _project.StartAsync(holder: "planner-a", besideOthers: true, lease: QuickHeartbeats);
        JobScheduler second = await _project.StartAsync(holder: "planner-b", besideOthers: true, lease: QuickHeartbeats);
        await SchedulerProject.WaitUntilAsync(() => Task.FromResult(first.LivePlanners?.Count == 2 && second.LivePlanners?.Count == 2));
        DateTimeOffset shared = DateTimeOffset.UtcNow;

        await SchedulerProject.WaitUntilAsync(async () => (await TickRunsAsync(first, after: shared)).Count(r => r.Value.Count >= 2) == TickJobs);
        Dictionary<string, List<RunRecord>> runs = await TickRunsAsync(first, after: shared);

        Assert.All(runs, job => Assert.Equal([JobScheduler.PlannerOf(job.Key, ["planner-a", "planner-b"])], job.Value.Select(r => r.Holder).Distinct()));
        Assert.Equal(["planner-a", "planner-b"], runs.Values.Select(r => r[0].Holder).Distinct().Order());
    }

    [Fact]
    public async Task The_jobs_of_a_scheduler_that_stops_are_planned_by_the_other_from_the_first_fire_time_it_left()
    {
        WriteTickJobs();
        JobScheduler first = await _project.StartAsync(holder: "planner-a", besideOthers: true, lease: QuickHeartbeats);
        JobScheduler second = await _project.StartAsync(holder: "planner-b", besideOthers: true, lease: QuickHeartbeats, adoptAfter: TimeSpan.FromSeconds(3));
        await SchedulerProject.WaitUntilAsync(() => Task.FromResult(first.LivePlanners?.Count == 2 && second.LivePlanners?.Count == 2));
        DateTimeOffset shared = DateTimeOffset.UtcNow;
        await SchedulerProject.WaitUntilAsync(async () => (await TickRunsAsync(first, after: shared)).Values.Any(r => r.Any(run => run.Holder == "planner-a")));

        // Stopped without leaving the servers' list, as a killed server: its heartbeat ages until the other plans its jobs.
        await first.StopAsync(TimeSpan.FromSeconds(30));
        DateTimeOffset stopped = DateTimeOffset.UtcNow;
        await SchedulerProject.WaitUntilAsync(async () => (await TickRunsAsync(second, after: stopped.AddSeconds(2))).Count == TickJobs);
        await second.StopAsync(TimeSpan.FromSeconds(30));

        Dictionary<string, List<RunRecord>> runs = await TickRunsAsync(second, after: DateTimeOffset.MinValue);
        Assert.All(runs.Values, job => Assert.Equal(job.Skip(1).Select(r => r.IntervalStart), job.SkipLast(1).Select(r => r.IntervalEnd)));
        Assert.All(runs.Where(job => JobScheduler.PlannerOf(job.Key, ["planner-a", "planner-b"]) == "planner-a"), job => Assert.Equal("planner-b", job.Value[^1].Holder));
    }

    [Fact]
    public void A_planner_that_leaves_moves_only_its_own_jobs_to_the_others()
    {
        string[] jobs = [.. Enumerable.Range(0, 300).Select(i => $"job{i}")];

        Dictionary<string, string> amongThree = jobs.ToDictionary(j => j, j => JobScheduler.PlannerOf(j, ["a", "b", "c"]));
        Dictionary<string, string> amongTwo = jobs.ToDictionary(j => j, j => JobScheduler.PlannerOf(j, ["a", "b"]));

        Assert.All(jobs.Where(j => amongThree[j] != "c"), j => Assert.Equal(amongThree[j], amongTwo[j]));
        Assert.All(amongThree.Values.CountBy(p => p), planner => Assert.InRange(planner.Value, 70, 130));
    }

    [Fact]
    public async Task A_new_version_of_a_watched_table_that_two_schedulers_see_queues_one_run()
    {
        _project.Files.Write("jobs/jobs.yml", "jobs:\n  - name: load\n    sources: [orders]\n  - name: build\n    select: silver.orders\n    on_new_data: [bronze.orders]\n");
        JobScheduler first = await _project.StartAsync(holder: "planner-a", besideOthers: true);
        JobScheduler second = await _project.StartAsync(holder: "planner-b", besideOthers: true);
        // The first look records the versions (bronze.orders: none yet); only a version after it is new data.
        await SchedulerProject.WaitUntilAsync(async () => (await first.Catalog.Scheduler.GetJobStatesAsync()).TryGetValue("build", out JobState? state) && state.SeenVersions.Count > 0);

        await first.TriggerAsync("load");
        await SchedulerProject.WaitUntilAsync(async () => (await first.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "build" })).Runs.Any(r => r.Status == RunStatus.Succeeded));
        await SchedulerProject.WaitForFreshPassAsync(first);
        await SchedulerProject.WaitForFreshPassAsync(second);

        RunRecord build = Assert.Single((await first.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "build" })).Runs);
        Assert.Equal((RunTrigger.Data, RunStatus.Succeeded), (build.Trigger, build.Status));
    }

    [Fact]
    public async Task A_run_one_scheduler_admits_while_its_slots_are_full_is_claimed_and_run_by_the_other()
    {
        JobScheduler full = await _project.StartAsync(holder: "planner-a", besideOthers: true, concurrency: 0);
        await _project.StartAsync(holder: "planner-b", besideOthers: true, concurrency: 2);

        RunRecord queued = await full.TriggerAsync("manual");
        await SchedulerProject.WaitUntilAsync(async () => (await full.Catalog.Runs.GetRunAsync(queued.Id))!.Status is not (RunStatus.Queued or RunStatus.Running));

        RunRecord run = (await full.Catalog.Runs.GetRunAsync(queued.Id))!;
        Assert.Equal((queued.Id, RunStatus.Succeeded, "planner-b"), (run.Id, run.Status, run.Holder));
        List<RunLogLine> log = await full.Catalog.Runs.GetRunLogAsync(run.Id);
        Assert.Contains(log, l => l.Message.StartsWith("claimed by planner planner-b", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_running_run_of_a_scheduler_silent_past_adopt_after_is_taken_back_and_retried_by_another()
    {
        // An hour between its heartbeats: the first falls silent on its own while its run goes on (and commits nothing).
        JobScheduler silent = await _project.StartAsync(holder: "planner-a", besideOthers: true, lease: TimeSpan.FromHours(3), adoptAfter: TimeSpan.FromSeconds(5));
        RunRecord queued = await silent.TriggerAsync("slow");
        await SchedulerProject.WaitUntilAsync(async () => (await silent.Catalog.Runs.GetRunAsync(queued.Id))!.Status == RunStatus.Running);

        JobScheduler other = await _project.StartAsync(holder: "planner-b", besideOthers: true, lease: TimeSpan.FromSeconds(1.5), adoptAfter: TimeSpan.FromSeconds(5));
        await SchedulerProject.WaitUntilAsync(async () => (await other.Catalog.Runs.GetAttemptsAsync(queued.Id)).Count == 2);

        List<RunAttemptRecord> attempts = await other.Catalog.Runs.GetAttemptsAsync(queued.Id);
        Assert.Equal(RunStatus.Interrupted, attempts[0].Status);
        Assert.Equal("planner-b", (await other.Catalog.Runs.GetRunAsync(queued.Id))!.Holder);
        Assert.DoesNotContain(await other.Catalog.Servers.ListAsync(), s => s.Process.Id == "planner-a");
        Assert.Equal(0L, Convert.ToInt64(await _database.ScalarAsync("SELECT count(*) FROM runs WHERE holder = 'planner-a' AND status IN ('queued', 'running')"), CultureInfo.InvariantCulture));
    }

    private const int TickJobs = 8;

    // Heartbeats every half second: a planner sees the others, and that one stopped, within a couple of seconds.
    private static readonly TimeSpan QuickHeartbeats = TimeSpan.FromSeconds(1.5);

    /// <summary>Jobs tick0..tick7, each every second (catch-up all) into a table of its own.</summary>
    private void WriteTickJobs()
    {
        _project.Files.Write("jobs/jobs.yml", "jobs:\n" + string.Concat(Enumerable.Range(0, TickJobs).Select(i =>
            $"  - name: tick{i}\n    select: silver.tick{i}\n    every: 1s\n    catchup: all\n")));
        for (int i = 0; i < TickJobs; i++)
        {
            _project.Files.Write($"models/silver/tick{i}.sql", "SELECT 1 AS x");
        }
    }

    /// <summary>The tick jobs' scheduled runs for fire times after <paramref name="after"/>, by job, oldest first (jobs without one left out).</summary>
    private static async Task<Dictionary<string, List<RunRecord>>> TickRunsAsync(JobScheduler scheduler, DateTimeOffset after)
    {
        var runs = new Dictionary<string, List<RunRecord>>(StringComparer.Ordinal);
        for (int i = 0; i < TickJobs; i++)
        {
            List<RunRecord> job = [.. (await scheduler.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = $"tick{i}", Limit = 1000 })).Runs
                .Where(r => r.Trigger == RunTrigger.Schedule && r.IntervalEnd > after)
                .OrderBy(r => r.IntervalStart)];
            if (job.Count > 0)
            {
                runs[$"tick{i}"] = job;
            }
        }

        return runs;
    }

    [Fact]
    public async Task Planning_beside_others_is_refused_on_a_sqlite_catalog_with_what_to_change()
    {
        _project.Files.Write("medallion.yml", "name: shop\nstorage: lake\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _project.StartAsync(besideOthers: true));

        Assert.Equal(ErrorCode.RunStorageUnsupported, error.Code);
        Assert.Contains("only on a catalog in PostgreSQL", error.Message, StringComparison.Ordinal);
    }
}
