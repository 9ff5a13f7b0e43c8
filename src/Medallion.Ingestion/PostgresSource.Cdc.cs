using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
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
// missed or doubled between the two. The stream uses the columns the table had when it started, and writes NULL
// for TOASTed values an update left unchanged.
public sealed partial class PostgresSource
{
    private readonly object _acknowledgeLock = new();
    // Where an acknowledgement goes: the live stream (a status update), or, once the stream has ended but its
    // connection is still open (the last batch is with the sink), a pending LSN advanced after the connection
    // closes; with no stream at all, straight to the slot.
    private LogicalReplicationConnection? _replication;
    private bool _draining;
    private ulong _pending;
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
            live.SetReplicationStatus(new NpgsqlLogSequenceNumber(lsn));
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

        (List<ColumnPlan> plan, bool slotExists) = await PrepareReplicationAsync(cancellationToken).ConfigureAwait(false);
        if (after?.Lsn is ulong committed)
        {
            // Committed by the sink, perhaps never acknowledged (the process stopped in between).
            await AdvanceSlotAsync(committed, cancellationToken).ConfigureAwait(false);
        }

        var replication = new LogicalReplicationConnection(_connectionString);
        await using (replication.ConfigureAwait(false))
        {
            await replication.Open(cancellationToken).ConfigureAwait(false);
            ulong skipBelow = after?.Lsn ?? 0;
            ulong? snapshotLsn = null;
            try
            {
                if (after is null)
                {
                    // Nothing of this slot was ever committed: start it afresh, with a snapshot of its own start.
                    if (slotExists)
                    {
                        await replication.DropReplicationSlot(SlotName, cancellationToken: cancellationToken).ConfigureAwait(false);
                    }

                    PgOutputReplicationSlot slot = await replication.CreatePgOutputReplicationSlot(
                        SlotName, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.Export, cancellationToken: cancellationToken).ConfigureAwait(false);
                    snapshotLsn = (ulong)slot.ConsistentPoint;
                    skipBelow = snapshotLsn.Value;
                    lock (_acknowledgeLock)
                    {
                        _draining = true;
                    }

                    await foreach (SourceBatch batch in ReadSnapshotAsync(target, plan, slot.SnapshotName!, snapshotLsn.Value, cancellationToken).ConfigureAwait(false))
                    {
                        yield return batch;
                    }
                }

                // Until the server streams, acknowledgements wait (see StartStreaming).
                lock (_acknowledgeLock)
                {
                    _draining = true;
                }

                await foreach (SourceBatch batch in StreamChangesAsync(replication, target, plan, skipBelow, snapshotLsn, cancellationToken).ConfigureAwait(false))
                {
                    yield return batch;
                }
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

        await foreach (SourceBatch batch in BatchStreamer.StreamAsync(_options, TableName, target, read, _logger, lsn, cancellationToken).ConfigureAwait(false))
        {
            yield return new SourceBatch(batch.TableName, batch.Columns, batch.Sequence, batch.RowCount, batch.Position, isCommitPoint: false);
        }
    }

    private async IAsyncEnumerable<SourceBatch> StreamChangesAsync(LogicalReplicationConnection replication, DuckDbConnection target, List<ColumnPlan> plan, ulong skipBelow, ulong? snapshotLsn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        quiet.CancelAfter(_options.ChangeWait);
        IAsyncEnumerator<PgOutputReplicationMessage> messages = replication
            .StartReplication(new PgOutputReplicationSlot(SlotName), new PgOutputReplicationOptions(PublicationName, PgOutputProtocolVersion.V1), quiet.Token)
            .GetAsyncEnumerator(quiet.Token);
        await using (messages.ConfigureAwait(false))
        {
            using var batchTable = new BatchTable(target, plan);
            SourceColumn[] columns = plan.Select(c => c.ToSourceColumn()).ToArray();
            var change = new ChangeState(plan.Count - MetadataColumns);
            DuckDbAppender appender = batchTable.Begin();
            long sequence = 0, rows = 0, inBatch = 0;
            ulong lastEnd = skipBelow;
            bool streaming = false;
            if (snapshotLsn is ulong consistentPoint)
            {
                // Commits the snapshot's staged batches, at the slot's consistent point.
                quiet.CancelAfter(Timeout.Infinite);
                batchTable.Complete(_options.SourceName, TableName);
                yield return new SourceBatch(batchTable.QuotedName, columns, ++sequence, 0, new SourcePosition(IngestionMode.Cdc, 0, [], [], [], consistentPoint), isCommitPoint: true);
                quiet.CancelAfter(_options.ChangeWait);
                appender = batchTable.Begin();
            }

            // A micro-batch is handed out at the first transaction boundary once its first change is BatchInterval
            // old: at a commit if the stream keeps flowing, or when the wait for the next message reaches that age.
            Task<bool>? next = null;
            Task? batchDue = null;
            try
            {
                bool cut = false;
                while (true)
                {
                    if (!cut && batchDue is not null && !change.InTransaction)
                    {
                        next ??= NextMessageAsync(messages, cancellationToken);
                        if (!next.IsCompleted)
                        {
                            await Task.WhenAny(next, batchDue).ConfigureAwait(false);
                            cut = !next.IsCompleted;
                        }
                    }

                    if (cut)
                    {
                        rows += inBatch;
                        // The sink's time with the batch is not a quiet source.
                        quiet.CancelAfter(Timeout.Infinite);
                        yield return CompleteChanges(batchTable, columns, ++sequence, inBatch, rows, lastEnd);
                        quiet.CancelAfter(_options.ChangeWait);
                        (inBatch, batchDue, cut) = (0, null, false);
                        appender = batchTable.Begin();
                        continue;
                    }

                    next ??= NextMessageAsync(messages, cancellationToken);
                    bool more = await next.ConfigureAwait(false);
                    next = null;
                    if (!more)
                    {
                        break;
                    }

                    quiet.CancelAfter(_options.ChangeWait);
                    if (!streaming)
                    {
                        streaming = true;
                        StartStreaming(replication);
                    }

                    switch (messages.Current)
                    {
                        case BeginMessage begin:
                            change.Begin(begin, skip: (ulong)begin.TransactionFinalLsn < skipBelow);
                            break;
                        case RelationMessage relation:
                            change.Map(relation, plan);
                            break;
                        case CommitMessage when change.Skipping:
                            change.InTransaction = false;
                            break;
                        case CommitMessage commit:
                            change.InTransaction = false;
                            lastEnd = (ulong)commit.TransactionEndLsn;
                            cut = inBatch >= _options.BatchRows || batchDue is { IsCompleted: true };
                            break;
                        case PgOutputReplicationMessage message when !change.Skipping && AsChange(message) is var (op, relation, tuple):
                            await AppendChangeAsync(appender, change, op, relation, tuple, cancellationToken).ConfigureAwait(false);
                            if (inBatch++ == 0 && _options.BatchInterval is TimeSpan age)
                            {
                                batchDue = Task.Delay(age, CancellationToken.None);
                            }

                            break;
                    }
                }
            }
            finally
            {
                // Left early (the consumer stopped) while a read was in flight: end it before the stream is disposed.
                if (next is { IsCompleted: false })
                {
                    await quiet.CancelAsync().ConfigureAwait(false);
                    try
                    {
                        await next.ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is OperationCanceledException or NpgsqlException)
                    {
                        // The read was abandoned on purpose; whatever ended the stream is reported by the consumer.
                    }
                }
            }

            EndStreaming();
            if (inBatch > 0)
            {
                rows += inBatch;
                yield return CompleteChanges(batchTable, columns, ++sequence, inBatch, rows, lastEnd);
            }

            // Heartbeat: the server's keepalives report how far it has decoded, and every change of this table up
            // to there was delivered and (the consumer asked for more, so) committed. Confirming that position lets
            // the slot advance on a quiet table while other tables write WAL, so the server can recycle it.
            ulong received = (ulong)replication.LastReceivedLsn;
            LogMessages.StreamDrained(_logger, _options.SourceName, TableName, new NpgsqlLogSequenceNumber(lastEnd), replication.LastReceivedLsn);
            if (!change.InTransaction && received > lastEnd)
            {
                lock (_acknowledgeLock)
                {
                    _pending = Math.Max(_pending, received);
                }
            }
        }
    }

    private static (string Op, RelationMessage Relation, ReplicationTuple Tuple)? AsChange(PgOutputReplicationMessage message) => message switch
    {
        InsertMessage insert => ("insert", insert.Relation, insert.NewRow),
        UpdateMessage update => ("update", update.Relation, update.NewRow),
        KeyDeleteMessage delete => ("delete", delete.Relation, delete.Key),
        FullDeleteMessage delete => ("delete", delete.Relation, delete.OldRow),
        _ => null,
    };

    // The stream has no end of its own: it ends when no message came for ChangeWait (drained), never on the caller's cancellation.
    private static async Task<bool> NextMessageAsync(IAsyncEnumerator<PgOutputReplicationMessage> messages, CancellationToken cancellationToken)
    {
        try
        {
            return await messages.MoveNextAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private SourceBatch CompleteChanges(BatchTable batchTable, SourceColumn[] columns, long sequence, long count, long rows, ulong lsn)
    {
        batchTable.Complete(_options.SourceName, TableName);
        LogMessages.BatchStaged(_logger, _options.SourceName, TableName, sequence, count);
        return new SourceBatch(batchTable.QuotedName, columns, sequence, count, new SourcePosition(IngestionMode.Cdc, rows, [], [], [], lsn), isCommitPoint: true);
    }

    private async Task AppendChangeAsync(DuckDbAppender appender, ChangeState change, string op, RelationMessage relation, ReplicationTuple tuple, CancellationToken cancellationToken)
    {
        int[] map = change.MapFor(relation);
        Array.Clear(change.Values);
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
                if (!change.WarnedToast)
                {
                    change.WarnedToast = true;
                    LogMessages.UnchangedToast(_logger, _options.SourceName, TableName);
                }

                continue;
            }

            using System.IO.TextReader reader = value.GetTextReader();
            change.Values[column] = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
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

        appender.EndRow();
    }

    private const int MetadataColumns = 5;

    /// <summary>Makes sure the publication exists, tells whether the slot does, and plans the batch columns: the change's metadata, then the table's.</summary>
    private async Task<(List<ColumnPlan>, bool SlotExists)> PrepareReplicationAsync(CancellationToken cancellationToken)
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
            foreach (PgColumn column in columns)
            {
                ColumnPlan table = PostgresTypeMap.Plan(column.Name, column.Declared, column.TypeName, column.TypeType, column.Typmod, column.ElementName, column.ElementType)
                    ?? throw SourceErrors.TypeNotSupported(_options.SourceName, TableName, column.Name, column.Declared);
                string duckType = column.ElementName is null ? table.DuckDbType : "VARCHAR";
                string? convert = duckType == "VARCHAR" ? null : table.Kind == ValueKind.Bytes ? "from_hex(substr({0}, 3))" : $"CAST({{0}} AS {duckType})";
                plan.Add(new ColumnPlan(column.Name, column.Declared, PostgresSql.QuoteIdentifier(column.Name) + "::text", ValueKind.Text, "VARCHAR", duckType, convert));
            }

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
            return (plan, slotExists);
        }
    }

    /// <summary>The transaction being read and the mapping of each relation's tuple columns onto the batch columns.</summary>
    private sealed class ChangeState(int tableColumns)
    {
        private readonly Dictionary<uint, int[]> _maps = [];

        public string?[] Values { get; } = new string?[tableColumns];

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

        public void Map(RelationMessage relation, List<ColumnPlan> plan)
        {
            var map = new int[relation.Columns.Count];
            for (int i = 0; i < map.Length; i++)
            {
                int column = plan.FindIndex(MetadataColumns, c => c.Name == relation.Columns[i].ColumnName);
                map[i] = column < 0 ? -1 : column - MetadataColumns;
            }

            _maps[relation.RelationId] = map;
        }

        public int[] MapFor(RelationMessage relation) => _maps[relation.RelationId];
    }
}
