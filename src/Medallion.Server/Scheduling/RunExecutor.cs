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
using Medallion.Engine;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Server.Observability;

namespace Medallion.Server.Scheduling;

/// <summary>
/// Executes the runs the scheduler starts (or a worker claims): runs their attempts on the run database within the
/// limit of concurrent steps, retries transient failures with backoff, records every
/// attempt and the final state, and writes the runs' log lines (to the catalog and to the server's log).
/// </summary>
/// <remarks>
/// The runs under way (<see cref="Running"/>) change with the scheduler's state lock held: <see cref="Start"/> and
/// <see cref="Forget"/> are called with it, and the run's end is reported back to the scheduler, which frees the slot.
/// </remarks>
internal sealed class RunExecutor : IDisposable
{
    private readonly CatalogStore _catalog;
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _time;
    private readonly SchedulerMetrics _metrics;
    private readonly Func<RunRecord, Task> _onEnded;
    private readonly SemaphoreSlim _steps;
    // The runs' steps open their connections on this one database, rather than each run opening a database of its own; opened by the first run.
    private DuckDbDatabase? _runDatabase;
    private readonly DuckDbEngines _engines;
    private readonly Lock _runDatabaseOpening = new();
    private readonly Dictionary<string, ActiveRun> _active = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopRuns = new();
    // The bronze tables the continuous runs stream into, replaced whole by the scheduler; runs read it without a lock.
    private volatile IReadOnlySet<TableName> _streamed = new HashSet<TableName>();
    private TaskCompletionSource _logWritten = NewSignal();
    private readonly RunLineLogger _runLog;
    private readonly RunHolding _holding;

    /// <param name="environment">The host's project environment: the clock, the logs (where the lines of runs' logs go besides the catalog) and the engines of the run database.</param>
    /// <param name="catalog">The catalog runs are recorded in.</param>
    /// <param name="options">Step limit, retry jitter.</param>
    /// <param name="metrics">What the scheduler counts about its runs.</param>
    /// <param name="onEnded">Told when a run has reached its final state and it is recorded.</param>
    /// <param name="holding">Whose runs these are, and whether they still are (the scheduler's fence).</param>
    public RunExecutor(ProjectEnvironment environment, CatalogStore catalog, SchedulerOptions options, SchedulerMetrics metrics, Func<RunRecord, Task> onEnded, RunHolding holding)
    {
        _holding = holding;
        _catalog = catalog;
        _options = options;
        _engines = environment.Engines;
        _time = environment.Time;
        _metrics = metrics;
        _onEnded = onEnded;
        _runLog = new RunLineLogger(environment.Logs);
        _steps = new SemaphoreSlim(options.MaxConcurrentSteps, options.MaxConcurrentSteps);
    }

    /// <summary>Jobs write the same tables run after run: each run starts from the snapshot the previous one committed.</summary>
    public DeltaSnapshotCache Snapshots { get; } = new();

    /// <summary>The runs under way.</summary>
    public IEnumerable<RunRecord> Running => _active.Values.Select(a => a.Run);

    /// <summary>How many runs are under way (read without the state lock for metrics: a count a moment old is fine).</summary>
    public int Count => _active.Count;

    /// <summary>The tables continuous runs stream into: runs neither lock nor load them.</summary>
    public IReadOnlySet<TableName> Streamed
    {
        get => _streamed;
        set => _streamed = value;
    }

    /// <summary>Completes when the next log line of any run is written.</summary>
    public Task LogWritten => Volatile.Read(ref _logWritten).Task;

    /// <summary>Starts executing a run; the run keeps <paramref name="definitions"/> to its end.</summary>
    public void Start(RunRecord run, JobDefinition job, JobScheduler.Definitions definitions)
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

