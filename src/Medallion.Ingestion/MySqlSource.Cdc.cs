using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Ingestion.Internal;
using Medallion.Ingestion.Internal.Binlog;
using MySql.Data.MySqlClient;

namespace Medallion.Ingestion;

// Change data capture from the binlog (MariaDB; MySQL's binlog has the same layout but its JSON type is not decoded).
//
// Guarantees, as for PostgreSQL: a first read (no position) takes the table in a consistent snapshot
// (START TRANSACTION WITH CONSISTENT SNAPSHOT, whose binlog position MariaDB reports as binlog_snapshot_file and
// binlog_snapshot_position), delivers it as rows with _op 'snapshot' in uncommitted batches closed by an empty
// commit point at that position, then streams the binlog from exactly there: nothing is missed or doubled between
// the two. A batch ends at a transaction's commit (XID, or COMMIT for non-transactional tables) and its position is
// the binlog file and the position after that commit; the sink stores it in the same Delta commit as the rows, and
// the next read dumps the binlog from it, so a kill neither loses nor repeats a change. The server keeps no state
// for us (no slot): acknowledging is a no-op, and the binlog must be kept until the next run (expire_logs_days).
//
// Values are decoded from the row images into what a full load appends (BinlogRowDecoder), so the bronze types
// are the full load's. Before-images come from the FULL row image (required). A change of the table's columns is
// never decoded with the old ones: a table map that no longer fits, or an ALTER of the table after which
// information_schema describes other columns, or a TRUNCATE, DROP or RENAME of it, stops with MDL8012.
public sealed partial class MySqlSource
{
    // When the last pass of this source stopped reading (Stopwatch timestamp): where the next pass's time starts.
    private long? _previousStreamEnd;

