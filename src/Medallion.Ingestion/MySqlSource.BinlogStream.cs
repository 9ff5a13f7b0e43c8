using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Ingestion.Internal;
using Medallion.Ingestion.Internal.Binlog;
using MySql.Data.MySqlClient;

namespace Medallion.Ingestion;

public sealed partial class MySqlSource
{
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
        // The position after the last event read, in _file.
        private ulong _reached;

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
                    // Changes of non-transactional tables end with COMMIT, or with ROLLBACK when a transactional part
                    // rolled back: their rows are in the binlog and in the table either way.
                    case QueryEvent query when query.Sql.Equals("COMMIT", StringComparison.OrdinalIgnoreCase) || query.Sql.Equals("ROLLBACK", StringComparison.OrdinalIgnoreCase):
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
                    _reached = next;
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

                // The binlog client cannot yet tell whether the next event is here without waiting for it (a read
                // cancelled midway would cut a packet): a batch collects for its whole interval, as if it always were.
                if (clock.BatchDue(inBatch, nextArrived: true))
                {
                    clock.Committed();
                    rows += inBatch;
                    yield return Complete(batchTable, sourceColumns, ++batchSequence, inBatch, rows, lastEnd);
                    // The sink's time with the batch is not a quiet source.
                    quiet.Restart();
                    inBatch = 0;
                    appender = batchTable.Begin();
                }
            }

            source._previousStreamEnd = Stopwatch.GetTimestamp();
            LogMessages.BinlogDrained(source._logger, Options.SourceName, Table, lastEnd.File, lastEnd.Position, _file, _reached);
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
            // A session may log with binlog_row_image = MINIMAL whatever the server's default: its updates would land
            // with NULL in every column they left alone.
            if (!rowsEvent.Present.HasAllSet() || rowsEvent.PresentAfter?.HasAllSet() == false)
            {
                throw SourceErrors.ChangeLogUnavailable(Options.SourceName, source._server,
                    $"a change of table '{Table}' ({Where(rowsEvent.Header)}) was logged without every column (the writing session's binlog_row_image is not FULL)",
                    "set binlog_row_image = FULL for every session that writes the table (SET GLOBAL binlog_row_image = 'FULL', and in the server's configuration file), then reload the table in full mode");
            }

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
