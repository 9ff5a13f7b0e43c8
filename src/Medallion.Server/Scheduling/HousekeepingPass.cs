using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Environments;
using Medallion.Platform;
using Medallion.Platform.Privacy;
using Microsoft.Extensions.Logging;

namespace Medallion.Server.Scheduling;

/// <summary>
/// The server's housekeeping pass, once at start and then every <c>maintenance.every</c> (an hour by default): deletes the
/// rows older than each model's <c>retention</c> (<see cref="Lakehouse.ApplyRetentionAsync"/>, <c>medallion retention</c>
/// by hand), prunes the runs older than <c>history.keep</c> (<see cref="Lakehouse.PruneRunsAsync"/>, <c>medallion runs
/// prune</c>), and keeps every table tidy unless <c>maintenance: {tables: off}</c> (<see cref="Lakehouse.MaintainTablesAsync"/>:
/// checkpoint, expired logs, vacuum, keeping the files live shallow clones read), and removes the physical tables of model
/// versions no environment has pointed at for <c>maintenance.janitor_retention</c> (<see cref="EnvironmentJanitor"/>,
/// <c>medallion janitor</c> by hand). Each step that fails is logged and tried again at the next pass, and does not stop
/// the others; the project is read as the scheduler last loaded it. Only the server that runs the jobs passes.
/// </summary>
internal sealed partial class HousekeepingPass : IAsyncDisposable
{
    private readonly JobScheduler _scheduler;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly TimeSpan? _interval;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    /// <param name="scheduler">Whose project, and whether this server is the active one.</param>
    /// <param name="time">The clock for cutoffs and waits.</param>
    /// <param name="log">Where what was done goes.</param>
    /// <param name="interval">The time between passes; null for the project's <c>maintenance.every</c>.</param>
    public HousekeepingPass(JobScheduler scheduler, TimeProvider time, ILogger log, TimeSpan? interval = null)
    {
        _scheduler = scheduler;
        _time = time;
        _log = log;
        _interval = interval;
    }

    /// <summary>The time between passes.</summary>
    public TimeSpan Interval => _interval ?? _scheduler.Project.Maintenance.Every;

    /// <summary>Starts passing in the background.</summary>
    public void Start() => _loop = Task.Run(LoopAsync);