    // DDL that ends the stream when it names the table: rows vanish without row events, or the table is gone.
    private static readonly Regex s_ddl = new(@"^\s*(ALTER|TRUNCATE|DROP|RENAME|CREATE\s+OR\s+REPLACE)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Refuses a server whose binlog cannot give change data capture what it needs; null when it can.</summary>
    /// <param name="source">The source's name, for the message.</param>
    /// <param name="server">host:port, for the message.</param>
    /// <param name="logBin">@@log_bin.</param>
    /// <param name="format">@@global.binlog_format.</param>
    /// <param name="rowImage">@@global.binlog_row_image.</param>
    internal static MedallionException? CheckBinlogSettings(string source, string server, bool logBin, string format, string rowImage)
    {
        if (!logBin)
        {
            return SourceErrors.ChangeLogUnavailable(source, server, "the binary log is off (log_bin = OFF)",
                "start the server with --log-bin --server-id=<n> --binlog-format=ROW --binlog-row-image=FULL, or read the table in mode full or incremental");
        }

        if (!string.Equals(format, "ROW", StringComparison.OrdinalIgnoreCase))
        {
            return SourceErrors.ChangeLogUnavailable(source, server, $"binlog_format is {format}, and only ROW logs the changed rows",
                "set binlog_format = ROW on the server (SET GLOBAL binlog_format = 'ROW' and in its configuration file)");
        }

        if (!string.Equals(rowImage, "FULL", StringComparison.OrdinalIgnoreCase))
        {
            return SourceErrors.ChangeLogUnavailable(source, server, $"binlog_row_image is {rowImage}, so updates and deletes do not log every column",
                "set binlog_row_image = FULL on the server (SET GLOBAL binlog_row_image = 'FULL' and in its configuration file)");
        }

        return null;
    }

    private async IAsyncEnumerable<SourceBatch> ReadChangesAsync(DuckDbConnection target, SourcePosition? after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (after is not null && (after.Mode != IngestionMode.Cdc || after.BinlogFile is null || after.BinlogPosition is null))
        {
            throw SourceErrors.PositionMismatch(_options.SourceName, TableName, "it was not written by change data capture of a MySQL/MariaDB binlog");
        }

        MySqlConnection connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        List<BinlogColumn> columns;
        List<ColumnPlan> plan;
        bool checksum;
        (string File, ulong Position) start;
        (string File, ulong Position) serverEnd;
        try
        {
            checksum = await CheckServerAsync(connection, cancellationToken).ConfigureAwait(false);
            columns = await DescribeForChangesAsync(connection, cancellationToken).ConfigureAwait(false);
            plan = ChangePlan.Build(
                [
                    new("_op", "varchar", "'snapshot'", ValueKind.Text, "VARCHAR", "VARCHAR"),
                    new("_binlog_file", "varchar", "@file", ValueKind.Text, "VARCHAR", "VARCHAR"),
                    new("_binlog_pos", "bigint unsigned", "@position", ValueKind.Int64, "UBIGINT", "UBIGINT"),
                    new("_seq", "bigint", "ROW_NUMBER() OVER ()", ValueKind.Int64, "BIGINT", "BIGINT"),
                    new("_commit_ts", "timestamp", "UTC_TIMESTAMP(6)", ValueKind.TimestampTz, "TIMESTAMPTZ", "TIMESTAMPTZ"),
                    new("_gtid", "varchar", "NULL", ValueKind.Text, "VARCHAR", "VARCHAR"),
                ],
                columns.Select(c => c.Plan).ToList(),
                _ => "NULL");
            serverEnd = await MasterStatusAsync(connection, cancellationToken).ConfigureAwait(false);
            if (after is not null)
            {
                start = (after.BinlogFile!, after.BinlogPosition!.Value);
                await CheckBinlogFileAsync(connection, start, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ExecuteAsync(connection, "START TRANSACTION WITH CONSISTENT SNAPSHOT", cancellationToken).ConfigureAwait(false);
                List<(string Name, string Value)> status = await QueryAsync(connection, "SHOW STATUS LIKE 'binlog_snapshot_%'", r => (r.GetString(0), r.GetString(1)), cancellationToken).ConfigureAwait(false);
                string? file = status.FirstOrDefault(s => s.Name.Equals("binlog_snapshot_file", StringComparison.OrdinalIgnoreCase)).Value;
                string? position = status.FirstOrDefault(s => s.Name.Equals("binlog_snapshot_position", StringComparison.OrdinalIgnoreCase)).Value;
                if (string.IsNullOrEmpty(file) || position is null)
                {
                    throw SourceErrors.ChangeLogUnavailable(_options.SourceName, _server, "the server reports no binlog position for a consistent snapshot (binlog_snapshot_file); it is not MariaDB",
                        "change data capture of MySQL sources needs MariaDB 10.0 or later; read the table in mode full or incremental");
                }

                start = (file, ulong.Parse(position, CultureInfo.InvariantCulture));
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (after is null)
        {
            // The reader owns the connection (and ends its transaction) from here on.
            SourcePosition snapshotAt = new(IngestionMode.Cdc, 0, [], [], [], binlogFile: start.File, binlogPosition: start.Position);
            await foreach (SourceBatch batch in ReadSnapshotAsync(connection, target, plan, snapshotAt, cancellationToken).ConfigureAwait(false))
            {
                yield return batch;
            }
        }
        else
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        await foreach (SourceBatch batch in StreamBinlogAsync(target, plan, columns, checksum, start, serverEnd, snapshot: after is null, cancellationToken).ConfigureAwait(false))
        {
            yield return batch;
        }
    }

    /// <summary>Checks the binlog settings and the login's privileges; tells whether events carry CRC32 checksums.</summary>
    private async Task<bool> CheckServerAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        List<(bool LogBin, string Format, string RowImage, string Checksum)> settings = await QueryAsync(connection,
            "SELECT @@log_bin, @@global.binlog_format, @@global.binlog_row_image, @@global.binlog_checksum",
            r => (Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture) != 0, r.GetString(1), r.GetString(2), r.GetString(3)), cancellationToken).ConfigureAwait(false);
        (bool logBin, string format, string rowImage, string checksum) = settings[0];
        if (CheckBinlogSettings(_options.SourceName, _server, logBin, format, rowImage) is { } refused)
        {
            throw refused;
        }

        return checksum.Equals("CRC32", StringComparison.OrdinalIgnoreCase);
    }

    private async Task<(string File, ulong Position)> MasterStatusAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            List<(string, ulong)> status = await QueryAsync(connection, "SHOW MASTER STATUS", r => (r.GetString(0), Convert.ToUInt64(r.GetValue(1), CultureInfo.InvariantCulture)), cancellationToken).ConfigureAwait(false);
            return status.Count > 0 ? status[0] : throw SourceErrors.ChangeLogUnavailable(_options.SourceName, _server, "the server reports no binlog (SHOW MASTER STATUS is empty)", "start the server with --log-bin");
        }
        catch (MySqlException e) when (e.Number is 1227 or 1045)
        {
            throw MissingPrivilege(e.Message);
        }
    }

