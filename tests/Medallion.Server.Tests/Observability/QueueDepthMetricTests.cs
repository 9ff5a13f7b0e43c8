using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Observability;

/// <summary><c>medallion_queue_depth</c>: the runs waiting in the catalog, which an autoscaler reads from any server.</summary>
public sealed class QueueDepthMetricTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    // A server that only serves: nothing starts the runs it queues, so they wait in the catalog.
    public async Task InitializeAsync() => _served = await ServedProject.StartAsync(o => o with { Scheduler = new SchedulerOptions { RunsJobs = false } });

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task The_queue_depth_counts_the_runs_waiting_in_the_catalog_whichever_server_queued_them()
    {
        await _served.Server.Scheduler.TriggerAsync("nightly");
        await _served.Server.Scheduler.TriggerAsync("nightly");

        string body = await _served.Http.GetStringAsync("/metrics");

        Assert.Contains("\nmedallion_queue_depth 2\n", body, StringComparison.Ordinal);
        Assert.Contains("\nmedallion_scheduler_queued_runs 0\n", body, StringComparison.Ordinal);
    }
}
