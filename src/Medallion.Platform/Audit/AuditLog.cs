using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines;
using Medallion.Pipelines.Privacy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Platform.Audit;

/// <summary>
/// The audit: who ran what, from where, when, what it read and how it ended, and every administrative act, kept in the
/// append-only Delta table <c>medallion_audit.events</c> of the project's lake, which admins query like any table.
/// </summary>
/// <remarks>
/// <para>
/// Guarantees. An event accepted by <see cref="Record"/> or <see cref="RecordAsync"/> is written, in a batch of up to
/// <see cref="AuditOptions.BatchSize"/> events committed at most <see cref="AuditOptions.FlushInterval"/> after it
/// arrived; <see cref="DisposeAsync"/> writes everything still queued. A batch that cannot be written is kept and tried
/// again (with a growing pause), never skipped. When the queue is full, <see cref="RecordAsync"/> waits for room up to
/// <see cref="AuditOptions.MaxWait"/> (back-pressure on the audited query), then drops the event; every drop is counted
/// in <see cref="Dropped"/> and in the metric <c>medallion.audit.events.dropped</c>, and logged as a warning. Nothing is
/// lost silently.
/// </para>
/// <para>
/// The table carries <c>medallion.protected = true</c>: every write, delete, update, merge, optimize, vacuum and
/// restore through the platform (<c>medallion delta</c>, models, the SQL endpoint, which is read-only anyway) is refused;
/// only this log appends to it and enforces its retention. Several processes (the server, the shell) may append at once:
/// appends never conflict in Delta.
/// </para>
/// </remarks>
public sealed partial class AuditLog : IAsyncDisposable
{
    /// <summary>The audit table's namespace.</summary>
    public const string Namespace = "medallion_audit";

    /// <summary>The audit table's name in <see cref="Namespace"/>.</summary>
    public const string TableName = "events";

    private const string BatchTable = "__medallion_audit_batch";

    private static readonly TimeSpan s_maxRetryPause = TimeSpan.FromSeconds(30);

    private readonly Channel<AuditEvent> _queue;
    private readonly AuditOptions _options;
    private readonly ILogger _logger;
    private readonly DuckDbConnection _connection;
    private readonly DeltaWriter _writer;
    private readonly Task _pump;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task? _upkeep;
    private long _accepted;
    private long _written;
    private long _dropped;
    private long _lostAfterAccept;

    private readonly StorageResolver _stores;

    private AuditLog(string location, AuditOptions options, ILogger logger, StorageResolver stores)
    {
        Location = location;
        _stores = stores;
        _options = options;
        _logger = logger;
        _queue = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _connection = DuckDbEngines.Default.OpenScratch();
        // Appends never conflict with each other; an upkeep pass or another process's append can still make a commit
        // lose its race, and a batch is simply committed again on the new version.
        // It only appends: each command's first batch starts from the table's newest checksum, not its checkpoint and commits.
        _writer = new DeltaWriter(_connection) { ChangesProtectedTables = true, ConflictRetries = 20, Stores = stores, AppendsFromVersionChecksums = true };
        _pump = Task.Run(PumpAsync);
        if (options.Retention is { } retention)
        {
            _upkeep = Task.Run(() => UpkeepLoopAsync(retention));
        }
    }

    /// <summary>The audit table's location (a directory, or a URI on an object store).</summary>
    public string Location { get; }

    /// <summary>Events accepted so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Events committed to the table so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Events lost so far (a full queue past the wait bound, or a table that could not be written at shutdown).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The audit table's location under a project's storage.</summary>
    public static string TableLocation(MedallionProject project) =>
        ProjectCatalog.TableLocation(project, new Catalog.TableName(Namespace, TableName));

    /// <summary>Opens the audit of a project: its table under the project's storage, created by the first batch.</summary>
    /// <param name="project">The project.</param>
    /// <param name="options">Batching and waits; the table's upkeep (<see cref="MaintainAsync"/>) runs only when <see cref="AuditOptions.Retention"/> is set (the server sets it).</param>
    /// <param name="logger">Where drops and write failures are logged.</param>
    public static AuditLog Open(MedallionProject project, AuditOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(project);
        return Open(TableLocation(project), options, logger, project.Stores);
    }

    /// <summary>Opens an audit whose table is at <paramref name="location"/>.</summary>
    /// <param name="location">The table's directory or URI.</param>
    /// <param name="options">Batching, waits and retention.</param>
    /// <param name="logger">Where drops and write failures are logged.</param>
    /// <param name="stores">Opens the table's store: its project's; <see cref="StorageResolver.Default"/> when null.</param>
    public static AuditLog Open(string location, AuditOptions? options = null, ILogger? logger = null, StorageResolver? stores = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        options ??= new AuditOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        return new AuditLog(location, options, logger ?? NullLogger.Instance, stores ?? StorageResolver.Default);
    }