    private MedallionException MissingPrivilege(string message) =>
        SourceErrors.ChangeLogUnavailable(_options.SourceName, _server, $"user '{_user}' may not read it ({message})",
            $"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '{_user}'@'<host>' (MariaDB 10.5+: BINLOG MONITOR and REPLICATION SLAVE)");

    private async Task CheckBinlogFileAsync(MySqlConnection connection, (string File, ulong Position) start, CancellationToken cancellationToken)
    {
        List<string> files = await QueryAsync(connection, "SHOW BINARY LOGS", r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        if (!files.Contains(start.File, StringComparer.Ordinal))
        {
            throw SourceErrors.ChangeLogPurged(_options.SourceName, TableName, start.File, start.Position, null);
        }
    }

    /// <summary>The columns with what decoding their binlog values needs.</summary>
    private async Task<List<BinlogColumn>> DescribeForChangesAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        List<MyColumn> described = await DescribeAsync(connection, cancellationToken).ConfigureAwait(false);
        var columns = new List<BinlogColumn>(described.Count);
        foreach (MyColumn column in described)
        {
            string dataType = column.DataType.ToLowerInvariant();
            columns.Add(new BinlogColumn(
                column.Name,
                dataType,
                column.ColumnType.Contains("unsigned", StringComparison.OrdinalIgnoreCase),
                TextEncoding(column),
                column.OctetLength,
                dataType is "enum" or "set" ? Labels(column.ColumnType) : [],
                PlanColumn(column)));
        }

        return columns;
    }

    private Encoding? TextEncoding(MyColumn column) => column.Charset?.ToLowerInvariant() switch
    {
        null or "binary" => null,
        "utf8mb4" or "utf8mb3" or "utf8" or "ascii" => Encoding.UTF8,
        "latin1" => Encoding.Latin1,
        "ucs2" or "utf16" => Encoding.BigEndianUnicode,
        "utf16le" => Encoding.Unicode,
        "utf32" => new UTF32Encoding(bigEndian: true, byteOrderMark: false),
        string other => throw SourceErrors.ChangeLogUnavailable(_options.SourceName, _server, $"column '{column.Name}' of table '{TableName}' is in character set {other}, which the binlog reader does not decode",
            $"convert the column to utf8mb4 (ALTER TABLE ... MODIFY {column.Name} ... CHARACTER SET utf8mb4), or read the table in mode full or incremental"),
    };

    /// <summary>The labels of <c>enum('a','b')</c> or <c>set('a','b')</c>, quotes undone.</summary>
    private static List<string> Labels(string columnType)
    {
        var labels = new List<string>();
        int at = columnType.IndexOf('(', StringComparison.Ordinal) + 1;
        while (at > 0 && at < columnType.Length && columnType[at] == '\'')
        {
            var label = new StringBuilder();
            for (at++; at < columnType.Length; at++)
            {
                if (columnType[at] == '\'' && at + 1 < columnType.Length && columnType[at + 1] == '\'')
                {
                    label.Append('\'');
                    at++;
                }
                else if (columnType[at] == '\'')
                {
                    break;
                }
                else
                {
                    label.Append(columnType[at]);
                }
            }

            labels.Add(label.ToString());
            at += 2;
        }

        return labels;
    }

