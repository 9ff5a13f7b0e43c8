using System.Diagnostics;
using Medallion.Catalog;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Scheduling;

/// <summary>
/// A scheduler that lost the catalog's lease (it missed its heartbeats and another server took the lease and its runs)
/// stops the runs under way at once and records nothing of them: the runs are the new holder's to mark and retry.
/// </summary>
public sealed class LeaseFenceTests : IAsyncLifetime
{
    private readonly SchedulerProject _project = new("jobs:\n  - name: slow\n    select: silver.slow\n");

    public LeaseFenceTests() =>
        _project.Files.Write("models/silver/slow.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _project.DisposeAsync();

    [Fact]
    public async Task A_scheduler_whose_lease_another_took_stops_its_run_and_leaves_its_record_to_the_new_holder()
    {
        JobScheduler lost = await _project.StartAsync(lease: TimeSpan.FromSeconds(3));
        RunRecord run = await lost.TriggerAsync("slow");
        await WaitUntilAsync(async () => (await lost.Catalog.Runs.GetRunAsync(run.Id))!.Status == RunStatus.Running);
        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            // What a server taking over does: the lease, then the runs left running become its own, interrupted.
            await catalog.Scheduler.AcquireSchedulerLeaseAsync(new LeaseHolder("thief", "other-host", 7, DateTimeOffset.UtcNow), TimeSpan.FromMinutes(10), replacing: "scheduler-1");
            await catalog.Runs.RecoverRunsAsync("thief", DateTimeOffset.MaxValue);

            await WaitUntilAsync(() => Task.FromResult(lost.Role == SchedulerRole.LeaseLost && lost.RunCounts.Running == 0));

            RunRecord kept = (await catalog.Runs.GetRunAsync(run.Id))!;
            Assert.Equal((RunStatus.Interrupted, "thief"), (kept.Status, kept.Holder));
            Assert.Equal([RunStatus.Interrupted], (await catalog.Runs.GetAttemptsAsync(run.Id)).Select(a => a.Status));
            Assert.DoesNotContain(await catalog.Runs.GetRunLogAsync(run.Id), line => line.Message.StartsWith("run ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_scheduler_whose_lease_another_took_tells_its_server_to_end()
    {
        JobScheduler lost = await _project.StartAsync(lease: TimeSpan.FromSeconds(3));
        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            await catalog.Scheduler.AcquireSchedulerLeaseAsync(new LeaseHolder("thief", "other-host", 7, DateTimeOffset.UtcNow), TimeSpan.FromMinutes(10), replacing: "scheduler-1");

            await lost.RunsTakenBack.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(SchedulerRole.LeaseLost, lost.Role);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        Stopwatch waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "the condition did not hold within 60 s");
            await Task.Delay(50);
        }
    }
}
