using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Server.Scheduling;

/// <summary>
/// The catalog's scheduler lease: taken at start, or waited for on standby. A holder that is gone (a process of this
/// host that died, or whose pid now belongs to another program) gives it up at once; a live holder, or one on another
/// host, keeps it until it lapses, and this scheduler serves on standby meanwhile and takes over then.
/// </summary>
public sealed partial class JobScheduler
{
    // The lease this scheduler waits behind while on standby; null once it holds the lease.
    private volatile CatalogLease? _standbyBehind;

    private readonly TaskCompletionSource _activated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once this scheduler holds the lease and runs the jobs: at start, or when it takes over from standby.</summary>
    public Task Active => _activated.Task;

    private readonly TaskCompletionSource _runsTakenBack = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes when another server took this one's runs after it went silent (see <see cref="LeaseLost"/>): a scheduler
    /// took a worker's runs back, or took a scheduler's lease with its runs. This one then plans, claims and commits
    /// nothing more, so its server has nothing left to do but end for its supervisor to start it afresh (a scheduler on
    /// standby, then).
    /// </summary>
    public Task RunsTakenBack => _runsTakenBack.Task;

    /// <summary>What this scheduler does now: runs the jobs, waits on standby for the lease, or lost the lease.</summary>
    public SchedulerRole Role =>
        LeaseLost ? SchedulerRole.LeaseLost
        : !_options.RunsJobs ? (_options.ClaimsRuns ? SchedulerRole.Worker : SchedulerRole.Web)
        : _options.PlansBesideOthers ? SchedulerRole.Planner
        : _standbyBehind is null ? SchedulerRole.Active : SchedulerRole.Standby;

    /// <summary>
    /// Whether this scheduler runs the jobs (it holds the lease, or plans beside the others); otherwise what it is asked
    /// goes to one that does, through the catalog.
    /// </summary>
    private bool RunsJobs => Role is SchedulerRole.Active or SchedulerRole.Planner;

    /// <summary>
    /// Whether this scheduler holds the catalog's scheduler lease now, and with it what one server alone does: the
    /// continuous jobs' streams, housekeeping and alerts. Behind the lease that is the one that runs the jobs; among
    /// servers that plan beside each other, whichever took the lease (see <see cref="HeartbeatLoopAsync"/>).
    /// </summary>
    internal bool HoldsSchedulerLease => Role == SchedulerRole.Active || (Role == SchedulerRole.Planner && _plannerHoldsLease);

    // A planner (SchedulerOptions.PlansBesideOthers) that took the scheduler lease for the work one server alone does.
    private volatile bool _plannerHoldsLease;

    /// <summary>While on standby, the lease of the scheduler that runs the jobs (as last read); null otherwise.</summary>
    public CatalogLease? StandbyBehind => _standbyBehind;

    // Until when (UTC ticks) the lease is surely this scheduler's; see FenceAsync.
    private long _holdsLeaseUntil;

    /// <summary>
    /// The fence of this scheduler's runs, checked before each Delta commit of their models and before each record of
    /// their attempts and ends. It passes at once while the lease is surely held: until nine tenths of a lease past the
    /// last time it was taken or renewed, counted from before that was asked (the tenth is a margin for clocks that
    /// differ between servers). Past that, on this clock (the process was stopped with SIGSTOP or its machine
    /// suspended, the clock stepped, or heartbeats failed), the catalog decides: the lease is renewed if it is still
    /// this scheduler's, and otherwise another server took it with the runs, and this one refuses from then on.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.RunNoLongerHeld"/> once another scheduler took the lease;
    /// the catalog's own error (transient) when it cannot tell.</exception>
    internal async ValueTask FenceAsync(CancellationToken cancellationToken)
    {
        if (!LeaseLost && _time.GetUtcNow().UtcTicks < Volatile.Read(ref _holdsLeaseUntil))
        {
            return;
        }

        if (LeaseLost || !await RenewLeaseAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new MedallionException(
                ErrorCode.RunNoLongerHeld,
                "This server no longer holds its runs: another server took the catalog's scheduler lease, and the runs under way here with it, after this one missed its heartbeats (it was stopped, paused or cut off from the catalog); nothing more of them is committed or recorded here.");
        }
    }

    /// <summary>Renews the lease now; false, with the lease given up here, when another scheduler took it.</summary>
    private async Task<bool> RenewLeaseAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset asked = _time.GetUtcNow();
        if (await _catalog.Scheduler.RenewSchedulerLeaseAsync(Holder, _options.LeaseTimeToLive, cancellationToken).ConfigureAwait(false))
        {
            LeaseHeldSince(asked);
            return true;
        }

        await LoseLeaseAsync().ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// Another scheduler took the lease (ours expired) and with it the runs under way here: it marks them interrupted and
    /// retries them, and starts streams of its own for the continuous ones. This one plans nothing more and stops its runs
    /// and streams at once; they commit and record nothing more (see <see cref="FenceAsync"/>), and its server ends
    /// (<see cref="RunsTakenBack"/>).
    /// </summary>
    /// <remarks>
    /// It may be called from within a fence a stream or a run is waiting on, so it only asks them to stop and never waits
    /// for them to end (nor for <see cref="_state"/>, which its caller may hold).
    /// </remarks>
    private async Task LoseLeaseAsync()
    {
        if (LeaseLost)
        {
            return;
        }

        LeaseLost = true;
        LogLeaseLost(_logger, _executor.Count);
        await _executor.CancelAllAsync().ConfigureAwait(false);
        await _streamsLeaseLost.CancelAsync().ConfigureAwait(false);
        _runsTakenBack.TrySetResult();
        Wake();
    }