    /// <summary>Reads the table in the consistent snapshot's transaction, in uncommitted batches at the snapshot's position.</summary>
    private async IAsyncEnumerable<SourceBatch> ReadSnapshotAsync(MySqlConnection connection, DuckDbConnection target, List<ColumnPlan> plan, SourcePosition snapshotAt, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string from = (_schema is null ? "" : MySqlSql.QuoteIdentifier(_schema) + ".") + MySqlSql.QuoteIdentifier(_table);
        string select = string.Join(", ", plan.Select(c => c.SelectSql));
        var command = new MySqlCommand($"SELECT {select} FROM {from}", connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("@file", snapshotAt.BinlogFile);
        command.Parameters.AddWithValue("@position", snapshotAt.BinlogPosition);
        LogMessages.Reading(_logger, _options.SourceName, TableName, _options.Mode, command.CommandText);
        IRowReader reader = await MySqlRowReader.StartAsync(connection, command, plan, null, _options.SourceName, TableName, cancellationToken).ConfigureAwait(false);
        await foreach (SourceBatch batch in BatchStreamer.StreamAsync(_options, TableName, target, new ReadPlan(plan, reader, null), _logger, snapshotAt, cancellationToken).ConfigureAwait(false))
        {
            yield return new SourceBatch(batch.Relation, batch.Columns, batch.Sequence, batch.RowCount, batch.Position, isCommitPoint: false);
        }
    }

    private static bool IsTransientBinlog(Exception e) => e is IOException or SocketException or TimeoutException || IsTransient(e);

    private async Task<BinlogClient> ConnectBinlogAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ConnectRetry.RunAsync(_options, _server, IsTransientBinlog,
                token => BinlogClient.ConnectAsync(_host, _port, _user, _password, token), _logger, cancellationToken).ConfigureAwait(false);
        }
        catch (BinlogServerException e) when (e.Code == 1045)
        {
            throw SourceErrors.AuthenticationFailed(_options.SourceName, _server, _user, e);
        }
        catch (BinlogProtocolException e)
        {
            throw SourceErrors.ChangeLogUnavailable(_options.SourceName, _server, e.Message, "give the user a mysql_native_password login (ALTER USER ... IDENTIFIED VIA mysql_native_password USING PASSWORD('...'))");
        }
    }

    private async IAsyncEnumerable<SourceBatch> StreamBinlogAsync(DuckDbConnection target, List<ColumnPlan> plan, List<BinlogColumn> columns, bool checksum,
        (string File, ulong Position) start, (string File, ulong Position) serverEnd, bool snapshot, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        MySqlConnection helper = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using (helper.ConfigureAwait(false))
        {
            BinlogClient client = await ConnectBinlogAsync(cancellationToken).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                try
                {
                    // Events come with the checksum the server computes, and as a MariaDB replica's: GTID events, not
                    // BEGIN queries. Heartbeats (nanoseconds) keep an idle dump talking, so a quiet wait ends in time.
                    await client.ExecuteAsync("SET @master_binlog_checksum = @@global.binlog_checksum", cancellationToken).ConfigureAwait(false);
                    await client.ExecuteAsync("SET @mariadb_slave_capability = 4", cancellationToken).ConfigureAwait(false);
                    long heartbeatNs = (long)Math.Max(100, _options.ChangeWait.TotalMilliseconds / 2) * 1_000_000;
                    await client.ExecuteAsync(string.Create(CultureInfo.InvariantCulture, $"SET @master_heartbeat_period = {heartbeatNs}"), cancellationToken).ConfigureAwait(false);
                    // A replica's server id must be unique among those connected: a random one, outside the small
                    // numbers servers use.
                    await client.StartDumpAsync(start.File, checked((uint)start.Position), (uint)Random.Shared.Next(0x40000000, int.MaxValue), cancellationToken).ConfigureAwait(false);
                }
                catch (BinlogServerException e) when (e.Code is 1227 or 1045)
                {
                    throw MissingPrivilege(e.Message);
                }

                var stream = new BinlogStream(this, target, plan, columns, checksum, start, serverEnd, helper);
                await foreach (SourceBatch batch in stream.ReadAsync(client, snapshot, cancellationToken).ConfigureAwait(false))
                {
                    yield return batch;
                }
            }
        }
    }

    /// <summary>
    /// One pass over the binlog: decodes the table's row events into change rows and cuts them into batches at
    /// transaction commits, until the stream is drained (it reached the server's position at the start and no change
    /// of the table came for <see cref="SourceTableOptions.ChangeWait"/>) or the pass's time is up.
    /// </summary>
    private sealed class BinlogStream(MySqlSource source, DuckDbConnection target, List<ColumnPlan> plan, List<BinlogColumn> columns, bool checksum,
        (string File, ulong Position) start, (string File, ulong Position) serverEnd, MySqlConnection helper)
    {
        private readonly BinlogEventParser _parser = new(checksum);
        private readonly Dictionary<ulong, TableMapEvent> _maps = [];
        private readonly object?[] _values = new object?[columns.Count];
        private readonly object?[] _before = new object?[columns.Count];
        private BinlogRowDecoder _decoder = null!;
        private string _file = start.File;
        private string? _gtid;
        private DateTime _commitTimestamp;
        private ulong _transactionStart;
        private long _sequence;

        private SourceTableOptions Options => source._options;

        private string Table => source.TableName;

        public async IAsyncEnumerable<SourceBatch> ReadAsync(BinlogClient client, bool snapshot, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            _decoder = new BinlogRowDecoder(columns, GeometryText);
            using var batchTable = new BatchTable(target, plan, Options.SourceName, Table);
            SourceColumn[] sourceColumns = plan.Select(c => c.ToSourceColumn()).ToArray();
            DuckDbAppender appender = batchTable.Begin();
            (string File, ulong Position) lastEnd = start;
            long batchSequence = 0, rows = 0, inBatch = 0;
            bool inTransaction = false;
            bool caughtUp = Compare((start.File, start.Position), serverEnd) >= 0;
            var quiet = Stopwatch.StartNew();
            var clock = new ChangePassClock(Options, source._previousStreamEnd);
            if (snapshot)
            {
                // Commits the snapshot's staged batches at the snapshot's binlog position.
                batchTable.Complete();
                yield return new SourceBatch(batchTable.Relation, sourceColumns, ++batchSequence, 0, Position(0, start), isCommitPoint: true);
                quiet.Restart();
                appender = batchTable.Begin();
            }

            while (true)
            {
                TimeSpan wait = caughtUp && !inTransaction ? Options.ChangeWait - quiet.Elapsed : Timeout.InfiniteTimeSpan;
                if (wait != Timeout.InfiniteTimeSpan && wait <= TimeSpan.Zero)
                {
                    break;
                }

                byte[]? raw = await NextEventAsync(client, wait, cancellationToken).ConfigureAwait(false);
                if (raw is null)
                {
                    break;
                }

                BinlogEvent binlogEvent = Parse(raw);
                ulong next = binlogEvent.Header.NextPosition;
                bool committed = false;
                switch (binlogEvent)
                {
                    case RotateEvent rotate:
                        _file = rotate.File;
                        break;
                    case GtidEvent gtid:
                        _gtid = gtid.Text;
                        _commitTimestamp = DateTime.UnixEpoch.AddSeconds(gtid.Header.Timestamp);
                        // Where the transaction's events begin, after its GTID: past the snapshot's position (which is where
                        // this GTID event starts when the transaction is the first after the snapshot), so ordering by
                        // (_binlog_file, _binlog_pos, _seq) puts snapshot rows first and every transaction's rows together.
                        _transactionStart = next;
                        _sequence = 0;
                        inTransaction = !gtid.Standalone;
                        break;
                    case QueryEvent query when query.Sql.Equals("BEGIN", StringComparison.OrdinalIgnoreCase):
                        if (!inTransaction)
                        {
                            // A MySQL binlog's transaction, which no MariaDB GTID event opened.
                            _gtid = null;
                            _commitTimestamp = DateTime.UnixEpoch.AddSeconds(query.Header.Timestamp);
                            _transactionStart = next;
                            _sequence = 0;
                        }

                        inTransaction = true;
                        break;
                    case QueryEvent query when query.Sql.Equals("COMMIT", StringComparison.OrdinalIgnoreCase):
                        committed = true;
                        break;
                    case QueryEvent query:
                        await CheckDdlAsync(query, cancellationToken).ConfigureAwait(false);
                        committed = !inTransaction;
                        break;
                    case TableMapEvent map:
                        Map(map);
                        break;
                    case RowsEvent rowsEvent when _maps.TryGetValue(rowsEvent.TableId, out TableMapEvent? map):
                        clock.Appending(inBatch);
                        inBatch += Append(appender, rowsEvent, map);
                        quiet.Restart();
                        break;
                    case XidEvent:
                        committed = true;
                        break;
                }

                if (next > 0 && binlogEvent is not RotateEvent)
                {
                    caughtUp |= Compare((_file, next), serverEnd) >= 0;
                }

                if (!committed)
                {
                    continue;
                }

                inTransaction = false;
                lastEnd = (_file, next);
                if (clock.PassOver)
                {
                    break;
                }

                if (clock.BatchDue(inBatch))
                {
                    rows += inBatch;
                    yield return Complete(batchTable, sourceColumns, ++batchSequence, inBatch, rows, lastEnd);
                    // The sink's time with the batch is not a quiet source.
                    quiet.Restart();
                    inBatch = 0;
                    appender = batchTable.Begin();
                }
            }

            source._previousStreamEnd = Stopwatch.GetTimestamp();
            if (inBatch > 0)
            {
                rows += inBatch;
                yield return Complete(batchTable, sourceColumns, ++batchSequence, inBatch, rows, lastEnd);
            }
        }

        private static int Compare((string File, ulong Position) a, (string File, ulong Position) b)
        {
            // Binlog files share their base name and number their extensions with leading zeros: ordinal order is their order.
            int files = string.CompareOrdinal(a.File, b.File);
            return files != 0 ? files : a.Position.CompareTo(b.Position);
        }

        private SourcePosition Position(long rows, (string File, ulong Position) at) =>
            new(IngestionMode.Cdc, rows, [], [], [], binlogFile: at.File, binlogPosition: at.Position);

        private SourceBatch Complete(BatchTable batchTable, SourceColumn[] sourceColumns, long sequence, long count, long rows, (string File, ulong Position) at)
        {
            batchTable.Complete();
            LogMessages.BatchStaged(source._logger, Options.SourceName, Table, sequence, count);
            return new SourceBatch(batchTable.Relation, sourceColumns, sequence, count, Position(rows, at), isCommitPoint: true)
            {
                SourceCommittedAt = new DateTimeOffset(_commitTimestamp, TimeSpan.Zero),
            };
        }

        // The stream has no end of its own: it ends when no event came for the wait (drained), never on the caller's cancellation.
        private async Task<byte[]?> NextEventAsync(BinlogClient client, TimeSpan wait, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (wait != Timeout.InfiniteTimeSpan)
            {
                timeout.CancelAfter(wait);
            }

            try
            {
                return await client.ReadEventAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            catch (BinlogServerException e) when (e.Code == 1236)
            {
                throw SourceErrors.ChangeLogPurged(Options.SourceName, Table, start.File, start.Position, e);
            }
            catch (Exception e) when (IsTransientBinlog(e))
            {
                throw SourceErrors.LostConnection(Options.SourceName, Table, e);
            }
            catch (BinlogServerException e)
            {
                throw SourceErrors.QueryFailed(Options.SourceName, Table, e);
            }
        }

        private BinlogEvent Parse(byte[] raw)
        {
            try
            {
                return _parser.Parse(raw);
            }
            catch (BinlogProtocolException e)
            {
                throw SourceErrors.QueryFailed(Options.SourceName, Table, e);
            }
        }

        private bool IsOurs(string database, string table) =>
            database.Equals(source._database, StringComparison.OrdinalIgnoreCase) && table.Equals(source._table, StringComparison.OrdinalIgnoreCase);

        private string Where(BinlogEventHeader header) => string.Create(CultureInfo.InvariantCulture, $"binlog {_file} at {header.NextPosition - header.Size}");

        private void Map(TableMapEvent map)
        {
            if (!IsOurs(map.Database, map.Table))
            {
                _maps.Remove(map.TableId);
                return;
            }

            if (_decoder.CheckTableMap(map) is string difference)
            {
                throw SourceErrors.TableChanged(Options.SourceName, Table, Where(map.Header), difference);
            }

            _maps[map.TableId] = map;
        }

        private async Task CheckDdlAsync(QueryEvent query, CancellationToken cancellationToken)
        {
            Match ddl = s_ddl.Match(query.Sql);
            if (!ddl.Success || !Names(query))
            {
                return;
            }

            string statement = query.Sql.Length > 200 ? query.Sql[..200] + "..." : query.Sql;
            if (!ddl.Groups[1].Value.Equals("ALTER", StringComparison.OrdinalIgnoreCase))
            {
                throw SourceErrors.TableChanged(Options.SourceName, Table, Where(query.Header), $"'{statement}'");
            }

            // An ALTER that leaves the columns as they were (an index, a comment) changes nothing the stream reads.
            List<BinlogColumn> now;
            try
            {
                now = await source.DescribeForChangesAsync(helper, cancellationToken).ConfigureAwait(false);
            }
            catch (MedallionException e) when (e.Code == ErrorCode.SourceTableNotFound)
            {
                throw SourceErrors.TableChanged(Options.SourceName, Table, Where(query.Header), $"'{statement}', and the table is gone");
            }

            bool same = now.Count == columns.Count && now.Zip(columns).All(p => p.First.Name == p.Second.Name && p.First.Plan.SourceType == p.Second.Plan.SourceType
                && Equals(p.First.Encoding, p.Second.Encoding));
            if (!same)
            {
                throw SourceErrors.TableChanged(Options.SourceName, Table, Where(query.Header),
                    $"'{statement}' changed its columns from ({Describe(columns)}) to ({Describe(now)})");
            }
        }

        private static string Describe(List<BinlogColumn> described) => string.Join(", ", described.Select(c => c.Name + " " + c.Plan.SourceType));

        // Whether the statement names the table: as `table`, db.table or a bare word, in the statement's database or with ours.
        private bool Names(QueryEvent query)
        {
            string table = Regex.Escape(source._table);
            string pattern = $@"(^|[\s`.,(]){table}($|[\s`.,;(])";
            if (!Regex.IsMatch(query.Sql, pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
            {
                return false;
            }

            return query.Database.Equals(source._database, StringComparison.OrdinalIgnoreCase)
                || query.Sql.Contains(source._database, StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>Appends a rows event's changes; returns how many.</summary>
        private int Append(DuckDbAppender appender, RowsEvent rowsEvent, TableMapEvent map)
        {
            var reader = new PacketReader(rowsEvent.Body, rowsEvent.RowsStart, rowsEvent.RowsEnd);
            int count = 0;
            string op = rowsEvent.Kind switch { RowsKind.Insert => "insert", RowsKind.Update => "update", _ => "delete" };
            int column = -1;
            try
            {
                while (reader.Remaining > 0)
                {
                    column = -1;
                    Array.Clear(_before);
                    if (rowsEvent.Kind == RowsKind.Insert)
                    {
                        _decoder.ReadRow(reader, map, rowsEvent.Present, _values);
                    }
                    else
                    {
                        _decoder.ReadRow(reader, map, rowsEvent.Present, _before);
                        if (rowsEvent.Kind == RowsKind.Update)
                        {
                            _decoder.ReadRow(reader, map, rowsEvent.PresentAfter!, _values);
                        }
                        else
                        {
                            _before.CopyTo(_values, 0);
                        }
                    }

                    appender.BeginRow();
                    appender.Append(op);
                    appender.Append(_file);
                    appender.Append((long)_transactionStart);
                    appender.Append(_sequence++);
                    appender.Append(_commitTimestamp);
                    appender.Append(_gtid);
                    for (column = 0; column < columns.Count; column++)
                    {
                        AppendValue(appender, _values[column]);
                    }

                    for (column = 0; column < columns.Count; column++)
                    {
                        AppendValue(appender, _before[column]);
                    }

                    appender.EndRow();
                    count++;
                }
            }
            catch (Exception e) when (e is BinlogProtocolException or FormatException or OverflowException or ArgumentException or DuckDbException)
            {
                throw column >= 0
                    ? SourceErrors.ReadFailed(Options.SourceName, Table, columns[column].Name, e)
                    : SourceErrors.QueryFailed(Options.SourceName, Table, e);
            }

            return count;
        }

        private static void AppendValue(DuckDbAppender appender, object? value)
        {
            switch (value)
            {
                case null: appender.AppendNull(); break;
                case long number: appender.Append(number); break;
                case decimal number: appender.Append(number); break;
                case double number: appender.Append(number); break;
                case string text: appender.Append(text); break;
                case byte[] bytes: appender.Append(bytes); break;
                case DateOnly date: appender.Append(date); break;
                case DateTime timestamp: appender.Append(timestamp); break;
                default: throw new ArgumentException($"No appender for {value.GetType()}.", nameof(value));
            }
        }

        // MariaDB's own ST_AsText, as the full load's: the binlog holds the SRID (4 bytes) then the WKB.
        private string GeometryText(byte[] value)
        {
            using var command = new MySqlCommand("SELECT ST_AsText(ST_GeomFromWKB(@wkb))", helper);
            command.Parameters.AddWithValue("@wkb", value[4..]);
            return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
        }
    }
}
