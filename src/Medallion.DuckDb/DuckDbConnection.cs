using System;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb;

/// <summary>
/// An ADO.NET connection to DuckDB. Open one per concurrent user: a connection runs one command at
/// a time, while <see cref="Interrupt"/> and <see cref="GetQueryProgress"/> may be called from any thread.
/// </summary>
/// <remarks>
/// With a file data source, connections share the database instance of the process. With
/// <c>:memory:</c>, each connection opened from a connection string has a private database; to
/// share an in-memory database, open connections from one <see cref="DuckDbDatabase"/>.
/// </remarks>
public sealed class DuckDbConnection : DbConnection
{
    private readonly DuckDbDatabase? _sharedDatabase;
    private DuckDbDatabase? _ownedDatabase;
    private DuckDbConnectionHandle? _handle;
    private string _connectionString;
    private ConnectionState _state = ConnectionState.Closed;

    /// <summary>Creates a closed connection to a private in-memory database.</summary>
    public DuckDbConnection()
        : this(string.Empty)
    {
    }

    /// <summary>Creates a closed connection; see <see cref="DuckDbConnectionStringBuilder"/> for the keys.</summary>
    public DuckDbConnection(string connectionString)
    {
        _connectionString = connectionString ?? string.Empty;
    }

    internal DuckDbConnection(DuckDbDatabase database)
    {
        _sharedDatabase = database;
        _connectionString = "Data Source=" + database.DataSource;
    }

    /// <inheritdoc />
    [AllowNull]
    public override string ConnectionString
    {
        get => _connectionString;
        set
        {
            if (_state != ConnectionState.Closed)
            {
                throw new InvalidOperationException("The connection string cannot change while the connection is open.");
            }

            _connectionString = value ?? string.Empty;
        }
    }

    /// <inheritdoc />
    public override string Database => "memory";

    /// <inheritdoc />
    public override string DataSource => _sharedDatabase?.DataSource ?? new DuckDbConnectionStringBuilder(_connectionString).DataSource;

    /// <inheritdoc />
    public override string ServerVersion => DuckDbDatabase.LibraryVersion;

    /// <inheritdoc />
    public override ConnectionState State => _state;

    internal DuckDbConnectionHandle Handle => _handle ?? throw new InvalidOperationException("The connection is not open. Call Open() first.");

    /// <summary>The reader currently streaming on this connection, if any; DuckDB runs one result at a time.</summary>
    internal DuckDbDataReader? ActiveReader { get; set; }

    /// <inheritdoc />
    /// <exception cref="DuckDbException">The database cannot be opened or connected to.</exception>
    public override void Open()
    {
        if (_state == ConnectionState.Open)
        {
            throw new InvalidOperationException("The connection is already open.");
        }

        DuckDbDatabase database = _sharedDatabase ?? (_ownedDatabase = DuckDbDatabase.Open(_connectionString));
        if (NativeMethods.Startup.Connect(database.Handle, out DuckDbConnectionHandle handle) != DuckDbState.Success)
        {
            handle.Dispose();
            throw new DuckDbException(ErrorCode.DuckDbOpenFailed, DuckDbErrorType.Connection, $"Could not connect to the DuckDB database '{database.DataSource}'.");
        }

        handle.HoldDatabase(database.Handle);
        _handle = handle;
        _state = ConnectionState.Open;
    }

    /// <inheritdoc />
    public override void Close()
    {
        if (_state == ConnectionState.Closed)
        {
            return;
        }

        ActiveReader?.Dispose();
        _handle?.Dispose();
        _handle = null;
        _ownedDatabase?.Dispose();
        _ownedDatabase = null;
        _state = ConnectionState.Closed;
    }

    /// <summary>Switches the default catalog (DuckDB's <c>USE</c>).</summary>
    public override void ChangeDatabase(string databaseName)
    {
        using DuckDbCommand command = CreateCommand();
        command.CommandText = "USE " + QuoteIdentifier(databaseName);
        command.ExecuteNonQuery();
    }

    /// <summary>Creates a command on this connection.</summary>
    public new DuckDbCommand CreateCommand() => new() { Connection = this };

    /// <summary>Begins a transaction.</summary>
    public new DuckDbTransaction BeginTransaction() => (DuckDbTransaction)BeginDbTransaction(IsolationLevel.Unspecified);

