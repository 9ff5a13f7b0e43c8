using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Engine.Sessions;
using Medallion.Engine.Sql;
using Medallion.DuckDb;
using Medallion.PgWire.BackendMessages;
using Medallion.PgWire.FrontendMessages;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>The simple and extended query protocols.</summary>
internal sealed partial class PgConnection
{
    /// <summary>The most parameters a statement may have: Bind counts them in 16 bits, as in PostgreSQL.</summary>
    private const int MaxParameters = ushort.MaxValue;

    private static readonly short[] s_textFormats = [];

    /// <summary>Query: each statement in turn, one result each; an error ends the query string.</summary>
    private async Task SimpleQueryAsync(string sql, CancellationToken cancellationToken)
    {
        // The session sees one statement at a time, so the query string's limits are held here, before any statement runs.
        List<SqlStatement> statements = [];
        bool refused = false;
        try
        {
            SqlTextLimits.ThrowIfTooLong(sql);
            statements = SqlLexer.Split(sql);
            SqlTextLimits.ThrowIfTooMany(statements.Count);
        }
        catch (MedallionException error)
        {
            WriteError(error);
            statements = [];
            refused = true;
        }

        if (statements.Count == 0 && !refused)
        {
            EmptyQueryResponse.Write(_writer);
        }

        foreach (SqlStatement statement in statements)
        {
            var portal = new Portal(new PreparedStatement(statement, []), [], s_textFormats);
            using StatementScope scope = BeginStatement(cancellationToken);
            try
            {
                if (statement.ParameterCount > 0)
                {
                    // The simple protocol carries no values, so a $n can only be a mistake, reported as PostgreSQL does.
                    throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.UndefinedParameter,
                        $"there is no parameter ${statement.ParameterCount.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                }

                await ExecutePortalAsync(portal, maxRows: 0, sendRowDescription: true, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (!IsDisconnect(error, cancellationToken) && error is not PgWireException { IsFatal: true })
            {
                WriteError(scope.Translate(error));
                break;
            }
            finally
            {
                await portal.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (!_transaction.IsOpen)
        {
            await _extended.CloseAllPortalsAsync().ConfigureAwait(false);
        }

        ReadyForQuery.Write(_writer, _transaction.Status);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ExtendedMessageAsync(char type, byte[] body, CancellationToken cancellationToken)
    {
        using StatementScope? scope = type is 'D' or 'E' ? BeginStatement(cancellationToken) : null;
        try
        {
            switch (type)
            {
                case 'P':
                    Parse(FrontendMessages.Parse.Read(body));
                    break;
                case 'B':
                    await BindAsync(Bind.Read(body)).ConfigureAwait(false);
                    break;
                case 'D':
                    await DescribeAsync(FrontendMessages.Describe.Read(body), cancellationToken).ConfigureAwait(false);
                    break;
                case 'E':
                    Execute execute = Execute.Read(body);
                    await ExecutePortalAsync(_extended.Portal(execute.PortalName), execute.MaxRows, sendRowDescription: false, cancellationToken).ConfigureAwait(false);
                    break;
                case 'C':
                    await CloseAsync(FrontendMessages.Describe.Read(body)).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception error) when (!IsDisconnect(error, cancellationToken) && error is not PgWireException { IsFatal: true })
        {
            ExtendedFailure(scope?.Translate(error) ?? error);
        }
    }

    /// <summary>After an error in the extended protocol, messages are skipped until Sync.</summary>
    private void ExtendedFailure(Exception error)
    {
        WriteError(error);
        _extended.Fail();
    }

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        _extended.Sync();
        if (!_transaction.IsOpen)
        {
            // The end of the implicit transaction closes its portals, as in PostgreSQL.
            await _extended.CloseAllPortalsAsync().ConfigureAwait(false);
        }

        ReadyForQuery.Write(_writer, _transaction.Status);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Parse(Parse parse)
    {
        List<SqlStatement> statements = SqlLexer.Split(parse.Sql);
        if (statements.Count > 1)
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.SyntaxError, "cannot insert multiple commands into a prepared statement");
        }

        SqlStatement? statement = statements.Count == 0 ? null : statements[0];
        if (statement?.ParameterCount > MaxParameters)
        {
            // The array of parameter types is sized by the largest $n: refuse before allocating it.
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.UndefinedParameter,
                $"there is no parameter ${statement.ParameterCount.ToString(System.Globalization.CultureInfo.InvariantCulture)}: a statement may use at most {MaxParameters} parameters");
        }

        int count = Math.Max(parse.ParameterTypeOids.Length, statement?.ParameterCount ?? 0);
        int[] oids = new int[count];
        parse.ParameterTypeOids.CopyTo(oids, 0);
        _extended.AddStatement(parse.StatementName, new PreparedStatement(statement, oids));
        ParseComplete.Write(_writer);
    }

    private async Task BindAsync(Bind bind)
    {
        PreparedStatement statement = _extended.Statement(bind.StatementName);
        if (bind.ParameterValues.Length != statement.ParameterTypeOids.Length)
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.ProtocolViolation,
                $"bind message supplies {bind.ParameterValues.Length} parameters, but prepared statement \"{bind.StatementName}\" requires {statement.ParameterTypeOids.Length}");
        }

        if (bind.ParameterFormats.Length > 1 && bind.ParameterFormats.Length != bind.ParameterValues.Length)
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.ProtocolViolation,
                $"bind message has {bind.ParameterFormats.Length} parameter formats but {bind.ParameterValues.Length} parameters");
        }

        object?[] values = new object?[bind.ParameterValues.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ParameterDecoder.Decode(bind.ParameterValues[i], Bind.IsBinary(bind.ParameterFormats, i), statement.ParameterTypeOids[i]);
        }

        await _extended.AddPortalAsync(bind.PortalName, new Portal(statement, values, bind.ResultFormats)).ConfigureAwait(false);
        ParseComplete.Write(_writer, ParseComplete.BindComplete);
    }

