using System.Globalization;
using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Scheduling;

/// <summary>
/// A scheduler and a worker on a PostgreSQL catalog: the worker hears of the runs admitted to it as the admission commits
/// (LISTEN/NOTIFY), so a run starts at once rather than at the worker's next look at the catalog.
/// </summary>
public sealed class WorkerNotificationTests : IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private readonly SchedulerProject _project = new("jobs:\n  - name: manual\n    select: silver.orders\n");

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
    public async Task A_worker_claims_a_run_when_its_admission_commits_not_at_its_next_poll()
    {
        JobScheduler scheduler = await _project.StartAsync(concurrency: 0);
        // An hour between polls: only the notification can wake it within the test.
        await _project.StartAsync(holder: "worker-1", worker: true, concurrency: 2, pollInterval: TimeSpan.FromHours(1));
        await SchedulerProject.WaitUntilAsync(async () =>
            Convert.ToInt64(await _database.ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND datname = current_database()"), CultureInfo.InvariantCulture) == 1);

        RunRecord queued = await scheduler.TriggerAsync("manual");
        await SchedulerProject.WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunAsync(queued.Id))!.Status is not (RunStatus.Queued or RunStatus.Running));

        RunRecord run = (await scheduler.Catalog.Runs.GetRunAsync(queued.Id))!;
        Assert.Equal((RunStatus.Succeeded, "worker-1"), (run.Status, run.Holder));
    }
}
