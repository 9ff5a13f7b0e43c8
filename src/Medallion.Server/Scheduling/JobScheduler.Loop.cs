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
        bool failed = false;
        while (!stop.IsCancellationRequested && !LeaseLost)
        {
            TaskCompletionSource signal = Volatile.Read(ref _wake);
            TimeSpan wait = _options.PollInterval;
            DateTimeOffset now = _time.GetUtcNow();
            if (!failed && nextFire is { } next && next - now < wait)
            {
                wait = next - now > TimeSpan.Zero ? next - now : TimeSpan.Zero;
            }

            try
            {
                await Task.WhenAny(signal.Task, Task.Delay(wait, _time, stop)).ConfigureAwait(false);
                nextFire = await PlanPassAsync(startup: false, stop).ConfigureAwait(false);
                failed = false;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A pass that failed (the catalog locked or its disk full) queued what it queued, each run once; the next
                // pass, a poll interval on, plans the rest. Ending the loop here would stop all scheduling silently.
                failed = true;
                LogPassFailed(_logger, e, e.Message, (long)_options.PollInterval.TotalMilliseconds);
            }
        }
    }

    /// <summary>One pass: queue what came due (schedules, watched tables and file sources), start what may start; returns the next fire time.</summary>
    private async Task<DateTimeOffset?> PlanPassAsync(bool startup, CancellationToken stop)
    {
        // A new signal before planning: a wake-up during the pass is not lost, it ends the next wait at once.
        Volatile.Write(ref _wake, NewSignal());
        int endedOnWorkers;
        RunPlan plan;
        await _state.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            await TakeRequestsAsync(stop).ConfigureAwait(false);
            endedOnWorkers = await TrackAdmittedAsync(stop).ConfigureAwait(false);
            plan = RunPlanner.Plan(await GatherAsync(_time.GetUtcNow(), startup, stop).ConfigureAwait(false));
            Task logged = await QueuePlanAsync(plan, stop).ConfigureAwait(false);
            await StartQueuedAsync().ConfigureAwait(false);
            if (_options.PlansBesideOthers)
            {
                await ClaimWithFreeSlotsAsync(stop).ConfigureAwait(false);
            }

            await logged.ConfigureAwait(false);
            Interlocked.Increment(ref _planningPasses);
        }
        finally
        {
            _state.Release();
        }

        if (endedOnWorkers > 0)
        {
            RunEnded?.Invoke();
        }

        return plan.NextWake;
    }

    /// <summary>
    /// Takes what servers that do not run the jobs asked through the catalog: the runs they queued (with the backfills
    /// they started), the jobs they paused or unpaused, and the runs they asked to cancel. Called with <see cref="_state"/> held, at each planning pass.
    /// </summary>
    private async Task TakeRequestsAsync(CancellationToken cancellationToken)
    {
        List<RunRecord> adopted = await _catalog.Runs.AdoptQueuedRunsAsync(Holder.Id, cancellationToken).ConfigureAwait(false);
        _queue.AddRange(adopted);
        await AdoptBackfillsAsync(adopted, cancellationToken).ConfigureAwait(false);

        bool pausesChanged = false;
        foreach ((string job, JobState kept) in await _catalog.Scheduler.GetJobStatesAsync(cancellationToken).ConfigureAwait(false))
        {
            JobState? mine = _jobStates.GetValueOrDefault(job);
            if (mine?.Paused != kept.Paused)
            {
                _jobStates[job] = mine is null ? kept : mine with { Paused = kept.Paused };
                pausesChanged = true;
            }

            if (_options.PlansBesideOthers)
            {
                // Beside other planners, the versions a job saw are whoever queued its last run's: this one plans from those.
                _jobStates[job] = kept;
            }
        }

        if (pausesChanged)
        {
            await SuperviseContinuousAsync(cancellationToken).ConfigureAwait(false);
        }

        await TakeCancelsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Carries out the cancels other servers asked of the runs this server holds (on a worker, the runs it claimed).
    /// Called with <see cref="_state"/> held.
    /// </summary>
    private async Task TakeCancelsAsync(CancellationToken cancellationToken)
    {
        List<string> cancels = await _catalog.Runs.GetCancelRequestsAsync(Holder.Id, cancellationToken).ConfigureAwait(false);
        foreach (string runId in cancels)
        {
            // Once each: a running run stays asked until it has ended.
            if (_cancelsTaken.Add(runId))
            {
                await CancelHereAsync(runId, cancellationToken).ConfigureAwait(false);
            }
        }

        _cancelsTaken.IntersectWith(cancels);
    }

    /// <summary>Reads what the planner plans from: the jobs' last fire times, the watched tables' versions, the watched file sources' pending files.</summary>
    private async Task<PlanningInput> GatherAsync(DateTimeOffset now, bool startup, CancellationToken cancellationToken)
    {
        (List<JobDefinition> jobs, IReadOnlySet<string> gained) = JobsPlannedHere();
        var lastFire = new Dictionary<string, DateTimeOffset>(_lastFire, StringComparer.Ordinal);
        foreach (JobDefinition job in jobs.Where(j => j.Schedule is not null && !lastFire.ContainsKey(j.Name)))
        {
            if (await _catalog.Runs.GetLastScheduledFireTimeAsync(job.Name, cancellationToken).ConfigureAwait(false) is { } last)
            {
                lastFire[job.Name] = last;
            }
        }

        var versions = new Dictionary<string, IReadOnlyDictionary<string, long>>(StringComparer.Ordinal);
        foreach (JobDefinition job in jobs.Where(j => j.OnNewData.Count > 0 && !IsPaused(j)))
        {
            var current = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            try
            {
                foreach (TableName table in job.OnNewData)
                {
                    current[Key(table)] = await CurrentVersionAsync(table, job.Name, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (MedallionException)
            {
                // Left out of this pass (logged by CurrentVersionAsync): one table that cannot be read holds up its own job only.
                continue;
            }

            versions[job.Name] = current;
        }

        var pending = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (JobDefinition job in jobs.Where(j => j.OnNewFiles.Count > 0 && !IsPaused(j)))
        {
            pending[job.Name] = await PendingFilesAsync(job, cancellationToken).ConfigureAwait(false);
        }

        return new PlanningInput(
            jobs, _jobStates, lastFire, versions, pending, _pendingFiles, _queue.Runs, now, startup ? jobs.Select(j => j.Name).ToHashSet(StringComparer.Ordinal) : gained, Holder.Id);
    }

    /// <summary>
    /// The files of a job's watched file sources that their sources have not loaded yet (each source's own record of
    /// loaded files decides), as source:file.
    /// </summary>
    private async Task<IReadOnlySet<string>> PendingFilesAsync(JobDefinition job, CancellationToken cancellationToken)
    {
        MedallionProject project = _definitions.Project;
        var pending = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in job.OnNewFiles)
        {
            SourceDefinition source = project.Sources.First(s => string.Equals(s.Name, name, StringComparison.Ordinal));
            _filesConnection ??= _definitions.Environment.Engines.OpenScratch();
            try
            {
                foreach (string file in await FileSourceLoader.FindNewFilesAsync(project, source, _filesConnection, _executor.Snapshots, cancellationToken).ConfigureAwait(false))
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

        return pending;
    }

    /// <summary>The newest version of a table's Delta log; -1 while the table does not exist.</summary>
    /// <exception cref="MedallionException">The table's log cannot be read; logged, naming the table and <paramref name="job"/>, when its error is new.</exception>
    private async Task<long> CurrentVersionAsync(TableName table, string job, CancellationToken cancellationToken)
    {
        try
        {
            if (!_watched.TryGetValue(table, out (DeltaTable Table, Snapshot? Snapshot) watched))
            {
                watched = (new DeltaTable(_definitions.Project.Stores.OpenStore(ProjectCatalog.TableLocation(_definitions.Project, table))), null);
            }

            // Updating a known snapshot reads only the commits after it.
            Snapshot snapshot = watched.Snapshot is { } known
                ? await watched.Table.UpdateSnapshotAsync(known, cancellationToken).ConfigureAwait(false)
                : await watched.Table.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _watched[table] = (watched.Table, snapshot);
            _unreadable.Remove(table);
            return snapshot.Version;
        }
        catch (MedallionException e) when (e.Code == ErrorCode.DeltaTableNotFound)
        {
            return -1;
        }
        catch (MedallionException e)
        {
            // Once per error, not once a pass: a damaged log stays damaged until someone repairs it.
            if (!_unreadable.TryGetValue(table, out string? known) || known != e.Message)
            {
                _unreadable[table] = e.Message;
                LogWatchedTableUnreadable(_logger, table.ToString(), job, e.Message);
            }

            throw;
        }
    }

    /// <summary>Queues what the plan says and keeps what it accounted for.</summary>
    /// <returns>The writing of the scheduled runs' first log lines, still under way (see <see cref="QueueAllAsync"/>).</returns>
    private async Task<Task> QueuePlanAsync(RunPlan plan, CancellationToken cancellationToken)
    {
        foreach ((string job, int missed) in plan.MissedSchedules)
        {
            Metrics.MissedSchedules(job, missed);
        }

        Task logged = await QueueAllAsync(plan.Scheduled, cancellationToken).ConfigureAwait(false);
        // Only once queued: a pass that failed to queue plans the same fire times again.
        foreach ((string job, DateTimeOffset accounted) in plan.FireTimesAccounted)
        {
            _lastFire[job] = accounted;
        }

        var recorded = new HashSet<string>(StringComparer.Ordinal);
        foreach (PlannedRun planned in plan.Data)
        {
            // A run of new versions records them in its own write: a crash after it does not queue them again. Beside other
            // planners, only while the job's versions are still those this pass planned from: one of them queues the run.
            IReadOnlyDictionary<string, long>? seenBefore = _options.PlansBesideOthers && planned.SeenVersions is not null
                ? _jobStates.GetValueOrDefault(planned.Start.Job!)?.SeenVersions ?? new Dictionary<string, long>()
                : null;
            if (await QueueAsync(planned.Start, planned.SeenVersions, seenBefore, cancellationToken).ConfigureAwait(false) is { } run && planned.Note is { } note)
            {
                await _executor.LogAsync(run, null, "info", note).ConfigureAwait(false);
            }

            if (planned.SeenVersions is not null)
            {
                recorded.Add(planned.Start.Job!);
            }
        }

        // Only once queued: a pass that failed to queue sees the same new versions again.
        foreach ((string job, JobState state) in plan.JobStates)
        {
            if (!recorded.Contains(job))
            {
                await _catalog.Scheduler.SetJobSeenVersionsAsync(job, state.SeenVersions, cancellationToken).ConfigureAwait(false);
            }

            _jobStates[job] = state;
        }

        foreach ((string job, IReadOnlySet<string> pending) in plan.PendingFiles)
        {
            _pendingFiles[job] = pending;
        }

        return logged;
    }

    /// <summary>
    /// Queues the runs together: many jobs due at one instant share the catalog's commits rather than waiting for one each.
    /// </summary>
    /// <returns>
    /// The writing of their first log lines, which the pass need not wait for before starting them: the catalog's one
    /// writer applies writes in the order asked, so whatever of the runs is written next commits with them or after.
    /// </returns>
    private async Task<Task> QueueAllAsync(List<RunStart> starts, CancellationToken cancellationToken)
    {
        RunRecord?[] runs = await Task.WhenAll(starts.Select(s => _catalog.Runs.TryQueueRunAsync(s, cancellationToken))).ConfigureAwait(false);
        List<RunRecord> queued = runs.OfType<RunRecord>().ToList();
        _queue.AddRange(queued);
        return _executor.LogEachAsync(queued, Describe);
    }

    private Task<RunRecord?> QueueAsync(RunStart start, CancellationToken cancellationToken) => QueueAsync(start, null, null, cancellationToken);

    /// <summary>
    /// Queues a run, with the versions its job saw when they are new data (one write; only while the job's recorded ones
    /// are <paramref name="seenBefore"/>, when given), and logs why it was queued.
    /// </summary>
    private async Task<RunRecord?> QueueAsync(
        RunStart start, IReadOnlyDictionary<string, long>? seenVersions, IReadOnlyDictionary<string, long>? seenBefore, CancellationToken cancellationToken)
    {
        RunRecord? run = await _catalog.Runs.TryQueueRunAsync(start, seenVersions, seenBefore, cancellationToken).ConfigureAwait(false);
        if (run is not null)
        {
            _queue.Add(run);
            await _executor.LogAsync(run, null, "info", Describe(run)).ConfigureAwait(false);
        }

        return run;
    }

    private static string Describe(RunRecord run) => run.Trigger switch
    {
        RunTrigger.Schedule => $"queued by the schedule for the interval {run.IntervalStart:O} to {run.IntervalEnd:O}",
        RunTrigger.Backfill => $"queued by backfill {run.BackfillId} for the interval {run.IntervalStart:O} to {run.IntervalEnd:O}",
        RunTrigger.Data => "queued: new data (a watched table has a new version, or a watched file source has new files)",
        _ => run.ParentId is { } parent ? $"queued to re-run {run.Selection ?? "the job's sources"} of run {parent}"
            : run.Job is null ? $"queued to build the selection {run.Selection}"
            : "queued by a trigger",
    };

    /// <summary>
    /// Starts the queued runs the admission queue admits, here while this server executes fewer than its
    /// <see cref="SchedulerOptions.Concurrency"/>, else admitted in the catalog for a worker to claim; ends those whose
    /// job the project no longer defines. The catalog decides, in one write, from the runs under way there: the tables they
    /// lock and the runs they count against their limits, whoever admitted them (<see cref="RunStore.AdmitAsync"/>).
    /// </summary>
    private async Task StartQueuedAsync()
    {
        if (_stopPlanning.IsCancellationRequested || LeaseLost || _queue.Count == 0)
        {
            return;
        }

        Definitions definitions = _definitions;
        IReadOnlySet<TableName> streamed = _executor.Streamed;
        int slotsHere = _options.Concurrency - _executor.Count;
        List<Admission> decided = [];
        var waiting = new RunLogEntry(_time.GetUtcNow(), null, "info", "admitted: waiting for a worker to claim it");
        List<RunAdmission> admitted = await _catalog.Runs.AdmitAsync(
            Holder.Id,
            held =>
            {
                decided = _queue.Admit(definitions.JobOf, held, _backfills, (run, job) => RunExecutor.TablesWritten(run, job, definitions, streamed));
                int here = slotsHere;
                return [.. decided.Where(a => a.Job is not null).Select(a => new RunAdmission(a.Run.Id, a.Tables, Here: here-- > 0))];
            },
            waiting,
            _options.PlansBesideOthers,
            CancellationToken.None).ConfigureAwait(false);

        // Whatever was decided leaves the queue: started, ended, or no longer queued in the catalog (ended or taken meanwhile).
        _queue.Remove(new HashSet<RunRecord>(decided.Select(a => a.Run), ReferenceEqualityComparer.Instance));
        Dictionary<string, Admission> byId = decided.ToDictionary(a => a.Run.Id, StringComparer.Ordinal);
        var toWorkers = new List<RunRecord>();
        foreach (RunAdmission admission in admitted)
        {
            (RunRecord run, JobDefinition? job, _) = byId[admission.RunId];
            if (admission.Here)
            {
                _executor.Start(run with { Holder = Holder.Id }, job!, definitions);
            }
            else
            {
                RunRecord unclaimed = run with { Holder = null };
                _admitted[run.Id] = unclaimed;
                toWorkers.Add(unclaimed);
            }
        }

        _executor.Logged(toWorkers, waiting);
        var orphanedBackfills = new HashSet<string>(StringComparer.Ordinal);
        foreach ((RunRecord run, _, _) in decided.Where(a => a.Job is null))
        {
            await _executor.EndAsync(run, RunStatus.Cancelled, run.Job is null ? "no scheduler runs a run recorded by 'medallion run'" : $"the job '{run.Job}' is no longer defined in the project").ConfigureAwait(false);
            if (run.BackfillId is { } orphaned)
            {
                orphanedBackfills.Add(orphaned);
            }
        }

        // Only once the ended runs have left the queue: a backfill still holding them would not count as done, and would
        // stay running until the next restart.
        foreach (string backfill in orphanedBackfills)
        {
            await FinishBackfillIfDoneAsync(backfill).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A run executed here ended: frees its slot, and accounts for its end (see <see cref="AccountEndAsync"/>);
    /// on a worker, claims the next.
    /// </summary>
    private async Task OnRunEndedAsync(RunRecord run)
    {
        await _state.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _executor.Forget(run.Id);
            if (_options.RunsJobs)
            {
                await AccountEndAsync(run).ConfigureAwait(false);
            }
        }
        finally
        {
            _state.Release();
        }

        Wake();
        RunEnded?.Invoke();
    }

    /// <summary>
    /// A run under way ended, here or on a worker: a backfill with nothing left ends. (Its end freed its tables in the
    /// catalog; a success queued the jobs that run after its job in the write that recorded it; the next pass adopts
    /// them.) Called with <see cref="_state"/> held.
    /// </summary>
    private async Task AccountEndAsync(RunRecord run)
    {
        if (run.BackfillId is { } backfill)
        {
            await FinishBackfillIfDoneAsync(backfill).ConfigureAwait(false);
        }
    }

    /// <summary>Raised after a run reached its final state and was recorded (alerts evaluate then rather than on their next tick).</summary>
    internal event Action? RunEnded;

    private long _planningPasses;

    /// <summary>
    /// How many planning passes have completed: what a caller waits on to know that the scheduler has looked at the
    /// world since a moment (two more passes than then include one that started after it), where a sleep would guess.
    /// </summary>
    internal long PlanningPasses => Interlocked.Read(ref _planningPasses);

    private bool IsPaused(JobDefinition job) => RunPlanner.IsPaused(_jobStates, job);

    private static string Key(TableName table) => table.ToString().ToLowerInvariant();
}
