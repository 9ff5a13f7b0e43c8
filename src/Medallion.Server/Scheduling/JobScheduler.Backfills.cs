using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;

namespace Medallion.Server.Scheduling;

// Backfills: one run per interval of a range, recorded as one backfill (the catalog's backfills row, its runs carrying
// its id) whose state follows its runs. The scheduler keeps each backfill under way in _backfills (for its max_active
// and its end); a scheduler that starts after a crash takes over the ones left running.
public sealed partial class JobScheduler
{
    /// <summary>
    /// The data intervals of a scheduled job that lie inside [<paramref name="from"/>, <paramref name="to"/>] (as its
    /// schedule cuts them), each with its latest run and whether a backfill with <paramref name="reprocess"/> would run
    /// it. Nothing is queued: this is what <c>backfill --dry-run</c> shows.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> for an unknown job; <see cref="ErrorCode.JobScheduleInvalid"/> when the job has no schedule or the range holds no whole interval.</exception>
    public async Task<IReadOnlyList<BackfillInterval>> PlanBackfillAsync(
        string job, DateTimeOffset from, DateTimeOffset to, BackfillReprocess reprocess = BackfillReprocess.Missing, CancellationToken cancellationToken = default)
    {
        JobDefinition definition = FindJob(job);
        JobSchedule schedule = definition.Schedule
            ?? throw new MedallionException(ErrorCode.JobScheduleInvalid, $"Job '{definition.Name}' has no schedule, so it has no intervals to backfill.\nHelp: give it 'schedule:' or 'every:', or trigger it instead.");
        var intervals = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        for (DateTimeOffset? fire = schedule.GetNextFireTime(from); fire is { } f && f <= to; fire = schedule.GetNextFireTime(f))
        {
            (DateTimeOffset start, DateTimeOffset end) = schedule.GetDataInterval(f);
            if (start >= from)
            {
                intervals.Add((start, end));
            }
        }

        if (intervals.Count == 0)
        {
            throw new MedallionException(ErrorCode.JobScheduleInvalid, $"No whole interval of job '{definition.Name}' ({schedule}) lies between {from:O} and {to:O}.\nHelp: widen the range to at least one interval.");
        }

        List<RunRecord> existing = await _catalog.Runs.GetIntervalRunsAsync(definition.Name, intervals[0].End, intervals[^1].End, cancellationToken).ConfigureAwait(false);
        return [.. intervals.Select(interval =>
        {
            List<RunRecord> runs = existing.Where(r => r.IntervalEnd == interval.End).ToList();
            bool run = reprocess switch
            {
                BackfillReprocess.All => true,
                BackfillReprocess.Failed => runs.Count > 0 && runs[0].Status is RunStatus.Failed or RunStatus.Cancelled or RunStatus.Interrupted,
                _ => !runs.Any(r => r.Status is RunStatus.Succeeded or RunStatus.Running or RunStatus.Queued),
            };
            return new BackfillInterval(interval.Start, interval.End, runs.Count > 0 ? runs[0].Status : null, run);
        })];
    }

    /// <summary>
    /// Backfills a scheduled job over [<paramref name="from"/>, <paramref name="to"/>]: one run per interval that
    /// <see cref="PlanBackfillAsync"/> marks to run, at most <paramref name="maxActive"/> at once, recorded as one backfill.
    /// </summary>
    /// <param name="job">The scheduled job.</param>
    /// <param name="from">The range's start (inclusive).</param>
    /// <param name="to">The range's end (inclusive).</param>
    /// <param name="reprocess">Which intervals run.</param>
    /// <param name="maxActive">How many of its runs at once.</param>
    /// <param name="startedBy">The user asking, recorded with the backfill; null when unknown.</param>
    /// <param name="cancellationToken">Cancels queuing.</param>
    /// <returns>The backfill and the runs it queued (none when every interval was done already).</returns>
    /// <exception cref="MedallionException">As <see cref="PlanBackfillAsync"/>.</exception>
    public async Task<(BackfillRecord Backfill, IReadOnlyList<RunRecord> Runs)> BackfillAsync(
        string job, DateTimeOffset from, DateTimeOffset to, BackfillReprocess reprocess = BackfillReprocess.Missing, int maxActive = 1, string? startedBy = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxActive);
        IReadOnlyList<BackfillInterval> intervals = await PlanBackfillAsync(job, from, to, reprocess, cancellationToken).ConfigureAwait(false);
        JobDefinition definition = FindJob(job);
        BackfillRecord backfill = await _catalog.Scheduler.CreateBackfillAsync(
            definition.Name, from, to, reprocess.ToString().ToLowerInvariant(), maxActive, intervals.Count, startedBy, cancellationToken).ConfigureAwait(false);
        var queued = new List<RunRecord>();
        if (!RunsJobs)
        {
            return await HandBackfillOverAsync(backfill, definition, intervals, cancellationToken).ConfigureAwait(false);
        }

        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _backfills[backfill.Id] = backfill;
            foreach (BackfillInterval interval in intervals.Where(i => i.WillRun))
            {
                if (await QueueAsync(new RunStart(definition.Name, RunTrigger.Backfill, definition.Select, interval.Start, interval.End, Holder.Id) { BackfillId = backfill.Id }, cancellationToken).ConfigureAwait(false) is { } record)
                {
                    queued.Add(record);
                }
            }