    /// <summary>
    /// Records an event without waiting: for acts, which are rare. When the queue is full the event waits for room on
    /// its own (up to <see cref="AuditOptions.MaxWait"/>, then it is dropped and counted); use
    /// <see cref="RecordAsync"/> on hot paths so the caller feels the back-pressure.
    /// </summary>
    /// <param name="auditEvent">The event.</param>
    public void Record(AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        if (!TryAccept(auditEvent))
        {
            _ = RecordSlowAsync(auditEvent, CancellationToken.None);
        }
    }

    /// <summary>
    /// Records an event; completes at once unless the queue is full, then waits for room up to
    /// <see cref="AuditOptions.MaxWait"/> and drops the event after that (counted, logged). Never throws for a full queue.
    /// </summary>
    /// <param name="auditEvent">The event.</param>
    /// <param name="cancellationToken">Stops the wait; the event is then dropped and counted.</param>
    public ValueTask RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        return TryAccept(auditEvent) ? ValueTask.CompletedTask : new ValueTask(RecordSlowAsync(auditEvent, cancellationToken));
    }

    /// <summary>Waits until every event accepted before the call is written (or dropped at shutdown).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        long target = Accepted;
        while (Written + Interlocked.Read(ref _lostAfterAccept) < target)
        {
            if (_pump.IsCompleted)
            {
                await _pump.ConfigureAwait(false);
                return;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool TryAccept(AuditEvent auditEvent)
    {
        // Counted before the write so that FlushAsync never sees an event written before it was accepted.
        Interlocked.Increment(ref _accepted);
        if (_queue.Writer.TryWrite(auditEvent))
        {
            AuditMeter.Recorded();
            return true;
        }

        Interlocked.Decrement(ref _accepted);
        return false;
    }

    private async Task RecordSlowAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(_options.MaxWait);
        try
        {
            while (await _queue.Writer.WaitToWriteAsync(wait.Token).ConfigureAwait(false))
            {
                if (TryAccept(auditEvent))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Waited long enough: dropped below.
        }

        Interlocked.Increment(ref _dropped);
        AuditMeter.Dropped(1);
        LogMessages.EventDropped(_logger, auditEvent.Kind, auditEvent.User, auditEvent.Action, _options.MaxWait, Dropped);
    }

    private async Task PumpAsync()
    {
        await WarmAsync().ConfigureAwait(false);
        var batch = new List<AuditEvent>(Math.Min(_options.BatchSize, 16_384));
        ChannelReader<AuditEvent> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            using (var window = new CancellationTokenSource(_options.FlushInterval))
            {
                while (batch.Count < _options.BatchSize)
                {
                    if (reader.TryRead(out AuditEvent? next))
                    {
                        batch.Add(next);
                        continue;
                    }

                    try
                    {
                        if (!await reader.WaitToReadAsync(window.Token).ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }

            await WriteWithRetriesAsync(batch).ConfigureAwait(false);
            batch.Clear();
        }
    }

    /// <summary>
    /// Loads the table's snapshot into the writer while the first events are still being made (a shell's statement runs
    /// meanwhile), so the first batch's write only lists the log since it: on an object store, the checkpoint and
    /// commits are read off the path of the command that waits for its audit record. Nothing is lost when it fails: the
    /// write loads the table itself.
    /// </summary>
    private async Task WarmAsync()
    {
        try
        {
            // Not cancelled at shutdown: an interrupted load could leave the connection mid-statement for the final write.
            await _writer.TryGetSnapshotAsync(Location, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Only a head start: any failure here is met again, and handled, by the first write.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Writes a batch, trying again after a pause as long as the log is open; at shutdown it gets a few more tries.</summary>
    private async Task WriteWithRetriesAsync(List<AuditEvent> batch)
    {
        TimeSpan pause = TimeSpan.FromMilliseconds(200);
        int triesAfterStop = 3;
        while (true)
        {
            try
            {
                await WriteBatchAsync(batch, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Add(ref _written, batch.Count);
                AuditMeter.Written(batch.Count);
                return;
            }
            catch (Exception error)
            {
                // Whatever went wrong, the batch is kept: the pump must outlive any failure, or the queue would fill for good.
                if (_stopping.IsCancellationRequested && --triesAfterStop < 0)
                {
                    Interlocked.Add(ref _dropped, batch.Count);
                    Interlocked.Add(ref _lostAfterAccept, batch.Count);
                    AuditMeter.Dropped(batch.Count);
                    LogMessages.BatchLost(_logger, batch.Count, Location, error);
                    return;
                }

                LogMessages.BatchFailed(_logger, batch.Count, Location, pause, error);
                await Task.Delay(pause).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, s_maxRetryPause.Ticks));
            }
        }
    }

    private async Task WriteBatchAsync(List<AuditEvent> batch, CancellationToken cancellationToken)
    {
        using (DuckDbCommand create = _connection.CreateCommand())
        {
            create.CommandText = $"""
                CREATE OR REPLACE TEMP TABLE {BatchTable} (
                    id VARCHAR, occurred_at TIMESTAMP, kind VARCHAR, "user" VARCHAR, client VARCHAR, channel VARCHAR, action VARCHAR,
                    statement VARCHAR, target VARCHAR, tables VARCHAR, columns VARCHAR, "rows" BIGINT, duration_ms DOUBLE,
                    outcome VARCHAR, error_code VARCHAR, error_message VARCHAR, details VARCHAR)
                """;
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        using (DuckDbAppender appender = _connection.CreateAppender(BatchTable))
        {
            foreach (AuditEvent e in batch)
            {
                appender.BeginRow()
                    .Append(e.Id).Append(e.At.UtcDateTime).Append(e.Kind).Append(e.User).Append(e.Client).Append(e.Channel).Append(e.Action)
                    .Append(Redacted(e.Text)).Append(e.Target).Append(JsonList(e.Tables)).Append(JsonList(e.Columns));
                if (e.Rows is { } rows)
                {
                    appender.Append(rows);
                }
                else
                {
                    appender.AppendNull();
                }

                if (e.Duration is { } duration)
                {
                    appender.Append(duration.TotalMilliseconds);
                }
                else
                {
                    appender.AppendNull();
                }

                appender.Append(e.Outcome).Append(e.ErrorCode).Append(Redacted(e.ErrorMessage)).Append(e.Details);
                appender.EndRow();
            }
        }

        // The writer's session is UTC, so the TIMESTAMP of each event reads as the UTC instant it is.
        string source = $"""
            SELECT id, CAST(occurred_at AS TIMESTAMPTZ) AS occurred_at, CAST(occurred_at AS DATE) AS day, kind, "user", client, channel, action, statement, target,
                   from_json(tables, '["VARCHAR"]') AS tables, from_json(columns, '["VARCHAR"]') AS columns, "rows", duration_ms,
                   outcome, error_code, error_message, details
            FROM {BatchTable}
            """;
        await _writer.WriteAsync(Location, source, new DeltaWriteOptions
        {
            PartitionBy = ["day"],
            Properties = new Dictionary<string, string>
            {
                [DeltaWriter.ProtectedProperty] = "true",
                ["delta.checkpointInterval"] = "50",
            },
        }, cancellationToken).ConfigureAwait(false);
    }

    private static string JsonList(IReadOnlyList<string> items) => new JsonArray([.. items.Select(item => (JsonNode?)JsonValue.Create(item))]).ToJsonString();

    /// <summary>
    /// The audit table's upkeep, which the server runs every <see cref="AuditOptions.RetentionInterval"/>: deletes the
    /// events older than <paramref name="retention"/> (whole days, by the table's <c>day</c> partitions), packs each
    /// day's small files into as few as its size needs, and removes the files both left once the table's own file
    /// retention allows. Every batch is a file of its own, up to one a second on a busy server, and every read of the
    /// table and every load of its snapshot (each audited command's) would otherwise go through all of them. The only
    /// changes the audit table accepts besides appends; the packing changes no data, so appends committed meanwhile
    /// never conflict with it.
    /// </summary>
    /// <param name="retention">How long events are kept.</param>
    /// <param name="now">The present, for the cutoff.</param>
    /// <param name="cancellationToken">Stops the pass (nothing half-done is committed).</param>
    /// <returns>What the pass did (all zero when there was nothing to do, or no table yet).</returns>
    public async Task<AuditUpkeep> MaintainAsync(TimeSpan retention, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        DuckDbConnection connection = DuckDbEngines.Default.OpenScratch();
        await using (connection.ConfigureAwait(false))
        {
            var writer = new DeltaWriter(connection) { ChangesProtectedTables = true, ConflictRetries = 20, Stores = _stores };
            if (await writer.TryGetSnapshotAsync(Location, cancellationToken).ConfigureAwait(false) is null)
            {
                return new AuditUpkeep(0, 0, 0);
            }

            string cutoff = (now - retention).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            DeltaOperationResult deleted = await writer.DeleteAsync(Location, $"day < DATE '{cutoff}'", cancellationToken).ConfigureAwait(false);
            DeltaOperationResult packed = await writer.OptimizeAsync(Location, cancellationToken: cancellationToken).ConfigureAwait(false);
            await writer.VacuumAsync(Location, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new AuditUpkeep(deleted.RowsAffected, packed.FilesRemoved, packed.FilesAdded);
        }
    }

    private async Task UpkeepLoopAsync(TimeSpan retention)
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                AuditUpkeep upkeep = await MaintainAsync(retention, DateTimeOffset.UtcNow, _stopping.Token).ConfigureAwait(false);
                LogMessages.Maintained(_logger, retention, upkeep.EventsDeleted, upkeep.FilesPacked, upkeep.FilesWritten);
                await Task.Delay(_options.RetentionInterval, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is MedallionException or IOException)
            {
                LogMessages.MaintenanceFailed(_logger, Location, error);
                try
                {
                    await Task.Delay(_options.RetentionInterval, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Stops accepting events and writes every queued one before it returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
        if (_upkeep is not null)
        {
            await _upkeep.ConfigureAwait(false);
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>
    /// Statements and error messages are kept with the CPFs, CNPJs, e-mails and card numbers typed into them masked: the
    /// audit cannot be changed, so what it keeps must not need erasing when a person asks (LGPD Art. 18).
    /// </summary>
    private static string? Redacted(string? text) => text is null ? null : PiiDetector.Redact(text);
}
