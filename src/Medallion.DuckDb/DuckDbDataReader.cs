using System;
using System.Collections;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb.Internal;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb;

/// <summary>
/// Reads the results of a <see cref="DuckDbCommand"/>, one statement's result at a time, chunk by
/// chunk: only the current data chunk (about 2,048 rows) is held in memory, never the whole result.
/// </summary>
/// <remarks>
/// Typed getters (<see cref="GetInt64"/>, <see cref="GetDouble"/>, <see cref="GetString"/>, ...) read
/// straight from DuckDB's vectors without boxing; <see cref="GetValue"/> boxes. Value mapping:
/// integers to their .NET type of the same width and sign (HUGEINT to <see cref="Int128"/>), DECIMAL to
/// <see cref="decimal"/> (a value beyond its 28 digits throws <see cref="DuckDbException"/>; read it
/// with <see cref="GetString"/> for the exact text), DATE to <see cref="DateOnly"/>, TIME to
/// <see cref="TimeOnly"/>, TIMESTAMP (any unit) to <see cref="DateTime"/> (TIMESTAMPTZ as UTC),
/// INTERVAL to <see cref="DuckDbInterval"/>, UUID to <see cref="Guid"/>, BLOB to byte[], ENUM and
/// JSON to string, LIST/ARRAY to <c>List&lt;object?&gt;</c>, STRUCT to
/// <c>Dictionary&lt;string, object?&gt;</c>, MAP to <c>Dictionary&lt;object, object?&gt;</c>.
/// </remarks>
public sealed partial class DuckDbDataReader : DbDataReader
{
    private static readonly VectorReader[] s_noColumns = [];

    private readonly DuckDbCommand _command;
    private readonly DuckDbConnection _connection;
    private readonly CommandBehavior _behavior;
    private readonly QueryInterruption _interruption;
    private readonly DuckDbExtractedStatementsHandle _statements;
    private readonly ulong _statementCount;
    private ulong _nextStatement;

    private DuckDbPreparedStatementHandle? _statement;
    private DuckDbResultHandle? _result;
    private DuckDbDataChunkHandle? _chunk;
    private VectorReader[] _columns = s_noColumns;
    private ColumnVector[] _vectors = [];
    private ulong _chunkSize;
    private ulong _row;
    private bool _onRow;
    private bool _exhausted = true;
    private bool _hasRows;
    private int _recordsAffected = -1;
    private bool _closed;

    private DuckDbDataReader(DuckDbCommand command, DuckDbConnection connection, CommandBehavior behavior, QueryInterruption interruption, DuckDbExtractedStatementsHandle statements, ulong statementCount)
    {
        _command = command;
        _connection = connection;
        _behavior = behavior;
        _interruption = interruption;
        _statements = statements;
        _statementCount = statementCount;
    }

    internal static DuckDbDataReader Start(DuckDbCommand command, DuckDbConnection connection, CommandBehavior behavior, QueryInterruption interruption)
    {
        ulong count = NativeMethods.Prepared.ExtractStatements(connection.Handle, command.CommandText, out DuckDbExtractedStatementsHandle statements);
        if (count == 0)
        {
            string message = NativeMethods.Prepared.ExtractStatementsError(statements) ?? "the command contains no statement";
            statements.Dispose();
            interruption.Dispose();
            throw new DuckDbException(ErrorCode.DuckDbQueryFailed, DuckDbErrorType.Parser, message);
        }

        var reader = new DuckDbDataReader(command, connection, behavior, interruption, statements, count);
        connection.ActiveReader = reader;
        try
        {
            reader.RunNextStatement();
        }
        catch
        {
            reader.Dispose();
            throw;
        }

        return reader;
    }

    /// <summary>The kind of statement that produced the current result.</summary>
    public DuckDbStatementType StatementType { get; private set; }

    /// <inheritdoc />
    public override int Depth => 0;

    /// <inheritdoc />
    public override int FieldCount => _columns.Length;

    /// <summary>Whether the current result has at least one row; stays true after the rows have been read.</summary>
    public override bool HasRows => _hasRows;

