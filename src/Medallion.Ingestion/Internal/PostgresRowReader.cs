using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Npgsql;
using NpgsqlTypes;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// Reads a binary COPY row by row into the appender. Binary COPY carries no column types, so each value is read
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

    public async ValueTask<RowOutcome> ReadRowAsync(DuckDbAppender appender, CancellationToken cancellationToken)
    {
        int column = -1;
        try
        {
            if (await _exporter.StartRowAsync(cancellationToken).ConfigureAwait(false) < 0)
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
                        await _exporter.SkipAsync(cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        texts[i] = await _exporter.ReadAsync<string>(NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (!_tracker.Observe(texts))
                {
                    for (int i = 0; i < _plan.Count; i++)
                    {
                        await _exporter.SkipAsync(cancellationToken).ConfigureAwait(false);
                    }

                    return RowOutcome.Skipped;
                }
            }

            appender.BeginRow();
            for (column = 0; column < _plan.Count; column++)
            {
                await AppendAsync(appender, _plan[column].Kind, cancellationToken).ConfigureAwait(false);
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

    private async ValueTask AppendAsync(DuckDbAppender appender, ValueKind kind, CancellationToken cancellationToken)
    {
        if (_exporter.IsNull)
        {
            await _exporter.SkipAsync(cancellationToken).ConfigureAwait(false);
            appender.AppendNull();
            return;
        }

        switch (kind)
        {
            case ValueKind.Boolean: appender.Append(await _exporter.ReadAsync<bool>(NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false)); break;
            case ValueKind.Int16: appender.Append(await _exporter.ReadAsync<short>(NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false)); break;
            case ValueKind.Int32: appender.Append(await _exporter.ReadAsync<int>(NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false)); break;
            case ValueKind.Int64: appender.Append(await _exporter.ReadAsync<long>(NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false)); break;
            case ValueKind.Decimal: appender.Append(await _exporter.ReadAsync<decimal>(NpgsqlDbType.Numeric, cancellationToken).ConfigureAwait(false)); break;
            case ValueKind.Single: appender.Append(await _exporter.ReadAsync<float>(NpgsqlDbType.Real, cancellationToken).ConfigureAwait(false)); break;
            case ValueKind.Double: appender.Append(await _exporter.ReadAsync<double>(NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false)); break;
            case ValueKind.Text: appender.Append(await _exporter.ReadAsync<string>(NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false)); break;
            case ValueKind.Bytes: appender.Append(await _exporter.ReadAsync<byte[]>(NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false)); break;
            case ValueKind.Date: appender.Append(ToDate(await _exporter.ReadAsync<int>(NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false))); break;
            case ValueKind.Time: appender.Append(await _exporter.ReadAsync<TimeOnly>(NpgsqlDbType.Time, cancellationToken).ConfigureAwait(false)); break;
            case ValueKind.Timestamp or ValueKind.TimestampTz: appender.Append(ToTimestamp(await _exporter.ReadAsync<long>(NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false))); break;
            case ValueKind.Uuid: appender.Append(await _exporter.ReadAsync<Guid>(NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false)); break;
            case ValueKind.Interval:
                NpgsqlInterval interval = await _exporter.ReadAsync<NpgsqlInterval>(NpgsqlDbType.Interval, cancellationToken).ConfigureAwait(false);
                appender.Append(string.Create(CultureInfo.InvariantCulture, $"{interval.Months} months {interval.Days} days {interval.Time} microseconds"));
                break;
            default: throw new InvalidOperationException($"No PostgreSQL reader for {kind}.");
        }
    }

    // Dates and timestamps are read as their wire integers (days and microseconds since 2000-01-01), because
    // Npgsql turns PostgreSQL's infinity into DateOnly.MaxValue and DateTime.MaxValue, which are real values too.
    private static readonly DateTime s_postgresEpoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static DateOnly ToDate(int days) => days is int.MaxValue or int.MinValue
        ? throw new InvalidCastException($"the value is {(days > 0 ? "" : "-")}infinity, which a DuckDB batch cannot take")
        : DateOnly.FromDateTime(s_postgresEpoch).AddDays(days);

    private static DateTime ToTimestamp(long micros) => micros is long.MaxValue or long.MinValue
        ? throw new InvalidCastException($"the value is {(micros > 0 ? "" : "-")}infinity, which a DuckDB batch cannot take")
        : s_postgresEpoch.AddTicks(checked(micros * 10));

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
