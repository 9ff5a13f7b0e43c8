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
    /// Queues a run of a selection of tables now, belonging to no job (Dagster's "materialize selected"): it builds the
    /// models the selection names, after loading the sources they read, as <c>medallion run --select</c> does, with
    /// variables for their SQL. It waits for the tables' locks like any run; it is not retried.
    /// </summary>
    /// <param name="selection">A <c>--select</c> expression (see <see cref="ModelGraph.Select"/>).</param>
    /// <param name="variables">Variables for the model SQL (<c>getvariable('k')</c>).</param>
    /// <param name="cancellationToken">Stops the queueing.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ModelSelectionInvalid"/> when a part of the selection
    /// matches no model or source (with a suggestion), or the whole selects nothing.</exception>
    public Task<RunRecord> RunSelectionAsync(string selection, IReadOnlyDictionary<string, string>? variables = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selection);
        string trimmed = selection.Trim();
        ModelGraph graph = _definitions.Graph;
        if (trimmed.Length == 0 || (graph.Select(trimmed).Count == 0 && graph.SelectSources(trimmed).Count == 0))
        {
            throw new MedallionException(ErrorCode.ModelSelectionInvalid, $"The selection '{trimmed}' names no table to build.\nHelp: name models or sources, e.g. +gold.daily_revenue (it and everything upstream), silver.* or tag:daily.");
        }

        return QueueNowAsync(new RunStart(null, RunTrigger.Api, trimmed, null, null, Holder.Id) { Variables = variables ?? new Dictionary<string, string>() }, cancellationToken);
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
            if (await CancelHereAsync(runId, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }
        finally
        {
            _state.Release();
        }

        // Beside other planners, a run this one does not hold is another's to cancel.
        return _options.PlansBesideOthers && await _catalog.Runs.RequestCancelAsync(runId, cancellationToken).ConfigureAwait(false);
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
    /// Queues a new run of a finished run's job (or selection: see <see cref="RunSelectionAsync"/>) that builds only the models that failed, were skipped, cancelled or
    /// interrupted in it (and reloads the job's sources), with the same data interval and variables.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when the run does not exist, was recorded by <c>medallion run</c> or its job is gone, or it has nothing to re-run (the message says which).</exception>
    public async Task<RunRecord> RerunFromFailureAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        RunDetail detail = await _catalog.Runs.GetRunDetailAsync(runId, cancellationToken).ConfigureAwait(false)
            ?? throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"The catalog has no run '{runId}'.\nHelp: list runs with 'medallion runs'.");
        JobDefinition job = JobToRepeat(detail.Run);
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

        return await RepeatAsync(detail.Run, redo.Count > 0 ? string.Join(' ', redo) : job.Select, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues a new run of a finished run's job (or selection) that builds every model the run selected (and reloads the job's sources),
    /// with the same data interval and variables (Airflow's clear of a whole run, Dagster's re-execute all).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when the run does not exist, was recorded by <c>medallion run</c> or its job is gone, or it has not ended (the message says which).</exception>
    public async Task<RunRecord> RetryAsync(string runId, CancellationToken cancellationToken = default)
    {
        (RunRecord run, _) = await EndedJobRunAsync(runId, cancellationToken).ConfigureAwait(false);
        return await RepeatAsync(run, run.Selection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues a new run of a finished run's job (or selection) that builds one of its models (or sources) again, and with
    /// <paramref name="downstream"/> everything the job builds downstream of it too (Airflow's "clear" of a task, with or
    /// without its downstream), with the run's data interval and variables. Nothing upstream of the table runs again.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when the run does not exist, was recorded by
    /// <c>medallion run</c> or its job is gone, is still queued or running, or its job does not build the table (the message says which, with a suggestion).</exception>
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
            string builder = run.Job is null ? $"Run '{run.Id}'" : $"Job '{job.Name}'";
            throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"{builder} builds no table '{table}'.{NameSuggester.DidYouMeanTable(table, built.Select(t => t.ToString()))}\nHelp: its tables are those its 'select' names: {job.Select ?? "every model"}.");
        }

        IEnumerable<TableName> chosenTables = downstream ? [.. graph.Select(start + "+"), .. graph.SelectSources(start + "+")] : [start];
        string selection = string.Join(' ', chosenTables.Where(built.Contains).Select(t => t.ToString().ToLowerInvariant()).Order(StringComparer.Ordinal));
        return await RepeatAsync(run, selection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A run of a job that has ended, with its job, for an action that repeats it.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when the run does not exist, was recorded by <c>medallion run</c> or its job is gone, or it has not ended (the message says which).</exception>
    private async Task<(RunRecord Run, JobDefinition Job)> EndedJobRunAsync(string runId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        RunRecord run = await _catalog.Runs.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)
            ?? throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"The catalog has no run '{runId}'.\nHelp: list runs with 'medallion runs'.");
        JobDefinition job = JobToRepeat(run);
        if (run.Status is RunStatus.Queued or RunStatus.Running)
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"Run '{runId}' is still {run.Status.ToString().ToLowerInvariant()}, so there is nothing to repeat yet.\nHelp: wait for it to end, or cancel it with 'medallion cancel {runId}'.");
        }

        return (run, job);
    }

    /// <summary>What a repeat of <paramref name="run"/> runs as: its job, or the selection it was asked to build.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when its job is gone (with a suggestion), or it was recorded by <c>medallion run</c>.</exception>
    private JobDefinition JobToRepeat(RunRecord run) =>
        run.Job is { } name ? FindJob(name)
        : _definitions.JobOf(run)
            ?? throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"Run '{run.Id}' was recorded by 'medallion run', not queued on a server, so the scheduler cannot repeat it.\nHelp: run it again with 'medallion run'.");

    /// <summary>Queues a run that repeats <paramref name="run"/> for <paramref name="selection"/>, with its data interval and variables, linked to it as its parent.</summary>
    private Task<RunRecord> RepeatAsync(RunRecord run, string? selection, CancellationToken cancellationToken) =>
        QueueNowAsync(
            new RunStart(run.Job, RunTrigger.Api, selection, run.IntervalStart, run.IntervalEnd, Holder.Id)
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
