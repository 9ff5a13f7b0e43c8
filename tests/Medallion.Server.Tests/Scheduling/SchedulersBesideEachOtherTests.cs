using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Scheduling;

/// <summary>
/// Two schedulers on one PostgreSQL catalog: both schedule (no standby), each fire time is queued once whichever gets
/// there first, what one is asked of a run the other holds reaches it through the catalog, and the lease, which says
/// who streams and keeps house, passes to the other when its holder stops.
/// </summary>
public sealed class SchedulersBesideEachOtherTests : IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private readonly SchedulerProject _project = new(
        "jobs:\n  - name: often\n    select: silver.orders\n    every: 1s\n  - name: long\n    select: silver.long\n");

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _project.UsePostgresCatalog(_database);
        // Runs for hours: a run of it is under way whenever the test looks.
        _project.Files.Write("models/silver/long.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3");
    }

    public async Task DisposeAsync()
    {
        await _project.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Both_schedulers_are_active_and_only_the_first_holds_the_lease()
    {
        JobScheduler first = await _project.StartAsync(holder: "scheduler-a");
        JobScheduler second = await _project.StartAsync(holder: "scheduler-b");

        Assert.Equal((SchedulerRole.Active, SchedulerRole.Active), (first.Role, second.Role));
        Assert.Equal((true, false), (first.Leads, second.Leads));
        Assert.True(second.SchedulesBesideOthers);
        Assert.Null(second.StandbyBehind);
    }

    [Fact]
    public async Task Each_fire_time_is_queued_once_while_two_schedulers_plan_it()
    {
        JobScheduler first = await _project.StartAsync(holder: "scheduler-a");
        JobScheduler second = await _project.StartAsync(holder: "scheduler-b");

        await SchedulerProject.WaitUntilAsync(async () => (await first.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "often" })).Runs.Count(r => r.Status == RunStatus.Succeeded) >= 3);
        await first.StopAsync(TimeSpan.FromSeconds(30));
        await second.StopAsync(TimeSpan.FromSeconds(30));
        IReadOnlyList<RunRecord> runs = (await first.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "often", Limit = 1000 })).Runs;

        Assert.True(runs.Count >= 3);
        Assert.Equal(runs.Count, runs.Select(r => r.IntervalEnd).Distinct().Count());
    }

    [Fact]
    public async Task A_run_the_other_scheduler_holds_is_cancelled_through_the_catalog()
    {
        JobScheduler first = await _project.StartAsync(holder: "scheduler-a");
        JobScheduler second = await _project.StartAsync(holder: "scheduler-b");
        RunRecord run = await first.TriggerAsync("long");
        await SchedulerProject.WaitUntilAsync(async () => (await first.Catalog.Runs.GetRunAsync(run.Id))!.Status == RunStatus.Running);

        Assert.True(await second.CancelRunAsync(run.Id));

        await SchedulerProject.WaitUntilAsync(async () => (await first.Catalog.Runs.GetRunAsync(run.Id))!.Status != RunStatus.Running);
        RunRecord ended = (await first.Catalog.Runs.GetRunAsync(run.Id))!;
        Assert.Equal((RunStatus.Cancelled, "scheduler-a"), (ended.Status, ended.Holder));
    }

    [Fact]
    public async Task The_other_scheduler_takes_the_lease_when_its_holder_stops()
    {
        JobScheduler first = await _project.StartAsync(holder: "scheduler-a", lease: TimeSpan.FromSeconds(3));
        JobScheduler second = await _project.StartAsync(holder: "scheduler-b", lease: TimeSpan.FromSeconds(3));

        await first.StopAsync(TimeSpan.Zero);

        await SchedulerProject.WaitUntilAsync(() => Task.FromResult(second.Leads));
        Assert.Equal("scheduler-b", (await second.Catalog.Scheduler.GetSchedulerLeaseAsync())!.Holder.Id);
    }

    [Fact]
    public async Task The_queue_of_a_scheduler_that_stops_is_adopted_and_run_by_the_other()
    {
        JobScheduler first = await _project.StartAsync(holder: "scheduler-a");
        JobScheduler second = await _project.StartAsync(holder: "scheduler-b");
        // The long run locks silver.long: the second run of it waits in the first scheduler's queue.
        RunRecord running = await first.TriggerAsync("long");
        RunRecord waiting = await first.TriggerAsync("long");
        await SchedulerProject.WaitUntilAsync(async () => (await first.Catalog.Runs.GetRunAsync(running.Id))!.Status == RunStatus.Running);

        await first.StopAsync(TimeSpan.Zero);

        await SchedulerProject.WaitUntilAsync(async () => (await second.Catalog.Runs.GetRunAsync(waiting.Id))!.Status == RunStatus.Running);
        Assert.Equal("scheduler-b", (await second.Catalog.Runs.GetRunAsync(waiting.Id))!.Holder);
        Assert.Equal(RunStatus.Cancelled, (await second.Catalog.Runs.GetRunAsync(running.Id))!.Status);
        await second.CancelRunAsync(waiting.Id);
    }
}
