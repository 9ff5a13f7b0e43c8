using System.Diagnostics;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Tests;
using Medallion.Server.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace Medallion.Server.Tests.Scheduling;

/// <summary>A tiny project on disk with a CSV source, run by a real <see cref="JobScheduler"/>; the catalog is read back to check.</summary>
public sealed class SchedulerProject : IAsyncDisposable
{
    private readonly List<JobScheduler> _schedulers = [];
    private readonly List<ProjectEnvironment> _environments = [];

    public SchedulerProject(string jobs)
    {
        Files = new TestProject("name: shop\nstorage: lake\n")
            .WithSources("orders")
            .Write("data/orders/1.csv", "id,amount\n1,10\n2,20\n")
            .Write("models/silver/orders.sql", "SELECT id, amount FROM bronze.orders")
            .Write("jobs/jobs.yml", jobs);
    }

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public TestProject Files { get; }

    /// <param name="lease">The scheduler lease's time to live (heartbeats every third of it); the default's when null.</param>
    /// <param name="concurrency">How many runs it executes at once (<see cref="SchedulerOptions.Concurrency"/>); no limit when null.</param>
    /// <param name="worker">Start a worker: it plans nothing and claims admitted runs, listed in the servers table as its server would list it.</param>
    /// <param name="pollInterval">How often it looks at the catalog unasked; 200 ms when null.</param>
    public async Task<JobScheduler> StartAsync(
        TimeProvider? time = null, string holder = "scheduler-1", Func<double>? random = null, Microsoft.Extensions.Logging.ILoggerFactory? logs = null, bool runsJobs = true, TimeSpan? lease = null,
        int? concurrency = null, bool worker = false, TimeSpan? pollInterval = null, bool besideOthers = false, TimeSpan? adoptAfter = null)
    {
        var defaults = new SchedulerOptions();
        // Each scheduler is a server of its own: its own environment, with its own connection to the catalog.
        var environment = new ProjectEnvironment(await Files.LoadAsync(), new ProjectEnvironmentOptions { Time = time, Logs = logs });
        _environments.Add(environment);
        JobScheduler scheduler = await JobScheduler.StartAsync(environment, new SchedulerOptions
        {
            MaxConcurrentSteps = 2,
            Holder = new LeaseHolder(holder, "test-host", 1, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            PollInterval = pollInterval ?? PollInterval,
            Random = random ?? (() => 0.5),
            LeaseTimeToLive = lease ?? defaults.LeaseTimeToLive,
            HeartbeatInterval = lease / 3 ?? defaults.HeartbeatInterval,
            Concurrency = concurrency ?? defaults.Concurrency,
            RunsJobs = runsJobs && !worker,
            ClaimsRuns = worker,
            PlansBesideOthers = besideOthers,
            AdoptAfter = adoptAfter ?? defaults.AdoptAfter,
        });
        _schedulers.Add(scheduler);
        if (worker)
        {
            await scheduler.Catalog.Servers.ReportAsync(scheduler.Holder, ServerStore.WorkerRole, "test", null);
        }

        return scheduler;
    }

    /// <summary>Keeps the project's catalog in <paramref name="database"/> rather than in a SQLite file beside it, as servers side by side need.</summary>
    public void UseCatalogIn(Medallion.Ingestion.Tests.PostgresDatabase database)
    {
        var server = database.Builder;
        Files.Write("medallion.yml", $"name: shop\nstorage: lake\ncatalog: postgres://{server.Username}:{server.Password}@{server.Host}:{server.Port}/{server.Database}\n");
    }

    public Task<CatalogStore> OpenCatalogAsync() => CatalogStore.OpenAsync(CatalogStore.DefaultPath(Files.Directory));

    /// <summary>
    /// Moves the fake clock on by <paramref name="by"/>, then by the poll interval every 50 ms of real time until the job
    /// has <paramref name="count"/> runs, and waits for them to end. The scheduler may arm its next timer only after the
    /// first move, and a fake clock's timer armed late counts from the new time, so one move alone can strand it.
    /// </summary>
    public async Task<List<RunRecord>> AdvanceUntilRunsAsync(FakeTimeProvider time, TimeSpan by, string job, int count)
    {
        time.Advance(by);
        Stopwatch waited = Stopwatch.StartNew();
        CatalogStore catalog = await OpenCatalogAsync();
        await using (catalog)
        {
            while ((await catalog.Runs.QueryRunsAsync(new RunQuery { Job = job })).Runs.Count < count && waited.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
                time.Advance(PollInterval);
            }
        }

        return await WaitForRunsAsync(job, count);
    }

    /// <summary>
    /// Moves the fake clock on by <paramref name="by"/>, then by the poll interval every 50 ms for half a second of real
    /// time, so a scheduler that armed its timer after the move still plans at the new time (see
    /// <see cref="AdvanceUntilRunsAsync"/>); for tests that check nothing was planned.
    /// </summary>
    public static async Task AdvanceAndSettleAsync(FakeTimeProvider time, TimeSpan by)
    {
        time.Advance(by);
        for (int i = 0; i < 10; i++)
        {
            await Task.Delay(50);
            time.Advance(PollInterval);
        }
    }

    /// <summary>Waits (real time) until the job's runs reach <paramref name="count"/> and all have ended.</summary>
    public async Task<List<RunRecord>> WaitForRunsAsync(string job, int count, TimeSpan? timeout = null)
    {
        Stopwatch waited = Stopwatch.StartNew();
        CatalogStore catalog = await OpenCatalogAsync();
        await using (catalog)
        {
            while (true)
            {
                List<RunRecord> runs = [.. (await catalog.Runs.QueryRunsAsync(new RunQuery { Job = job })).Runs.Reverse()];
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

    /// <summary>
    /// Waits until <paramref name="scheduler"/> has completed a planning pass that started after this call (two more
    /// than now: the one under way may have begun before): what a test that expects nothing to happen waits for, instead
    /// of sleeping for a time a busy machine may not give the scheduler.
    /// </summary>
    public static async Task WaitForFreshPassAsync(JobScheduler scheduler)
    {
        long target = scheduler.PlanningPasses + 2;
        Stopwatch waited = Stopwatch.StartNew();
        while (scheduler.PlanningPasses < target)
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"the scheduler completed {scheduler.PlanningPasses} planning passes, none after the wait began");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits (real time, up to a minute) until the condition holds.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        Stopwatch waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "the condition did not hold within 60 s");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (JobScheduler scheduler in _schedulers)
        {
            await scheduler.DisposeAsync();
        }

        foreach (ProjectEnvironment environment in _environments)
        {
            await environment.DisposeAsync();
        }

        Files.Dispose();
    }
}
