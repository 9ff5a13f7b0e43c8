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

    [Fact]
    public async Task Planning_beside_others_is_refused_on_a_sqlite_catalog_with_what_to_change()
    {
        _project.Files.Write("medallion.yml", "name: shop\nstorage: lake\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _project.StartAsync(besideOthers: true));

        Assert.Equal(ErrorCode.RunStorageUnsupported, error.Code);
        Assert.Contains("only on a catalog in PostgreSQL", error.Message, StringComparison.Ordinal);
    }
}
