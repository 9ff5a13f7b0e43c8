using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;

namespace Medallion.Server.Scheduling;

public sealed partial class JobScheduler
{
    /// <summary>
    /// The project's jobs with their pause state, next fire time and runs under way: as this scheduler holds them when it
    /// runs the jobs, else as the catalog says (the runs of the server that runs them).
    /// </summary>
    public async Task<IReadOnlyList<JobStatus>> GetJobsAsync(CancellationToken cancellationToken = default)
    {
        if (!RunsJobs)
        {
            Dictionary<string, JobState> kept = await _catalog.Scheduler.GetJobStatesAsync(cancellationToken).ConfigureAwait(false);
            Dictionary<(string Job, RunStatus Status), int> open = await _catalog.Runs.CountOpenRunsAsync(cancellationToken).ConfigureAwait(false);
            DateTimeOffset at = _time.GetUtcNow();
            return _definitions.Jobs.Values.Select(j => new JobStatus(
                j,
                RunPlanner.IsPaused(kept, j),
                j.Schedule?.GetNextFireTime(at),
                open.GetValueOrDefault((j.Name, RunStatus.Running)),
                open.GetValueOrDefault((j.Name, RunStatus.Queued)))).ToList();
        }

        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DateTimeOffset now = _time.GetUtcNow();
            return _definitions.Jobs.Values.Select(j => new JobStatus(
                j,
                IsPaused(j),
                j.Schedule?.GetNextFireTime(_lastFire.TryGetValue(j.Name, out DateTimeOffset last) && last > now ? last : now),
                _executor.Running.Concat(_admitted.Values).Count(r => r.Job == j.Name),
                _queue.Runs.Count(r => r.Job == j.Name))).ToList();
        }
        finally
        {
            _state.Release();
        }
    }

    /// <summary>Queues a run of a job now (trigger <see cref="RunTrigger.Api"/>), paused or not, with variables for its model SQL.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when the project has no such job (with a suggestion);
    /// <see cref="ErrorCode.JobScheduleInvalid"/> when the job is continuous.</exception>
    public Task<RunRecord> TriggerAsync(string job, IReadOnlyDictionary<string, string>? variables = null, CancellationToken cancellationToken = default)
    {
        JobDefinition definition = FindJob(job);
        if (definition.Continuous)
        {
            throw new MedallionException(ErrorCode.JobScheduleInvalid, $"Job '{definition.Name}' is continuous: it streams while the server runs, so there is nothing to trigger.\nHelp: pause and unpause it to restart its stream.");
        }

        return QueueNowAsync(new RunStart(definition.Name, RunTrigger.Api, definition.Select, null, null, Holder.Id) { Variables = variables ?? new Dictionary<string, string>() }, cancellationToken);
    }

    /// <summary>
    /// Cancels a run: a queued run ends cancelled at once; a running one stops its models (they commit nothing); a
    /// continuous run stops its stream between commits and pauses its job (see <see cref="CancelStreamAsync"/>).
    /// </summary>
    /// <remarks>
    /// On a server that does not run the jobs (on standby), the cancel is asked of the one that does through the catalog,
    /// and carried out at its next planning pass (within <see cref="SchedulerOptions.PollInterval"/>).
    /// </remarks>
    /// <returns>False when the run is neither queued nor running (in this scheduler, or in the catalog when this one does not run the jobs).</returns>
    public async Task<bool> CancelRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        if (!RunsJobs)
        {
            return await _catalog.Runs.RequestCancelAsync(runId, cancellationToken).ConfigureAwait(false);
        }

        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CancelHereAsync(runId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _state.Release();
        }
    }

    /// <summary>Cancels a run this scheduler holds, queued, running or streaming; called with <see cref="_state"/> held.</summary>
    /// <returns>False when this scheduler holds no such run.</returns>
    private async Task<bool> CancelHereAsync(string runId, CancellationToken cancellationToken)
    {
        if (await _executor.CancelAsync(runId).ConfigureAwait(false))
        {
            return true;
        }

        if (_admitted.TryGetValue(runId, out RunRecord? admitted))
        {
            await CancelAdmittedAsync(admitted, "cancelled before it started", cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (_queue.Find(runId) is { } queued)
        {
            _queue.Remove(queued);
            await _executor.EndAsync(queued, RunStatus.Cancelled, "cancelled before it started").ConfigureAwait(false);
            if (queued.BackfillId is { } backfill)
            {
                await FinishBackfillIfDoneAsync(backfill).ConfigureAwait(false);
            }

            return true;
        }

        if (_continuous.Values.FirstOrDefault(c => c.Run.Id == runId) is { } stream)
        {
            await CancelStreamAsync(stream, cancellationToken).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    /// <summary>Pauses a job (kept across restarts): it plans no runs until unpaused; fire times that pass meanwhile are not replayed.</summary>
    public Task PauseAsync(string job, CancellationToken cancellationToken = default) => SetPausedAsync(job, true, cancellationToken);

    /// <summary>Unpauses a job (kept across restarts).</summary>
    public Task UnpauseAsync(string job, CancellationToken cancellationToken = default) => SetPausedAsync(job, false, cancellationToken);

    /// <summary>
    /// Queues a new run of a finished run's job that builds only the models that failed, were skipped, cancelled or
    /// interrupted in it (and reloads the job's sources), with the same data interval and variables.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when the run does not exist, has no job, or has nothing to re-run (the message says which).</exception>
    public async Task<RunRecord> RerunFromFailureAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        RunDetail detail = await _catalog.Runs.GetRunDetailAsync(runId, cancellationToken).ConfigureAwait(false)
            ?? throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"The catalog has no run '{runId}'.\nHelp: list runs with 'medallion runs'.");
        if (detail.Run.Job is not { } name)
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"Run '{runId}' belongs to no job, so the scheduler cannot re-run it.\nHelp: run it again with 'medallion run'.");
        }

        JobDefinition job = FindJob(name);
        HashSet<TableName> models = _definitions.Graph.Models.Select(m => m.Name).ToHashSet();
        List<string> redo = detail.Models
            .Where(m => m.Status is RunStatus.Failed or RunStatus.Skipped or RunStatus.Cancelled or RunStatus.Interrupted)
            .Select(m => m.Model)
            .Where(models.Contains)
            .Select(m => m.ToString().ToLowerInvariant())
            .ToList();
        bool sourceFailed = detail.Models.Any(m => !models.Contains(m.Model) && m.Status != RunStatus.Succeeded);
        if (redo.Count == 0 && !sourceFailed)
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"Run '{runId}' has no failed, skipped or cancelled model to re-run (it {detail.Run.Status.ToString().ToLowerInvariant()}).\nHelp: trigger the job for a new run.");
        }

        return await RepeatAsync(detail.Run, job, redo.Count > 0 ? string.Join(' ', redo) : job.Select, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues a new run of a finished run's job that builds every model the run selected (and reloads the job's sources),
    /// with the same data interval and variables (Airflow's clear of a whole run, Dagster's re-execute all).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when the run does not exist, has no job, or has not ended (the message says which).</exception>
    public async Task<RunRecord> RetryAsync(string runId, CancellationToken cancellationToken = default)
    {
        (RunRecord run, JobDefinition job) = await EndedJobRunAsync(runId, cancellationToken).ConfigureAwait(false);
        return await RepeatAsync(run, job, run.Selection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues a new run of a finished run's job that builds one of its models (or sources) again, and with
    /// <paramref name="downstream"/> everything the job builds downstream of it too (Airflow's "clear" of a task, with or
    /// without its downstream), with the run's data interval and variables. Nothing upstream of the table runs again.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when the run does not exist, has no job,
    /// is still queued or running, or its job does not build the table (the message says which, with a suggestion).</exception>
    public async Task<RunRecord> RerunTableAsync(string runId, string table, bool downstream, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        (RunRecord run, JobDefinition job) = await EndedJobRunAsync(runId, cancellationToken).ConfigureAwait(false);
        ModelGraph graph = _definitions.Graph;
        // The job's tables: what a clear may re-run, and where its downstream stops (the job's, not the whole project's).
        HashSet<TableName> built = [.. graph.Select(job.Select), .. graph.SelectSources(job.Select)];
        TableName[] matching = [.. built.Where(t => string.Equals(t.ToString(), table, StringComparison.OrdinalIgnoreCase))];
        if (matching is not [TableName start])
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"Job '{job.Name}' builds no table '{table}'.{NameSuggester.DidYouMeanTable(table, built.Select(t => t.ToString()))}\nHelp: the job's tables are those its 'select' names: {job.Select ?? "every model"}.");
        }

        IEnumerable<TableName> chosenTables = downstream ? [.. graph.Select(start + "+"), .. graph.SelectSources(start + "+")] : [start];
        string selection = string.Join(' ', chosenTables.Where(built.Contains).Select(t => t.ToString().ToLowerInvariant()).Order(StringComparer.Ordinal));
        return await RepeatAsync(run, job, selection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A run of a job that has ended, with its job, for an action that repeats it.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when the run does not exist, has no job, or has not ended (the message says which).</exception>
    private async Task<(RunRecord Run, JobDefinition Job)> EndedJobRunAsync(string runId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        RunRecord run = await _catalog.Runs.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)
            ?? throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"The catalog has no run '{runId}'.\nHelp: list runs with 'medallion runs'.");
        if (run.Job is not { } name)
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"Run '{runId}' belongs to no job, so the scheduler cannot re-run it.\nHelp: run it again with 'medallion run'.");
        }

        if (run.Status is RunStatus.Queued or RunStatus.Running)
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"Run '{runId}' is still {run.Status.ToString().ToLowerInvariant()}, so there is nothing to repeat yet.\nHelp: wait for it to end, or cancel it with 'medallion cancel {runId}'.");
        }

        return (run, FindJob(name));
    }

    /// <summary>Queues a run that repeats <paramref name="run"/> for <paramref name="selection"/>, with its data interval and variables, linked to it as its parent.</summary>
    private Task<RunRecord> RepeatAsync(RunRecord run, JobDefinition job, string? selection, CancellationToken cancellationToken) =>
        QueueNowAsync(
            new RunStart(job.Name, RunTrigger.Api, selection, run.IntervalStart, run.IntervalEnd, Holder.Id)
            {
                ParentId = run.Id,
                Variables = run.Variables,
            },
            cancellationToken);

    /// <summary>
    /// Queues a run asked for now. A server that does not run the jobs (on standby) queues it unowned in the catalog, and
    /// the scheduler that runs them adopts it at its next planning pass.
    /// </summary>
    private async Task<RunRecord> QueueNowAsync(RunStart start, CancellationToken cancellationToken)
    {
        if (!RunsJobs)
        {
            RunRecord unowned = (await _catalog.Runs.TryQueueRunAsync(start with { Holder = null }, cancellationToken).ConfigureAwait(false))!;
            await _executor.LogAsync(unowned, null, "info", Describe(unowned) + " on a server that does not run the jobs; the one that does starts it").ConfigureAwait(false);
            return unowned;
        }

        RunRecord run;
        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            run = (await QueueAsync(start, cancellationToken).ConfigureAwait(false))!;
        }
        finally
        {
            _state.Release();
        }

        Wake();
        return run;
    }

    private async Task SetPausedAsync(string job, bool paused, CancellationToken cancellationToken)
    {
        JobDefinition definition = FindJob(job);
        await _catalog.Scheduler.SetJobPausedAsync(definition.Name, paused, cancellationToken).ConfigureAwait(false);
        if (!RunsJobs)
        {
            // The scheduler that runs the jobs reads it at its next planning pass.
            return;
        }

        await _state.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            KeepPaused(definition.Name, paused);
            await SuperviseContinuousAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _state.Release();
        }

        Wake();
    }

    /// <summary>Sets the pause state the scheduler plans with (the catalog keeps it across restarts); called with <see cref="_state"/> held.</summary>
    private void KeepPaused(string job, bool paused) =>
        _jobStates[job] = _jobStates.TryGetValue(job, out JobState? state)
            ? state with { Paused = paused }
            : new JobState(job, paused, new Dictionary<string, long>());

    private JobDefinition FindJob(string job)
    {
        ArgumentException.ThrowIfNullOrEmpty(job);
        Dictionary<string, JobDefinition> jobs = _definitions.Jobs;
        return jobs.TryGetValue(job, out JobDefinition? definition)
            ? definition
            : throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"The project has no job '{job}'.{NameSuggester.DidYouMean(job, jobs.Keys)}\nHelp: jobs are defined in jobs/*.yml or under 'jobs:' in {MedallionProject.FileName}.");
    }
}
