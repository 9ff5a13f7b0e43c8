using System;
using System.ComponentModel;
using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb.Internal;

namespace Medallion.DuckDb;

/// <summary>
/// A SQL command: one or more statements separated by semicolons, each run in turn (a statement may
/// use what an earlier one created), with positional (<c>?</c>, <c>$1</c>) or named (<c>$name</c>)
/// parameters.
/// </summary>
/// <remarks>
/// Cancellation, by the token or by <see cref="Cancel"/> from another thread, interrupts the running statement
/// (<c>duckdb_interrupt</c>) and surfaces as <see cref="OperationCanceledException"/>; <see cref="CommandTimeout"/> (seconds, 0 for none, the
/// default) surfaces as a <see cref="DuckDbException"/> wrapping <see cref="TimeoutException"/>.
/// </remarks>
public sealed class DuckDbCommand : DbCommand
{
    private string _commandText = string.Empty;
    private DuckDbConnection? _connection;
    private QueryInterruption? _lastRun;

    /// <summary>Creates a command with no text.</summary>
    public DuckDbCommand()
    {
    }

    /// <summary>Creates a command with text, on a connection.</summary>
    public DuckDbCommand(string commandText, DuckDbConnection? connection = null)
    {
        _commandText = commandText;
        _connection = connection;
    }

    /// <inheritdoc />
    [AllowNull]
    public override string CommandText
    {
        get => _commandText;
        set => _commandText = value ?? string.Empty;
    }

    /// <summary>Seconds a command may run before it is interrupted; 0 (the default) means no limit.</summary>
    public override int CommandTimeout { get; set; }

    /// <inheritdoc />
    public override CommandType CommandType
    {
        get => CommandType.Text;
        set
        {
            if (value != CommandType.Text)
            {
                throw new ArgumentException("DuckDB commands are SQL text.", nameof(value));
            }
        }
    }

    /// <inheritdoc />
    [DesignerSerializationVisibility(DesignerSerializationVisibility.Hidden)]
    public override bool DesignTimeVisible { get; set; }

    /// <inheritdoc />
    public override UpdateRowSource UpdatedRowSource { get; set; }

    /// <summary>The connection the command runs on.</summary>
    public new DuckDbConnection? Connection
    {
        get => _connection;
        set => _connection = value;
    }

    /// <summary>The command's parameters.</summary>
    public new DuckDbParameterCollection Parameters { get; } = new();

    /// <summary>
    /// Whether query results stream chunk by chunk as they are read (the default, memory bounded by a
    /// chunk) or are fully computed first (faster for small results read at once; memory grows with the result).
    /// </summary>
    public bool StreamResults { get; set; } = true;

    /// <inheritdoc />
    protected override DbConnection? DbConnection
    {
        get => _connection;
        set => _connection = (DuckDbConnection?)value;
    }

    /// <inheritdoc />
    protected override DbParameterCollection DbParameterCollection => Parameters;

    /// <inheritdoc />
    protected override DbTransaction? DbTransaction { get; set; }

    /// <summary>
    /// Stops the command's running statement, from any thread: the execution, or the reader's next read that needs more
    /// rows, throws <see cref="OperationCanceledException"/>. Does nothing when the command is not running (not started yet,
    /// or its reader closed), so the connection's next command is never stopped by it.
    /// </summary>
    public override void Cancel() => Volatile.Read(ref _lastRun)?.Cancel();

    /// <summary>Runs every statement; returns the rows inserted, updated or deleted in all.</summary>
    /// <exception cref="DuckDbException">A statement failed; the ones before it have run.</exception>
    public override int ExecuteNonQuery() => ExecuteNonQueryCore(CancellationToken.None);

    /// <summary>Runs every statement; returns the rows inserted, updated or deleted in all.</summary>
    /// <exception cref="DuckDbException">A statement failed; the ones before it have run.</exception>
    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) =>
        Task.Run(() => ExecuteNonQueryCore(cancellationToken), cancellationToken);

    /// <summary>The first column of the first row of the first result that has columns, or null.</summary>
    public override object? ExecuteScalar()
    {
        using DuckDbDataReader reader = ExecuteReader();
        return ScalarOf(reader);
    }

    /// <inheritdoc cref="ExecuteScalar" />
    public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                using DuckDbDataReader reader = ExecuteReaderCore(CommandBehavior.Default, cancellationToken);
                return ScalarOf(reader);
            },
            cancellationToken);

    /// <summary>Runs the first statement and returns a reader over its result; <see cref="DbDataReader.NextResult"/> runs the next.</summary>
    /// <exception cref="DuckDbException">The statement failed.</exception>
    public new DuckDbDataReader ExecuteReader() => ExecuteReaderCore(CommandBehavior.Default, CancellationToken.None);

    /// <inheritdoc cref="ExecuteReader()" />
    public new DuckDbDataReader ExecuteReader(CommandBehavior behavior) => ExecuteReaderCore(behavior, CancellationToken.None);

    /// <inheritdoc cref="ExecuteReader()" />
    public new Task<DuckDbDataReader> ExecuteReaderAsync(CancellationToken cancellationToken = default) =>
        ExecuteReaderAsync(CommandBehavior.Default, cancellationToken);

    /// <inheritdoc cref="ExecuteReader()" />
    public new Task<DuckDbDataReader> ExecuteReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken = default) =>
        Task.Run(() => ExecuteReaderCore(behavior, cancellationToken), cancellationToken);

    /// <summary>
    /// Does nothing: each statement is prepared right before it runs, because a statement may depend on
    /// what an earlier one in the same command creates.
    /// </summary>
    public override void Prepare()
    {
    }

    /// <inheritdoc />
    protected override DbParameter CreateDbParameter() => new DuckDbParameter();

    /// <inheritdoc />
    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => ExecuteReaderCore(behavior, CancellationToken.None);

    /// <inheritdoc />
    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
        await ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false);

    private int ExecuteNonQueryCore(CancellationToken cancellationToken)
    {
        using DuckDbDataReader reader = ExecuteReaderCore(CommandBehavior.Default, cancellationToken);
        while (reader.NextResult())
        {
        }

        return reader.RecordsAffected;
    }

    private static object? ScalarOf(DuckDbDataReader reader)
    {
        do
        {
            if (reader.FieldCount > 0)
            {
                object? value = reader.Read() ? reader.GetValue(0) : null;
                // Unread rows would make DuckDB roll the statement back when the reader closes, losing its side effects.
                reader.FinishResult();
                return value;
            }
        }
        while (reader.NextResult());
        return null;
    }

    private DuckDbDataReader ExecuteReaderCore(CommandBehavior behavior, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        DuckDbConnection connection = _connection ?? throw new InvalidOperationException("The command has no connection. Set Connection first.");
        if (connection.State != ConnectionState.Open)
        {
            throw new InvalidOperationException("The connection is not open. Call Open() first.");
        }

        if (connection.ActiveReader is not null)
        {
            throw new InvalidOperationException("The connection already has an open reader; DuckDB runs one result per connection at a time. Dispose it first, or use another connection.");
        }

        var interruption = new QueryInterruption(connection, CommandTimeout, cancellationToken);
        // Published before the statement starts, so a Cancel from now on reaches it; the reader disposes it when it closes.
        Volatile.Write(ref _lastRun, interruption);
        return DuckDbDataReader.Start(this, connection, behavior, interruption);
    }
}
