using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines;
using Medallion.Pipelines.Sources;

namespace Medallion.Server.Scheduling;

public sealed partial class JobScheduler
{
    /// <summary>The loop: plan what came due, start what may start, sleep until the next fire time or poll.</summary>
    /// <remarks>The first pass (catch-up) ran in <see cref="StartAsync"/>, so a started scheduler has planned at its start time.</remarks>
    private async Task PlanLoopAsync(DateTimeOffset? nextFire)
    {
        CancellationToken stop = _stopPlanning.Token;
        while (!stop.IsCancellationRequested && !LeaseLost)
        {
            TaskCompletionSource signal = Volatile.Read(ref _wake);
            TimeSpan wait = _options.PollInterval;
            DateTimeOffset now = _time.GetUtcNow();
            if (nextFire is { } next && next - now < wait)
            {
                wait = next - now > TimeSpan.Zero ? next - now : TimeSpan.Zero;
            }

            try
            {
                await Task.WhenAny(signal.Task, Task.Delay(wait, _time, stop)).ConfigureAwait(false);
                nextFire = await PlanPassAsync(startup: false, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One pass: queue what came due (schedules, watched tables), start what may start; returns the next fire time.</summary>
    private async Task<DateTimeOffset?> PlanPassAsync(bool startup, CancellationToken stop)
    {
        // A new signal before planning: a wake-up during the pass is not lost, it ends the next wait at once.
        Volatile.Write(ref _wake, NewSignal());
        await _state.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            DateTimeOffset? nextFire = await PlanScheduledAsync(_time.GetUtcNow(), startup, stop).ConfigureAwait(false);
            await PlanDataAsync(stop).ConfigureAwait(false);
            await PlanNewFilesAsync(stop).ConfigureAwait(false);
            await StartQueuedAsync().ConfigureAwait(false);
            return nextFire;
        }
        finally
        {
            _state.Release();
        }
    }

    /// <summary>Queues the fire times that came due; returns the earliest next fire time of any job.</summary>
    private async Task<DateTimeOffset?> PlanScheduledAsync(DateTimeOffset now, bool startup, CancellationToken cancellationToken)
    {
        DateTimeOffset? earliest = null;
        var due = new List<RunStart>();
        var accountedUntil = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (JobDefinition job in _definitions.Jobs.Values.Where(j => j.Schedule is not null))
        {
            if (!_lastFire.TryGetValue(job.Name, out DateTimeOffset last))
            {
                last = await _catalog.GetLastScheduledFireTimeAsync(job.Name, cancellationToken).ConfigureAwait(false) ?? now;
            }

            if (IsPaused(job))
            {
                // Fire times pass unplanned while a job is paused; unpausing does not replay them.
                _lastFire[job.Name] = now;
                continue;
            }

            (List<DateTimeOffset> run, DateTimeOffset accounted) = SchedulePlanner.Plan(job.Schedule!, job.Catchup, last, now, startup);
            if (startup && accounted > last)
            {
                Metrics.MissedSchedules(job.Name, SchedulePlanner.CountFireTimes(job.Schedule!, last, accounted) - run.Count);
            }

            foreach (DateTimeOffset fire in run)
            {
                (DateTimeOffset start, DateTimeOffset end) = job.Schedule!.GetDataInterval(fire);
                due.Add(new RunStart(job.Name, RunTrigger.Schedule, job.Select, start, end, Holder.Id));
            }

            accountedUntil[job.Name] = accounted;
            if (job.Schedule!.GetNextFireTime(accounted) is { } next && (earliest is null || next < earliest))
            {
                earliest = next;
            }
        }

        await QueueAllAsync(due, cancellationToken).ConfigureAwait(false);
        // Only once queued: a pass that failed to queue plans the same fire times again.
        foreach ((string job, DateTimeOffset accounted) in accountedUntil)
        {
            _lastFire[job] = accounted;
        }

        return earliest;
    }

    /// <summary>Queues the runs together: many jobs due at one instant share the catalog's commits rather than waiting for one each.</summary>
    private async Task QueueAllAsync(List<RunStart> starts, CancellationToken cancellationToken)
    {
        RunRecord?[] runs = await Task.WhenAll(starts.Select(s => _catalog.TryQueueRunAsync(s, cancellationToken))).ConfigureAwait(false);
        List<RunRecord> queued = runs.OfType<RunRecord>().ToList();
        _queue.AddRange(queued);
        DateTimeOffset now = _time.GetUtcNow();
        await Task.WhenAll(queued.Select(r => LogAsync(r, [new RunLogEntry(now, null, "info", Describe(r))]))).ConfigureAwait(false);
    }

    /// <summary>Queues a run of each <c>on_new_data</c> job a watched table of which has a new version since its last run.</summary>
    private async Task PlanDataAsync(CancellationToken cancellationToken)
    {
        foreach (JobDefinition job in _definitions.Jobs.Values.Where(j => j.OnNewData.Count > 0 && !IsPaused(j)))
        {
            var versions = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            foreach (TableName table in job.OnNewData)
            {
                versions[Key(table)] = await CurrentVersionAsync(table, cancellationToken).ConfigureAwait(false);
            }

            _jobStates.TryGetValue(job.Name, out JobState? state);
            bool changed = state is not null && state.SeenVersions.Count > 0
                && versions.Any(v => v.Value > (state.SeenVersions.TryGetValue(v.Key, out long seen) ? seen : -1));
            bool firstLook = state is null || state.SeenVersions.Count == 0;
            if (!changed && !firstLook)
            {
                continue;
            }

            // New versions while a data run still waits are covered by that run: it reads the tables when it starts.
            if (changed && !_queue.Any(r => r.Job == job.Name && r.Trigger == RunTrigger.Data))
            {
                await QueueAsync(new RunStart(job.Name, RunTrigger.Data, job.Select, null, null, Holder.Id), cancellationToken).ConfigureAwait(false);
            }

            await _catalog.SetJobSeenVersionsAsync(job.Name, versions, cancellationToken).ConfigureAwait(false);
            _jobStates[job.Name] = (state ?? new JobState(job.Name, null, versions)) with { SeenVersions = versions };
        }
    }

    /// <summary>
    /// Queues a run of each job with file sources in <c>on_new_data</c> when a file appears that its source has not
    /// loaded yet (the source's own record of loaded files decides) and this scheduler has not seen pending before.
    /// </summary>
    /// <remarks>
    /// Files seen pending are remembered until they stop being pending (loaded, or gone), so one new file queues one run,
    /// not one per pass while the run loads it; a file that changes after it was loaded is pending again. After a
    /// restart, files still not loaded queue a run once.
    /// </remarks>
    private async Task PlanNewFilesAsync(CancellationToken cancellationToken)
    {
        MedallionProject project = _definitions.Project;
        foreach (JobDefinition job in _definitions.Jobs.Values.Where(j => j.OnNewFiles.Count > 0 && !IsPaused(j)))
        {
            var pending = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in job.OnNewFiles)
            {
                SourceDefinition source = project.Sources.First(s => string.Equals(s.Name, name, StringComparison.Ordinal));
                _filesConnection ??= (_filesEngine = DuckDbDatabase.Open()).CreateConnection();
                try
                {
                    foreach (string file in await FileSourceLoader.FindNewFilesAsync(project, source, _filesConnection, _snapshots, cancellationToken).ConfigureAwait(false))
                    {
                        pending.Add(name + ":" + file);
                    }
                }
                catch (MedallionException e)
                {
                    // A file that cannot be read counts as new: the run it queues fails naming it, where people look.
                    pending.Add(name + ": " + e.Message);
                }
            }

            HashSet<string> seen = _pendingFiles.TryGetValue(job.Name, out HashSet<string>? known) ? known : [];
            if (pending.Any(f => !seen.Contains(f)) && !_queue.Any(r => r.Job == job.Name && r.Trigger == RunTrigger.Data))
            {
                RunRecord? run = await QueueAsync(new RunStart(job.Name, RunTrigger.Data, job.Select, null, null, Holder.Id), cancellationToken).ConfigureAwait(false);
                if (run is not null)
                {
                    await LogAsync(run, null, "info", "new files: " + string.Join(", ", pending.Where(f => !seen.Contains(f)).Order(StringComparer.Ordinal))).ConfigureAwait(false);
                }
            }

            _pendingFiles[job.Name] = pending;
        }
    }

    /// <summary>The newest version of a table's Delta log; -1 while the table does not exist.</summary>
    private async Task<long> CurrentVersionAsync(TableName table, CancellationToken cancellationToken)
    {
        try
        {
            if (!_watched.TryGetValue(table, out (DeltaTable Table, Snapshot? Snapshot) watched))
            {
                watched = (new DeltaTable(StorageResolver.OpenStore(ProjectCatalog.TableLocation(_definitions.Project, table))), null);
            }

            // Updating a known snapshot reads only the commits after it.
            Snapshot snapshot = watched.Snapshot is { } known
                ? await watched.Table.UpdateSnapshotAsync(known, cancellationToken).ConfigureAwait(false)
                : await watched.Table.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _watched[table] = (watched.Table, snapshot);
            return snapshot.Version;
        }
        catch (MedallionException e) when (e.Code == ErrorCode.DeltaTableNotFound)
        {
            return -1;
        }
    }

    private async Task<RunRecord?> QueueAsync(RunStart start, CancellationToken cancellationToken)
    {
        RunRecord? run = await _catalog.TryQueueRunAsync(start, cancellationToken).ConfigureAwait(false);
        if (run is not null)
        {
            _queue.Add(run);
            await LogAsync(run, null, "info", Describe(run)).ConfigureAwait(false);
        }

        return run;
    }

    private static string Describe(RunRecord run) => run.Trigger switch
    {
        RunTrigger.Schedule => $"queued by the schedule for the interval {run.IntervalStart:O} to {run.IntervalEnd:O}",
        RunTrigger.Backfill => $"queued by backfill {run.BackfillId} for the interval {run.IntervalStart:O} to {run.IntervalEnd:O}",
        RunTrigger.Data => "queued: new data (a watched table has a new version, or a watched file source has new files)",
        RunTrigger.After => "queued: a job it runs after succeeded",
        _ => run.ParentId is { } parent ? $"queued to re-run {run.Selection ?? "the job's sources"} of run {parent}" : "queued by a trigger",
    };

    /// <summary>Starts queued runs, oldest first, as far as each job's and each backfill's limit of active runs allow.</summary>
    /// <remarks>
    /// A pass runs whenever a run ends, and a server that fell behind holds thousands of queued and active runs, so the
    /// pass counts the active runs once and leaves the queue once: counting per queued run, and removing records from
    /// the list one by one (a record compares field by field), made a backlog cost CPU in proportion to its square.
    /// </remarks>
    private async Task StartQueuedAsync()
    {
        if (_stopPlanning.IsCancellationRequested || LeaseLost)
        {
            return;
        }

        Definitions definitions = _definitions;
        Dictionary<string, int> activeByJob = CountActive(a => a.Run.Job);
        Dictionary<string, int> activeByBackfill = CountActive(a => a.Run.BackfillId);
        var leaving = new HashSet<RunRecord>(ReferenceEqualityComparer.Instance);
        try
        {
            // First queued, first started; runs queued together (a backfill's intervals) in interval order. Ids alone do not
            // order them: two made in the same millisecond compare by their random part.
            foreach (RunRecord run in _queue.OrderBy(r => r.StartedAt).ThenBy(r => r.IntervalEnd ?? DateTimeOffset.MinValue).ThenBy(r => r.Id, StringComparer.Ordinal).ToList())
            {
                if (run.Job is null || !definitions.Jobs.TryGetValue(run.Job, out JobDefinition? job))
                {
                    leaving.Add(run);
                    await EndAsync(run, RunStatus.Cancelled, $"the job '{run.Job}' is no longer defined in the project").ConfigureAwait(false);
                    if (run.BackfillId is { } orphaned)
                    {
                        await FinishBackfillIfDoneAsync(orphaned).ConfigureAwait(false);
                    }

                    continue;
                }

                if (activeByJob.GetValueOrDefault(job.Name) >= job.MaxActiveRuns)
                {
                    continue;
                }

                if (run.BackfillId is { } backfill && _backfills.TryGetValue(backfill, out BackfillRecord? record)
                    && activeByBackfill.GetValueOrDefault(backfill) >= record.MaxActive)
                {
                    continue;
                }

                leaving.Add(run);
                activeByJob[job.Name] = activeByJob.GetValueOrDefault(job.Name) + 1;
                if (run.BackfillId is { } started)
                {
                    activeByBackfill[started] = activeByBackfill.GetValueOrDefault(started) + 1;
                }

                Start(run, job, definitions);
            }
        }
        finally
        {
            _queue.RemoveAll(leaving.Contains);
        }
    }

    private Dictionary<string, int> CountActive(Func<ActiveRun, string?> key)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ActiveRun active in _active.Values)
        {
            if (key(active) is { } name)
            {
                counts[name] = counts.GetValueOrDefault(name) + 1;
            }
        }

        return counts;
    }

    private void Start(RunRecord run, JobDefinition job, Definitions definitions)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopRuns.Token);
        var started = new TaskCompletionSource();
        Task task = Task.Run(
            async () =>
            {
                await started.Task.ConfigureAwait(false);
                await ExecuteAsync(run, job, definitions, cancel.Token).ConfigureAwait(false);
            },
            CancellationToken.None);
        _active[run.Id] = new ActiveRun(run, cancel, task);
        started.SetResult();
    }

    private bool IsPaused(JobDefinition job) =>
        _jobStates.TryGetValue(job.Name, out JobState? state) && state.Paused is { } paused ? paused : job.Paused;

    private static string Key(TableName table) => table.ToString().ToLowerInvariant();
}