    /// <summary>Cancels a run under way (its running models commit nothing); false when it is not under way.</summary>
    public async Task<bool> CancelAsync(string runId)
    {
        if (!_active.TryGetValue(runId, out ActiveRun? active))
        {
            return false;
        }

        await active.Cancel.CancelAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Cancels every run of a backfill under way.</summary>
    public async Task CancelBackfillAsync(string backfillId)
    {
        foreach (ActiveRun active in _active.Values.Where(a => a.Run.BackfillId == backfillId))
        {
            await active.Cancel.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Completes when every run under way now has ended.</summary>
    public Task WhenRunningEnd() => Task.WhenAll(_active.Values.Select(a => a.Task));

    /// <summary>Cancels every run under way and every run started from now on.</summary>
    public Task CancelAllAsync() => _stopRuns.CancelAsync();

    // Set before the runs are stopped by a worker that stops: they are handed back rather than ended cancelled.
    private volatile bool _handingBack;

    /// <summary>
    /// Stops every run under way (a worker that stops, past its grace) and hands each back for another worker to claim,
    /// rather than ending it cancelled: its running attempt ends interrupted, and the models that were running commit
    /// nothing.
    /// </summary>
    public Task HandBackAllAsync()
    {
        _handingBack = true;
        return _stopRuns.CancelAsync();
    }

    /// <summary>Drops an ended run from the runs under way.</summary>
    public void Forget(string runId)
    {
        if (_active.Remove(runId, out ActiveRun? active))
        {
            active.Cancel.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _runDatabase?.Dispose();
        _stopRuns.Dispose();
        _steps.Dispose();
    }

    /// <summary>Runs one queued run to its end: table locks, attempts, retries of transient failures, final state.</summary>
    /// <remarks>The run keeps <paramref name="definitions"/> to its end, whatever a reload brings meanwhile.</remarks>
    private async Task ExecuteAsync(RunRecord run, JobDefinition job, JobScheduler.Definitions definitions, CancellationToken cancellationToken)
    {
        RunStatus final = RunStatus.Failed;
        using Activity? span = Tracing.StartJobRun(run, job.Name);
        DateTimeOffset started = _time.GetUtcNow();
        // A scheduled run was due at its fire time; any other when it was queued.
        _metrics.RunStarted(job.Name, started - (run.Trigger == RunTrigger.Schedule && run.IntervalEnd is { } fire ? fire : run.StartedAt));
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
            _metrics.RunEnded(run.Id, job.Name, final, _time.GetUtcNow() - started);
            await _onEnded(run).ConfigureAwait(false);
        }
    }

    /// <remarks>The catalog holds the locks of the tables the run writes (<see cref="TablesWritten"/>, taken at its admission) until it ends.</remarks>
    private async Task<RunStatus> RunAttemptsAsync(RunRecord run, JobDefinition job, JobScheduler.Definitions definitions, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!await HoldsAsync().ConfigureAwait(false))
            {
                return Abandon(run);
            }

            RunAttemptRecord attempt;
            try
            {
                // Checked against the holder in the same write: the fence above may have passed just before this server
                // was stopped, and another taken the run back meanwhile.
                attempt = await _catalog.Runs.StartAttemptAsync(run.Id, _holding.HolderId, CancellationToken.None).ConfigureAwait(false);
            }
            catch (MedallionException e) when (e.Code == ErrorCode.RunNoLongerHeld)
            {
                return Abandon(run);
            }

            // The line takes its place among the run's lines now and commits while the run starts; it is awaited
            // before the attempt's end is recorded.
            Task attemptLogged = LogAsync(run, null, "info", $"attempt {attempt.Attempt} started");
            if (attempt.Attempt > 1)
            {
                _metrics.RunRetried(job.Name);
            }

            using var runTimeout = job.RunTimeout is { } limit ? new CancellationTokenSource(limit, _time) : null;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, runTimeout?.Token ?? CancellationToken.None);
            var log = new RunLogWriter(this, run, attempt.Attempt, definitions.SourceTargets);
            RunResult? result = null;
            string? error = null;
            bool transient = false;
            try
            {
                result = await ProjectRunner.RunAsync(definitions.Environment, Options(run, attempt.Attempt, job, definitions, log), linked.Token).ConfigureAwait(false);
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
            if (!await HoldsAsync().ConfigureAwait(false))
            {
                return Abandon(run);
            }

            if (result?.Status == RunStatus.Succeeded)
            {
                await _catalog.Runs.FinishAttemptAsync(run.Id, attempt.Attempt, RunStatus.Succeeded, null, false, CancellationToken.None).ConfigureAwait(false);
                return await EndAsync(run, RunStatus.Succeeded, null, after: definitions.After(run)).ConfigureAwait(false);
            }

            if (cancellationToken.IsCancellationRequested && HandingBack)
            {
                return await HandBackAsync(run).ConfigureAwait(false);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                const string Cancelled = "cancelled; the models that were running committed nothing";
                await _catalog.Runs.FinishAttemptAsync(run.Id, attempt.Attempt, RunStatus.Cancelled, Cancelled, false, CancellationToken.None).ConfigureAwait(false);
                return await EndAsync(run, RunStatus.Cancelled, Cancelled).ConfigureAwait(false);
            }

            if (runTimeout?.IsCancellationRequested == true)
            {
                string timedOut = $"{ErrorCodes.Format(ErrorCode.RunTimedOut)}: the run of job '{job.Name}' ran longer than its timeout of {job.RunTimeout} and was interrupted; the models that were running committed nothing.";
                await _catalog.Runs.FinishAttemptAsync(run.Id, attempt.Attempt, RunStatus.Failed, timedOut, false, CancellationToken.None).ConfigureAwait(false);
                return await EndAsync(run, RunStatus.Failed, timedOut).ConfigureAwait(false);
            }

            // A step's error is in the log already, on the step's own line: the lines about the attempt and the run name
            // the steps that failed rather than repeat it.
            string? failedAt = null;
            if (result is not null)
            {
                List<TableName> failedSteps = [.. result.Steps.Where(s => s.State == StepState.Failed).Select(s => s.Table)];
                error = result.Error ?? $"the run ended {result.Status.ToString().ToLowerInvariant()}";
                failedAt = failedSteps.Count == 0 ? null : " at " + string.Join(", ", failedSteps);
                transient = RetryClassifier.IsTransient(result);
            }

            await _catalog.Runs.FinishAttemptAsync(run.Id, attempt.Attempt, RunStatus.Failed, error, transient, CancellationToken.None).ConfigureAwait(false);
            if (!transient || attempt.Attempt > job.Retries.Count)
            {
                string why = !transient ? "not transient, so not retried" : $"no retries left ({job.Retries.Count})";
                await LogAsync(run, null, "error", failedAt is null ? $"attempt {attempt.Attempt} failed ({why}): {error}" : $"attempt {attempt.Attempt} failed{failedAt} ({why})").ConfigureAwait(false);
                return await EndAsync(run, RunStatus.Failed, error, errorLogged: true).ConfigureAwait(false);
            }

            TimeSpan delay = job.Retries.DelayBefore(attempt.Attempt, (_options.Random ?? Random.Shared.NextDouble)());
            await LogAsync(run, null, "warning", $"attempt {attempt.Attempt} failed transiently{failedAt}; retrying in {delay.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s{(failedAt is null ? ": " + error : string.Empty)}").ConfigureAwait(false);
            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return HandingBack
                    ? await HandBackAsync(run).ConfigureAwait(false)
                    : await EndAsync(run, RunStatus.Cancelled, $"cancelled while waiting to retry; last error: {error}").ConfigureAwait(false);
            }
        }
    }

