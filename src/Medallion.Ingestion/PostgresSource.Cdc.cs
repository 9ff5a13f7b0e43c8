using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Ingestion.Internal;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using NpgsqlTypes;

namespace Medallion.Ingestion;

// Change data capture through logical replication (pgoutput).
//
// Guarantees: the publication and the slot are created when missing. Changes arrive in commit order; a batch
// always ends at a transaction boundary, and its position is the end LSN of its last transaction. The slot is
// acknowledged only through AcknowledgeAsync, i.e. after the sink committed the batch, so the server keeps every
// change that is not durably in bronze. Transactions the server sends again (committed to bronze but not yet
// acknowledged when the process stopped) end at or before the stored position and are skipped, so nothing is
// delivered twice.
//
// Values arrive as PostgreSQL's text and are cast to the column's DuckDB type in DuckDB, which parses that text
// exactly (bytea from its hex form); arrays stay in PostgreSQL's text form. A first read (no position) creates
// the slot afresh with an exported snapshot and delivers the table as of the slot's consistent point (rows with
// _op 'snapshot', uncommitted batches closed by an empty commit point), then the changes after it: nothing is
// missed or doubled between the two. Updates and deletes carry the old row in the _before_ columns as far as the
// replica identity sends it; a TOASTed value an update left unchanged is taken from the before-image when there is
// one, else left NULL and named in _unchanged_toast. A column added while streaming ends the batch before the
// change that first uses it and restarts the stream with the table described again (see the README).
public sealed partial class PostgresSource : IAsyncDisposable
{
    private readonly object _acknowledgeLock = new();
    // Where an acknowledgement goes: the live stream (a status update), or, once the stream has ended but its
    // connection is still open (the last batch is with the sink), a pending LSN advanced after the connection
    // closes; with no stream at all, straight to the slot.
    private LogicalReplicationConnection? _replication;
    private bool _draining;
    private ulong _pending;
    // The stream a continuous run's pass left open for the next one (SourceTableOptions.KeepStreamOpen).
    private ChangeStream? _kept;
    // When the last stream of this source stopped reading (Stopwatch timestamp): where the next pass's time starts.
    private long? _previousStreamEnd;
    // Warned once per source, not once per pass of a continuous run.
    private bool _warnedIdentity;

    private string SlotName => _options.ReplicationSlot ?? $"medallion_{_schema}_{_table}".ToLowerInvariant();

    private string PublicationName => _options.Publication ?? SlotName;

