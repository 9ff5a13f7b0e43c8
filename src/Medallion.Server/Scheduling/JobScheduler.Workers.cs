using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Microsoft.Extensions.Logging;

namespace Medallion.Server.Scheduling;

/// <summary>
/// Runs on workers. The scheduler admits the runs that may start past its own <see cref="SchedulerOptions.Concurrency"/>
/// in the catalog and keeps their tables locked and their limits counted until they end, which it reads at each pass;
/// it takes back the runs of workers silent for <see cref="SchedulerOptions.AdoptAfter"/>, or at once those of a worker
/// of its own host whose process is gone. A worker
/// (<see cref="SchedulerOptions.ClaimsRuns"/>) claims admitted runs up to its concurrency, carries out the cancels asked
/// of them, and heartbeats; once its runs were taken back it commits and records nothing more of them.
/// </summary>
public sealed partial class JobScheduler
{
    // Whether the worker's entry in the servers table was found once: a renewal that finds it gone after that means the
    // scheduler took its runs back.
    private bool _listed;
    private DateTimeOffset _lastRenewal = DateTimeOffset.MinValue;
    // When the scheduler last looked for silent workers (TrackAdmittedAsync).
    private DateTimeOffset _lastReclaim = DateTimeOffset.MinValue;
    // Until when (UTC ticks) this worker's or planner's runs are surely its own; see WorkerFenceAsync.
    private long _holdsRunsUntil;

    /// <summary>
    /// True for a worker and for a scheduler that plans beside others, which keep their own heartbeat in the servers table
    /// (a renewal, never a new entry) and lose their runs to whichever server finds them silent.
    /// </summary>
    internal bool RenewsOwnPresence => (_options.ClaimsRuns && !_options.RunsJobs) || _options.PlansBesideOthers;

    /// <summary>
    /// Reads how the runs admitted to workers stand: those that ended free their tables and slots and are accounted for
    /// (jobs after them, backfills); those of workers silent since <see cref="SchedulerOptions.AdoptAfter"/> are taken
    /// back and retried by their jobs' policies. Called with <see cref="_state"/> held, at each pass.
    /// </summary>
    /// <returns>How many admitted runs ended.</returns>
    private async Task<int> TrackAdmittedAsync(CancellationToken cancellationToken)
    {
        // A planner looks for silent servers even with nothing admitted: any of them may have held runs.
        if (_admitted.Count == 0 && !_options.PlansBesideOthers)
        {
            return 0;
        }

        // Looking for silent workers every tenth of adopt-after takes their runs back at most that late, where every pass
        // (a second) would list the servers and query for their runs for nothing nearly always.
        if (_time.GetUtcNow() - _lastReclaim >= _options.AdoptAfter / 10)
        {
            _lastReclaim = _time.GetUtcNow();
            await ReclaimAsync(cancellationToken).ConfigureAwait(false);
        }

        List<RunRecord> current = await _catalog.Runs.GetRunsAsync([.. _admitted.Keys], cancellationToken).ConfigureAwait(false);
        var deleted = new HashSet<string>(_admitted.Keys, StringComparer.Ordinal);
        int ended = 0;
        foreach (RunRecord run in current)
        {
            deleted.Remove(run.Id);
            if (run.Status is RunStatus.Queued or RunStatus.Running)
            {
                _admitted[run.Id] = run;
                continue;
            }

            _admitted.Remove(run.Id);
            await AccountEndAsync(run).ConfigureAwait(false);
            ended++;
        }

        // Deleted meanwhile (an operator pruned it): nothing runs it any more.
        foreach (string id in deleted)
        {
            _admitted.Remove(id);
        }

        return ended;
    }