    /// <summary>
    /// Asks the query running on this connection to stop. Safe from any thread; the running command
    /// then fails with a <see cref="DuckDbException"/> of type <see cref="DuckDbErrorType.Interrupt"/>.
    /// </summary>
    public void Interrupt()
    {
        DuckDbConnectionHandle? handle = _handle;
        if (handle is null)
        {
            return;
        }

        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            NativeMethods.Startup.Interrupt(handle);
        }
        catch (ObjectDisposedException)
        {
            // Closed concurrently: nothing left to interrupt.
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The progress of the query running on this connection; safe from any thread.</summary>
    /// <remarks>
    /// DuckDB tracks progress only when its progress bar is enabled, a per-connection setting: run
    /// <c>SET enable_progress_bar = true; SET enable_progress_bar_print = false</c> on the connection
    /// first. Otherwise, and when no query runs, the percentage is -1. DuckDB records progress on the
    /// thread that waits for the query, so while other threads do all the work it can lag behind.
    /// </remarks>
    public DuckDbQueryProgress GetQueryProgress()
    {
        DuckDbQueryProgressStruct progress = NativeMethods.Startup.QueryProgress(Handle);
        return new DuckDbQueryProgress(progress.Percentage, progress.RowsProcessed, progress.TotalRowsToProcess);
    }

    /// <summary>Creates an appender that bulk-inserts rows into <paramref name="table"/>.</summary>
    /// <exception cref="DuckDbException">The table does not exist.</exception>
    public DuckDbAppender CreateAppender(string table) => new(this, catalog: null, schema: null, table);

    /// <summary>Creates an appender that bulk-inserts rows into <paramref name="schema"/>.<paramref name="table"/>.</summary>
    /// <exception cref="DuckDbException">The table does not exist.</exception>
    public DuckDbAppender CreateAppender(string? schema, string table) => new(this, catalog: null, schema, table);

    /// <summary>Creates an appender for a table of an attached database (<paramref name="catalog"/>; null: the default one).</summary>
    /// <exception cref="DuckDbException">The table does not exist.</exception>
    public DuckDbAppender CreateAppender(string? catalog, string? schema, string table) => new(this, catalog, schema, table);

    /// <summary>
    /// Creates an empty in-memory table of data chunks owned by this process, read by SQL as
    /// <see cref="DuckDbChunkTable.Source"/> from any connection of this database (see <see cref="DuckDbChunkTable"/>).
    /// </summary>
    /// <param name="columns">Names and DuckDB types, in order.</param>
    /// <exception cref="DuckDbException">A type is not one DuckDB knows.</exception>
    public DuckDbChunkTable CreateChunkTable(IReadOnlyList<KeyValuePair<string, string>> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        return DuckDbChunkTable.Create(this, columns);
    }

    /// <summary>The database this open connection belongs to.</summary>
    internal DuckDbDatabase OpenDatabase => _sharedDatabase ?? _ownedDatabase ?? throw new InvalidOperationException("The connection is not open. Call Open() first.");

    /// <summary>
    /// Opens another connection to this connection's database instance: the same tables and attached databases,
    /// even in memory, but its own transactions and temporary objects, so both can run commands at the same time.
    /// </summary>
    /// <exception cref="DuckDbException">DuckDB refused the connection.</exception>
    public DuckDbConnection OpenSibling()
    {
        var sibling = new DuckDbConnection(OpenDatabase);
        sibling.Open();
        return sibling;
    }

    /// <summary>Quotes an identifier for DuckDB SQL: <c>my "table"</c> becomes <c>"my ""table"""</c>.</summary>
    public static string QuoteIdentifier(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Quotes a string literal for DuckDB SQL: <c>it's</c> becomes <c>'it''s'</c>.</summary>
    public static string QuoteLiteral(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    /// <inheritdoc />
    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel)
    {
        if (isolationLevel is not (IsolationLevel.Unspecified or IsolationLevel.Snapshot or IsolationLevel.Serializable))
        {
            throw new ArgumentException($"DuckDB transactions are snapshot-isolated; {isolationLevel} is not available.", nameof(isolationLevel));
        }

        return new DuckDbTransaction(this);
    }

    /// <inheritdoc />
    protected override DbCommand CreateDbCommand() => CreateCommand();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Close();
        }

        base.Dispose(disposing);
    }
}