    /// <summary>Runs one pass now.</summary>
    public async Task<Housekeeping> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        ProjectEnvironment environment = _scheduler.Environment;
        MedallionProject project = environment.Project;
        DateTimeOffset now = _time.GetUtcNow();
        Lakehouse lakehouse = await Lakehouse.OpenAsync(environment, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            IReadOnlyList<RetentionOutcome> rows = await StepAsync("row retention", [], async () =>
                project.Models.Any(m => m.Config.Retention is not null)
                    ? await lakehouse.ApplyRetentionAsync(now, cancellationToken: cancellationToken).ConfigureAwait(false)
                    : [], cancellationToken).ConfigureAwait(false);
            foreach (RetentionOutcome outcome in rows.Where(o => o.Rows > 0))
            {
                LogDeleted(_log, outcome.DisplayName, outcome.Rows, outcome.Keep, outcome.CommittedVersion);
            }

            RunPruning? pruned = await StepAsync<RunPruning?>("run history", null, async () =>
                project.History.Keep is { } keep
                    ? await lakehouse.PruneRunsAsync(now - keep, cancellationToken: cancellationToken).ConfigureAwait(false)
                    : null, cancellationToken).ConfigureAwait(false);
            if (pruned is { Runs: > 0 })
            {
                LogPruned(_log, pruned.Runs, project.History.Keep!.Value, pruned.ModelRuns, pruned.Logs, pruned.QualityResults, pruned.TableVersions, pruned.BytesFreed is long freed ? $"{freed} bytes freed" : "the space kept for later runs");
            }

            IReadOnlyList<TableUpkeep> tables = await StepAsync<IReadOnlyList<TableUpkeep>>("table maintenance", [], async () =>
                project.Maintenance.Tables
                    ? await lakehouse.MaintainTablesAsync(cancellationToken).ConfigureAwait(false)
                    : [], cancellationToken).ConfigureAwait(false);
            foreach (TableUpkeep table in tables)
            {
                if (table.Error is not null)
                {
                    LogTableFailed(_log, table.Table, table.Error);
                }
                else if (table.Done is { Idle: false } done)
                {
                    LogMaintained(_log, table.Table, done.CheckpointVersion, done.LogFilesDeleted, done.DataFilesDeleted, done.UnfinishedWritesRemoved);
                }
            }

            JanitorReport? janitor = await StepAsync<JanitorReport?>("janitor", null, async () =>
            {
                try
                {
                    return await EnvironmentJanitor.SweepAsync(environment, project.Maintenance.JanitorRetention, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (MedallionException e) when (e.Code == ErrorCode.JanitorApplyInProgress)
                {
                    LogJanitorDeferred(_log, e.Message);
                    return null;
                }
            }, cancellationToken).ConfigureAwait(false);
            foreach (JanitorTable table in janitor?.Tables ?? [])
            {
                if (table.Outcome == JanitorOutcome.Removed)
                {
                    LogJanitorRemoved(_log, table.Model, table.Pointer, table.SizeBytes, table.UnpointedAt);
                }
                else if (table.Outcome == JanitorOutcome.Failed)
                {
                    LogJanitorFailed(_log, table.Model, table.Pointer, table.Reason!);
                }
            }

            return new Housekeeping(rows, pruned, tables, janitor);
        }
    }

    /// <summary>Runs one step; a failure is logged and gives <paramref name="nothing"/>, so the other steps still run.</summary>
    private async Task<T> StepAsync<T>(string step, T nothing, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(_log, step, Interval, e);
            return nothing;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping is the normal end of the loop.
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // Housekeeping is the work of the server that holds the scheduler lease; the others leave it to that one.
                if (!_scheduler.HoldsSchedulerLease)
                {
                    // Looks again in a minute: a standby that took over passes then, not an interval later.
                    await Task.Delay(TimeSpan.FromMinutes(1), _time, _stop.Token).ConfigureAwait(false);
                    continue;
                }

                await RunOnceAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(_log, "project", Interval, e);
            }

            await Task.Delay(Interval, _time, _stop.Token).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 9601, Level = LogLevel.Information, Message = "Retention deleted {Rows} rows of {Table} older than {Keep} (version {Version})")]
    private static partial void LogDeleted(ILogger log, string table, long rows, string keep, long? version);

    [LoggerMessage(EventId = 9602, Level = LogLevel.Error, Message = "The housekeeping pass failed at its {Step} step; it tries again in {Interval}")]
    private static partial void LogFailed(ILogger log, string step, TimeSpan interval, Exception exception);

    [LoggerMessage(EventId = 9603, Level = LogLevel.Information, Message = "Pruned {Runs} runs older than {Keep} from the catalog ({ModelRuns} model runs, {Logs} log lines, {Quality} quality results, {Versions} table version records; {Freed})")]
    private static partial void LogPruned(ILogger log, int runs, TimeSpan keep, int modelRuns, int logs, int quality, int versions, string freed);

    [LoggerMessage(EventId = 9604, Level = LogLevel.Information, Message = "Maintained {Table}: checkpoint {Checkpoint}, {Logs} expired log files and {Files} unreferenced data files removed, {Unfinished} unfinished writes cleaned")]
    private static partial void LogMaintained(ILogger log, TableName table, long? checkpoint, int logs, int files, int unfinished);

    [LoggerMessage(EventId = 9606, Level = LogLevel.Information, Message = "The janitor removed the table of {Model} at {Pointer} ({Bytes} bytes), unpointed since {UnpointedAt}")]
    private static partial void LogJanitorRemoved(ILogger log, TableName model, string pointer, long bytes, DateTimeOffset unpointedAt);

    [LoggerMessage(EventId = 9607, Level = LogLevel.Warning, Message = "The janitor could not remove the table of {Model} at {Pointer}; it tries again at the next pass: {Error}")]
    private static partial void LogJanitorFailed(ILogger log, TableName model, string pointer, string error);

    [LoggerMessage(EventId = 9608, Level = LogLevel.Information, Message = "The janitor removed nothing this pass and tries again at the next: {Reason}")]
    private static partial void LogJanitorDeferred(ILogger log, string reason);

    [LoggerMessage(EventId = 9605, Level = LogLevel.Warning, Message = "The maintenance of {Table} failed; it is tried again at the next pass: {Error}")]
    private static partial void LogTableFailed(ILogger log, TableName table, string error);
}