    /// <summary>
    /// Takes back the runs of workers silent since <see cref="SchedulerOptions.AdoptAfter"/>, or of this host and gone:
    /// retried by their jobs' policies (or back to the queue, claimed and not started). Called with <see cref="_state"/> held.
    /// </summary>
    private async Task ReclaimAsync(CancellationToken cancellationToken)
    {
        // A worker of this host whose process is gone is not waited for: it will never heartbeat again.
        List<string> gone = [.. (await _catalog.Servers.ListAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => s.Role is ServerStore.WorkerRole or ServerStore.PlannerRole && s.Process.Id != Holder.Id && s.Process.IsGoneLocalProcess())
            .Select(s => s.Process.Id)];
        var retried = new HashSet<string>(StringComparer.Ordinal);
        List<RunRecord> reclaimed = await _catalog.Runs.ReclaimRunsOfSilentServersAsync(
            Holder.Id, _time.GetUtcNow() - _options.AdoptAfter, gone, Retries(retried), _options.PlansBesideOthers, cancellationToken).ConfigureAwait(false);
        foreach (RunRecord run in reclaimed)
        {
            _admitted.Remove(run.Id);
        }

        await TakeOverInterruptedAsync(reclaimed, retried, "interrupted: the server running it went silent; retried by its job's policy").ConfigureAwait(false);
    }

    /// <summary>
    /// Cancels a run admitted to workers: ended at once while no worker claimed it, else asked of the worker that did
    /// (it stops the run within its poll interval). Called with <see cref="_state"/> held.
    /// </summary>
    private async Task CancelAdmittedAsync(RunRecord run, string why, CancellationToken cancellationToken)
    {
        if (run.Holder is null)
        {
            await _executor.LogAsync(run, null, "error", $"run cancelled: {why}").ConfigureAwait(false);
            if (await _catalog.Runs.CancelUnclaimedRunAsync(run.Id, why, cancellationToken).ConfigureAwait(false))
            {
                Wake();
                return;
            }
        }

        await _catalog.Runs.RequestCancelAsync(run.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts the worker's loop: heartbeat, cancels asked of its runs, claims.</summary>
    private void StartClaiming()
    {
        _executor.Streamed = StreamedTables(_definitions);
        _loop = Task.Run(ClaimLoopAsync, CancellationToken.None);
    }

    private async Task ClaimLoopAsync()
    {
        CancellationToken stop = _stopPlanning.Token;
        // A PostgreSQL catalog tells of claimable runs as their admission commits: the worker claims then, not at its next
        // poll, which stays for SQLite and for what a dropped listening connection misses.
        using var listening = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task listener = _catalog.Runs.WatchClaimableRunsAsync(Wake, listening.Token);
        try
        {
            await ClaimUntilStoppedAsync(stop).ConfigureAwait(false);
        }
        finally
        {
            await listening.CancelAsync().ConfigureAwait(false);
            await listener.ConfigureAwait(false);
        }
    }

    private async Task ClaimUntilStoppedAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested && !LeaseLost)
        {
            TaskCompletionSource signal = Volatile.Read(ref _wake);
            try
            {
                await Task.WhenAny(signal.Task, Task.Delay(_options.PollInterval, _time, stop)).ConfigureAwait(false);
                Volatile.Write(ref _wake, NewSignal());
                stop.ThrowIfCancellationRequested();
                if (_time.GetUtcNow() - _lastRenewal >= _options.HeartbeatInterval && !await RenewPresenceAsync(stop).ConfigureAwait(false))
                {
                    continue;
                }

                await ClaimPassAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The catalog is down or locked this time: the runs under way go on, and the next pass tries again.
                LogClaimFailed(_logger, e.Message);
            }
        }
    }

