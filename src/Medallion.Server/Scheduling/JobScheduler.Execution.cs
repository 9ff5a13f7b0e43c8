using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Server.Observability;

namespace Medallion.Server.Scheduling;

public sealed partial class JobScheduler
{
    /// <summary>Runs one queued run to its end: table locks, attempts, retries of transient failures, final state.</summary>
    /// <remarks>The run keeps <paramref name="definitions"/> to its end, whatever a reload brings meanwhile.</remarks>
    private async Task ExecuteAsync(RunRecord run, JobDefinition job, Definitions definitions, CancellationToken cancellationToken)
    {
        RunStatus final = RunStatus.Failed;
        using Activity? span = Tracing.StartJobRun(run, job.Name);
        DateTimeOffset started = _time.GetUtcNow();
        // A scheduled run was due at its fire time; any other when it was queued.
        Metrics.RunStarted(job.Name, started - (run.Trigger == RunTrigger.Schedule && run.IntervalEnd is { } fire ? fire : run.StartedAt));
        try
        {
            final = await RunAttemptsAsync(run, job, definitions, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A run that breaks must end recorded as failed and leave the scheduler running.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // A bug: kept with its stack as the run's error (shown only to those who read the run's tables in full), and
            // logged once, as the run's last line, at error level.
            await EndAsync(run, RunStatus.Failed, ErrorCodes.Unexpected(e)).ConfigureAwait(false);
        }
        finally
        {
            Tracing.EndJobRun(span, final);
            Metrics.RunEnded(run.Id, job.Name, final, _time.GetUtcNow() - started);
            await OnRunEndedAsync(run, final).ConfigureAwait(false);
        }
    }

    private async Task<RunStatus> RunAttemptsAsync(RunRecord run, JobDefinition job, Definitions definitions, CancellationToken cancellationToken)
    {
        IDisposable locks;
        try
        {
            locks = await _tableLocks.AcquireAsync(TablesWritten(run, job, definitions, _streamed), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return await EndAsync(run, RunStatus.Cancelled, "cancelled before it started").ConfigureAwait(false);
        }

        using (locks)
        {
            while (true)
            {
                RunAttemptRecord attempt = await _catalog.StartAttemptAsync(run.Id, CancellationToken.None).ConfigureAwait(false);
                // The line takes its place among the run's lines now and commits while the run starts; it is awaited
                // before the attempt's end is recorded.
                Task attemptLogged = LogAsync(run, null, "info", $"attempt {attempt.Attempt} started");
                if (attempt.Attempt > 1)
                {
                    Metrics.RunRetried(job.Name);
                }

                using var runTimeout = job.RunTimeout is { } limit ? new CancellationTokenSource(limit, _time) : null;
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, runTimeout?.Token ?? CancellationToken.None);
                var log = new RunLogWriter(this, run, attempt.Attempt, definitions.SourceTargets);
                RunResult? result = null;
                string? error = null;
                bool transient = false;
                try
                {
                    result = await ProjectRunner.RunAsync(definitions.Project, Options(run, job, definitions, log), linked.Token).ConfigureAwait(false);
                }
                catch (MedallionException e)
                {
                    (error, transient) = ($"{e.CodeText}: {e.Message}", e.IsTransient);
                }
                catch (OperationCanceledException) when (linked.IsCancellationRequested)
                {
                }

                await log.CompleteAsync().ConfigureAwait(false);
                await attemptLogged.ConfigureAwait(false);
                if (result?.Status == RunStatus.Succeeded)
                {
                    await _catalog.FinishAttemptAsync(run.Id, attempt.Attempt, RunStatus.Succeeded, null, false, CancellationToken.None).ConfigureAwait(false);
                    return await EndAsync(run, RunStatus.Succeeded, null).ConfigureAwait(false);
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    const string Cancelled = "cancelled; the models that were running committed nothing";
                    await _catalog.FinishAttemptAsync(run.Id, attempt.Attempt, RunStatus.Cancelled, Cancelled, false, CancellationToken.None).ConfigureAwait(false);
                    return await EndAsync(run, RunStatus.Cancelled, Cancelled).ConfigureAwait(false);
                }

                if (runTimeout?.IsCancellationRequested == true)
                {
                    string timedOut = $"{ErrorCodes.Format(ErrorCode.RunTimedOut)}: the run of job '{job.Name}' ran longer than its timeout of {job.RunTimeout} and was interrupted; the models that were running committed nothing.";
                    await _catalog.FinishAttemptAsync(run.Id, attempt.Attempt, RunStatus.Failed, timedOut, false, CancellationToken.None).ConfigureAwait(false);
                    return await EndAsync(run, RunStatus.Failed, timedOut).ConfigureAwait(false);
                }

                if (result is not null)
                {
                    StepResult? failed = result.Steps.FirstOrDefault(s => s.State == StepState.Failed);
                    error = failed is null ? $"the run ended {result.Status.ToString().ToLowerInvariant()}" : $"{failed.Table}: {failed.Error}";
                    transient = RetryClassifier.IsTransient(result);
                }

                await _catalog.FinishAttemptAsync(run.Id, attempt.Attempt, RunStatus.Failed, error, transient, CancellationToken.None).ConfigureAwait(false);
                if (!transient || attempt.Attempt > job.Retries.Count)
                {
                    string why = !transient ? "not transient, so not retried" : $"no retries left ({job.Retries.Count})";
                    await LogAsync(run, null, "error", $"attempt {attempt.Attempt} failed ({why}): {error}").ConfigureAwait(false);
                    return await EndAsync(run, RunStatus.Failed, error).ConfigureAwait(false);
                }

                TimeSpan delay = job.Retries.DelayBefore(attempt.Attempt, (_options.Random ?? Random.Shared.NextDouble)());
                await LogAsync(run, null, "warning", $"attempt {attempt.Attempt} failed transiently; retrying in {delay.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s: {error}").ConfigureAwait(false);
                try
                {
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return await EndAsync(run, RunStatus.Cancelled, $"cancelled while waiting to retry; last error: {error}").ConfigureAwait(false);
                }
            }
        }
    }

    private RunOptions Options(RunRecord run, JobDefinition job, Definitions definitions, RunLogWriter log)
    {
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach ((string name, string value) in run.Variables)
        {
            variables[name] = value;
        }

        if (run.IntervalStart is not null || run.IntervalEnd is not null)
        {
            variables["interval_start"] = run.IntervalStart;
            variables["interval_end"] = run.IntervalEnd;
        }

        return new RunOptions
        {
            RunId = run.Id,
            Select = run.Selection,
            Sources = job.Sources,
            SourcesOnly = run.Selection is null && job.Select is null,
            StreamedTables = _streamed,
            Variables = variables,
            TimeZone = job.Schedule?.TimeZone,
            ModelTimeout = job.ModelTimeout,
            StepSlots = _steps,
            Time = _options.Time,
            Progress = log,
            Graph = definitions.Graph,
            Catalog = _catalog,
            Database = RunDatabase(),
            Snapshots = _snapshots,
            Logs = _options.Logs,
        };
    }

    private DuckDbDatabase RunDatabase()
    {
        lock (_runDatabaseOpening)
        {
            return _runDatabase ??= DuckDbDatabase.Open();
        }
    }

    /// <summary>Every table a run may write: its models, the sources they read (a run loads those first), and the job's named sources, except the tables continuous jobs stream.</summary>
    private static IEnumerable<TableName> TablesWritten(RunRecord run, JobDefinition job, Definitions definitions, IReadOnlySet<TableName> streamed)
    {
        IReadOnlySet<TableName> models = run.Selection is null && job.Select is null ? new HashSet<TableName>() : definitions.Graph.Select(run.Selection);
        Dictionary<TableName, string> sourceTargets = definitions.SourceTargets;
        return models
            .Concat(models.SelectMany(definitions.Graph.GetUpstream).Where(sourceTargets.ContainsKey))
            .Concat(sourceTargets.Where(s => job.Sources.Contains(s.Value, StringComparer.OrdinalIgnoreCase)).Select(s => s.Key))
            .Except(streamed)
            .ToList();
    }

    private async Task<RunStatus> EndAsync(RunRecord run, RunStatus status, string? error)
    {
        // The line comes first: a reader that sees the final state has every line of the run.
        await LogAsync(run, null, status == RunStatus.Succeeded ? "info" : "error", $"run {status.ToString().ToLowerInvariant()}{(error is null ? "" : ": " + error)}").ConfigureAwait(false);
        await _catalog.FinishRunAsync(run.Id, status, error, CancellationToken.None).ConfigureAwait(false);
        return status;
    }

    private Task LogAsync(RunRecord run, TableName? model, string level, string message) =>
        LogAsync(run, [new RunLogEntry(_time.GetUtcNow(), model, level, message)]);

    /// <summary>Writes lines of a run's log to the catalog, and to the server's log (where <c>--log-format json</c> shows them).</summary>
    private async Task LogAsync(RunRecord run, IReadOnlyList<RunLogEntry> lines)
    {
        _runLog.Write(run, lines);
        await _catalog.AppendRunLogAsync(run.Id, lines, CancellationToken.None).ConfigureAwait(false);
        // Live log readers (the SSE stream) wait on this rather than polling the catalog.
        Interlocked.Exchange(ref _logWritten, NewSignal()).TrySetResult();
    }

    /// <summary>Raised after a run reached its final state and was recorded (alerts evaluate then rather than on their next tick).</summary>
    internal event Action? RunEnded;

    /// <summary>Completes when the scheduler next writes a log line of any run.</summary>
    internal Task LogWritten => Volatile.Read(ref _logWritten).Task;

    /// <summary>Frees the run's slot; a success queues the jobs that run after its job; a backfill with nothing left ends.</summary>
    private async Task OnRunEndedAsync(RunRecord run, RunStatus final)
    {
        await _state.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_active.Remove(run.Id, out ActiveRun? active))
            {
                active.Cancel.Dispose();
            }

            if (final == RunStatus.Succeeded && run.Job is { } name && !_stopPlanning.IsCancellationRequested)
            {
                foreach (JobDefinition next in _definitions.Jobs.Values.Where(j => j.After.Contains(name, StringComparer.Ordinal) && !IsPaused(j)))
                {
                    await QueueAsync(new RunStart(next.Name, RunTrigger.After, next.Select, run.IntervalStart, run.IntervalEnd, Holder.Id), CancellationToken.None).ConfigureAwait(false);
                }
            }

            if (run.BackfillId is { } backfill)
            {
                await FinishBackfillIfDoneAsync(backfill).ConfigureAwait(false);
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
    /// Turns the runner's step events into log lines of the run, written in order by one consumer (the runner reports
    /// from worker threads and must not wait for the catalog). Each line carries the time of its event, and the lines
    /// waiting when the consumer gets its turn are written in one transaction.
    /// </summary>
    private sealed class RunLogWriter : IProgress<RunEvent>
    {
        private readonly Channel<(RunEvent Event, DateTimeOffset At)> _events = Channel.CreateUnbounded<(RunEvent, DateTimeOffset)>(new UnboundedChannelOptions { SingleReader = true });
        private readonly TimeProvider _time;
        private readonly Task _writer;
        private readonly JobScheduler _scheduler;
        private readonly RunRecord _run;
        private readonly int _attempt;
        private readonly IReadOnlyDictionary<TableName, string> _sourceTargets;

        public RunLogWriter(JobScheduler scheduler, RunRecord run, int attempt, IReadOnlyDictionary<TableName, string> sourceTargets)
        {
            _time = scheduler._time;
            (_scheduler, _run, _attempt, _sourceTargets) = (scheduler, run, attempt, sourceTargets);
            _writer = Task.Run(async () =>
            {
                ChannelReader<(RunEvent Event, DateTimeOffset At)> reader = _events.Reader;
                while (await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    var lines = new List<RunLogEntry>();
                    while (reader.TryRead(out (RunEvent Event, DateTimeOffset At) next))
                    {
                        lines.AddRange(Lines(next.Event).Select(l => new RunLogEntry(next.At, next.Event.Table, l.Level, l.Line)));
                    }

                    if (lines.Count > 0)
                    {
                        await scheduler.LogAsync(run, lines).ConfigureAwait(false);
                    }
                }
            });
        }

        public void Report(RunEvent value)
        {
            _scheduler.Metrics.Step(_run.Id, _run.Job!, _attempt, value, _sourceTargets.GetValueOrDefault(value.Table));
            _events.Writer.TryWrite((value, _time.GetUtcNow()));
        }

        public Task CompleteAsync()
        {
            _events.Writer.TryComplete();
            return _writer;
        }

        private static IEnumerable<(string Level, string Line)> Lines(RunEvent e)
        {
            string what = e.Kind == StepKind.Source ? "source" : "model";
            StepResult? r = e.Result;
            switch (e.State)
            {
                case StepState.Running:
                    yield return ("info", $"{what} {e.Table} started");
                    break;
                case StepState.Succeeded:
                    yield return ("info", string.Create(CultureInfo.InvariantCulture, $"{what} {e.Table} succeeded: {r?.RowsWritten ?? 0} rows{(r?.CommittedVersion is long v ? $", version {v}" : ", nothing committed")}, {r?.Duration.TotalMilliseconds ?? 0:0} ms"));
                    break;
                case StepState.Failed:
                    yield return ("error", $"{what} {e.Table} failed: {r?.Error}");
                    break;
                case StepState.Skipped or StepState.Cancelled:
                    yield return ("warning", $"{what} {e.Table} {e.State.ToString().ToLowerInvariant()}: {r?.Error}");
                    break;
            }

            foreach (string note in r?.Notes ?? [])
            {
                yield return ("info", $"{e.Table}: {note}");
            }
        }
    }
}
