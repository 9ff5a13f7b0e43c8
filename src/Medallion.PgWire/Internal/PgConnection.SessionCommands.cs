using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Engine.Sql;
using Medallion.DuckDb;
using Medallion.PgWire.BackendMessages;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>
/// Statements the server answers itself, the way PostgreSQL does: SET/RESET/SHOW on the session's
/// parameters, transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE), DISCARD,
/// DEALLOCATE, LISTEN/UNLISTEN, CLOSE. Transaction blocks map to DuckDB transactions, so every
/// statement of a block reads the same snapshot.
/// </summary>
internal sealed partial class PgConnection
{
    private static readonly HashSet<string> s_sessionKeywords = new(StringComparer.Ordinal)
    {
        "SET", "RESET", "SHOW", "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE",
        "DISCARD", "DEALLOCATE", "LISTEN", "UNLISTEN", "CLOSE",
    };


    private static bool IsSessionCommand(SqlStatement statement)
    {
        string keyword = statement.Keyword(0);
        if (keyword == "SHOW")
        {
            // DuckDB's own SHOW TABLES / SHOW DATABASES list objects; they are queries.
            return statement.Keyword(1) is not ("TABLES" or "DATABASES") && !(statement.Keyword(1) == "ALL" && statement.Keyword(2) == "TABLES");
        }

        return s_sessionKeywords.Contains(keyword);
    }

    private static IReadOnlyList<string>? SessionCommandColumns(SqlStatement statement)
    {
        if (statement.Keyword(0) != "SHOW")
        {
            return null;
        }

        string name = ShowTarget(statement);
        return name.Equals("ALL", StringComparison.OrdinalIgnoreCase) ? ["name", "setting", "description"] : [name];
    }

    private async Task<CommandResult> RunSessionCommandAsync(SqlStatement statement, CancellationToken cancellationToken)
    {
        CommandResult result = statement.Keyword(0) switch
        {
            "SET" when EnvironmentAssignment(statement) is { } assignment => await SetEnvironmentAsync(assignment.Value, assignment.Local, cancellationToken).ConfigureAwait(false),
            "SET" => Set(statement),
            "RESET" when IsEnvironmentReset(statement) => await SetEnvironmentAsync(null, local: false, cancellationToken).ConfigureAwait(false),
            "RESET" when statement.Keyword(1) == "ALL" => await ResetAllAsync(statement, cancellationToken).ConfigureAwait(false),
            "RESET" => Reset(statement),
            "SHOW" => Show(statement),
            "BEGIN" or "START" => await BeginAsync(cancellationToken).ConfigureAwait(false),
            "COMMIT" or "END" => await EndTransactionAsync(commit: true, cancellationToken).ConfigureAwait(false),
            "ROLLBACK" or "ABORT" when IsRollbackTo(statement) => await RollbackToSavepointAsync(statement, cancellationToken).ConfigureAwait(false),
            "ROLLBACK" or "ABORT" => await EndTransactionAsync(commit: false, cancellationToken).ConfigureAwait(false),
            "SAVEPOINT" => Savepoint(statement),
            "RELEASE" => Release(statement),
            "DISCARD" => await DiscardAsync(statement, cancellationToken).ConfigureAwait(false),
            "DEALLOCATE" => Deallocate(statement),
            "LISTEN" => new CommandResult("LISTEN"),
            "UNLISTEN" => new CommandResult("UNLISTEN"),
            "CLOSE" => new CommandResult("CLOSE CURSOR" + (statement.Keyword(1) == "ALL" ? " ALL" : string.Empty)),
            _ => throw new InvalidOperationException("Not a session command: " + statement.Keyword(0)),
        };
        await ApplySettingsToDuckDbAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private CommandResult Set(SqlStatement statement)
    {
        IReadOnlyList<SqlToken> tokens = statement.Tokens;
        int i = 1;
        bool local = false;
        if (statement.Keyword(i) is "SESSION" or "LOCAL" && !(statement.Keyword(i) == "SESSION" && statement.Keyword(i + 1) is "CHARACTERISTICS" or "AUTHORIZATION"))
        {
            local = statement.Keyword(i) == "LOCAL";
            i++;
        }

        switch (statement.Keyword(i))
        {
            case "SESSION" when statement.Keyword(i + 1) == "CHARACTERISTICS":
                // SET SESSION CHARACTERISTICS AS TRANSACTION <modes>: the session's defaults.
                SetTransactionModes(statement, i + 4, "default_transaction_isolation");
                return new CommandResult("SET");
            case "TRANSACTION":
                if (!_transaction.IsOpen)
                {
                    ErrorResponse.WriteNotice(_writer, SqlState.NoActiveSqlTransaction, "SET TRANSACTION can only be used in transaction blocks");
                }

                SetTransactionModes(statement, i + 1, "transaction_isolation");
                return new CommandResult("SET");
            case "SESSION" or "ROLE":
                // SET SESSION AUTHORIZATION / SET ROLE: a session has exactly one user here.
                return new CommandResult("SET");
            case "TIME" when statement.Keyword(i + 1) == "ZONE":
                string? zone = statement.Keyword(i + 2) is "LOCAL" or "DEFAULT" ? null : ValueList(tokens, i + 2);
                Settings.Set("TimeZone", zone, local);
                return new CommandResult("SET");
            case "SCHEMA":
                Settings.Set("search_path", ValueList(tokens, i + 1), local);
                return new CommandResult("SET");
            case "NAMES":
                Settings.Set("client_encoding", ValueList(tokens, i + 1), local);
                return new CommandResult("SET");
        }

        (string name, int next) = SettingName(tokens, i);
        if (next >= tokens.Count || !(tokens[next].Value is "=" || tokens[next].Value == "TO"))
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.SyntaxError, $"syntax error in SET: expected TO or = after \"{name}\"");
        }

