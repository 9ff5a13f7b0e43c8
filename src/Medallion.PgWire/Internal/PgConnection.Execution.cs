using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Engine.Sql;
using Medallion.DuckDb;
using Medallion.PgWire.BackendMessages;
using Medallion.PgWire.FrontendMessages;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>Running statements: session commands here, everything else in DuckDB, results streamed as DataRows.</summary>
internal sealed partial class PgConnection
{
    private async Task EnsureCatalogAsync(SqlStatement statement, CancellationToken cancellationToken)
    {
        if (_catalogInstalled || !CatalogEmulation.IsNeededBy(statement))
        {
            return;
        }

        Settings.TryGet("session_authorization", out _, out string user);
        await RunAsync(async token =>
        {
            await CatalogEmulation.InstallAsync(Session, user, Settings, token).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        _catalogInstalled = true;
        _transaction.CatalogInstalled();
    }

    private async Task ExecutePortalAsync(Portal portal, int maxRows, bool sendRowDescription, CancellationToken cancellationToken)
    {
        if (portal.Statement.Statement is null)
        {
            EmptyQueryResponse.Write(_writer);
            return;
        }

        if (portal.Completed)
        {
            // Executing a finished portal again yields no more rows.
            CommandComplete.Write(_writer, portal.CompletedTag ?? "SELECT 0");
            return;
        }

        long started = Stopwatch.GetTimestamp();
        portal.Started ??= (started, DateTimeOffset.UtcNow);
        // Null while a suspended portal still has rows to send: the statement is counted once, when it ends.
        string? outcome = "ok";
        Exception? failure = null;
        try
        {
            ResultColumn[] columns = await OpenPortalAsync(portal, cancellationToken).ConfigureAwait(false);
            if (sendRowDescription && columns.Length > 0)
            {
                RowDescription.Write(_writer, columns);
            }

            if (portal.Result is { } result)
            {
                WriteCommandResultRows(result);
                Complete(portal, result.Tag);
                return;
            }

            DuckDbDataReader reader = portal.Reader!;
            if (columns.Length == 0)
            {
                Complete(portal, Tag(reader.StatementType, 0, reader.RecordsAffected));
                await portal.CloseReaderAsync().ConfigureAwait(false);
                return;
            }

            (int rows, bool suspended) = await RunAsync(token => StreamRowsAsync(reader, columns, maxRows, token, cancellationToken)).ConfigureAwait(false);
            portal.RowsSent += rows;
            if (suspended)
            {
                outcome = null;
                ParseComplete.Write(_writer, ParseComplete.PortalSuspended);
                return;
            }

            Complete(portal, Tag(reader.StatementType, rows, reader.RecordsAffected));
            portal.CompletedTag = Tag(reader.StatementType, 0, 0);
            await portal.CloseReaderAsync().ConfigureAwait(false);
        }
        catch (Exception error)
        {
            outcome = error is OperationCanceledException ? "cancelled" : "error";
            failure = error;
            portal.Completed = true;
            await portal.CloseReaderAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (outcome is not null)
            {
                PgWireMeter.RecordQuery(outcome, Stopwatch.GetElapsedTime(started));
                await AuditAsync(portal, failure).ConfigureAwait(false);
            }
        }
    }

    private void Complete(Portal portal, string tag)
    {
        CommandComplete.Write(_writer, tag);
        portal.Completed = true;
        portal.CompletedTag ??= tag;
    }

    private void WriteCommandResultRows(CommandResult result)
    {
        if (result.Rows is null)
        {
            return;
        }

        foreach (string?[] row in result.Rows)
        {
            _writer.StartMessage((byte)'D');
            _writer.WriteInt16((short)row.Length);
            foreach (string? value in row)
            {
                if (value is null)
                {
                    _writer.WriteInt32(-1);
                    continue;
                }

                int at = _writer.StartField();
                _writer.WriteString(value);
                _writer.EndField(at);
            }

            _writer.EndMessage();
        }
    }

    /// <summary>Sends rows: reading them is the statement's work (<paramref name="statementToken"/>), writing them the connection's.</summary>
    private async Task<(int Rows, bool Suspended)> StreamRowsAsync(DuckDbDataReader reader, ResultColumn[] columns, int maxRows, CancellationToken statementToken, CancellationToken connectionToken)
    {
        TimeZoneInfo timeZone = Settings.TimeZone;
        int rows = 0;
        while (maxRows <= 0 || rows < maxRows)
        {
            if (!await reader.ReadAsync(statementToken).ConfigureAwait(false))
            {
                return (rows, false);
            }

            ValueEncoder.WriteDataRow(_writer, reader, columns, timeZone);
            rows++;
            if (_writer.Length >= FlushThresholdBytes)
            {
                await FlushAsync(connectionToken).ConfigureAwait(false);
            }
        }

        // PostgreSQL suspends a portal as soon as the row limit is reached, without looking ahead.
        return (rows, true);
    }

    /// <summary>Runs the portal's statement up to its first rows (session commands run whole) and returns its columns.</summary>
    private async Task<ResultColumn[]> OpenPortalAsync(Portal portal, CancellationToken cancellationToken)
    {
        if (portal.Columns is not null)
        {
            return portal.Columns;
        }

        SqlStatement? statement = portal.Statement.Statement;
        if (statement is null)
        {
            return portal.Columns = [];
        }

        EnsureNotAborted(statement);
        if (IsSessionCommand(statement))
        {
            CommandResult result = await RunSessionCommandAsync(statement, cancellationToken).ConfigureAwait(false);
            portal.Result = result;
            return portal.Columns = TextColumns(result.ColumnNames);
        }

        _extended.EnsureNoOtherOpenReader(portal);
        await EnsureCatalogAsync(statement, cancellationToken).ConfigureAwait(false);
        DuckDbCommand command = await CreateCommandAsync(statement, portal.Parameters, describe: false).ConfigureAwait(false);
        portal.Reads = Session.LastReads;
        portal.Command = command;
        string?[]? names = await ColumnNamesAsync(portal.Statement, command.CommandText, cancellationToken).ConfigureAwait(false);
        portal.Reader = await RunAsync(token => command.ExecuteReaderAsync(token)).ConfigureAwait(false);
        portal.Columns = PgColumnNames.Apply(ColumnsOf(portal.Reader, portal.ResultFormats), names);
        return portal.Columns;
    }

    /// <summary>
    /// PostgreSQL's names for a query's unnamed result columns, worked out once per prepared statement and before the
    /// query runs: the parse needs the connection, which an open result would otherwise lose.
    /// </summary>
    private async Task<string?[]?> ColumnNamesAsync(PreparedStatement prepared, string sql, CancellationToken cancellationToken)
    {
        if (!prepared.ColumnNamesKnown)
        {
            string keyword = prepared.Statement?.Keyword(0) ?? string.Empty;
            prepared.ColumnNames = keyword is "SELECT" or "WITH" or "VALUES" or "TABLE" || (keyword.Length == 0 && sql.TrimStart().StartsWith('('))
                ? await RunAsync(token => PgColumnNames.FigureAsync(Session.Connection, sql, token)).ConfigureAwait(false)
                : null;
            prepared.ColumnNamesKnown = true;
        }

        return prepared.ColumnNames;
    }

    /// <summary>The result columns of a prepared statement, without running it: DuckDB's DESCRIBE with every parameter NULL.</summary>
    private async Task<ResultColumn[]> DescribeStatementAsync(PreparedStatement prepared, CancellationToken cancellationToken)
    {
        if (prepared.Columns is not null)
        {
            return prepared.Columns;
        }

        SqlStatement? statement = prepared.Statement;
        if (statement is null)
        {
            return prepared.Columns = [];
        }

        if (IsSessionCommand(statement))
        {
            return prepared.Columns = TextColumns(SessionCommandColumns(statement));
        }

        EnsureNotAborted(statement);
        _extended.EnsureNoOtherOpenReader(null);
        await EnsureCatalogAsync(statement, cancellationToken).ConfigureAwait(false);
        object?[] nulls = new object?[prepared.ParameterTypeOids.Length];
        var columns = new List<ResultColumn>();
        try
        {
            DuckDbCommand describe = await CreateCommandAsync(statement, nulls, describe: true).ConfigureAwait(false);
            string?[]? names = await ColumnNamesAsync(prepared, describe.CommandText["DESCRIBE ".Length..], cancellationToken).ConfigureAwait(false);
            foreach (string?[] row in await RunAsync(token => DuckDbCommands.QueryAsync(describe, token)).ConfigureAwait(false))
            {
                PgType type = PgType.FromDuckDb(row[1] ?? "VARCHAR", out int modifier);
                columns.Add(new ResultColumn(row[0] ?? string.Empty, type, modifier, Binary: false));
            }

            return prepared.Columns = PgColumnNames.Apply([.. columns], names);
        }
        catch (DuckDbException)
        {
            // Not every statement can be wrapped in DESCRIBE (EXPLAIN, SUMMARIZE, ...): run it
            // instead, read-only as it is, and take the shape of its result.
            DuckDbCommand run = await CreateCommandAsync(statement, nulls, describe: false).ConfigureAwait(false);
            try
            {
                DuckDbDataReader reader = await RunAsync(token => run.ExecuteReaderAsync(token)).ConfigureAwait(false);
                ResultColumn[] shape = PgColumnNames.Apply(ColumnsOf(reader, s_textFormats), prepared.ColumnNames);
                await reader.DisposeAsync().ConfigureAwait(false);
                return prepared.Columns = shape;
            }
            finally
            {
                await run.DisposeAsync().ConfigureAwait(false);
            }
        }

    }

    private void EnsureNotAborted(SqlStatement statement)
    {
        if (!_transaction.IsFailed)
        {
            return;
        }

        string keyword = statement.Keyword(0);
        if (keyword is "ROLLBACK" or "ABORT" or "COMMIT" or "END")
        {
            return;
        }

        throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.InFailedSqlTransaction,
            "current transaction is aborted, commands ignored until end of transaction block");
    }

    private static ResultColumn[] ColumnsOf(DuckDbDataReader reader, short[] resultFormats)
    {
        var columns = new ResultColumn[reader.FieldCount];
        for (int i = 0; i < columns.Length; i++)
        {
            PgType type = PgType.FromDuckDb(reader.GetDataTypeName(i), out int modifier);
            columns[i] = new ResultColumn(reader.GetName(i), type, modifier, Bind.IsBinary(resultFormats, i));
        }

        return columns;
    }

    private static ResultColumn[] TextColumns(IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            return [];
        }

        var columns = new ResultColumn[names.Count];
        for (int i = 0; i < columns.Length; i++)
        {
            columns[i] = new ResultColumn(names[i], PgType.Text, -1, Binary: false);
        }

        return columns;
    }

    /// <summary>The CommandComplete tag PostgreSQL sends for a statement of this kind.</summary>
    internal static string Tag(DuckDbStatementType type, int rows, int recordsAffected)
    {
        int affected = Math.Max(0, recordsAffected);
        return type switch
        {
            DuckDbStatementType.Insert => string.Create(CultureInfo.InvariantCulture, $"INSERT 0 {affected}"),
            DuckDbStatementType.Update => string.Create(CultureInfo.InvariantCulture, $"UPDATE {affected}"),
            DuckDbStatementType.Delete => string.Create(CultureInfo.InvariantCulture, $"DELETE {affected}"),
            DuckDbStatementType.MergeInto => string.Create(CultureInfo.InvariantCulture, $"MERGE {affected}"),
            DuckDbStatementType.Explain => "EXPLAIN",
            _ => string.Create(CultureInfo.InvariantCulture, $"SELECT {rows}"),
        };
    }
}