    /// <inheritdoc />
    public override bool IsClosed => _closed;

    /// <summary>Rows inserted, updated or deleted by the statements run so far; -1 when none changed rows.</summary>
    public override int RecordsAffected => _recordsAffected;

    /// <inheritdoc />
    public override object this[int ordinal] => GetValue(ordinal);

    /// <inheritdoc />
    public override object this[string name] => GetValue(GetOrdinal(name));

    /// <inheritdoc />
    public override bool Read()
    {
        if (_exhausted)
        {
            return false;
        }

        if (_onRow && ++_row < _chunkSize)
        {
            return true;
        }

        if (_onRow)
        {
            FetchChunk();
            if (_exhausted)
            {
                _onRow = false;
                return false;
            }
        }

        _onRow = true;
        return true;
    }

    /// <summary>Advances to the next row; only waits (off the calling thread) when a new chunk must be computed.</summary>
    public override Task<bool> ReadAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<bool>(cancellationToken);
        }

        if (_exhausted)
        {
            return Task.FromResult(false);
        }

        if (_onRow && _row + 1 < _chunkSize)
        {
            _row++;
            return Task.FromResult(true);
        }

        if (!_onRow)
        {
            _onRow = true;
            return Task.FromResult(true);
        }

        return ReadNextChunkAsync(cancellationToken);
    }

    private async Task<bool> ReadNextChunkAsync(CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(static state => ((DuckDbConnection)state!).Interrupt(), _connection);
        try
        {
            await Task.Run(FetchChunk, CancellationToken.None).ConfigureAwait(false);
        }
        catch (DuckDbException error) when (error.ErrorType == DuckDbErrorType.Interrupt && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The query was cancelled.", error, cancellationToken);
        }

        if (_exhausted)
        {
            _onRow = false;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Runs the current statement to its end, then the next statement of the command, and moves to its result.
    /// </summary>
    /// <remarks>
    /// Rows left unread are computed and dropped rather than abandoned: DuckDB ends a streaming query it was not
    /// allowed to finish by rolling its transaction back, which would undo what the statement wrote on the way
    /// (read_csv's reject tables, a sequence's values). Closing the reader instead abandons the rest of the result.
    /// </remarks>
    public override bool NextResult()
    {
        if (!_closed)
        {
            FinishResult();
        }

        if (_closed || _nextStatement >= _statementCount)
        {
            ReleaseResult();
            return false;
        }

        RunNextStatement();
        return true;
    }

    /// <inheritdoc />
    public override Task<bool> NextResultAsync(CancellationToken cancellationToken) => Task.Run(NextResult, cancellationToken);

    /// <inheritdoc />
    public override bool IsDBNull(int ordinal)
    {
        ulong row = CurrentRow;
        return !IsValid(ref _vectors[ordinal], row);
    }

    /// <inheritdoc />
    public override Task<bool> IsDBNullAsync(int ordinal, CancellationToken cancellationToken) => Task.FromResult(IsDBNull(ordinal));

    /// <inheritdoc />
    public override object GetValue(int ordinal)
    {
        ulong row = CurrentRow;
        VectorReader column = _columns[ordinal];
        return column.IsValid(row) ? column.GetValue(row) : DBNull.Value;
    }

    /// <inheritdoc />
    public override int GetValues(object[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int count = Math.Min(values.Length, _columns.Length);
        for (int i = 0; i < count; i++)
        {
            values[i] = GetValue(i);
        }

        return count;
    }

    /// <inheritdoc />
    public override T GetFieldValue<T>(int ordinal)
    {
        ulong row = CurrentRow;
        VectorReader column = _columns[ordinal];
        if (!column.IsValid(row))
        {
            if (default(T) is null)
            {
                return default!;
            }

            ThrowNull(ordinal, typeof(T).Name);
        }

        return column.GetFieldValue<T>(row);
    }

    /// <inheritdoc />
    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length)
    {
        if (_columns[ordinal] is not BlobReader blob)
        {
            throw new InvalidCastException($"Column '{GetName(ordinal)}' is {GetDataTypeName(ordinal)}, not BLOB.");
        }

        ReadOnlySpan<byte> bytes = blob.GetBytes(CurrentRow);
        if (buffer is null)
        {
            return bytes.Length;
        }

        int count = (int)Math.Max(0, Math.Min(length, bytes.Length - dataOffset));
        bytes.Slice((int)dataOffset, count).CopyTo(buffer.AsSpan(bufferOffset));
        return count;
    }

    /// <inheritdoc />
    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length)
    {
        string text = GetString(ordinal);
        if (buffer is null)
        {
            return text.Length;
        }

        int count = (int)Math.Max(0, Math.Min(length, text.Length - dataOffset));
        text.CopyTo((int)dataOffset, buffer, bufferOffset, count);
        return count;
    }

    /// <inheritdoc />
    public override Stream GetStream(int ordinal) => new MemoryStream((byte[])GetValue(ordinal), writable: false);

    /// <summary>The column's type as DuckDB spells it, e.g. <c>BIGINT</c>, <c>DECIMAL(18,2)</c>, <c>VARCHAR[]</c>, <c>JSON</c>.</summary>
    public override string GetDataTypeName(int ordinal) => _columns[ordinal].Type.SqlName;

    /// <inheritdoc />
    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type GetFieldType(int ordinal) => _columns[ordinal].FieldType;

    /// <inheritdoc />
    public override string GetName(int ordinal) => _columns[ordinal].ColumnName;

    /// <inheritdoc />
    public override int GetOrdinal(string name)
    {
        for (int i = 0; i < _columns.Length; i++)
        {
            if (string.Equals(_columns[i].ColumnName, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        for (int i = 0; i < _columns.Length; i++)
        {
            if (string.Equals(_columns[i].ColumnName, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

#pragma warning disable CA2201 // The ADO.NET contract of GetOrdinal names this exception.
        throw new IndexOutOfRangeException($"The result has no column named '{name}'.");
#pragma warning restore CA2201
    }

    /// <inheritdoc />
    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);

    /// <inheritdoc />
    public override void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        ReleaseResult();
        _statements.Dispose();
        _interruption.Dispose();
        if (ReferenceEquals(_connection.ActiveReader, this))
        {
            _connection.ActiveReader = null;
        }

        if ((_behavior & CommandBehavior.CloseConnection) != 0)
        {
            _connection.Close();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Close();
        }

        base.Dispose(disposing);
    }

    private ulong CurrentRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (!_onRow)
            {
                ThrowNoRow();
            }

            return _row;
        }
    }

    private static void ThrowNoRow() =>
        throw new InvalidOperationException("The reader is not on a row. Call Read() and check that it returned true.");

    private unsafe void RunNextStatement()
    {
        ReleaseResult();
        ulong index = _nextStatement++;
        if (NativeMethods.Prepared.PrepareExtractedStatement(_connection.Handle, _statements, index, out DuckDbPreparedStatementHandle statement) != DuckDbState.Success)
        {
            string message = NativeMethods.Prepared.PrepareError(statement) ?? "the statement could not be prepared";
            statement.Dispose();
            throw _interruption.Translate(DuckDbException.FromPrepareError(message));
        }

        _statement = statement;
        ParameterBinder.Bind(statement, _command.Parameters);
        StatementType = NativeMethods.Prepared.StatementType(statement);
        _interruption.ThrowIfCancelled();

        // Statements that change rows run to completion so their count is known; queries stream.
        bool stream = _command.StreamResults && StatementType is not (DuckDbStatementType.Insert or DuckDbStatementType.Update or DuckDbStatementType.Delete or DuckDbStatementType.MergeInto);
        var result = new DuckDbResultHandle();
        DuckDbState state = stream
            ? NativeMethods.Prepared.ExecutePreparedStreaming(statement, result.Pointer)
            : NativeMethods.Prepared.ExecutePrepared(statement, result.Pointer);
        if (state != DuckDbState.Success)
        {
            DuckDbException error = ErrorOf(result);
            result.Dispose();
            throw _interruption.Translate(error);
        }

        _result = result;
        DuckDbResultType returnType = NativeMethods.Query.ResultReturnType(*result.Pointer);
        if (returnType == DuckDbResultType.ChangedRows)
        {
            ulong changed = NativeMethods.Query.RowsChanged(result.Pointer);
            _recordsAffected = (_recordsAffected < 0 ? 0 : _recordsAffected) + (int)changed;
            _columns = s_noColumns;
            _vectors = [];
            _exhausted = true;
            return;
        }

        if (returnType != DuckDbResultType.QueryResult)
        {
            _columns = s_noColumns;
            _vectors = [];
            _exhausted = true;
            return;
        }

        ulong columnCount = NativeMethods.Query.ColumnCount(result.Pointer);
        var columns = new VectorReader[columnCount];
        for (ulong i = 0; i < columnCount; i++)
        {
            using DuckDbLogicalTypeHandle type = NativeMethods.Query.ColumnLogicalType(result.Pointer, i);
            columns[i] = VectorReader.Create(LogicalTypeInfo.FromHandle(type), NativeMethods.Query.ColumnName(result.Pointer, i) ?? string.Empty);
        }

        _columns = columns;
        _vectors = new ColumnVector[columnCount];
        for (int i = 0; i < columns.Length; i++)
        {
            _vectors[i].Type = ColumnVector.FastPathType(columns[i].Type);
        }

        _exhausted = false;
        _onRow = false;
        FetchChunk();
        _hasRows = _chunk is not null;
    }

    /// <summary>Computes the rest of the current result without keeping it, so DuckDB ends the statement as having succeeded.</summary>
    internal void FinishResult()
    {
        while (!_exhausted)
        {
            FetchChunk();
        }

        _onRow = false;
    }

    /// <summary>Replaces the current chunk with the next one; marks the result exhausted at its end.</summary>
    private unsafe void FetchChunk()
    {
        // A cancel that arrived between chunks stops the reader here, whether or not DuckDB saw its interrupt.
        _interruption.ThrowIfCancelled();
        _chunk?.Dispose();
        _chunk = null;
        while (true)
        {
            IntPtr chunk = NativeMethods.Query.FetchChunk(*_result!.Pointer);
            if (chunk == IntPtr.Zero)
            {
                // The end of the result, or an error while computing it: only the error text tells.
                if (NativeMethods.Query.ResultError(_result.Pointer) is not null)
                {
                    _exhausted = true;
                    throw _interruption.Translate(ErrorOf(_result));
                }

                _exhausted = true;
                return;
            }

            var handle = new DuckDbDataChunkHandle(chunk);
            ulong size = NativeMethods.DataChunk.GetSize(chunk);
            if (size == 0)
            {
                handle.Dispose();
                continue;
            }

            _chunk = handle;
            _chunkSize = size;
            _row = 0;
            for (int i = 0; i < _columns.Length; i++)
            {
                IntPtr vector = NativeMethods.DataChunk.GetVector(chunk, (ulong)i);
                _columns[i].Reset(vector);
                _vectors[i].Data = NativeMethods.DataChunk.VectorGetData(vector);
                _vectors[i].Validity = NativeMethods.DataChunk.VectorGetValidity(vector);
            }

            return;
        }
    }

    private void ReleaseResult()
    {
        _chunk?.Dispose();
        _chunk = null;
        _result?.Dispose();
        _result = null;
        _statement?.Dispose();
        _statement = null;
        _columns = s_noColumns;
        _vectors = [];
        _exhausted = true;
        _hasRows = false;
        _onRow = false;
    }

    private static unsafe DuckDbException ErrorOf(DuckDbResultHandle result)
    {
        string message = NativeMethods.Query.ResultError(result.Pointer) ?? "DuckDB reported an error without a message.";
        DuckDbErrorType type = NativeMethods.Query.ResultErrorType(result.Pointer);
        return new DuckDbException(ErrorCode.DuckDbQueryFailed, type == DuckDbErrorType.Invalid ? DuckDbException.ErrorTypeOf(message) : type, message);
    }
}