    /// <summary>Records that the lease was held as of <paramref name="asked"/>, the time its taking or renewal was asked.</summary>
    private void LeaseHeldSince(DateTimeOffset asked) => Volatile.Write(ref _holdsLeaseUntil, SurelyHeldUntil(asked, _options.LeaseTimeToLive));

    /// <summary>Until when (UTC ticks) what was held as of <paramref name="asked"/> for <paramref name="span"/> is surely still held: nine tenths of it.</summary>
    private static long SurelyHeldUntil(DateTimeOffset asked, TimeSpan span) => (asked + (span * 0.9)).UtcTicks;

    /// <summary>Takes the lease, or returns the lease of the live holder that keeps it.</summary>
    private static async Task<CatalogLease?> TryAcquireLeaseAsync(CatalogStore catalog, LeaseHolder holder, TimeSpan ttl, CancellationToken cancellationToken)
    {
        try
        {
            await catalog.Scheduler.AcquireSchedulerLeaseAsync(holder, ttl, cancellationToken: cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (MedallionException e) when (e.Code == ErrorCode.CatalogLeaseHeld)
        {
            if (await catalog.Scheduler.GetSchedulerLeaseAsync(cancellationToken).ConfigureAwait(false) is not { } lease)
            {
                // Released between the two statements: take it now.
                return await TryAcquireLeaseAsync(catalog, holder, ttl, cancellationToken).ConfigureAwait(false);
            }

            if (!lease.Holder.IsGoneLocalProcess())
            {
                return lease;
            }

            try
            {
                await catalog.Scheduler.AcquireSchedulerLeaseAsync(holder, ttl, replacing: lease.Holder.Id, cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (MedallionException raced) when (raced.Code == ErrorCode.CatalogLeaseHeld)
            {
                // Another scheduler replaced the dead holder first.
                return await catalog.Scheduler.GetSchedulerLeaseAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// On standby: tries the lease again when the holder's lapses (and at every heartbeat interval, in case it was
    /// released or its holder died), then recovers what the previous holder left and schedules from then on.
    /// </summary>
    private async Task StandbyThenPlanAsync()
    {
        CancellationToken stop = _stopPlanning.Token;
        try
        {
            while (_standbyBehind is { } behind)
            {
                TimeSpan untilExpiry = behind.ExpiresAt - _time.GetUtcNow();
                TimeSpan wait = untilExpiry < _options.HeartbeatInterval ? untilExpiry : _options.HeartbeatInterval;
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time, stop).ConfigureAwait(false);
                try
                {
                    DateTimeOffset asked = _time.GetUtcNow();
                    _standbyBehind = await TryAcquireLeaseAsync(_catalog, Holder, _options.LeaseTimeToLive, stop).ConfigureAwait(false);
                    if (_standbyBehind is null)
                    {
                        LeaseHeldSince(asked);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The catalog could not be read this time (locked, a network file system's hiccup): try again next interval.
                    LogStandbyTryFailed(_logger, e.Message);
                }
            }

            LogTookOver(_logger, Holder.ToString());
            DateTimeOffset? nextFire = await BeginSchedulingAsync(stop).ConfigureAwait(false);
            _activated.TrySetResult();
            await PlanLoopAsync(nextFire).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped while on standby or while taking over.
        }
    }

    [LoggerMessage(EventId = 9520, Level = LogLevel.Warning, Message = "The scheduler took the catalog's lease ({Holder}) and runs the project's jobs from now on.")]
    private static partial void LogTookOver(ILogger logger, string holder);

    [LoggerMessage(EventId = 9521, Level = LogLevel.Warning, Message = "The scheduler on standby could not read the catalog's lease: {Error}; it tries again.")]
    private static partial void LogStandbyTryFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 9522, Level = LogLevel.Error, Message = "A planning pass of the scheduler failed: {Reason}; it plans again in {RetryMs} ms.")]
    private static partial void LogPassFailed(ILogger logger, Exception error, string reason, long retryMs);

    [LoggerMessage(EventId = 9523, Level = LogLevel.Warning, Message = "The scheduler cannot read {Table}, which job {Job} watches: {Error}; the job's new-data runs wait until it can.")]
    private static partial void LogWatchedTableUnreadable(ILogger logger, string table, string job, string error);

    [LoggerMessage(EventId = 9525, Level = LogLevel.Error, Message = "Another scheduler took the catalog's lease after this one missed its heartbeats: this one plans nothing more, and stops its {Running} run(s) and its streams under way without recording them; the new holder retries the runs and starts its own streams.")]
    private static partial void LogLeaseLost(ILogger logger, int running);

    [LoggerMessage(EventId = 9524, Level = LogLevel.Warning, Message = "The scheduler could not renew its lease in the catalog: {Error}; it tries again at the next heartbeat.")]
    private static partial void LogHeartbeatFailed(ILogger logger, string error);
}