    /// <inheritdoc/>
    public async Task AcknowledgeAsync(SourcePosition committed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(committed);
        if (committed.Lsn is not ulong lsn)
        {
            return;
        }

        LogicalReplicationConnection? live;
        lock (_acknowledgeLock)
        {
            live = _replication;
            if (_draining)
            {
                _pending = Math.Max(_pending, lsn);
                return;
            }
        }

        // While streaming, the server hears it at once; otherwise the slot is advanced directly (it is idle then).
        if (live is not null)
        {
            // Never back: a kept stream confirmed its pass's heartbeat, which may be past the end of the pass's last batch,
            // acknowledged again after it.
            if (lsn > (ulong)live.LastFlushedLsn)
            {
                live.SetReplicationStatus(new NpgsqlLogSequenceNumber(lsn));
            }

            await live.SendStatusUpdate(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await AdvanceSlotAsync(lsn, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// CDC: how far the slot's confirmed position trails the server's current WAL position, in bytes (the WAL the
    /// server keeps for this source); null when the slot does not exist yet.
    /// </summary>
    /// <exception cref="MedallionException">The server cannot be reached (after retries) or rejects the login.</exception>
    public async Task<long?> GetSlotLagBytesAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::int8 FROM pg_replication_slots WHERE slot_name = $1";
        NpgsqlConnection connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            List<long?> lag = await QueryAsync(connection, Sql, [SlotName], r => r.IsDBNull(0) ? (long?)null : r.GetInt64(0), cancellationToken).ConfigureAwait(false);
            return lag.Count > 0 ? lag[0] : null;
        }
    }

    /// <summary>Moves the slot's confirmed position forward (never back) while no stream uses it.</summary>
    private async Task AdvanceSlotAsync(ulong lsn, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT 1 FROM (SELECT pg_replication_slot_advance(slot_name, $2::text::pg_lsn) FROM pg_replication_slots
                           WHERE slot_name = $1 AND confirmed_flush_lsn < $2::text::pg_lsn) advanced
            """;
        NpgsqlConnection connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // The server ends the walsender of a just-closed stream asynchronously; until then the slot is in use.
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await QueryAsync(connection, Sql, [SlotName, new NpgsqlLogSequenceNumber(lsn).ToString()], _ => 0, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 50)
                {
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async IAsyncEnumerable<SourceBatch> ReadChangesAsync(DuckDbConnection target, SourcePosition? after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (after is not null && (after.Mode != IngestionMode.Cdc || after.Lsn is null))
        {
            throw SourceErrors.PositionMismatch(_options.SourceName, TableName, "it was not written by change data capture");
        }

        ulong skipBelow = after?.Lsn ?? 0;
        bool fresh = after is null;
        // The stream the previous pass left open, when it ended where this pass starts.
        ChangeStream? stream = await TakeKeptStreamAsync(after).ConfigureAwait(false);
        // Columns a restart was already made for: if describing the table again does not find them (dropped since),
        // they are ignored rather than restarted for forever.
        var restartedFor = stream?.End.RestartedFor ?? new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            ulong walAtStart;
            bool slotExists = false;
            if (stream is null)
            {
                List<ColumnPlan> plan;
                (plan, slotExists, walAtStart) = await PrepareReplicationAsync(cancellationToken).ConfigureAwait(false);
                if (!fresh)
                {
                    // Committed by the sink, perhaps never acknowledged (the process stopped in between).
                    await AdvanceSlotAsync(skipBelow, cancellationToken).ConfigureAwait(false);
                }

                stream = new ChangeStream(_replicationConnectionString, plan, skipBelow, restartedFor);
            }
            else
            {
                // A kept stream has its table described and its slot in use: only this pass's end is new.
                walAtStart = await GetFlushedWalAsync(cancellationToken).ConfigureAwait(false);
            }

            bool kept = false;
            try
            {
                ulong? snapshotLsn = null;
                bool resumed = stream.Started;
                if (!resumed)
                {
                    LogicalReplicationConnection replication = stream.Connection;
                    await replication.Open(cancellationToken).ConfigureAwait(false);
                    if (fresh)
                    {
                        // Nothing of this slot was ever committed: start it afresh, with a snapshot of its own start.
                        if (slotExists)
                        {
                            await replication.DropReplicationSlot(SlotName, cancellationToken: cancellationToken).ConfigureAwait(false);
                        }

                        PgOutputReplicationSlot slot = await replication.CreatePgOutputReplicationSlot(
                            SlotName, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.Export, cancellationToken: cancellationToken).ConfigureAwait(false);
                        snapshotLsn = (ulong)slot.ConsistentPoint;
                        stream.End.LastEnd = snapshotLsn.Value;
                        lock (_acknowledgeLock)
                        {
                            _draining = true;
                        }

                        await foreach (SourceBatch batch in ReadSnapshotAsync(target, stream.Plan, slot.SnapshotName!, snapshotLsn.Value, cancellationToken).ConfigureAwait(false))
                        {
                            yield return batch;
                        }
                    }

                    // Until the server streams, acknowledgements wait (see StartStreaming).
                    lock (_acknowledgeLock)
                    {
                        _draining = true;
                    }

                    stream.Start(SlotName, PublicationName);
                }

                await foreach (SourceBatch batch in StreamChangesAsync(stream, resumed, target, snapshotLsn, walAtStart, cancellationToken).ConfigureAwait(false))
                {
                    yield return batch;
                    if (batch.IsCommitPoint)
                    {
                        // The consumer asked for more: the batch is committed.
                        stream.Delivered = batch.Position.Lsn!.Value;
                    }
                }

                if (_options.KeepStreamOpen && stream.Reusable)
                {
                    await KeepStreamAsync(stream, cancellationToken).ConfigureAwait(false);
                    kept = true;
                }
            }
            finally
            {
                if (!kept)
                {
                    await CloseStreamAsync(stream).ConfigureAwait(false);
                }
            }

            if (!kept)
            {
                ulong pending;
                lock (_acknowledgeLock)
                {
                    (pending, _pending) = (_pending, 0);
                }

                if (pending > 0)
                {
                    await AdvanceSlotAsync(pending, cancellationToken).ConfigureAwait(false);
                }
            }

            if (kept)
            {
                break;
            }

            if (stream.Broken)
            {
                // The kept stream broke between passes, before this pass read anything of it: a new one reads on.
                LogMessages.KeptStreamClosed(_logger, _options.SourceName, TableName, "it broke between passes");
                skipBelow = stream.Delivered;
            }
            else if (stream.End.AddedColumns is { } added)
            {
                LogMessages.StreamRestarted(_logger, _options.SourceName, TableName, added, new NpgsqlLogSequenceNumber(stream.End.LastEnd));
                skipBelow = stream.End.LastEnd;
            }
            else
            {
                break;
            }

            fresh = false;
            stream = null;
        }
    }

    /// <summary>
    /// The stream the previous pass kept open (<see cref="SourceTableOptions.KeepStreamOpen"/>), when the pass starting
    /// at <paramref name="after"/> can read on from it: it handed out everything up to there and nothing after, and is
    /// still whole. Otherwise it is closed, and the pass opens a new one from the slot.
    /// </summary>
    private async Task<ChangeStream?> TakeKeptStreamAsync(SourcePosition? after)
    {
        ChangeStream? kept = Interlocked.Exchange(ref _kept, null);
        if (kept is null)
        {
            return null;
        }

        if (kept.Reusable && after?.Lsn == kept.Delivered)
        {
            return kept;
        }

        LogMessages.KeptStreamClosed(_logger, _options.SourceName, TableName, kept.Reusable ? "the pass starts at another position" : "it broke between passes");
        await CloseStreamAsync(kept).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Leaves a drained stream open for the next pass: acknowledgements go to it from now on, and those that waited
    /// for the pass's end (its last batch, the heartbeat) are sent now.
    /// </summary>
    private async Task KeepStreamAsync(ChangeStream stream, CancellationToken cancellationToken)
    {
        ulong pending;
        lock (_acknowledgeLock)
        {
            // The pass ended drained or at a commit, so the server has been streaming (it sent its position at least).
            _replication = stream.Connection;
            _draining = false;
            (pending, _pending) = (_pending, 0);
        }

        if (pending > 0)
        {
            await AcknowledgeAsync(new SourcePosition(IngestionMode.Cdc, 0, [], [], [], pending), cancellationToken).ConfigureAwait(false);
        }

        _kept = stream;
    }

    /// <summary>Closes a stream: acknowledgements go straight to the slot from then on.</summary>
    private async Task CloseStreamAsync(ChangeStream stream)
    {
        try
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (_acknowledgeLock)
            {
                _replication = null;
                _draining = false;
            }
        }
    }

    /// <summary>Closes the replication stream a continuous run kept open between passes, if any (<see cref="SourceTableOptions.KeepStreamOpen"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _kept, null) is { } kept)
        {
            await CloseStreamAsync(kept).ConfigureAwait(false);
        }
    }

    // Status updates are only possible once the server streams, i.e. after the first message arrived.
    private void StartStreaming(LogicalReplicationConnection replication)
    {
        lock (_acknowledgeLock)
        {
            _replication = replication;
            _draining = false;
        }
    }

    private void EndStreaming()
    {
        lock (_acknowledgeLock)
        {
            _replication = null;
            _draining = true;
        }
    }

    /// <summary>Reads the table in the slot's exported snapshot, in uncommitted batches.</summary>
    private async IAsyncEnumerable<SourceBatch> ReadSnapshotAsync(DuckDbConnection target, List<ColumnPlan> plan, string snapshot, ulong lsn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        ReadPlan read;
        try
        {
            await QueryAsync(connection, $"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {PostgresSql.QuoteLiteral(snapshot)}", [], _ => 0, cancellationToken).ConfigureAwait(false);
            string columns = string.Join(", ", plan.Skip(MetadataColumns).Select(c => c.SelectSql));
            string from = PostgresSql.QuoteIdentifier(_schema) + "." + PostgresSql.QuoteIdentifier(_table);
            string sql = $"COPY (SELECT 'snapshot'::text, {lsn}::int8, row_number() OVER ()::int8, now(), NULL::int8, {columns} FROM {from}) TO STDOUT (FORMAT BINARY)";
            read = new ReadPlan(plan, await PostgresRowReader.StartAsync(connection, sql, plan, null, _options.SourceName, TableName, cancellationToken).ConfigureAwait(false), null);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await foreach (SourceBatch batch in BatchStreamer.StreamAsync(_options, TableName, target, read, _logger, new SourcePosition(IngestionMode.Cdc, 0, [], [], [], lsn), cancellationToken).ConfigureAwait(false))
        {
            yield return new SourceBatch(batch.Relation, batch.Columns, batch.Sequence, batch.RowCount, batch.Position, isCommitPoint: false);
        }
    }

    private async IAsyncEnumerable<SourceBatch> StreamChangesAsync(ChangeStream stream, bool resumed, DuckDbConnection target, ulong? snapshotLsn, ulong walAtStart, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        LogicalReplicationConnection replication = stream.Connection;
        StreamEnd end = stream.End;
        end.PassOver = false;
        // Drained once the server reported decoding past the WAL it had when the pass began (its keepalives and
        // commits carry how far it got), then quiet for ChangeWait between transactions.
        using var quiet = new QuietWait(_options.ChangeWait, () => (ulong)replication.LastReceivedLsn >= walAtStart, cancellationToken);
        if (resumed && !await stream.PingAsync(cancellationToken).ConfigureAwait(false))
        {
            // The caller opens a new stream from the last delivered position.
            yield break;
        }

        quiet.Waiting();
        List<ColumnPlan> plan = stream.Plan;
        using var batchTable = new BatchTable(target, plan, _options.SourceName, TableName);
        SourceColumn[] columns = plan.Select(c => c.ToSourceColumn()).ToArray();
        ChangeState change = stream.Change;
        DuckDbAppender appender = batchTable.Begin();
        ulong skipBelow = end.LastEnd;
        long sequence = 0, rows = 0, inBatch = 0, inTransaction = 0;
        bool streaming = false;
        var clock = new ChangePassClock(_options, _previousStreamEnd);
        if (snapshotLsn is ulong consistentPoint)
        {
            // Commits the snapshot's staged batches, at the slot's consistent point.
            quiet.Busy();
            batchTable.Complete();
            yield return new SourceBatch(batchTable.Relation, columns, ++sequence, 0, new SourcePosition(IngestionMode.Cdc, 0, [], [], [], consistentPoint), isCommitPoint: true);
            quiet.Waiting();
            appender = batchTable.Begin();
        }

        // The message asked for before a batch went to the sink (group commit, see below); null when none is pending.
        Task<bool>? readAhead = null;
        try
        {
            while (await (readAhead ?? stream.NextAsync(kept: resumed && !streaming, quiet.Token, cancellationToken)).ConfigureAwait(false))
            {
                readAhead = null;
                // Handling a message (and the sink's time with a batch) is not a quiet source: the wait starts again
                // below, once the message is handled.
                quiet.Busy();
                if (!streaming)
                {
                    streaming = true;
                    StartStreaming(replication);
                }

                switch (stream.Current)
                {
                    case BeginMessage begin:
                        change.Begin(begin, skip: (ulong)begin.TransactionFinalLsn < skipBelow);
                        inTransaction = 0;
                        break;
                    case RelationMessage relation:
                        List<string> added = change.Map(relation, end.RestartedFor);
                        if (added.Count > 0 && !change.Skipping)
                        {
                            end.AddedColumns = added;
                            end.RestartedFor.UnionWith(added);
                        }

                        break;
                    case CommitMessage when change.Skipping:
                        change.InTransaction = false;
                        break;
                    case CommitMessage commit:
                        change.InTransaction = false;
                        end.LastEnd = (ulong)commit.TransactionEndLsn;
                        if (clock.PassOver)
                        {
                            end.PassOver = true;
                        }
                        else if (inBatch > 0)
                        {
                            // Group commit: the next message is asked for now. One that is here already (the server
                            // sent it while this batch was read, or while the sink committed the batch before) joins
                            // this batch; otherwise the batch goes to the sink at once, and what the server sends
                            // meanwhile gathers in the socket for the next one. So a change waits for about one commit
                            // at a low rate, and the batches grow with the rate instead of the commits multiplying.
                            readAhead = stream.NextAsync(kept: false, quiet.Token, cancellationToken);
                            // Commits are spaced (see ChangePassClock): the batch waits that long for more changes
                            // before it goes alone; one that comes meanwhile joins it. The wait is asked again after
                            // the timer: a timer counts whole milliseconds of a coarser clock and may fire a little
                            // before the spacing has passed, and a batch not due then would wait for the next change.
                            for (TimeSpan spacing = clock.UntilGroupCommit; !readAhead.IsCompleted && spacing > TimeSpan.Zero; spacing = clock.UntilGroupCommit)
                            {
                                await Task.WhenAny(readAhead, Task.Delay(spacing, cancellationToken)).ConfigureAwait(false);
                                cancellationToken.ThrowIfCancellationRequested();
                            }

                            if (clock.BatchDue(inBatch, nextArrived: readAhead.IsCompleted))
                            {
                                clock.Committed();
                                rows += inBatch;
                                yield return CompleteChanges(batchTable, columns, ++sequence, inBatch, rows, end.LastEnd, change.CommitTimestamp);
                                inBatch = 0;
                                appender = batchTable.Begin();
                            }
                        }

                        break;
                    case PgOutputReplicationMessage message when !change.Skipping && AsChange(message) is var (op, relation, before, after):
                        clock.Appending(inBatch);
                        await AppendChangeAsync(appender, change, op, relation, before, after, cancellationToken).ConfigureAwait(false);
                        inBatch++;
                        inTransaction++;
                        break;
                }

                if (end.AddedColumns is not null || end.PassOver)
                {
                    break;
                }

                // The stream is quiet only between transactions. Inside one, the server has the commit already (it
                // decodes a transaction at its commit) and may still be busy before the next change (a large
                // transaction's changes to other tables, a slow row filter, a loaded machine): ending there would
                // leave the transaction's first changes in this batch, and the next stream sends them again.
                if (!change.InTransaction)
                {
                    quiet.Waiting();
                }
            }
        }
        finally
        {
            // The consumer stopped (a failure, a cancellation) while a batch was with it and the next message was
            // asked for: the wait for it ends here, and the read itself when the stream is closed (a stream is kept
            // only after a pass that ended by itself). Its message is not lost: the batch's position is before it,
            // so the next stream sends it again.
            if (readAhead is { IsCompleted: false })
            {
                quiet.Stop();
                await ((Task)readAhead).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        EndStreaming();
        _previousStreamEnd = Stopwatch.GetTimestamp();
        if (stream.Broken)
        {
            // Nothing of it was read in this pass: the caller opens a new stream from the last delivered position.
            yield break;
        }

        if (change.InTransaction && inTransaction > 0)
        {
            // A batch holds whole transactions only: its position is the end of the last one, from where the
            // next stream sends the interrupted transaction again, whole (and, after new columns, with them).
            batchTable.Complete();
            batchTable.Delete(string.Create(CultureInfo.InvariantCulture, $"_lsn = {change.CommitLsn}"));
            inBatch -= inTransaction;
            appender = batchTable.Reopen();
        }

        if (inBatch > 0)
        {
            rows += inBatch;
            yield return CompleteChanges(batchTable, columns, ++sequence, inBatch, rows, end.LastEnd, change.CommitTimestamp);
        }

        // Heartbeat: the server's keepalives report how far it has decoded, and every change of this table up
        // to there was delivered and (the consumer asked for more, so) committed. Confirming that position lets
        // the slot advance on a quiet table while other tables and databases write WAL, so the server can
        // recycle it. Only after a quiet wait: a stream stopped early (new columns, the pass's time is up) may
        // not have received transactions that committed before the server's reported position.
        ulong received = (ulong)replication.LastReceivedLsn;
        LogMessages.StreamDrained(_logger, _options.SourceName, TableName, new NpgsqlLogSequenceNumber(end.LastEnd), replication.LastReceivedLsn);
        if (end.AddedColumns is null && !end.PassOver && !change.InTransaction && received > end.LastEnd)
        {
            lock (_acknowledgeLock)
            {
                _pending = Math.Max(_pending, received);
            }
        }
    }

    private static (string Op, RelationMessage Relation, ReplicationTuple? Before, ReplicationTuple? After)? AsChange(PgOutputReplicationMessage message) => message switch
    {
        InsertMessage insert => ("insert", insert.Relation, null, insert.NewRow),
        FullUpdateMessage update => ("update", update.Relation, update.OldRow, update.NewRow),
        IndexUpdateMessage update => ("update", update.Relation, update.Key, update.NewRow),
        UpdateMessage update => ("update", update.Relation, null, update.NewRow),
        KeyDeleteMessage delete => ("delete", delete.Relation, delete.Key, null),
        FullDeleteMessage delete => ("delete", delete.Relation, delete.OldRow, null),
        _ => null,
    };

    private SourceBatch CompleteChanges(BatchTable batchTable, SourceColumn[] columns, long sequence, long count, long rows, ulong lsn, DateTime lastCommit)
    {
        batchTable.Complete();
        LogMessages.BatchStaged(_logger, _options.SourceName, TableName, sequence, count);
        return new SourceBatch(batchTable.Relation, columns, sequence, count, new SourcePosition(IngestionMode.Cdc, rows, [], [], [], lsn), isCommitPoint: true)
        {
            SourceCommittedAt = new DateTimeOffset(DateTime.SpecifyKind(lastCommit, DateTimeKind.Utc)),
        };
    }

    private async Task AppendChangeAsync(DuckDbAppender appender, ChangeState change, string op, RelationMessage relation, ReplicationTuple? before, ReplicationTuple? after, CancellationToken cancellationToken)
    {
        int[] map = change.MapFor(relation);
        Array.Clear(change.Values);
        Array.Clear(change.Before);
        change.Unchanged.Clear();
        // The old tuple comes first on the wire: read it before the new one.
        if (before is not null)
        {
            await ReadTupleAsync(before, map, change.Before, null, cancellationToken).ConfigureAwait(false);
        }

        if (after is not null)
        {
            await ReadTupleAsync(after, map, change.Values, change.Unchanged, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            change.Before.CopyTo(change.Values, 0);
        }

        // An unchanged TOASTed value is exact when the before-image has it (REPLICA IDENTITY FULL); otherwise it is named.
        for (int i = change.Unchanged.Count - 1; i >= 0; i--)
        {
            int column = change.Unchanged[i];
            if (change.Before[column] is not null)
            {
                change.Values[column] = change.Before[column];
                change.Unchanged.RemoveAt(i);
            }
        }

        if (change.Unchanged.Count > 0 && !change.WarnedToast)
        {
            change.WarnedToast = true;
            LogMessages.UnchangedToast(_logger, _options.SourceName, TableName);
        }

        appender.BeginRow();
        appender.Append(op);
        appender.Append((long)change.CommitLsn);
        appender.Append(change.Sequence++);
        appender.Append(change.CommitTimestamp);
        appender.Append((long)change.TransactionId);
        foreach (string? text in change.Values)
        {
            appender.Append(text);
        }

        foreach (string? text in change.Before)
        {
            appender.Append(text);
        }

        appender.Append(change.Unchanged.Count == 0 ? null : JsonSerializer.Serialize(change.Unchanged.Select(c => change.Names[c])));
        appender.EndRow();
    }

    /// <summary>Reads a tuple's values as text into <paramref name="values"/>; unchanged TOASTed columns go to <paramref name="unchanged"/>.</summary>
    private static async Task ReadTupleAsync(ReplicationTuple tuple, int[] map, string?[] values, List<int>? unchanged, CancellationToken cancellationToken)
    {
        int index = 0;
        await foreach (ReplicationValue value in tuple.ConfigureAwait(false))
        {
            int column = index < map.Length ? map[index] : -1;
            index++;
            if (column < 0 || value.IsDBNull)
            {
                continue;
            }

            if (value.IsUnchangedToastedValue)
            {
                unchanged?.Add(column);
                continue;
            }

            using System.IO.TextReader reader = value.GetTextReader();
            values[column] = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private const int MetadataColumns = 5;

    /// <summary>The prefix of the columns holding a change's before-image.</summary>
    public const string BeforePrefix = ChangePlan.BeforePrefix;

    // The sizes of a WAL page's header (XLogPageHeaderData) and of a segment's first page's (XLogLongPageHeaderData), aligned.
    private const ulong ShortPageHeaderSize = 24;
    private const ulong LongPageHeaderSize = 40;

    // How long a pass waits for the server to flush WAL inserted before it began (see WaitForFlushedWalAsync).
    private static readonly TimeSpan s_flushWait = TimeSpan.FromSeconds(2);

    /// <summary>The column naming the columns an update left unchanged whose value the server did not send.</summary>
    public const string UnchangedToastColumn = "_unchanged_toast";

    /// <summary>
    /// Makes sure the publication exists, tells whether the slot does and how far the server's WAL is flushed (what a
    /// stream begun afterwards reads before it may end), and plans the batch columns: the change's metadata, then the table's.
    /// </summary>
    private async Task<(List<ColumnPlan>, bool SlotExists, ulong WalFlushed)> PrepareReplicationAsync(CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            (_, List<PgColumn> columns) = await DescribeAsync(connection, cancellationToken).ConfigureAwait(false);
            var plan = new List<ColumnPlan>
            {
                new("_op", "text", "", ValueKind.Text, "VARCHAR", "VARCHAR"),
                new("_lsn", "pg_lsn", "", ValueKind.Int64, "UBIGINT", "UBIGINT"),
                new("_seq", "bigint", "", ValueKind.Int64, "BIGINT", "BIGINT"),
                new("_commit_ts", "timestamptz", "", ValueKind.TimestampTz, "TIMESTAMPTZ", "TIMESTAMPTZ"),
                new("_txid", "xid", "", ValueKind.Int64, "UBIGINT", "UBIGINT"),
            };
            plan = ChangePlan.Build(plan, columns.Select(c => PlanColumn(c, fromText: true)).ToList(), _ => "NULL::text");
            plan.Add(new ColumnPlan(UnchangedToastColumn, "text[]", "NULL::text", ValueKind.Text, "VARCHAR", "VARCHAR[]", "CAST(CAST({0} AS JSON) AS VARCHAR[])"));

            string quotedTable = PostgresSql.QuoteIdentifier(_schema) + "." + PostgresSql.QuoteIdentifier(_table);
            if ((await QueryAsync(connection, "SELECT 1 FROM pg_publication WHERE pubname = $1", [PublicationName], r => r.GetInt32(0), cancellationToken).ConfigureAwait(false)).Count == 0)
            {
                await QueryAsync(connection, $"CREATE PUBLICATION {PostgresSql.QuoteIdentifier(PublicationName)} FOR TABLE {quotedTable}", [], _ => 0, cancellationToken).ConfigureAwait(false);
            }

            List<char> identity = await QueryAsync(connection, "SELECT c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2", [_schema, _table], r => r.GetChar(0), cancellationToken).ConfigureAwait(false);
            if (identity.Count > 0 && identity[0] != 'f' && !_warnedIdentity)
            {
                _warnedIdentity = true;
                LogMessages.ReplicaIdentityNotFull(_logger, _options.SourceName, TableName, identity[0] switch { 'n' => "NOTHING", 'i' => "USING INDEX", _ => "DEFAULT" });
            }

            bool slotExists = (await QueryAsync(connection, "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [SlotName], r => r.GetInt32(0), cancellationToken).ConfigureAwait(false)).Count > 0;
            return (plan, slotExists, await WaitForFlushedWalAsync(connection, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>How far the server's WAL is flushed, on a connection of its own (see <see cref="WaitForFlushedWalAsync"/>).</summary>
    private async Task<ulong> GetFlushedWalAsync(CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await WaitForFlushedWalAsync(connection, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// How far the server's WAL is flushed, once it holds every commit made before the call: what a stream begun
    /// afterwards must have decoded before it may end.
    /// </summary>
    /// <remarks>
    /// Under asynchronous commit (<c>synchronous_commit = off</c>) a commit is visible, and answered to its client,
    /// before its WAL is flushed, and walsenders decode flushed WAL only: a pass that took the flush position as its
    /// end could end before a change committed just before it began. So the pass waits until the flush reaches what
    /// was inserted when it began; the WAL writer flushes asynchronous commits within three <c>wal_writer_delay</c>s.
    /// The wait is bounded: the tail of an open transaction's WAL on a partly filled page is flushed only when
    /// something commits, which on a quiet server can take long, and no committed change waits behind it.
    /// </remarks>
    private async Task<ulong> WaitForFlushedWalAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // A standby (PostgreSQL 16 decodes there too) has no flush position of its own; its walsenders read up to what it replayed.
        const string FlushedSql = "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_flush_lsn() END";
        const string InsertedSql = """
            SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn() END,
                   current_setting('wal_block_size')::int8,
                   (SELECT setting::int8 FROM pg_settings WHERE name = 'wal_segment_size')
            """;
        var (inserted, pageSize, segmentSize) = (await QueryAsync(connection, InsertedSql, [],
            r => (r.IsDBNull(0) ? (ulong?)null : (ulong)r.GetFieldValue<NpgsqlLogSequenceNumber>(0), (ulong)r.GetInt64(1), (ulong)r.GetInt64(2)),
            cancellationToken).ConfigureAwait(false))[0];
        ulong flushed = await ScalarLsnAsync(FlushedSql).ConfigureAwait(false);
        if (inserted is not ulong target)
        {
            return flushed;
        }

        // The insert position of a page's first record points past the page's header, where no record ever ends: the
        // flush position (a record's end) stops before that header.
        if (target % segmentSize == LongPageHeaderSize)
        {
            target -= LongPageHeaderSize;
        }
        else if (target % pageSize == ShortPageHeaderSize)
        {
            target -= ShortPageHeaderSize;
        }

        long start = Stopwatch.GetTimestamp();
        while (flushed < target && Stopwatch.GetElapsedTime(start) < s_flushWait)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            flushed = await ScalarLsnAsync(FlushedSql).ConfigureAwait(false);
        }

        if (flushed < target)
        {
            LogMessages.WalNotFlushed(_logger, _options.SourceName, TableName, new NpgsqlLogSequenceNumber(target), new NpgsqlLogSequenceNumber(flushed), s_flushWait);
        }

        return flushed;

        async Task<ulong> ScalarLsnAsync(string sql) =>
            (ulong)(await QueryAsync(connection, sql, [], r => r.GetFieldValue<NpgsqlLogSequenceNumber>(0), cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>Where a stream ended: the end of its last whole transaction, and the columns that made it restart.</summary>
    private sealed class StreamEnd(ulong lastEnd, HashSet<string> restartedFor)
    {
        public ulong LastEnd { get; set; } = lastEnd;

        /// <summary>Columns a Relation message brought that the plan lacks: the stream must restart with them.</summary>
        public List<string>? AddedColumns { get; set; }

        public HashSet<string> RestartedFor { get; } = restartedFor;

        /// <summary>The pass ran for its <see cref="SourceTableOptions.PassDuration"/> and ended at a transaction boundary.</summary>
        public bool PassOver { get; set; }
    }

    /// <summary>The transaction being read and the mapping of each relation's tuple columns onto the table's columns.</summary>
    private sealed class ChangeState
    {
        private readonly Dictionary<uint, int[]> _maps = [];

        public ChangeState(List<ColumnPlan> plan)
        {
            int tableColumns = (plan.Count - MetadataColumns - 1) / 2;
            Names = plan.Skip(MetadataColumns).Take(tableColumns).Select(c => c.Name).ToArray();
            Values = new string?[tableColumns];
            Before = new string?[tableColumns];
        }

        /// <summary>The table's columns, in plan order.</summary>
        public string[] Names { get; }

        public string?[] Values { get; }

        public string?[] Before { get; }

        public List<int> Unchanged { get; } = [];

        public bool Skipping { get; private set; }

        public ulong CommitLsn { get; private set; }

        public DateTime CommitTimestamp { get; private set; }

        public ulong TransactionId { get; private set; }

        public long Sequence { get; set; }

        public bool WarnedToast { get; set; }

        /// <summary>A transaction began and its commit has not arrived yet.</summary>
        public bool InTransaction { get; set; }

        public void Begin(BeginMessage begin, bool skip)
        {
            InTransaction = true;
            Skipping = skip;
            CommitLsn = (ulong)begin.TransactionFinalLsn;
            CommitTimestamp = begin.TransactionCommitTimestamp;
            TransactionId = begin.TransactionXid;
            Sequence = 0;
        }

        /// <summary>Maps the relation's columns; returns those the table's plan lacks, except the <paramref name="ignored"/> ones.</summary>
        public List<string> Map(RelationMessage relation, IReadOnlySet<string> ignored)
        {
            var map = new int[relation.Columns.Count];
            var added = new List<string>();
            for (int i = 0; i < map.Length; i++)
            {
                string name = relation.Columns[i].ColumnName;
                map[i] = Array.IndexOf(Names, name);
                if (map[i] < 0 && !ignored.Contains(name))
                {
                    added.Add(name);
                }
            }

            _maps[relation.RelationId] = map;
            return added;
        }

        public int[] MapFor(RelationMessage relation) => _maps[relation.RelationId];
    }
}