    /// <summary>Carries out the cancels asked of this worker's runs, then claims as many admitted runs as it has free slots.</summary>
    private async Task ClaimPassAsync(CancellationToken cancellationToken)
    {
        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await TakeCancelsAsync(cancellationToken).ConfigureAwait(false);
            await ClaimWithFreeSlotsAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _state.Release();
        }
    }

    /// <summary>
    /// Claims as many admitted runs waiting for a claimer as this server has free slots, and starts them: a worker's pass,
    /// and a planner's, which runs what other planners admitted past their own slots. Called with <see cref="_state"/> held.
    /// </summary>
    private async Task ClaimWithFreeSlotsAsync(CancellationToken cancellationToken)
    {
        int free = _options.Concurrency - _executor.Count;
        if (free <= 0 || LeaseLost)
        {
            return;
        }

        Definitions definitions = _definitions;
        List<RunRecord> claimed = await _catalog.Runs.ClaimRunsAsync(Holder.Id, free, cancellationToken).ConfigureAwait(false);
        // The lines together, asked before anything of the runs themselves: the catalog's one writer applies writes in
        // the order asked, so they commit first without the runs waiting for them.
        Task logged = _executor.LogEachAsync(claimed, _ => $"claimed by {SchedulerRoleNames.Of(Role)} {Holder.Id} ({Holder})");
        foreach (RunRecord run in claimed)
        {
            // A planner may claim back a run it admitted for others: it runs it, and watches it no longer as admitted.
            _admitted.Remove(run.Id);
            if (definitions.JobOf(run) is { } job)
            {
                _executor.Start(run, job, definitions);
            }
            else
            {
                await _executor.EndAsync(run, RunStatus.Failed,
                    $"{ErrorCodes.Format(ErrorCode.CatalogObjectNotFound)}: {SchedulerRoleNames.Of(Role)} {Holder} has no job '{run.Job}' in its project; its servers must serve the same project files (reload or redeploy it).").ConfigureAwait(false);
            }
        }

        await logged.ConfigureAwait(false);
    }

    /// <summary>
    /// Moves this worker's heartbeat. False while it is not listed yet (its server lists it once started); once it was,
    /// a renewal that finds it gone means a scheduler took its runs back: it stops them and claims nothing more.
    /// </summary>
    private async Task<bool> RenewPresenceAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset asked = _time.GetUtcNow();
        if (await _catalog.Servers.RenewAsync(Holder.Id, cancellationToken).ConfigureAwait(false))
        {
            PresenceRenewedAt(asked);
            return true;
        }

        if (_listed)
        {
            LeaseLost = true;
            LogRunsTakenBack(_logger, _executor.Count);
            await _executor.CancelAllAsync().ConfigureAwait(false);
            _runsTakenBack.TrySetResult();
            Wake();
        }

        return false;
    }

    /// <summary>Records that this server's entry was listed or renewed as of <paramref name="asked"/>: its runs are surely its own for most of an adopt-after.</summary>
    private void PresenceRenewedAt(DateTimeOffset asked)
    {
        _listed = true;
        _lastRenewal = asked;
        Volatile.Write(ref _holdsRunsUntil, SurelyHeldUntil(asked, _options.AdoptAfter));
    }

    /// <summary>
    /// The fence of a worker's runs, and of a planner's (see <see cref="FenceAsync"/> for a scheduler's behind the lease): it passes at once within nine tenths
    /// of <see cref="SchedulerOptions.AdoptAfter"/> of the last heartbeat, and past that renews the heartbeat, which fails
    /// once a scheduler took the runs back.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.RunNoLongerHeld"/> once the runs were taken back.</exception>
    internal async ValueTask WorkerFenceAsync(CancellationToken cancellationToken)
    {
        if (!LeaseLost && _time.GetUtcNow().UtcTicks < Volatile.Read(ref _holdsRunsUntil))
        {
            return;
        }

        if (LeaseLost || !await RenewPresenceAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new MedallionException(
                ErrorCode.RunNoLongerHeld,
                "This worker no longer holds its runs: it went silent past the scheduler's adopt-after (it was stopped, paused or cut off from the catalog), and the scheduler took them back to retry them elsewhere; nothing more of them is committed or recorded here.");
        }
    }

    /// <summary>The bronze tables the project's continuous jobs stream: runs neither load nor lock them.</summary>
    private static HashSet<TableName> StreamedTables(Definitions definitions, IEnumerable<JobDefinition>? streaming = null) =>
        (streaming ?? definitions.Jobs.Values.Where(j => j.Continuous))
            .SelectMany(job => definitions.Project.DatabaseSources.Where(s => job.Sources.Contains(s.Name, StringComparer.OrdinalIgnoreCase)))
            .SelectMany(s => s.Tables.Select(t => t.Target))
            .ToHashSet();

    [LoggerMessage(EventId = 9526, Level = LogLevel.Error, Message = "A scheduler took this worker's runs back after it missed its heartbeats: it stops its {Running} run(s) under way without recording them, claims nothing more, and ends, for its supervisor to start it afresh.")]
    private static partial void LogRunsTakenBack(ILogger logger, int running);

    [LoggerMessage(EventId = 9527, Level = LogLevel.Warning, Message = "The worker could not claim runs from the catalog: {Error}; it tries again.")]
    private static partial void LogClaimFailed(ILogger logger, string error);
}
