using System;
using Medallion.Catalog;

namespace Medallion.Server.Scheduling;

/// <summary>How a <see cref="JobScheduler"/> runs; its clock and logs are its project environment's.</summary>
public sealed record SchedulerOptions
{
    /// <summary>How many models and sources run at once across all runs.</summary>
    public int MaxConcurrentSteps { get; init; } = Environment.ProcessorCount;

    /// <summary>How long the catalog lease lasts without a heartbeat; another scheduler may take it after that.</summary>
    public TimeSpan LeaseTimeToLive { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the lease is renewed; a heartbeat never touches running models.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often watched tables are checked for new versions (and the longest the loop sleeps).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a continuous job's CDC pass lasts (its changes commit as they come, group commit, at most four times and at least once per interval), and the time between its polls of non-CDC tables.</summary>
    public TimeSpan ContinuousInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// False for a server that only serves (<c>medallion server --role web</c>): its scheduler never takes the lease, and
    /// what it is asked (a trigger, a cancel, a pause) goes to the server that runs the jobs through the catalog, as a
    /// standby's does. Default true.
    /// </summary>
    public bool RunsJobs { get; init; } = true;

    /// <summary>
    /// How many runs this server executes at once. A scheduler admits every run that may start (its job's and backfill's
    /// limits and its tables' locks allow it); the runs past this many wait in the catalog for a worker to claim them
    /// (<c>medallion server --role worker</c>). Unlimited by default (the steps of all runs still share
    /// <see cref="MaxConcurrentSteps"/>); 0 for a scheduler that executes nothing itself (<c>--role scheduler</c>).
    /// </summary>
    public int Concurrency { get; init; } = int.MaxValue;

    /// <summary>
    /// True for a worker (<c>medallion server --role worker</c>): it plans nothing and never takes the lease, and claims
    /// the runs schedulers admitted, at most <see cref="Concurrency"/> at once. It needs <see cref="RunsJobs"/> false.
    /// </summary>
    public bool ClaimsRuns { get; init; }

    /// <summary>
    /// True for a scheduler that plans the jobs and admits runs beside the other schedulers of its catalog, rather than
    /// behind the catalog's scheduler lease (<c>medallion server --planning every-server</c>): each fire time is queued
    /// once whoever plans it (the catalog's unique key), a table's new version queues one run, and admissions take turns
    /// in the catalog. Like a worker it keeps its own heartbeat, and another server takes its runs back once it was silent
    /// for <see cref="AdoptAfter"/>; the lease stays for what one server alone does (streams, housekeeping, alerts).
    /// Needs <see cref="RunsJobs"/> and a catalog on a database server (PostgreSQL).
    /// </summary>
    public bool PlansBesideOthers { get; init; }

    /// <summary>
    /// How long a worker may go without a heartbeat before the scheduler takes its runs back: its running runs become
    /// interrupted and are retried by their jobs' policies, its claimed runs wait for another worker. A worker that
    /// resumes after that finds it holds nothing, and commits nothing more of them.
    /// </summary>
    public TimeSpan AdoptAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Who this scheduler is in the lease; this process when null.</summary>
    public LeaseHolder? Holder { get; init; }

    /// <summary>Draws a number in [0, 1) for retry jitter; <see cref="Random.Shared"/> when null.</summary>
    public Func<double>? Random { get; init; }
}