    private async Task DescribeAsync(FrontendMessages.Describe describe, CancellationToken cancellationToken)
    {
        if (describe.Kind == 'S')
        {
            PreparedStatement statement = _extended.Statement(describe.Name);
            var oids = new int[statement.ParameterTypeOids.Length];
            for (int i = 0; i < oids.Length; i++)
            {
                // A type the client left open is described as text; DuckDB casts text to what it needs.
                oids[i] = statement.ParameterTypeOids[i] == 0 ? PgType.Text.Oid : statement.ParameterTypeOids[i];
            }

            ResultColumn[] columns = await DescribeStatementAsync(statement, cancellationToken).ConfigureAwait(false);
            ParameterDescription.Write(_writer, oids);
            WriteRowDescriptionOrNoData(columns);
            return;
        }

        Portal portal = _extended.Portal(describe.Name);
        portal.Started ??= (System.Diagnostics.Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow);
        ResultColumn[] portalColumns;
        try
        {
            portalColumns = await OpenPortalAsync(portal, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            // The Execute that follows is skipped until Sync: the statement ends here.
            await AuditAsync(portal, error).ConfigureAwait(false);
            throw;
        }

        WriteRowDescriptionOrNoData(portalColumns);
    }

    private void WriteRowDescriptionOrNoData(ResultColumn[] columns)
    {
        if (columns.Length == 0)
        {
            ParseComplete.Write(_writer, ParseComplete.NoData);
        }
        else
        {
            RowDescription.Write(_writer, columns);
        }
    }

    private async Task CloseAsync(FrontendMessages.Describe close)
    {
        if (close.Kind == 'S')
        {
            _extended.RemoveStatement(close.Name);
        }
        else
        {
            await _extended.ClosePortalAsync(close.Name).ConfigureAwait(false);
        }

        ParseComplete.Write(_writer, ParseComplete.CloseComplete);
    }

    private void WriteError(Exception error)
    {
        PgError pg = ErrorMapper.Map(error);
        if (ErrorMapper.IsBug(error))
        {
            // Logged once, here, with its stack: the client sees only the message.
            LogMessages.StatementFailedUnexpectedly(_server.Logger, error, ProcessId);
        }
        else
        {
            LogMessages.StatementFailed(_server.Logger, ProcessId, pg.SqlState, pg.Message);
        }

        ErrorResponse.Write(_writer, "ERROR", pg.SqlState, pg.Message, pg.Hint);
        _transaction.Fail();
    }

    /// <summary>
    /// The command for a client statement: PostgreSQL spellings rewritten, then bound by the session (which
    /// refuses writes); with <paramref name="describe"/>, wrapped in DESCRIBE to learn its columns without running it.
    /// </summary>
    private async Task<DuckDbCommand> CreateCommandAsync(SqlStatement statement, object?[] parameters, bool describe)
    {
        string sql = await RunAsync(token => Session.BindAsync(PgSqlRewriter.Rewrite(statement, _database, Settings), token).AsTask()).ConfigureAwait(false);
        DuckDbCommand command = Session.Connection.CreateCommand();
        command.CommandText = describe ? "DESCRIBE " + sql : sql;
        foreach (object? value in parameters)
        {
            command.Parameters.Add(new DuckDbParameter(value));
        }

        return command;
    }
}
