using System.Diagnostics;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Tests;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Scheduling;

/// <summary>A tiny project on disk with a CSV source, run by a real <see cref="JobScheduler"/>; the catalog is read back to check.</summary>
public sealed class SchedulerProject : IAsyncDisposable
{
    private readonly List<JobScheduler> _schedulers = [];

    public SchedulerProject(string jobs)
    {
        Files = new TestProject("name: shop\nstorage: lake\n")
            .WithSources("orders")
            .Write("data/orders/1.csv", "id,amount\n1,10\n2,20\n")
            .Write("models/silver/orders.sql", "SELECT id, amount FROM bronze.orders")
            .Write("jobs/jobs.yml", jobs);
    }

    public TestProject Files { get; }

    public async Task<JobScheduler> StartAsync(TimeProvider? time = null, string holder = "scheduler-1")
    {
        MedallionProject project = await Files.LoadAsync();
        JobScheduler scheduler = await JobScheduler.StartAsync(project, new SchedulerOptions
        {
            Time = time,
            MaxConcurrentSteps = 2,
            Holder = new LeaseHolder(holder, "test-host", 1, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            PollInterval = TimeSpan.FromMilliseconds(200),
            Random = () => 0.5,
        });
        _schedulers.Add(scheduler);
        return scheduler;
    }

    public Task<CatalogStore> OpenCatalogAsync() => CatalogStore.OpenAsync(CatalogStore.DefaultPath(Files.Directory));

    /// <summary>Waits (real time) until the job's runs reach <paramref name="count"/> and all have ended.</summary>
    public async Task<List<RunRecord>> WaitForRunsAsync(string job, int count, TimeSpan? timeout = null)
    {
        Stopwatch waited = Stopwatch.StartNew();
        CatalogStore catalog = await OpenCatalogAsync();
        await using (catalog)
        {
            while (true)
            {
                List<RunRecord> runs = [.. (await catalog.QueryRunsAsync(new RunQuery { Job = job })).Runs.Reverse()];
                if (runs.Count >= count && runs.All(r => r.Status is not (RunStatus.Queued or RunStatus.Running)))
                {
                    return runs;
                }

                if (waited.Elapsed > (timeout ?? TimeSpan.FromSeconds(60)))
                {
                    throw new TimeoutException($"job '{job}' has {runs.Count} runs ({string.Join(", ", runs.Select(r => r.Status))}), expected {count} ended");
                }

                await Task.Delay(50);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (JobScheduler scheduler in _schedulers)
        {
            await scheduler.DisposeAsync();
        }

        Files.Dispose();
    }
}
