using System;
using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Pipelines;

/// <summary>What a scheduler does about fire times it missed while it was not running.</summary>
public enum CatchupPolicy
{
    /// <summary>Skip every missed fire time; the next run is the next fire time from now.</summary>
    None,
    /// <summary>Run once for the most recent missed fire time (its data interval only). The default.</summary>
    Last,
    /// <summary>Run once for every missed fire time, oldest first, within <see cref="JobDefinition.MaxActiveRuns"/>.</summary>
    All,
}

/// <summary>
/// How a failed run of a job is retried. Only transient failures are retried (a source that cannot be reached, a
/// Delta commit conflict, a lost connection), never a SQL error or a failed <c>fail</c> expectation. The delay before
/// retry <c>n</c> (1-based) is <c>min(Initial * 2^(n-1), Max)</c>, with full jitter when <see cref="Jitter"/> is set.
/// </summary>
/// <param name="Count">How many times a failed run is tried again (0: never).</param>
/// <param name="InitialBackoff">The delay before the first retry.</param>
/// <param name="MaxBackoff">The longest delay between two attempts.</param>
/// <param name="Jitter">Draw each delay at random between half of it and all of it, so jobs that failed together do not retry together.</param>
public sealed record RetryPolicy(int Count, TimeSpan InitialBackoff, TimeSpan MaxBackoff, bool Jitter)
{
    /// <summary>No retries.</summary>
    public static RetryPolicy None { get; } = new(0, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10), Jitter: true);

    /// <summary>The delay before retry <paramref name="retry"/> (1-based); <paramref name="random"/> is a number in [0, 1) used for jitter.</summary>
    public TimeSpan DelayBefore(int retry, double random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        double exponential = InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        double capped = Math.Min(exponential, MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(Jitter ? capped * (0.5 + (random / 2)) : capped);
    }
}

/// <summary>
/// A job from <c>jobs/*.yml</c> or the <c>jobs:</c> list of <c>medallion.yml</c>: what to run (a model selection and/or
/// sources to ingest), when (<see cref="Schedule"/>, <see cref="OnNewData"/> or <see cref="After"/>; a job with none
/// of them runs only when triggered), and how (catch-up, retries, timeouts, concurrency).
/// </summary>
/// <param name="Name">The job's name, unique in the project.</param>
/// <param name="Select">The models to build, in the <c>--select</c> syntax (see <see cref="ModelGraph.Select"/>); null when the job only ingests sources.</param>
/// <param name="Sources">Names of sources (file, database or API) ingested before the models run.</param>
/// <param name="Schedule">A cron schedule or a fixed period; null when the job is not time-triggered.</param>
/// <param name="OnNewData">Tables whose new versions (a commit by anyone) trigger a run (file sources named in
/// <c>on_new_data</c> are in <see cref="OnNewFiles"/>).</param>
/// <param name="After">Jobs whose successful runs trigger a run of this one.</param>
/// <param name="Catchup">What happens to fire times missed while no scheduler ran.</param>
/// <param name="Retries">How failed runs are retried.</param>
/// <param name="ModelTimeout">How long one model may run before it is interrupted (nothing committed); null: no limit.</param>
/// <param name="RunTimeout">How long one attempt of a run may take before its models are interrupted; null: no limit.</param>
/// <param name="MaxActiveRuns">How many runs of this job may be under way at once; the next waits queued.</param>
/// <param name="Paused">A paused job plans no runs (it can still be triggered by hand).</param>
/// <param name="Location">Where the job is defined.</param>
public sealed record JobDefinition(
    string Name,
    string? Select,
    IReadOnlyList<string> Sources,
    JobSchedule? Schedule,
    IReadOnlyList<TableName> OnNewData,
    IReadOnlyList<string> After,
    CatchupPolicy Catchup,
    RetryPolicy Retries,
    TimeSpan? ModelTimeout,
    TimeSpan? RunTimeout,
    int MaxActiveRuns,
    bool Paused,
    SourceLocation Location)
{
    /// <summary>File sources whose new files (matching their glob, not loaded by their bronze table yet) trigger a run.</summary>
    public IReadOnlyList<string> OnNewFiles { get; init; } = [];

    /// <summary>
    /// A continuous job streams its database sources (CDC tables by logical replication, other tables polled) from the
    /// server's start to its stop, as one long-running run restarted with <see cref="Restart"/> backoff when it fails.
    /// </summary>
    public bool Continuous { get; init; }

    /// <summary>
    /// <c>engine:</c> (with <c>connection:</c>): the engine every model the job selects runs on, in place of the one
    /// in the model's own config; null keeps each model's.
    /// </summary>
    public EngineChoice? Engine { get; init; }

    /// <summary>The backoff between restarts of a continuous job (<see cref="RetryPolicy.Count"/> unused: it restarts while the server runs).</summary>
    public RetryPolicy Restart { get; init; } = DefaultRestart;

    /// <summary>The restart backoff of a continuous job without <c>restart:</c>: 1 s doubling to at most 1 min, with jitter.</summary>
    public static RetryPolicy DefaultRestart { get; } = new(0, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), Jitter: true);
}
