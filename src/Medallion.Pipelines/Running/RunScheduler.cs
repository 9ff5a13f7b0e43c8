using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines.Sources;

namespace Medallion.Pipelines.Running;

/// <summary>
/// Starts each step once everything it waits for succeeded, keeping at most <see cref="RunOptions.Threads"/> running;
/// skips what depends on a failure; records each outcome in the catalog and reports it as it happens. Only this
/// loop reports progress and writes run records, so callers see events one at a time.
/// </summary>
internal sealed class RunScheduler(RunContext run, List<RunStep> steps)
{
    private static readonly IReadOnlyDictionary<string, long> s_noVersions = new Dictionary<string, long>();

    private readonly Dictionary<TableName, StepResult> _results = [];

    /// <summary>When each step that started was started: the run's models are drawn on one timeline from these.</summary>
    private readonly Dictionary<TableName, DateTimeOffset> _started = [];

    public async Task<List<StepResult>> RunAsync(CancellationToken cancellationToken)
    {
        foreach (RunStep step in steps)
        {
            Report(step, StepState.Queued, null);
        }

        var pending = new List<RunStep>(steps);
        var running = new Dictionary<Task<StepResult>, RunStep>();
        while (pending.Count > 0 || running.Count > 0)
        {
            foreach (RunStep step in pending.ToList())
            {
                if (cancellationToken.IsCancellationRequested || running.Count >= run.Options.Threads)
                {
                    break;
                }

                if (step.WaitsFor.All(t => _results.TryGetValue(t, out StepResult? r) && r.State == StepState.Succeeded) && step.RunsAfter.All(_results.ContainsKey))
                {
                    pending.Remove(step);
                    await StartAsync(step).ConfigureAwait(false);
                    bool upstreamIdle = run.Options.SkipIdleModels && step.Kind == StepKind.Model && step.WaitsFor.Count > 0
                        && step.WaitsFor.All(t => _results[t].CommittedVersion is null);
                    running[Task.Run(() => ExecuteTracedAsync(step, upstreamIdle, cancellationToken), CancellationToken.None)] = step;
                }
            }

            if (running.Count == 0)
            {
                break;
            }

            Task<StepResult> done = await Task.WhenAny(running.Keys).ConfigureAwait(false);
            RunStep finished = running[done];
            running.Remove(done);
            await FinishAsync(finished, await done.ConfigureAwait(false)).ConfigureAwait(false);
            // What reads a cancelled step stays pending and ends Cancelled with the rest, not Skipped.
            if (done.Result.State is StepState.Failed or StepState.Skipped)
            {
                foreach (RunStep skipped in Downstream(finished.Table, pending))
                {
                    pending.Remove(skipped);
                    await FinishAsync(skipped, Ended(skipped, StepState.Skipped, TimeSpan.Zero, $"not run: {finished.Table} {done.Result.State.ToString().ToLowerInvariant()}")).ConfigureAwait(false);
                }
            }
        }

        foreach (RunStep step in pending)
        {
            await FinishAsync(step, Ended(step, StepState.Cancelled, TimeSpan.Zero, "not run: the run was cancelled")).ConfigureAwait(false);
        }

        return steps.Select(s => _results[s.Table]).ToList();
    }

    /// <summary>Runs one step in a span of its own, a child of the run's.</summary>
    private async Task<StepResult> ExecuteTracedAsync(RunStep step, bool upstreamIdle, CancellationToken cancellationToken)
    {
        using Activity? span = PipelineTracing.StartStep(run.RunId, step.Table, step.Kind);
        StepResult result = await ExecuteAsync(step, upstreamIdle, cancellationToken).ConfigureAwait(false);
        PipelineTracing.EndStep(span, result);
        return result;
    }

    /// <summary>Runs one step; never throws, so one failure cannot stop independent branches.</summary>
    private async Task<StepResult> ExecuteAsync(RunStep step, bool upstreamIdle, CancellationToken cancellationToken)
    {
        Stopwatch elapsed = Stopwatch.StartNew();
        SemaphoreSlim? slots = run.Options.StepSlots;
        bool slotTaken = false;
        // The timeout has a source of its own, so a timed-out step can be told from a cancelled run.
        using var timeout = run.Options.ModelTimeout is { } limit ? new CancellationTokenSource(limit, run.Time) : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout?.Token ?? CancellationToken.None);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (slots is not null)
            {
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                slotTaken = true;
            }

