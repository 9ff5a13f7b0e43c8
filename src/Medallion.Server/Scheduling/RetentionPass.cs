using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Pipelines;
using Medallion.Platform;
using Medallion.Platform.Privacy;
using Microsoft.Extensions.Logging;

namespace Medallion.Server.Scheduling;

/// <summary>
/// The server's daily retention pass: once at start and every day after, deletes the rows older than each model's
/// <c>retention</c> (<see cref="Lakehouse.ApplyRetentionAsync"/>, what <c>medallion retention</c> does by hand). A pass
/// that fails is logged and tried again the next day; the project is read as the scheduler last loaded it.
/// </summary>
internal sealed partial class RetentionPass : IAsyncDisposable
{
    private readonly JobScheduler _scheduler;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public RetentionPass(JobScheduler scheduler, TimeProvider time, ILogger log, TimeSpan? interval = null)
    {
        _scheduler = scheduler;
        _time = time;
        _log = log;
        Interval = interval ?? TimeSpan.FromDays(1);
    }

    /// <summary>The time between passes.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Starts passing in the background.</summary>
    public void Start() => _loop = Task.Run(LoopAsync);

    /// <summary>Runs one pass now: the outcome of each table with a retention (none when no model has one).</summary>
    public async Task<IReadOnlyList<RetentionOutcome>> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        MedallionProject project = _scheduler.Project;
        if (!project.Models.Any(m => m.Config.Retention is not null))
        {
            return [];
        }

        Lakehouse lakehouse = await Lakehouse.OpenAsync(project.Directory, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            IReadOnlyList<RetentionOutcome> outcomes = await lakehouse.ApplyRetentionAsync(_time.GetUtcNow(), cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (RetentionOutcome outcome in outcomes.Where(o => o.Rows > 0))
            {
                LogDeleted(_log, outcome.Table, outcome.Rows, outcome.Keep, outcome.CommittedVersion);
            }

            return outcomes;
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
                // Deleting is the work of the server that runs the jobs; one on standby leaves it to that one.
                if (_scheduler.Role != SchedulerRole.Active)
                {
                    // Looks again in a minute: a standby that took over passes then, not a day later.
                    await Task.Delay(TimeSpan.FromMinutes(1), _time, _stop.Token).ConfigureAwait(false);
                    continue;
                }

                await RunOnceAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(_log, e);
            }

            await Task.Delay(Interval, _time, _stop.Token).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 9601, Level = LogLevel.Information, Message = "Retention deleted {Rows} rows of {Table} older than {Keep} (version {Version})")]
    private static partial void LogDeleted(ILogger log, Catalog.TableName table, long rows, string keep, long? version);

    [LoggerMessage(EventId = 9602, Level = LogLevel.Error, Message = "The daily retention pass failed; it runs again tomorrow")]
    private static partial void LogFailed(ILogger log, Exception exception);
}