    private RunOptions Options(RunRecord run, int attempt, JobDefinition job, JobScheduler.Definitions definitions, RunLogWriter log)
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
            Attempt = attempt,
            Job = run.Job,
            Select = run.Selection,
            Sources = job.Sources,
            SourcesOnly = run.Selection is null && job.Select is null,
            StreamedTables = _streamed,
            Variables = variables,
            TimeZone = job.Schedule?.TimeZone,
            ModelTimeout = job.ModelTimeout,
            Engine = job.Engine,
            StepSlots = _steps,
            Time = _time,
            Progress = log,
            Graph = definitions.Graph,
            Database = RunDatabase(),
            Snapshots = Snapshots,
            CommitFence = _holding.Fence,
        };
    }

    /// <summary>Whether the run is still this server's to record; when the catalog cannot tell, the record is tried (and fails on its own).</summary>
    public async Task<bool> HoldsAsync()
    {
        try
        {
            await _holding.Fence(CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (MedallionException e) when (e.Code == ErrorCode.RunNoLongerHeld)
        {
            return false;
        }
        catch (MedallionException)
        {
            return true;
        }
    }

    /// <summary>
    /// Leaves a run this server no longer holds to the scheduler that took it over (with the lease, or from a silent
    /// worker): nothing of it is recorded (that scheduler marks it interrupted and retries it by its job's policy, or
    /// starts its own stream for a continuous run); the server's own log says so.
    /// </summary>
    public RunStatus Abandon(RunRecord run)
    {
        _runLog.Write(run, [new RunLogEntry(_time.GetUtcNow(), null, "warning",
            $"this server no longer holds run {run.Id}: another server took it over after this one went silent (missed heartbeats); nothing more of it is recorded here")]);
        return RunStatus.Interrupted;
    }

    private bool HandingBack => _handingBack && _stopRuns.IsCancellationRequested;

    /// <summary>Hands a run back for another worker (see <see cref="HandBackAllAsync"/>); the run is queued again, not ended.</summary>
    private async Task<RunStatus> HandBackAsync(RunRecord run)
    {
        const string Why = "handed back by a worker that stopped before the run finished; another worker takes it over";
        await LogAsync(run, null, "warning", Why).ConfigureAwait(false);
        return await _catalog.Runs.HandBackRunAsync(run.Id, _holding.HolderId, "interrupted: " + Why, CancellationToken.None).ConfigureAwait(false)
            ? RunStatus.Queued
            : Abandon(run);
    }

    private DuckDbDatabase RunDatabase()
    {
        lock (_runDatabaseOpening)
        {
            return _runDatabase ??= _engines.OpenWork();
        }
    }

    /// <summary>Every table a run may write: its models, the sources they read (a run loads those first), and the job's named sources, except the tables continuous jobs stream.</summary>
    public static IReadOnlyList<TableName> TablesWritten(RunRecord run, JobDefinition job, JobScheduler.Definitions definitions, IReadOnlySet<TableName> streamed)
    {
        IReadOnlySet<TableName> models = run.Selection is null && job.Select is null ? new HashSet<TableName>() : definitions.Graph.Select(run.Selection);
        Dictionary<TableName, string> sourceTargets = definitions.SourceTargets;
        return models
            .Concat(models.SelectMany(definitions.Graph.GetUpstream).Where(sourceTargets.ContainsKey))
            .Concat(sourceTargets.Where(s => job.Sources.Contains(s.Value, StringComparer.OrdinalIgnoreCase)).Select(s => s.Key))
            .Except(streamed)
            .Distinct()
            .ToList();
    }

    /// <summary>Records a run's final state, after its last log line.</summary>
    /// <param name="run">The run.</param>
    /// <param name="status">Its final state.</param>
    /// <param name="error">Why it failed or was cancelled.</param>
    /// <param name="errorLogged">Whether a line above (a step's or the attempt's) holds the error already: then the last line does not repeat it.</param>
    /// <param name="after">On success, the jobs that run after the run's job: queued in the write that records the success.</param>
    public async Task<RunStatus> EndAsync(RunRecord run, RunStatus status, string? error, bool errorLogged = false, IReadOnlyList<AfterRun>? after = null)
    {
        if (!await HoldsAsync().ConfigureAwait(false))
        {
            return Abandon(run);
        }

        // The line comes first: a reader that sees the final state has every line of the run.
        await LogAsync(run, null, status == RunStatus.Succeeded ? "info" : "error", $"run {status.ToString().ToLowerInvariant()}{(error is null || errorLogged ? "" : ": " + error)}").ConfigureAwait(false);
        try
        {
            // Only while the run is still this server's in the catalog: its fence on the clock has a window, this has none.
            await _catalog.Runs.FinishRunAsync(run.Id, status, error, _holding.HolderId, after ?? [], CancellationToken.None).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.RunNoLongerHeld)
        {
            return Abandon(run);
        }

        return status;
    }

    /// <summary>Writes a line of a run's log, timed now.</summary>
    public Task LogAsync(RunRecord run, TableName? model, string level, string message) =>
        LogAsync(run, [new RunLogEntry(_time.GetUtcNow(), model, level, message)]);

    /// <summary>Writes lines of a run's log to the catalog, and to the server's log (where <c>--log-format json</c> shows them).</summary>
    public Task LogAsync(RunRecord run, IReadOnlyList<RunLogEntry> lines) => LogAsync([(run, lines)]);

    /// <summary>
    /// Writes one info line to each run's log, all in one write (see <see cref="LogAsync(IReadOnlyCollection{ValueTuple{RunRecord, IReadOnlyList{RunLogEntry}}})"/>):
    /// many runs queued, admitted or claimed at once.
    /// </summary>
    public Task LogEachAsync(IEnumerable<RunRecord> runs, Func<RunRecord, string> message)
    {
        DateTimeOffset now = _time.GetUtcNow();
        return LogAsync([.. runs.Select(run => (run, (IReadOnlyList<RunLogEntry>)[new RunLogEntry(now, null, "info", message(run))]))]);
    }

    /// <summary>
    /// Writes lines of several runs' logs to the catalog in one write (many runs queued, admitted or claimed at once), and
    /// to the server's log. The write is asked before this returns its task, so what is asked of the catalog afterwards
    /// commits with these lines or after them.
    /// </summary>
    public async Task LogAsync(IReadOnlyCollection<(RunRecord Run, IReadOnlyList<RunLogEntry> Lines)> logs)
    {
        if (logs.Count == 0)
        {
            return;
        }

        foreach ((RunRecord run, IReadOnlyList<RunLogEntry> lines) in logs)
        {
            _runLog.Write(run, lines);
        }

        await _catalog.Runs.AppendRunLogsAsync([.. logs.Select(l => (l.Run.Id, l.Lines))], CancellationToken.None).ConfigureAwait(false);
        SignalLogWritten();
    }

    /// <summary>
    /// Tells the server's log, and the live log readers, of a line the catalog wrote into each run's log in a write of its
    /// own (an admission's).
    /// </summary>
    public void Logged(IEnumerable<RunRecord> runs, RunLogEntry line)
    {
        foreach (RunRecord run in runs)
        {
            _runLog.Write(run, [line]);
        }

        SignalLogWritten();
    }

    // Live log readers (the SSE stream) wait on this rather than polling the catalog.
    private void SignalLogWritten() => Interlocked.Exchange(ref _logWritten, NewSignal()).TrySetResult();

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
        private readonly RunExecutor _executor;
        private readonly RunRecord _run;
        private readonly int _attempt;
        private readonly IReadOnlyDictionary<TableName, string> _sourceTargets;

        public RunLogWriter(RunExecutor executor, RunRecord run, int attempt, IReadOnlyDictionary<TableName, string> sourceTargets)
        {
            _time = executor._time;
            (_executor, _run, _attempt, _sourceTargets) = (executor, run, attempt, sourceTargets);
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
                        await executor.LogAsync(run, lines).ConfigureAwait(false);
                    }
                }
            });
        }

        public void Report(RunEvent value)
        {
            _executor._metrics.Step(_run.Id, _run.Job ?? JobScheduler.SelectionJobName, _attempt, value, _sourceTargets.GetValueOrDefault(value.Table));
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
                    // The step's error says what failed, on which table: the line is the error, once.
                    yield return ("error", r?.Error ?? $"{what} {e.Table} failed");
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

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record ActiveRun(RunRecord Run, CancellationTokenSource Cancel, Task Task);
}

/// <summary>Whose runs an executor runs (the holder id its runs carry in the catalog) and whether it still holds them.</summary>
/// <param name="HolderId">The scheduler's holder id.</param>
/// <param name="Fence">The scheduler's fence (<see cref="JobScheduler.FenceAsync"/>): throws <see cref="ErrorCode.RunNoLongerHeld"/> once the runs are another's.</param>
internal sealed record RunHolding(string HolderId, Func<CancellationToken, ValueTask> Fence);
