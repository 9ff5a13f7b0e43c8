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

    /// <summary>
    /// CDC: how many bytes of binlog the server holds after <paramref name="committed"/>, i.e. what the next pass has
    /// to read (all databases' changes; the server keeps the binlog for its own reasons, not for this source); null
    /// without a binlog position, or when its file is no longer on the server.
    /// </summary>
    /// <param name="committed">The position stored with bronze (e.g. <see cref="IngestionResult.Position"/>).</param>
    /// <param name="cancellationToken">Stops the query.</param>
    /// <exception cref="MedallionException">The server cannot be reached (after retries), rejects the login, or the login may not list the binlogs.</exception>
    public async Task<long?> GetBinlogLagBytesAsync(SourcePosition? committed, CancellationToken cancellationToken = default)
    {
        if (committed?.BinlogFile is not string file || committed.BinlogPosition is not ulong position)
        {
            return null;
        }

        MySqlConnection connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            List<(string Name, long Size)> files;
            try
            {
                files = await QueryAsync(connection, "SHOW BINARY LOGS", r => (r.GetString(0), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture)), cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException e) when (e.Number == 1227)
            {
                throw MissingPrivilege(e.Message);
            }

            long lag = 0;
            bool found = false;
            foreach ((string name, long size) in files)
            {
                int order = string.CompareOrdinal(name, file);
                if (order == 0)
                {
                    found = true;
                    lag += Math.Max(0, size - (long)position);
                }
                else if (order > 0)
                {
                    lag += size;
                }
            }

            return found ? lag : null;
        }
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
                // A consistent snapshot exists only in REPEATABLE READ; a server defaulting to READ COMMITTED would
                // read each batch at another point than the binlog position reported for it.
                await ExecuteAsync(connection, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", cancellationToken).ConfigureAwait(false);
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

                LogMessages.BinlogStarted(_logger, _options.SourceName, _server, TableName, start.File, start.Position);
                var stream = new BinlogStream(this, target, plan, columns, checksum, start, serverEnd, helper);
                await foreach (SourceBatch batch in stream.ReadAsync(client, snapshot, cancellationToken).ConfigureAwait(false))
                {
                    yield return batch;
                }
            }
        }
    }
}