        string? value = statement.Keyword(next + 1) == "DEFAULT" && next + 2 == tokens.Count ? null : ValueList(tokens, next + 1);
        Settings.Set(name, value, local);
        return new CommandResult("SET");
    }

    private void SetTransactionModes(SqlStatement statement, int from, string isolationSetting)
    {
        for (int i = from; i < statement.Tokens.Count; i++)
        {
            if (statement.Keyword(i) == "ISOLATION" && statement.Keyword(i + 1) == "LEVEL")
            {
                string level = statement.Keyword(i + 2) is "READ" or "REPEATABLE"
                    ? statement.Keyword(i + 2) + " " + statement.Keyword(i + 3)
                    : statement.Keyword(i + 2);
                Settings.Set(isolationSetting, level.ToLowerInvariant(), local: false);
            }
        }
    }

    /// <summary>
    /// <c>SET [SESSION | LOCAL] medallion.environment {= | TO} value | DEFAULT</c>: the value (null for <c>DEFAULT</c>) and
    /// whether it was <c>LOCAL</c>; null for a statement that sets anything else.
    /// </summary>
    private static (string? Value, bool Local)? EnvironmentAssignment(SqlStatement statement)
    {
        IReadOnlyList<SqlToken> tokens = statement.Tokens;
        int i = statement.Keyword(1) is "SESSION" or "LOCAL" ? 2 : 1;
        if (i >= tokens.Count || statement.Keyword(i) is "SESSION" or "ROLE" or "TIME" or "SCHEMA" or "NAMES" or "TRANSACTION")
        {
            return null;
        }

        (string name, int next) = SettingName(tokens, i);
        if (!string.Equals(name, LakehouseSessionFactory.EnvironmentSetting, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (next >= tokens.Count || !(tokens[next].Value is "=" || tokens[next].Value == "TO"))
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.SyntaxError, $"syntax error in SET: expected TO or = after \"{name}\"");
        }

        string? value = statement.Keyword(next + 1) == "DEFAULT" && next + 2 == tokens.Count ? null : ValueList(tokens, next + 1);
        return (value, statement.Keyword(1) == "LOCAL");
    }

    private static bool IsEnvironmentReset(SqlStatement statement) =>
        statement.Keyword(1) is not ("ALL" or "SESSION" or "ROLE" or "TIME")
        && statement.Tokens.Count > 1
        && string.Equals(SettingName(statement.Tokens, 1).Name, LakehouseSessionFactory.EnvironmentSetting, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>RESET ALL</c>: every setting back to its session default, the environment to the one chosen at connect.</summary>
    private async Task<CommandResult> ResetAllAsync(SqlStatement statement, CancellationToken cancellationToken)
    {
        await SetEnvironmentAsync(null, local: false, cancellationToken).ConfigureAwait(false);
        return Reset(statement);
    }

    /// <summary>
    /// Switches the session to the tables of <paramref name="environment"/> (the one chosen at connect when null) between
    /// transactions: a new session is opened for the same user as at connect (so an unknown environment is refused with
    /// 3D000 and an invalid name with 22023, and the user's grants, masks and row filters are those of every environment),
    /// and replaces the current one only once open, so a refusal leaves the session as it was. Inside a transaction block
    /// it is refused (25001), since the block reads one environment's snapshot; <c>SET LOCAL</c> outside one does nothing,
    /// with PostgreSQL's warning.
    /// </summary>
    private async Task<CommandResult> SetEnvironmentAsync(string? environment, bool local, CancellationToken cancellationToken)
    {
        string? current = Session.Environment;
        if (current is null)
        {
            if (environment is null)
            {
                return new CommandResult("SET");
            }

            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.FeatureNotSupported,
                $"parameter \"{LakehouseSessionFactory.EnvironmentSetting}\" cannot be set: this server serves no environments.");
        }

        if (local && !_transaction.IsOpen)
        {
            ErrorResponse.WriteNotice(_writer, SqlState.NoActiveSqlTransaction, "SET LOCAL can only be used in transaction blocks");
            return new CommandResult("SET");
        }

        string target = environment ?? _connectEnvironment ?? current;
        if (target == current)
        {
            return new CommandResult("SET");
        }

        if (_transaction.IsOpen)
        {
            throw new PgWireException(ErrorCode.EnvironmentChangeInTransaction, SqlState.ActiveSqlTransaction,
                $"SET {LakehouseSessionFactory.EnvironmentSetting} cannot run inside a transaction block ({ErrorCodes.Format(ErrorCode.EnvironmentChangeInTransaction)}). Help: COMMIT or ROLLBACK first; the session reads environment \"{current}\" until then.");
        }

        PgSessionStartup connected = _startup!;
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, string value) in connected.Parameters)
        {
            if (name is not ("options" or LakehouseSessionFactory.EnvironmentSetting))
            {
                parameters[name] = value;
            }
        }

        parameters[LakehouseSessionFactory.EnvironmentSetting] = target;
        ISqlSession opened = await Options.SessionFactory.OpenSessionAsync(connected with { Parameters = parameters }, cancellationToken).ConfigureAwait(false);
        ISqlSession previous = Session;
        _session = opened;
        _catalogInstalled = false;
        await previous.DisposeAsync().ConfigureAwait(false);
        Settings.SetEnvironment(opened.Environment ?? target);

        // The new session's connection gets the session's settings that live in DuckDB.
        Settings.Changed.Add("TimeZone");
        Settings.Changed.Add("search_path");
        return new CommandResult("SET");
    }

    private CommandResult Reset(SqlStatement statement)
    {
        if (statement.Keyword(1) == "ALL")
        {
            Settings.ResetAll();
        }
        else if (statement.Keyword(1) == "TIME" && statement.Keyword(2) == "ZONE")
        {
            Settings.Set("TimeZone", null, local: false);
        }
        else if (statement.Keyword(1) is not ("SESSION" or "ROLE"))
        {
            string name = SettingName(statement.Tokens, 1).Name;
            Settings.Set(name, null, local: false);
        }

        return new CommandResult("RESET");
    }

    private CommandResult Show(SqlStatement statement)
    {
        string name = ShowTarget(statement);
        if (name.Equals("ALL", StringComparison.OrdinalIgnoreCase))
        {
            var rows = new List<string?[]>();
            foreach ((string setting, string value) in Settings.All())
            {
                rows.Add([setting, value, string.Empty]);
            }

            return new CommandResult("SHOW", ["name", "setting", "description"], rows);
        }

        if (!Settings.TryGet(name, out string canonical, out string current))
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.UndefinedObject, $"unrecognized configuration parameter \"{name}\"");
        }

        return new CommandResult("SHOW", [canonical], [[current]]);
    }

    private static string ShowTarget(SqlStatement statement) => statement.Keyword(1) switch
    {
        "TIME" when statement.Keyword(2) == "ZONE" => "TimeZone",
        "TRANSACTION" when statement.Keyword(2) == "ISOLATION" => "transaction_isolation",
        "SESSION" when statement.Keyword(2) == "AUTHORIZATION" => "session_authorization",
        _ => SettingName(statement.Tokens, 1).Name,
    };

    private async Task<CommandResult> BeginAsync(CancellationToken cancellationToken)
    {
        if (_transaction.IsOpen)
        {
            ErrorResponse.WriteNotice(_writer, SqlState.ActiveSqlTransaction, "there is already a transaction in progress");
            return new CommandResult("BEGIN");
        }

        await RunDuckDbAsync("BEGIN TRANSACTION", cancellationToken).ConfigureAwait(false);
        _transaction.Begin();
        return new CommandResult("BEGIN");
    }

    private async Task<CommandResult> EndTransactionAsync(bool commit, CancellationToken cancellationToken)
    {
        if (!_transaction.IsOpen)
        {
            ErrorResponse.WriteNotice(_writer, SqlState.NoActiveSqlTransaction, "there is no transaction in progress");
            return new CommandResult(commit ? "COMMIT" : "ROLLBACK");
        }

        // COMMIT of a failed block rolls back, and says so in its tag.
        (bool failed, bool catalogInBlock) = _transaction.End();
        Settings.EndTransaction();
        await _extended.CloseAllPortalsAsync(exceptRunning: true).ConfigureAwait(false);
        await RunDuckDbAsync(commit && !failed ? "COMMIT" : "ROLLBACK", cancellationToken).ConfigureAwait(false);
        if (catalogInBlock && !(commit && !failed))
        {
            // The emulation's TEMP objects were created inside the transaction just rolled back.
            _catalogInstalled = false;
        }

        return new CommandResult(commit && !failed ? "COMMIT" : "ROLLBACK");
    }

    private static bool IsRollbackTo(SqlStatement statement) =>
        statement.Keyword(1) == "TO" || (statement.Keyword(1) is "WORK" or "TRANSACTION" && statement.Keyword(2) == "TO");

    private async Task<CommandResult> RollbackToSavepointAsync(SqlStatement statement, CancellationToken cancellationToken)
    {
        IReadOnlyList<SqlToken> tokens = statement.Tokens;
        if (_transaction.RollbackTo(IdentifierAt(tokens, tokens.Count - 1)))
        {
            // DuckDB has no partial rollback; the block only reads, so a fresh snapshot loses nothing but consistency with earlier reads.
            await RunDuckDbAsync("ROLLBACK", cancellationToken).ConfigureAwait(false);
            await RunDuckDbAsync("BEGIN TRANSACTION", cancellationToken).ConfigureAwait(false);
        }

        return new CommandResult("ROLLBACK");
    }

    private CommandResult Savepoint(SqlStatement statement)
    {
        if (!_transaction.IsOpen)
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.NoActiveSqlTransaction, "SAVEPOINT can only be used in transaction blocks");
        }

        _transaction.AddSavepoint(IdentifierAt(statement.Tokens, 1));
        return new CommandResult("SAVEPOINT");
    }

    private CommandResult Release(SqlStatement statement)
    {
        if (!_transaction.IsOpen)
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.NoActiveSqlTransaction, "RELEASE SAVEPOINT can only be used in transaction blocks");
        }

        _transaction.Release(IdentifierAt(statement.Tokens, statement.Tokens.Count - 1));
        return new CommandResult("RELEASE");
    }

    private async Task<CommandResult> DiscardAsync(SqlStatement statement, CancellationToken cancellationToken)
    {
        string what = statement.Keyword(1);
        switch (what)
        {
            case "ALL":
                if (_transaction.IsOpen)
                {
                    throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.ActiveSqlTransaction, "DISCARD ALL cannot run inside a transaction block");
                }

                await SetEnvironmentAsync(null, local: false, cancellationToken).ConfigureAwait(false);
                Settings.ResetAll();
                _extended.RemoveAllStatements();
                await _extended.CloseAllPortalsAsync(exceptRunning: true).ConfigureAwait(false);
                return new CommandResult("DISCARD ALL");
            case "PLANS":
                return new CommandResult("DISCARD PLANS");
            case "SEQUENCES":
                return new CommandResult("DISCARD SEQUENCES");
            case "TEMP" or "TEMPORARY":
                return new CommandResult("DISCARD TEMP");
            default:
                throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.SyntaxError, $"syntax error at or near \"{what}\"");
        }
    }

    private CommandResult Deallocate(SqlStatement statement)
    {
        int i = statement.Keyword(1) == "PREPARE" ? 2 : 1;
        if (statement.Keyword(i) == "ALL")
        {
            _extended.RemoveAllStatements();
            return new CommandResult("DEALLOCATE ALL");
        }

        string name = IdentifierAt(statement.Tokens, i);
        if (!_extended.RemoveStatement(name))
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.InvalidSqlStatementName, $"prepared statement \"{name}\" does not exist");
        }

        return new CommandResult("DEALLOCATE");
    }

    /// <summary>Passes changed settings that DuckDB must know (TimeZone, search_path) to it, and reports changes to the client.</summary>
    private async Task ApplySettingsToDuckDbAsync(CancellationToken cancellationToken)
    {
        SessionSettings settings = Settings;
        if (settings.Changed.Count == 0)
        {
            return;
        }

        var changed = new HashSet<string>(settings.Changed, StringComparer.OrdinalIgnoreCase);
        settings.Changed.Clear();
        foreach (string name in changed)
        {
            settings.TryGet(name, out string canonical, out string value);
            if (SessionSettings.IsReported(canonical))
            {
                ParameterStatus.Write(_writer, canonical, value);
            }

            if (canonical.Equals("TimeZone", StringComparison.OrdinalIgnoreCase))
            {
                string zone = ReferenceEquals(settings.TimeZone, TimeZoneInfo.Utc) ? "UTC" : settings.TimeZone.Id;
                await RunDuckDbAsync("SET TimeZone = " + DuckDbConnection.QuoteLiteral(zone), cancellationToken).ConfigureAwait(false);
            }
            else if (canonical.Equals("search_path", StringComparison.OrdinalIgnoreCase))
            {
                await ApplySearchPathAsync(value, cancellationToken).ConfigureAwait(false);
            }

            if (_catalogInstalled)
            {
                await CatalogEmulation.UpdateSettingAsync(Session, canonical, value, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// PostgreSQL ignores schemas in search_path that do not exist (and <c>$user</c>); DuckDB refuses
    /// them, so only existing schemas are passed on, and an empty list falls back to DuckDB's default.
    /// </summary>
    private async Task ApplySearchPathAsync(string searchPath, CancellationToken cancellationToken)
    {
        var existing = new HashSet<string>(StringComparer.Ordinal);
        DuckDbCommand command = Session.Connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT schema_name FROM duckdb_schemas() WHERE NOT internal OR schema_name = 'main'";
        foreach (string?[] row in await DuckDbCommands.QueryAsync(command, cancellationToken).ConfigureAwait(false))
        {
            existing.Add(row[0] ?? string.Empty);
        }

        var kept = new List<string>();
        foreach (string part in searchPath.Split(','))
        {
            string name = part.Trim();
            name = name.Length >= 2 && name[0] == '"' && name[^1] == '"' ? name[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : name.ToLowerInvariant();
            if (existing.Contains(name))
            {
                kept.Add(name);
            }
        }

        string sql = kept.Count == 0 ? "RESET search_path" : "SET search_path = " + DuckDbConnection.QuoteLiteral(string.Join(",", kept));
        await RunDuckDbAsync(sql, cancellationToken).ConfigureAwait(false);
    }

    private async Task RunDuckDbAsync(string sql, CancellationToken cancellationToken)
    {
        DuckDbCommand command = Session.Connection.CreateCommand();
        command.CommandText = sql;
        await DuckDbCommands.ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A setting name: a word, a quoted identifier, or a dotted custom name (<c>myapp.mode</c>).</summary>
    private static (string Name, int Next) SettingName(IReadOnlyList<SqlToken> tokens, int i)
    {
        if (i >= tokens.Count || tokens[i].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.SyntaxError, "syntax error: expected a configuration parameter name");
        }

        string name = tokens[i].Kind == SqlTokenKind.Word ? tokens[i].Raw.ToLowerInvariant() : tokens[i].Value;
        int next = i + 1;
        while (next + 1 < tokens.Count && tokens[next].Value == "." && tokens[next + 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            name += "." + (tokens[next + 1].Kind == SqlTokenKind.Word ? tokens[next + 1].Raw.ToLowerInvariant() : tokens[next + 1].Value);
            next += 2;
        }

        return (name, next);
    }

    private static string IdentifierAt(IReadOnlyList<SqlToken> tokens, int i)
    {
        if (i >= tokens.Count || tokens[i].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.SyntaxError, "syntax error: expected a name");
        }

        return tokens[i].Kind == SqlTokenKind.Word ? tokens[i].Raw.ToLowerInvariant() : tokens[i].Value;
    }

    /// <summary>A SET value list as PostgreSQL renders it: items joined by ", ", identifiers lower-cased, quoted names kept quoted.</summary>
    private static string ValueList(IReadOnlyList<SqlToken> tokens, int from)
    {
        if (from >= tokens.Count)
        {
            throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.SyntaxError, "syntax error at end of input");
        }

        var builder = new StringBuilder();
        for (int i = from; i < tokens.Count; i++)
        {
            SqlToken token = tokens[i];
            switch (token.Kind)
            {
                case SqlTokenKind.Symbol when token.Value == ",":
                    builder.Append(", ");
                    break;
                case SqlTokenKind.Symbol when token.Value is "-" or "+" or ".":
                    builder.Append(token.Value);
                    break;
                case SqlTokenKind.Word:
                    builder.Append(token.Raw.ToLowerInvariant());
                    break;
                case SqlTokenKind.QuotedIdentifier:
                    builder.Append('"').Append(token.Value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
                    break;
                case SqlTokenKind.String or SqlTokenKind.Number:
                    builder.Append(token.Value);
                    break;
                default:
                    throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.SyntaxError, $"syntax error at or near \"{token.Raw}\"");
            }
        }

        return builder.ToString();
    }
}