            return await ExecuteStepAsync(step, upstreamIdle, elapsed, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Ended(step, StepState.Cancelled, elapsed.Elapsed, "cancelled; nothing was committed");
        }
        catch (Exception) when (timeout?.IsCancellationRequested == true)
        {
            return Ended(step, StepState.Failed, elapsed.Elapsed, $"{ErrorCodes.Format(ErrorCode.RunTimedOut)}: {step.Table} ran longer than its timeout of {run.Options.ModelTimeout} and was interrupted; nothing was committed.")
                with { ErrorCode = ErrorCode.RunTimedOut };
        }
        catch (MedallionException e)
        {
            return Failed(step, elapsed.Elapsed, $"{e.CodeText}: {e.Message}") with { ErrorCode = e.Code, IsTransient = e.IsTransient };
        }
        catch (System.Data.Common.DbException e)
        {
            return Failed(step, elapsed.Elapsed, $"{e.GetType().Name}: {e.Message}") with { IsTransient = e.IsTransient };
        }
#pragma warning disable CA1031 // Any failure of one step (a DuckDB, I/O or catalog error) must end that step only, never the run.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // A bug, kept with its stack as the step's error (the run's log, where it is written once, and its record).
            return Failed(step, elapsed.Elapsed, ErrorCodes.Unexpected(e))
                with { ErrorCode = ErrorCode.InternalError, IsTransient = e is System.Net.Sockets.SocketException or System.Net.Http.HttpRequestException or TimeoutException };
        }
        finally
        {
            if (slotTaken)
            {
                slots!.Release();
            }
        }
    }

    private async Task<StepResult> ExecuteStepAsync(RunStep step, bool upstreamIdle, Stopwatch elapsed, CancellationToken cancellationToken)
    {
        if (step.Database is { } database)
        {
            return await LoadDatabaseAsync(step, database, elapsed, cancellationToken).ConfigureAwait(false);
        }

        if (step.Api is { } api)
        {
            return await LoadApiAsync(step, api, elapsed, cancellationToken).ConfigureAwait(false);
        }

        if (step.Kind == StepKind.Source)
        {
            return await LoadSourceAsync(step.Source!, elapsed, cancellationToken).ConfigureAwait(false);
        }

        if (upstreamIdle && await LastSuccessAsync(step.Table, cancellationToken).ConfigureAwait(false) is { } previous)
        {
            // The upstream versions carry over, so the next build reads from where the last one did.
            return new StepResult(step.Table, step.Kind, StepState.Succeeded, RunMode.Incremental, 0, null, previous.UpstreamVersions, elapsed.Elapsed, null, ["nothing new upstream; not rebuilt"]);
        }

        return await ModelBuilder.BuildAsync(run, step.Model!, cancellationToken).ConfigureAwait(false);
    }

    private async Task<StepResult> LoadSourceAsync(SourceDefinition source, Stopwatch elapsed, CancellationToken cancellationToken)
    {
        DuckDbConnection connection = run.Database.CreateConnection();
        await using (connection.ConfigureAwait(false))
        {
            // The run's writer: the run's snapshots and logs, and its commit fence, as for a model's commit.
            DeltaWriter writer = run.Writer(connection);
            SourceLoadOutcome outcome = await run.Sources.LoadAsync(run.Project, source, writer, run.RunId, run.Time, cancellationToken).ConfigureAwait(false);
            CommitRecord? commit = outcome.CommittedVersion is long version
                ? await CommitRecorder.ReadAsync(run, source.Target, ProjectCatalog.TableLocation(run.Project, source.Target), version, "WRITE", [], writer).ConfigureAwait(false)
                : null;
            return new StepResult(source.Target, StepKind.Source, StepState.Succeeded, RunMode.Incremental, outcome.RowsLoaded, outcome.CommittedVersion, s_noVersions, elapsed.Elapsed, null, outcome.Notes)
            {
                Commit = commit,
            };
        }
    }

    private async Task<StepResult> LoadDatabaseAsync(RunStep step, DatabaseStep database, Stopwatch elapsed, CancellationToken cancellationToken)
    {
        DuckDbConnection connection = run.Database.CreateConnection();
        await using (connection.ConfigureAwait(false))
        {
            DeltaWriter writer = run.Writer(connection);
            (DatabaseTableResult result, List<string> notes) = await DatabaseSourceStep.LoadAsync(run.Project, database, writer, run.Options.ChangeInterval, run.Options.Connectors, cancellationToken).ConfigureAwait(false);
            return await RecordPassAsync(step, result, notes, writer, elapsed).ConfigureAwait(false);
        }
    }

    private async Task<StepResult> LoadApiAsync(RunStep step, ApiSourceDefinition api, Stopwatch elapsed, CancellationToken cancellationToken)
    {
        DuckDbConnection connection = run.Database.CreateConnection();
        await using (connection.ConfigureAwait(false))
        {
            DeltaWriter writer = run.Writer(connection);
            (DatabaseTableResult result, List<string> notes) = await DatabaseSourceStep.LoadApiAsync(run.Project, api, writer, cancellationToken).ConfigureAwait(false);
            return await RecordPassAsync(step, result, notes, writer, elapsed).ConfigureAwait(false);
        }
    }

    /// <summary>Keeps a database or API pass in the catalog: its bronze commit, and the pass itself among the run's source runs.</summary>
    private async Task<StepResult> RecordPassAsync(RunStep step, DatabaseTableResult result, List<string> notes, DeltaWriter writer, Stopwatch elapsed)
    {
        if (result.CommittedVersion is long version)
        {
            await CommitRecorder.RecordAsync(run, step.Table, ProjectCatalog.TableLocation(run.Project, step.Table), version, "WRITE", [], writer).ConfigureAwait(false);
        }

        await run.Catalog.Runs.RecordSourceRunAsync(result.ToRecord(run.RunId, 1, run.Time.GetUtcNow()), CancellationToken.None).ConfigureAwait(false);
        RunMode mode = result.Mode == Ingestion.IngestionMode.Full ? RunMode.Full : RunMode.Incremental;
        return new StepResult(step.Table, StepKind.Source, StepState.Succeeded, mode, result.Result.Rows, result.CommittedVersion, s_noVersions, elapsed.Elapsed, null, notes);
    }

    /// <summary>
    /// The model's latest run before this one when it succeeded (with nothing new upstream since, building again would
    /// change nothing), else null. This run's own record, written as the step started, is not a previous run.
    /// </summary>
    private async Task<ModelRunRecord?> LastSuccessAsync(TableName model, CancellationToken cancellationToken)
    {
        List<ModelRunRecord> last = await run.Catalog.Runs.GetModelRunHistoryAsync(model, 2, cancellationToken).ConfigureAwait(false);
        return last.FirstOrDefault(m => !string.Equals(m.RunId, run.RunId, StringComparison.Ordinal)) is { Status: RunStatus.Succeeded } previous ? previous : null;
    }

    private static StepResult Ended(RunStep step, StepState state, TimeSpan duration, string error) =>
        new(step.Table, step.Kind, state, RunMode.Full, null, null, s_noVersions, duration, error, []);

    /// <summary>
    /// A failed step whose error names it: the error is shown on its own (the run's error, an alert), so one that does not
    /// say what failed (a driver's or an unexpected exception) is led by the step's table; one that does is kept as it is.
    /// </summary>
    private static StepResult Failed(RunStep step, TimeSpan duration, string error) =>
        Ended(step, StepState.Failed, duration, error.Contains(step.Table.ToString(), StringComparison.OrdinalIgnoreCase) ? error : $"{step.Table}: {error}");

    /// <summary>Every pending step that reads <paramref name="table"/>, directly or through other pending steps.</summary>
    private static List<RunStep> Downstream(TableName table, List<RunStep> pending)
    {
        var reached = new HashSet<TableName> { table };
        var result = new List<RunStep>();
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (RunStep step in pending.Where(s => !reached.Contains(s.Table) && s.WaitsFor.Any(reached.Contains)))
            {
                reached.Add(step.Table);
                result.Add(step);
                grew = true;
            }
        }

        return result;
    }

    /// <summary>
    /// Records the step as running, with when it started, before it runs: the run's page shows it under way, and a
    /// scheduler that loses the run marks what was running interrupted.
    /// </summary>
    private async Task StartAsync(RunStep step)
    {
        DateTimeOffset now = run.Time.GetUtcNow();
        _started[step.Table] = now;
        await run.Catalog.Runs.RecordModelRunAsync(new ModelRunRecord(run.RunId, step.Table, RunStatus.Running, null, s_noVersions, TimeSpan.Zero) { StartedAt = now }, CancellationToken.None).ConfigureAwait(false);
        Report(step, StepState.Running, null);
    }

    private async Task FinishAsync(RunStep step, StepResult result)
    {
        _results[step.Table] = result;
        // The record is written even when the run is being cancelled, so the catalog tells what happened to each step;
        // a step's commit is recorded with it, in one write, here rather than in the step so its slot is free sooner.
        var modelRun = new ModelRunRecord(run.RunId, step.Table, Status(result.State), result.RowsWritten, result.UpstreamVersions, result.Duration, result.Error, result.CommittedVersion)
        {
            StartedAt = _started.TryGetValue(step.Table, out DateTimeOffset started) ? started : null,
        };
        if (result.Commit is { } commit)
        {
            await commit.WriteAsync(run.Catalog, modelRun).ConfigureAwait(false);
        }
        else
        {
            await run.Catalog.Runs.RecordModelRunAsync(modelRun, CancellationToken.None).ConfigureAwait(false);
        }

        Report(step, result.State, result);
    }

    private static RunStatus Status(StepState state) => state switch
    {
        StepState.Succeeded => RunStatus.Succeeded,
        StepState.Skipped => RunStatus.Skipped,
        StepState.Cancelled => RunStatus.Cancelled,
        StepState.Failed => RunStatus.Failed,
        _ => RunStatus.Running,
    };

    private void Report(RunStep step, StepState state, StepResult? result) => run.Options.Progress?.Report(new RunEvent(step.Table, step.Kind, state, result));
}
