using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Sources;
using Medallion.Platform;

namespace Medallion.Server.Scheduling;

public sealed partial class JobScheduler
{
    private const string StreamCancelled = "cancelled: the stream stopped between commits (every committed change and its position stand) and the job is paused; unpause it to stream again";

    // Continuous runs cancelled through the API, told apart from a stop (server stop, pause, reload) when their stream ends.
    private readonly ConcurrentDictionary<string, bool> _cancelledStreams = new(StringComparer.Ordinal);

    /// <summary>
    /// Cancels a continuous run the way a stop does (between commits, so every committed change and its source position
    /// stand and nothing is lost or repeated later), records it <see cref="RunStatus.Cancelled"/>, and pauses its job
    /// (kept across restarts), so the stream stays stopped until the job is unpaused, which starts a new run: a cancelled
    /// stream restarting by itself would make cancel useless. Called with <see cref="_state"/> held.
    /// </summary>
    private async Task CancelStreamAsync(Supervised stream, CancellationToken cancellationToken)
    {
        _cancelledStreams[stream.Run.Id] = true;
        await _catalog.Scheduler.SetJobPausedAsync(stream.Job.Name, true, cancellationToken).ConfigureAwait(false);
        KeepPaused(stream.Job.Name, true);
        await _executor.LogAsync(stream.Run, null, "warning", $"cancel asked: stopping the stream between commits and pausing job '{stream.Job.Name}'").ConfigureAwait(false);
        await SuperviseContinuousAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records the end of a stream that was stopped: cancelled when <see cref="CancelStreamAsync"/> stopped it, else
    /// succeeded; nothing when the run is no longer this scheduler's (see <see cref="AbandonsAsync"/>).
    /// </summary>
    private async Task EndStoppedStreamAsync(RunRecord run, int? attempt)
    {
        bool cancelled = _cancelledStreams.TryRemove(run.Id, out _);
        if (await AbandonsAsync(run).ConfigureAwait(false))
        {
            return;
        }

        RunStatus status = cancelled ? RunStatus.Cancelled : RunStatus.Succeeded;
        if (attempt is int number)
        {
            await _catalog.Runs.FinishAttemptAsync(run.Id, number, status, cancelled ? StreamCancelled : null, false, CancellationToken.None).ConfigureAwait(false);
        }

        await _executor.EndAsync(run, status, cancelled ? StreamCancelled : null).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a supervised run for each continuous job that should stream and has none, and stops the ones whose job is
    /// gone, paused, or defined differently now (a changed one starts again with its new definition).
    /// </summary>
    /// <remarks>Called with <see cref="_state"/> held, after the start, a reload, and a pause or unpause.</remarks>
    private async Task SuperviseContinuousAsync(CancellationToken cancellationToken)
    {
        Definitions definitions = _definitions;
        foreach ((string name, Supervised supervised) in _continuous.ToList())
        {
            if (!definitions.Jobs.TryGetValue(name, out JobDefinition? job) || !job.Continuous || IsPaused(job) || !SameStream(job, supervised.Job))
            {
                _continuous.Remove(name);
                supervised.Stop.Cancel();
                _stopping.Add(supervised.Task);
            }
        }

        if (_stopPlanning.IsCancellationRequested || !HoldsSchedulerLease)
        {
            return;
        }

        foreach (JobDefinition job in definitions.Jobs.Values.Where(j => j.Continuous && !IsPaused(j) && !_continuous.ContainsKey(j.Name)))
        {
            RunRecord run = (await _catalog.Runs.TryQueueRunAsync(new RunStart(job.Name, RunTrigger.Continuous, null, null, null, Holder.Id), cancellationToken).ConfigureAwait(false))!;
            var stop = new CancellationTokenSource();
            Task task = Task.Run(() => StreamAsync(run, job, definitions.Environment, stop.Token), CancellationToken.None);
            _continuous[job.Name] = new Supervised(job, run, stop, task);
        }

        // Beside other planners every one knows the streamed tables of every continuous job, whoever streams them.
        _executor.Streamed = _options.PlansBesideOthers ? StreamedTables(definitions) : StreamedTables(definitions, _continuous.Values.Select(c => c.Job));
    }

    /// <summary>
    /// One continuous run: each attempt streams the job's sources until it fails or is stopped; a failure is followed by
    /// a restart after the job's backoff (doubling per failure in a row, reset after a healthy stretch as long as the
    /// longest delay). Stopping (server stop, job paused, removed or changed) ends the run succeeded: every commit stands;
    /// a cancel ends it cancelled, with every commit standing as well. A lost lease stops it too, but records nothing: the
    /// run is the new holder's, and the fence has kept this stream from committing since it was (see <see cref="FenceAsync"/>).
    /// </summary>
    private async Task StreamAsync(RunRecord run, JobDefinition job, ProjectEnvironment environment, CancellationToken stopAsked)
    {
        // A lost lease stops the stream like any stop, but its end is then left to the scheduler that took the lease.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stopAsked, _streamsLeaseLost.Token);
        CancellationToken stop = stopping.Token;
        List<DatabaseSourceDefinition> sources = environment.Project.DatabaseSources.Where(s => job.Sources.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        await _executor.LogAsync(run, null, "info", $"streaming {string.Join(", ", sources.Select(s => s.Name))} continuously; restarts after failures wait {job.Restart.InitialBackoff.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s doubling to at most {job.Restart.MaxBackoff.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s").ConfigureAwait(false);
        int failuresInARow = 0;
        // One recorder for every attempt: a restarted stream's passes go on with each table's numbering.
        var recorder = new IngestRunRecorder(_catalog, run.Id, _time);
        while (true)
        {
            RunAttemptRecord attempt;
            try
            {
                // A restart after the lease went would mark running the run the new holder ended: held is checked as it starts.
                attempt = await _catalog.Runs.StartAttemptAsync(run.Id, Holder.Id, CancellationToken.None).ConfigureAwait(false);
            }
            catch (MedallionException e) when (e.Code == ErrorCode.RunNoLongerHeld)
            {
                _executor.Abandon(run);
                return;
            }

            await _executor.LogAsync(run, null, "info", $"attempt {attempt.Attempt} started").ConfigureAwait(false);
            long started = _time.GetTimestamp();
            string error;
            bool transient;
            try
            {
                // Fenced as a run's commits are: a server that no longer holds the lease commits nothing more of the stream.
                await foreach ((DatabaseTableResult pass, _) in SourceIngestion.StreamAsync(environment, new IngestSelection(sources, []), _options.ContinuousInterval, recorder, FenceAsync, stop).ConfigureAwait(false))
                {
                    await _executor.LogAsync(run, pass.Target, "info", string.Create(CultureInfo.InvariantCulture, $"{pass.Source}: {pass.Table} ({pass.Mode.ToString().ToLowerInvariant()}), {pass.Result.Rows} row(s){(pass.CommittedVersion is long v ? $", version {v}" : "")}{(pass.PositionText is { } lsn ? $", at {lsn}" : "")}")).ConfigureAwait(false);
                }

                // The passes end only when stopped.
                await EndStoppedStreamAsync(run, attempt.Attempt).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                await EndStoppedStreamAsync(run, attempt.Attempt).ConfigureAwait(false);
                return;
            }
            catch (MedallionException e)
            {
                (error, transient) = ($"{e.CodeText}: {e.Message}", e.IsTransient);
            }
#pragma warning disable CA1031 // A stream that breaks in any way is restarted; the error is recorded with the attempt.
            catch (Exception e)
#pragma warning restore CA1031
            {
                (error, transient) = (ErrorCodes.Unexpected(e), false);
            }

            if (await AbandonsAsync(run).ConfigureAwait(false))
            {
                // The fence refused a commit, or the lease went while the stream failed: not this scheduler's to restart.
                return;
            }

            await _catalog.Runs.FinishAttemptAsync(run.Id, attempt.Attempt, RunStatus.Failed, error, transient, CancellationToken.None).ConfigureAwait(false);
            failuresInARow = _time.GetElapsedTime(started) >= job.Restart.MaxBackoff ? 1 : failuresInARow + 1;
            TimeSpan delay = job.Restart.DelayBefore(failuresInARow, (_options.Random ?? Random.Shared.NextDouble)());
            await _executor.LogAsync(run, null, "warning", $"attempt {attempt.Attempt} failed; restarting in {delay.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s: {error}").ConfigureAwait(false);
            try
            {
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await EndStoppedStreamAsync(run, null).ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>
    /// Whether the stream's run is no longer this scheduler's (another took the lease, and the run with it): then nothing
    /// more of it is recorded here, since the new holder marks it interrupted and starts a stream of its own.
    /// </summary>
    private async Task<bool> AbandonsAsync(RunRecord run)
    {
        if (await _executor.HoldsAsync().ConfigureAwait(false))
        {
            return false;
        }

        _executor.Abandon(run);
        return true;
    }

    /// <summary>Stops every continuous run (gracefully: a stream stops between commits) and waits for them to end.</summary>
    private async Task StopContinuousAsync()
    {
        List<Task> tasks;
        await _state.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            foreach (Supervised supervised in _continuous.Values)
            {
                await supervised.Stop.CancelAsync().ConfigureAwait(false);
                _stopping.Add(supervised.Task);
            }

            _continuous.Clear();
            _executor.Streamed = new HashSet<TableName>();
            tasks = [.. _stopping];
        }
        finally
        {
            _state.Release();
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Whether a reloaded job streams what it streamed (a source's own changes reach a stream when it next restarts).</summary>
    private static bool SameStream(JobDefinition now, JobDefinition before) =>
        now.Sources.SequenceEqual(before.Sources, StringComparer.OrdinalIgnoreCase) && now.Restart == before.Restart;

    private sealed record Supervised(JobDefinition Job, RunRecord Run, CancellationTokenSource Stop, Task Task);
}
