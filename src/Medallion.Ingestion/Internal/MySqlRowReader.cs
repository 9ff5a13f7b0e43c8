using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using MySql.Data.MySqlClient;
using MySql.Data.Types;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// Reads a streaming MySQL result row by row into the appender. In incremental reads the row starts with the
/// cursor and key values as text, which decide whether the row was delivered before.
/// </summary>
internal sealed class MySqlRowReader : IRowReader
{
    private readonly MySqlConnection _connection;
    private readonly MySqlCommand _command;
    private readonly MySqlDataReader _reader;
    private readonly IReadOnlyList<ColumnPlan> _plan;
    private readonly BoundaryTracker? _tracker;
    private readonly string _source;
    private readonly string _table;
    private bool _ended;

    private MySqlRowReader(MySqlConnection connection, MySqlCommand command, MySqlDataReader reader, IReadOnlyList<ColumnPlan> plan, BoundaryTracker? tracker, string source, string table)
    {
        _connection = connection;
        _command = command;
        _reader = reader;
        _plan = plan;
        _tracker = tracker;
        _source = source;
        _table = table;
    }

    /// <summary>Runs the query; the reader owns <paramref name="connection"/> and <paramref name="command"/> from here on (also when this throws).</summary>
    public static async Task<MySqlRowReader> StartAsync(MySqlConnection connection, MySqlCommand command, IReadOnlyList<ColumnPlan> plan, BoundaryTracker? tracker, string source, string table, CancellationToken cancellationToken)
    {
        try
        {
            var reader = (MySqlDataReader)await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return new MySqlRowReader(connection, command, reader, plan, tracker, source, table);
        }
        catch (Exception e)
        {
            await command.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            if (MySqlSource.IsTransient(e))
            {
                throw SourceErrors.LostConnection(source, table, e);
            }

            if (e is MySqlException)
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
            if (!_reader.Read())
            {
                _ended = true;
                return RowOutcome.End;
            }

            if (_tracker is not null)
            {
                var texts = new string?[_tracker.TextColumns];
                for (int i = 0; i < texts.Length; i++)
                {
                    texts[i] = _reader.IsDBNull(i) ? null : _reader.GetString(i);
                }

                if (!_tracker.Observe(texts))
                {
                    return RowOutcome.Skipped;
                }
            }

            appender.BeginRow();
            for (column = 0; column < _plan.Count; column++)
            {
                Append(appender, (_tracker?.TextColumns ?? 0) + column, _plan[column].Kind);
            }

            appender.EndRow();
            return RowOutcome.Appended;
        }
        catch (Exception e) when (MySqlSource.IsTransient(e))
        {
            throw SourceErrors.LostConnection(_source, _table, e);
        }
        catch (Exception e) when (column >= 0 && column < _plan.Count && e is InvalidCastException or OverflowException or ArgumentException or FormatException or MySqlConversionException or DuckDbException)
        {
            throw SourceErrors.ReadFailed(_source, _table, _plan[column].Name, e);
        }
        catch (MySqlException e)
        {
            throw SourceErrors.QueryFailed(_source, _table, e);
        }
    }

    public void Cancel()
    {
        try
        {
            _command.Cancel();
        }
        catch (Exception e) when (e is MySqlException or ObjectDisposedException or InvalidOperationException)
        {
            // The query already ended or its connection broke: there is nothing left to stop.
        }
    }

    private void Append(DuckDbAppender appender, int ordinal, ValueKind kind)
    {
        if (_reader.IsDBNull(ordinal))
        {
            appender.AppendNull();
            return;
        }

        switch (kind)
        {
            case ValueKind.Int32 or ValueKind.Int64: appender.Append(Convert.ToInt64(_reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture)); break;
            case ValueKind.UInt64: appender.Append((decimal)Convert.ToUInt64(_reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture)); break;
            case ValueKind.Decimal: appender.Append(_reader.GetDecimal(ordinal)); break;
            case ValueKind.Double: appender.Append(_reader.GetDouble(ordinal)); break;
            case ValueKind.Text: appender.Append(_reader.GetString(ordinal)); break;
            case ValueKind.Bytes: appender.Append((byte[])_reader.GetValue(ordinal)); break;
            case ValueKind.Date: appender.Append(DateOnly.FromDateTime(_reader.GetDateTime(ordinal))); break;
            case ValueKind.Timestamp or ValueKind.TimestampTz: appender.Append(_reader.GetDateTime(ordinal)); break;
            default: throw new InvalidOperationException($"No MySQL reader for {kind}.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Closing an unfinished result makes the driver read the rest of it; cancel the query first.
            if (!_ended)
            {
                _command.Cancel();
            }

            await _reader.DisposeAsync().ConfigureAwait(false);
        }
        catch (MySqlException)
        {
            // The stream already failed or was cancelled; the connection is closed next either way.
        }
        finally
        {
            await _command.DisposeAsync().ConfigureAwait(false);
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