            // Nothing queued: every interval was done already, and the backfill ends here.
            await FinishBackfillIfDoneAsync(backfill.Id).ConfigureAwait(false);
        }
        finally
        {
            _state.Release();
        }

        Wake();
        return ((await _catalog.Scheduler.GetBackfillAsync(backfill.Id, cancellationToken).ConfigureAwait(false))!, queued);
    }

    /// <summary>
    /// A backfill asked of a server that does not run the jobs: its runs are queued with no holder, for the scheduler that
    /// runs the jobs to adopt with the backfill (see <see cref="TakeRequestsAsync"/>); one with nothing to run ends here.
    /// </summary>
    private async Task<(BackfillRecord Backfill, IReadOnlyList<RunRecord> Runs)> HandBackfillOverAsync(
        BackfillRecord backfill, JobDefinition definition, IReadOnlyList<BackfillInterval> intervals, CancellationToken cancellationToken)
    {
        var queued = new List<RunRecord>();
        foreach (BackfillInterval interval in intervals.Where(i => i.WillRun))
        {
            if (await _catalog.Runs.TryQueueRunAsync(new RunStart(definition.Name, RunTrigger.Backfill, definition.Select, interval.Start, interval.End, null) { BackfillId = backfill.Id }, cancellationToken).ConfigureAwait(false) is { } run)
            {
                await _executor.LogAsync(run, null, "info", Describe(run) + " on a server that does not run the jobs; the one that does starts it").ConfigureAwait(false);
                queued.Add(run);
            }
        }

        if (queued.Count == 0)
        {
            await _catalog.Scheduler.FinishBackfillAsync(backfill.Id, RunStatus.Succeeded, cancellationToken).ConfigureAwait(false);
        }

        return ((await _catalog.Scheduler.GetBackfillAsync(backfill.Id, cancellationToken).ConfigureAwait(false))!, queued);
    }

    /// <summary>
    /// Takes over the backfills of runs just adopted from the catalog (started on a server that does not run the jobs),
    /// so their <c>max_active</c> applies and they end with their last run. Called with <see cref="_state"/> held.
    /// </summary>
    private async Task AdoptBackfillsAsync(IEnumerable<RunRecord> adopted, CancellationToken cancellationToken)
    {
        foreach (string id in adopted.Select(r => r.BackfillId).OfType<string>().Distinct().Where(b => !_backfills.ContainsKey(b)).ToList())
        {
            if (await _catalog.Scheduler.GetBackfillAsync(id, cancellationToken).ConfigureAwait(false) is { Status: RunStatus.Running } backfill)
            {
                _backfills[id] = backfill;
            }
        }
    }

    /// <summary>
    /// Cancels a backfill: its intervals still queued end cancelled without running, its running runs are cancelled
    /// (their running models commit nothing), and the backfill ends <see cref="RunStatus.Cancelled"/> once the last of
    /// them has stopped. A backfill that had ended already is left as it is.
    /// </summary>
    /// <returns>The backfill as it is now, with its progress and runs (running runs may still be stopping).</returns>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when no backfill has that id (with a suggestion).</exception>
    public async Task<BackfillDetail> CancelBackfillAsync(string backfillId, CancellationToken cancellationToken = default)
    {
        BackfillDetail found = await GetBackfillAsync(backfillId, cancellationToken).ConfigureAwait(false);
        if (found.Backfill.Status != RunStatus.Running)
        {
            return found;
        }

        if (!RunsJobs)
        {
            // Asked of the scheduler that runs the jobs through the catalog, run by run: the backfill ends cancelled with them.
            await RequestCancelsOfBackfillAsync(backfillId, cancellationToken).ConfigureAwait(false);
            return (await _catalog.Scheduler.GetBackfillDetailAsync(backfillId, cancellationToken).ConfigureAwait(false))!;
        }

        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _backfills[backfillId] = (_backfills.GetValueOrDefault(backfillId) ?? found.Backfill) with { Status = RunStatus.Cancelled };
            foreach (RunRecord queued in _queue.OfBackfill(backfillId))
            {
                _queue.Remove(queued);
                await _executor.EndAsync(queued, RunStatus.Cancelled, $"cancelled with backfill {backfillId} before it started").ConfigureAwait(false);
            }

            await _executor.CancelBackfillAsync(backfillId).ConfigureAwait(false);
            foreach (RunRecord admitted in _admitted.Values.Where(r => r.BackfillId == backfillId).ToList())
            {
                await CancelAdmittedAsync(admitted, $"cancelled with backfill {backfillId}", cancellationToken).ConfigureAwait(false);
            }

            await FinishBackfillIfDoneAsync(backfillId).ConfigureAwait(false);
        }
        finally
        {
            _state.Release();
        }

        if (_options.PlansBesideOthers)
        {
            // The backfill's runs other planners hold are theirs to stop.
            await RequestCancelsOfBackfillAsync(backfillId, cancellationToken).ConfigureAwait(false);
        }

        Wake();
        return (await _catalog.Scheduler.GetBackfillDetailAsync(backfillId, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Asks, through the catalog, whichever server holds each open run of a backfill to cancel it.</summary>
    private async Task RequestCancelsOfBackfillAsync(string backfillId, CancellationToken cancellationToken)
    {
        foreach (RunRecord open in await _catalog.Scheduler.GetBackfillRunsAsync(backfillId, cancellationToken).ConfigureAwait(false))
        {
            if (open.Status is RunStatus.Queued or RunStatus.Running)
            {
                await _catalog.Runs.RequestCancelAsync(open.Id, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A backfill with its progress and runs.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when no backfill has that id: the message says
    /// when the id is a run's, or names the closest recent backfill.</exception>
    public async Task<BackfillDetail> GetBackfillAsync(string backfillId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(backfillId);
        if (await _catalog.Scheduler.GetBackfillDetailAsync(backfillId, cancellationToken).ConfigureAwait(false) is { } found)
        {
            return found;
        }

        if (await _catalog.Runs.GetRunAsync(backfillId, cancellationToken).ConfigureAwait(false) is { } run)
        {
            string of = run.BackfillId is { } owner ? $"; it belongs to backfill '{owner}'" : string.Empty;
            throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"'{backfillId}' is a run, not a backfill{of}.\nHelp: medallion cancel {backfillId} cancels the run; medallion backfills lists backfills.");
        }

        List<BackfillDetail> recent = await _catalog.Scheduler.QueryBackfillsAsync(limit: 200, cancellationToken: cancellationToken).ConfigureAwait(false);
        throw new MedallionException(
            ErrorCode.CatalogObjectNotFound,
            $"The catalog has no backfill '{backfillId}'.{NameSuggester.DidYouMean(backfillId, recent.Select(b => b.Backfill.Id))}\nHelp: medallion backfills lists them (GET /api/backfills).");
    }

    /// <summary>
    /// Ends a backfill that has no run queued or running any more: cancelled when it was cancelled or a run of it was,
    /// succeeded when every run succeeded (or it had none), failed otherwise. Called with <see cref="_state"/> held.
    /// </summary>
    private async Task FinishBackfillIfDoneAsync(string backfillId)
    {
        if (!_backfills.TryGetValue(backfillId, out BackfillRecord? backfill)
            || _queue.HoldsBackfill(backfillId) || _executor.Running.Concat(_admitted.Values).Any(r => r.BackfillId == backfillId))
        {
            return;
        }

        List<RunRecord> runs = await _catalog.Scheduler.GetBackfillRunsAsync(backfillId, CancellationToken.None).ConfigureAwait(false);
        if (runs.Any(r => r.Status is RunStatus.Queued or RunStatus.Running))
        {
            // Runs this scheduler has not adopted yet: a server that does not run the jobs is still queuing the backfill.
            return;
        }

        _backfills.Remove(backfillId);
        RunStatus status = backfill.Status == RunStatus.Cancelled || runs.Any(r => r.Status == RunStatus.Cancelled) ? RunStatus.Cancelled
            : runs.All(r => r.Status == RunStatus.Succeeded) ? RunStatus.Succeeded
            : RunStatus.Failed;
        await _catalog.Scheduler.FinishBackfillAsync(backfillId, status, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// After <see cref="RecoverAsync"/> adopted the runs a dead scheduler left: takes over the backfills it left running
    /// (their limit applies again, and they end with their last run), ending those with nothing left to run.
    /// </summary>
    private async Task RecoverBackfillsAsync(CancellationToken cancellationToken)
    {
        foreach (BackfillDetail left in await _catalog.Scheduler.QueryBackfillsAsync(status: RunStatus.Running, limit: 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            _backfills[left.Backfill.Id] = left.Backfill;
            await FinishBackfillIfDoneAsync(left.Backfill.Id).ConfigureAwait(false);
        }
    }
}
