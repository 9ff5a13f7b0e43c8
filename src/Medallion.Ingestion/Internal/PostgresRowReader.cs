using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Npgsql;
using NpgsqlTypes;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// Reads a binary COPY row by row into the appender, with Npgsql's synchronous calls. Binary COPY carries no column types, so each value is read
/// with the PostgreSQL type its plan names. In incremental reads the row starts with the cursor and key values
/// as text, which decide whether the row was delivered before.
/// </summary>
internal sealed class PostgresRowReader : IRowReader
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlBinaryExporter _exporter;
    private readonly IReadOnlyList<ColumnPlan> _plan;
    private readonly BoundaryTracker? _tracker;
    private readonly string _source;
    private readonly string _table;

    private PostgresRowReader(NpgsqlConnection connection, NpgsqlBinaryExporter exporter, IReadOnlyList<ColumnPlan> plan, BoundaryTracker? tracker, string source, string table)
    {
        _connection = connection;
        _exporter = exporter;
        _plan = plan;
        _tracker = tracker;
        _source = source;
        _table = table;
    }

    /// <summary>Starts the COPY; the reader owns <paramref name="connection"/> from here on (also when this throws).</summary>
    public static async Task<PostgresRowReader> StartAsync(NpgsqlConnection connection, string sql, IReadOnlyList<ColumnPlan> plan, BoundaryTracker? tracker, string source, string table, CancellationToken cancellationToken)
    {
        try
        {
            NpgsqlBinaryExporter exporter = await connection.BeginBinaryExportAsync(sql, cancellationToken).ConfigureAwait(false);
            return new PostgresRowReader(connection, exporter, plan, tracker, source, table);
        }
        catch (Exception e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            if (e is NpgsqlException and not PostgresException)
            {
                throw SourceErrors.LostConnection(source, table, e);
            }

            if (e is PostgresException)
            {
                throw SourceErrors.QueryFailed(source, table, e);
            }

            throw;
        }
    }

    public RowOutcome ReadRow(DuckDbAppender appender)
    {
        int column = -1;
        try
        {
            if (_exporter.StartRow() < 0)
            {
                return RowOutcome.End;
            }

            if (_tracker is not null)
            {
                var texts = new string?[_tracker.TextColumns];
                for (int i = 0; i < texts.Length; i++)
                {
                    if (_exporter.IsNull)
                    {
                        _exporter.Skip();
                    }
                    else
                    {
                        texts[i] = _exporter.Read<string>(NpgsqlDbType.Text);
                    }
                }

                if (!_tracker.Observe(texts))
                {
                    for (int i = 0; i < _plan.Count; i++)
                    {
                        _exporter.Skip();
                    }

                    return RowOutcome.Skipped;
                }
            }

            appender.BeginRow();
            for (column = 0; column < _plan.Count; column++)
            {
                Append(appender, _plan[column].Kind);
            }

            appender.EndRow();
            return RowOutcome.Appended;
        }
        catch (NpgsqlException e) when (e is not PostgresException && (e.InnerException is IOException or TimeoutException || e.IsTransient))
        {
            throw SourceErrors.LostConnection(_source, _table, e);
        }
        catch (PostgresException e)
        {
            throw SourceErrors.QueryFailed(_source, _table, e);
        }
        catch (Exception e) when (column >= 0 && column < _plan.Count && e is InvalidCastException or OverflowException or ArgumentException or DuckDbException)
        {
            throw SourceErrors.ReadFailed(_source, _table, _plan[column].Name, e);
        }
    }

    private void Append(DuckDbAppender appender, ValueKind kind)
    {
        if (_exporter.IsNull)
        {
            _exporter.Skip();
            appender.AppendNull();
            return;
        }

        switch (kind)
        {
            case ValueKind.Boolean: appender.Append(_exporter.Read<bool>(NpgsqlDbType.Boolean)); break;
            case ValueKind.Int16: appender.Append(_exporter.Read<short>(NpgsqlDbType.Smallint)); break;
            case ValueKind.Int32: appender.Append(_exporter.Read<int>(NpgsqlDbType.Integer)); break;
            case ValueKind.Int64: appender.Append(_exporter.Read<long>(NpgsqlDbType.Bigint)); break;
            case ValueKind.Decimal: appender.Append(_exporter.Read<decimal>(NpgsqlDbType.Numeric)); break;
            case ValueKind.Single: appender.Append(_exporter.Read<float>(NpgsqlDbType.Real)); break;
            case ValueKind.Double: appender.Append(_exporter.Read<double>(NpgsqlDbType.Double)); break;
            // Binary COPY sends text as its UTF-8 bytes (Npgsql's client encoding), which DuckDB keeps as they are.
            case ValueKind.Text: appender.AppendUtf8(_exporter.Read<byte[]>(NpgsqlDbType.Bytea)); break;
            case ValueKind.Bytes: appender.Append(_exporter.Read<byte[]>(NpgsqlDbType.Bytea)); break;
            case ValueKind.Date: appender.AppendDateDays(ToDuckDbDays(_exporter.Read<int>(NpgsqlDbType.Integer))); break;
            case ValueKind.Timestamp or ValueKind.TimestampTz: appender.AppendTimestampMicros(ToDuckDbMicros(_exporter.Read<long>(NpgsqlDbType.Bigint))); break;
            case ValueKind.Uuid: appender.Append(_exporter.Read<Guid>(NpgsqlDbType.Uuid)); break;
            default: throw new InvalidOperationException($"No PostgreSQL reader for {kind}.");
        }
    }

    public void Cancel()
    {
        try
        {
            _exporter.Cancel();
        }
        catch (Exception e) when (e is NpgsqlException or ObjectDisposedException or InvalidOperationException)
        {
            // The export already ended or broke: there is nothing left to stop.
        }
    }

    // Dates and timestamps are read as their wire integers (days and microseconds since 2000-01-01) and appended in
    // DuckDB's units (since 1970-01-01): no DateTime in between, whose range ends at 9999, and PostgreSQL's infinity
    // (Npgsql would make it DateTime.MaxValue, a real instant) becomes DuckDB's own, as the text of a CDC change does.
    private const int PostgresEpochDays = 10_957;
    private const long PostgresEpochMicros = 946_684_800_000_000;

    private static int ToDuckDbDays(int days) => days switch
    {
        int.MaxValue => int.MaxValue,
        int.MinValue => -int.MaxValue,
        _ => days + PostgresEpochDays, // PostgreSQL's last date (5874897-12-31) is DuckDB's day 2,147,483,494.
    };

    private static long ToDuckDbMicros(long micros) => micros switch
    {
        long.MaxValue => long.MaxValue,
        long.MinValue => -long.MaxValue,
        > long.MaxValue - 1 - PostgresEpochMicros => throw new InvalidCastException(
            $"the timestamp {micros} µs after 2000-01-01 lies beyond DuckDB's last one (294247-01-10)"),
        _ => micros + PostgresEpochMicros,
    };

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Disposing an unfinished export cancels the COPY on the server.
            await _exporter.DisposeAsync().ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // The stream already failed or was cancelled; the connection is closed next either way.
        }
        finally
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
