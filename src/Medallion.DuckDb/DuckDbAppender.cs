using System;
using System.Linq;
using System.Text;
using Medallion.DuckDb.Internal;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb;

/// <summary>
/// Bulk-inserts rows into a table, far faster than INSERT statements: values are written straight
/// into a DuckDB data chunk, and each full chunk is handed over with <c>duckdb_append_data_chunk</c>
/// (or, for a <see cref="DuckDbChunkTable"/>, kept by that table as it is).
/// </summary>
/// <remarks>
/// Use: <c>BeginRow()</c>, one <c>Append...</c> per column in table order, <c>EndRow()</c>; then
/// <see cref="Close"/> (or dispose), which flushes the rest. Rows reach the table in chunks, so a
/// failure may leave earlier chunks inserted: wrap the appender in a transaction when it must be all
/// or nothing. Not thread-safe. Nested column types (LIST, STRUCT, MAP) are not supported: insert
/// those with SQL.
/// </remarks>
public sealed unsafe class DuckDbAppender : IDisposable
{
    // Where full chunks go: a table through DuckDB's appender, or a chunk table that keeps them.
    private readonly DuckDbAppenderHandle? _handle;
    private readonly DuckDbChunkTable? _chunkTable;
    private readonly string _table;
    private readonly LogicalTypeInfo[] _types;
    private readonly DuckDbType[] _typeIds;
    private readonly string[] _typeNames;
    private readonly string[] _columnNames;
    private DuckDbDataChunkHandle _chunk;
    private readonly IntPtr[] _vectors;
    private readonly void*[] _data;
    // Each vector's writable validity mask, fetched at its first NULL of a chunk: two native calls per chunk, not per NULL.
    private readonly ulong*[] _validity;
    private readonly NativeArena _strings;
    private readonly ulong _capacity;
    private ulong _rows;
    private const int InlineStringBytes = 12;
    private int _column = -1;
    private bool _closed;

    /// <summary>An appender whose full chunks go to <paramref name="chunkTable"/>, which keeps them and their strings.</summary>
    internal DuckDbAppender(DuckDbChunkTable chunkTable)
    {
        _chunkTable = chunkTable;
        _table = chunkTable.Source;
        _types = chunkTable.Types;
        _typeIds = _types.Select(t => t.Id).ToArray();
        _typeNames = _types.Select(t => t.SqlName).ToArray();
        _columnNames = chunkTable.ColumnNames.ToArray();
        _strings = chunkTable.Strings;
        _chunk = chunkTable.RentChunk();
        _capacity = NativeMethods.Helpers.VectorSize();
        _vectors = new IntPtr[_types.Length];
        _data = new void*[_types.Length];
        _validity = new ulong*[_types.Length];
        LoadVectors();
    }

    internal DuckDbAppender(DuckDbConnection connection, string? catalog, string? schema, string table)
    {
        _strings = new NativeArena();
        _table = string.Join('.', new[] { catalog, schema ?? (catalog is null ? null : "main"), table }.Where(part => part is not null));
        if (NativeMethods.Appender.CreateExt(connection.Handle, catalog, schema, table, out DuckDbAppenderHandle handle) != DuckDbState.Success)
        {
            string message = NativeMethods.Appender.Error(handle) ?? "unknown error";
            handle.Dispose();
            throw new DuckDbException(ErrorCode.DuckDbAppendFailed, DuckDbErrorType.Catalog, $"Could not create an appender for table '{_table}': {message}. Help: create the table first, or check its schema and name.");
        }

        _handle = handle;
        int count = (int)NativeMethods.Appender.ColumnCount(handle);
        _types = new LogicalTypeInfo[count];
        _typeIds = new DuckDbType[count];
        _typeNames = new string[count];
        var typeHandles = new DuckDbLogicalTypeHandle[count];
        var rawTypes = stackalloc IntPtr[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                typeHandles[i] = NativeMethods.Appender.ColumnType(handle, (ulong)i);
                _types[i] = LogicalTypeInfo.FromHandle(typeHandles[i]);
                _typeNames[i] = _types[i].SqlName;
                _typeIds[i] = _types[i].Id;
                rawTypes[i] = typeHandles[i].DangerousGetHandle();
            }

            _chunk = new DuckDbDataChunkHandle(NativeMethods.DataChunk.CreateDataChunk(rawTypes, (ulong)count));
        }
        finally
        {
            foreach (DuckDbLogicalTypeHandle type in typeHandles)
            {
                type?.Dispose();
            }
        }

        _columnNames = ColumnNames(connection, catalog, schema, table, count);
        _capacity = NativeMethods.Helpers.VectorSize();
        _vectors = new IntPtr[count];
        _data = new void*[count];
        _validity = new ulong*[count];
        LoadVectors();
    }

    /// <summary>Starts a row; append one value per column, then call <see cref="EndRow"/>.</summary>
    public DuckDbAppender BeginRow()
    {
        ThrowIfClosed();
        if (_column >= 0)
        {
            throw new InvalidOperationException($"The previous row of '{_table}' was not ended. Call EndRow() after its last value.");
        }

        _column = 0;
        return this;
    }

    /// <summary>Ends the row; it must have a value for every column.</summary>
    /// <exception cref="DuckDbException">The chunk this row completed could not be appended.</exception>
    public void EndRow()
    {
        if (_column != _types.Length)
        {
            int given = Math.Max(_column, 0);
            AbandonRow();
            throw new InvalidOperationException($"A row of '{_table}' got {given} values, but the table has {_types.Length} columns. The row was dropped.");
        }

        _column = -1;
        if (++_rows == _capacity)
        {
            FlushChunk();
        }
    }

    /// <summary>Appends a whole row of values, in column order (boxing: prefer the typed methods on hot paths).</summary>
    public void AppendRow(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        BeginRow();
        foreach (object? value in values)
        {
            AppendValue(value);
        }

        EndRow();
    }

    /// <summary>Appends NULL to the current column.</summary>
    public DuckDbAppender AppendNull()
    {
        int column = NextColumn();
        ulong* validity = _validity[column];
        if (validity == null)
        {
            IntPtr vector = _vectors[column];
            NativeMethods.DataChunk.VectorEnsureValidityWritable(vector);
            _validity[column] = validity = NativeMethods.DataChunk.VectorGetValidity(vector);
        }

        validity[_rows >> 6] &= ~(1UL << (int)(_rows & 63));
        return this;
    }

    /// <summary>Appends a boolean.</summary>
    public DuckDbAppender Append(bool value)
    {
        int column = NextColumn();
        if (_typeIds[column] != DuckDbType.Boolean)
        {
            throw Mismatch(column, "bool");
        }

        ((byte*)_data[column])[_rows] = value ? (byte)1 : (byte)0;
        return this;
    }

    /// <summary>Appends an integer to any numeric column, checking that it fits.</summary>
    public DuckDbAppender Append(int value) => Append((long)value);

    /// <summary>Appends an integer to any numeric column, checking that it fits.</summary>
    public DuckDbAppender Append(long value)
    {
        int column = NextColumn();
        void* data = _data[column];
        ulong row = _rows;
        try
        {
            switch (_typeIds[column])
            {
                case DuckDbType.BigInt: ((long*)data)[row] = value; break;
                case DuckDbType.Integer: ((int*)data)[row] = checked((int)value); break;
                case DuckDbType.SmallInt: ((short*)data)[row] = checked((short)value); break;
                case DuckDbType.TinyInt: ((sbyte*)data)[row] = checked((sbyte)value); break;
                case DuckDbType.UBigInt: ((ulong*)data)[row] = checked((ulong)value); break;
                case DuckDbType.UInteger: ((uint*)data)[row] = checked((uint)value); break;
                case DuckDbType.USmallInt: ((ushort*)data)[row] = checked((ushort)value); break;
                case DuckDbType.UTinyInt: ((byte*)data)[row] = checked((byte)value); break;
                case DuckDbType.HugeInt: ((Int128*)data)[row] = value; break;
                case DuckDbType.Double: ((double*)data)[row] = value; break;
                case DuckDbType.Float: ((float*)data)[row] = value; break;
                case DuckDbType.Decimal: WriteDecimal(column, value); break;
                default: throw Mismatch(column, "long");
            }
        }
        catch (OverflowException)
        {
            throw DoesNotFit(column, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return this;
    }

    /// <summary>Appends a floating-point number to a DOUBLE, FLOAT or DECIMAL column.</summary>
    public DuckDbAppender Append(double value)
    {
        int column = NextColumn();
        switch (_typeIds[column])
        {
            case DuckDbType.Double: ((double*)_data[column])[_rows] = value; break;
            case DuckDbType.Float: ((float*)_data[column])[_rows] = (float)value; break;
            case DuckDbType.Decimal:
                if (!double.IsFinite(value) || Math.Abs(value) >= (double)decimal.MaxValue)
                {
                    throw DoesNotFit(column, value.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
                }

                WriteDecimal(column, (decimal)value);
                break;
            default: throw Mismatch(column, "double");
        }

        return this;
    }

    /// <summary>Appends a decimal to a DECIMAL, DOUBLE or FLOAT column (rounded to the column's scale).</summary>
    public DuckDbAppender Append(decimal value)
    {
        int column = NextColumn();
        switch (_typeIds[column])
        {
            case DuckDbType.Decimal: WriteDecimal(column, value); break;
            case DuckDbType.Double: ((double*)_data[column])[_rows] = (double)value; break;
            case DuckDbType.Float: ((float*)_data[column])[_rows] = (float)value; break;
            default: throw Mismatch(column, "decimal");
        }

        return this;
    }

    /// <summary>Appends text to a VARCHAR (or JSON) column; null appends NULL.</summary>
    public DuckDbAppender Append(string? value)
    {
        if (value is null)
        {
            return AppendNull();
        }

        int column = NextColumn();
        if (_typeIds[column] != DuckDbType.Varchar)
        {
            throw Mismatch(column, "string");
        }

        if (value.Length <= InlineStringBytes && TryWriteInline(column, value))
        {
            return this;
        }

        int maxBytes = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte* bytes = _strings.Reserve(maxBytes);
        int length = Encoding.UTF8.GetBytes(value, new Span<byte>(bytes, maxBytes));
        WriteLongString(column, _strings.Commit(length), length);
        return this;
    }

    /// <summary>
    /// Appends text given as UTF-8 bytes to a VARCHAR (or JSON) column, as they are: for text that arrives encoded,
    /// which would otherwise be decoded into a string only to be encoded again.
    /// </summary>
    /// <exception cref="DuckDbException">The bytes are not valid UTF-8; the row is dropped.</exception>
    public DuckDbAppender AppendUtf8(ReadOnlySpan<byte> utf8)
    {
        int column = NextColumn();
        if (_typeIds[column] != DuckDbType.Varchar)
        {
            throw Mismatch(column, "UTF-8 text");
        }

        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            AbandonRow();
            throw new DuckDbException(ErrorCode.DuckDbAppendFailed, DuckDbErrorType.Conversion,
                $"Column {column + 1} '{_columnNames[column]}' of '{_table}' got {utf8.Length} bytes that are not valid UTF-8 (starting {Convert.ToHexString(utf8[..Math.Min(utf8.Length, 16)])}). The row was dropped.");
        }

        WriteBytes(column, utf8);
        return this;
    }

    /// <summary>Appends bytes to a BLOB column; null appends NULL.</summary>
    public DuckDbAppender Append(byte[]? value)
    {
        if (value is null)
        {
            return AppendNull();
        }

        int column = NextColumn();
        if (_typeIds[column] != DuckDbType.Blob)
        {
            throw Mismatch(column, "byte[]");
        }

        WriteBytes(column, value);
        return this;
    }

    /// <summary>Appends a date to a DATE column.</summary>
    public DuckDbAppender Append(DateOnly value)
    {
        int column = NextColumn();
        if (_typeIds[column] != DuckDbType.Date)
        {
            throw Mismatch(column, "DateOnly");
        }

        ((int*)_data[column])[_rows] = value.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
        return this;
    }

    /// <summary>
    /// Appends a date to a DATE column as its count of days since 1970-01-01, DuckDB's own unit, so dates beyond
    /// <see cref="DateOnly"/>'s range fit; <see cref="int.MaxValue"/> and <c>-int.MaxValue</c> are DuckDB's
    /// <c>infinity</c> and <c>-infinity</c>.
    /// </summary>
    public DuckDbAppender AppendDateDays(int daysSinceUnixEpoch)
    {
        int column = NextColumn();
        if (_typeIds[column] != DuckDbType.Date)
        {
            throw Mismatch(column, "a count of days");
        }

        ((int*)_data[column])[_rows] = daysSinceUnixEpoch;
        return this;
    }

    /// <summary>
    /// Appends a point in time to a TIMESTAMP or TIMESTAMPTZ column as its microseconds since 1970-01-01 (UTC),
    /// DuckDB's own unit, so instants beyond <see cref="DateTime"/>'s range fit; <see cref="long.MaxValue"/> and
    /// <c>-long.MaxValue</c> are DuckDB's <c>infinity</c> and <c>-infinity</c>.
    /// </summary>
    public DuckDbAppender AppendTimestampMicros(long microsSinceUnixEpoch)
    {
        int column = NextColumn();
        if (_typeIds[column] is not (DuckDbType.Timestamp or DuckDbType.TimestampTz))
        {
            throw Mismatch(column, "a count of microseconds");
        }

        ((long*)_data[column])[_rows] = microsSinceUnixEpoch;
        return this;
    }

    /// <summary>Appends a time of day to a TIME column.</summary>
    public DuckDbAppender Append(TimeOnly value)
    {
        int column = NextColumn();
        if (_typeIds[column] != DuckDbType.Time)
        {
            throw Mismatch(column, "TimeOnly");
        }

        ((long*)_data[column])[_rows] = value.Ticks / 10;
        return this;
    }

    /// <summary>Appends a point in time to a TIMESTAMP (any unit), TIMESTAMPTZ or DATE column.</summary>
    public DuckDbAppender Append(DateTime value)
    {
        int column = NextColumn();
        long ticks = value.Ticks - DateTime.UnixEpoch.Ticks;
        switch (_typeIds[column])
        {
            case DuckDbType.Timestamp or DuckDbType.TimestampTz: ((long*)_data[column])[_rows] = ticks / 10; break;
            case DuckDbType.TimestampMs: ((long*)_data[column])[_rows] = ticks / 10_000; break;
            case DuckDbType.TimestampS: ((long*)_data[column])[_rows] = ticks / 10_000_000; break;
            case DuckDbType.TimestampNs: ((long*)_data[column])[_rows] = ticks * 100; break;
            case DuckDbType.Date: ((int*)_data[column])[_rows] = (int)(ticks / TimeSpan.TicksPerDay); break;
            default: throw Mismatch(column, "DateTime");
        }

        return this;
    }

    /// <summary>Appends an instant to a TIMESTAMPTZ (or TIMESTAMP, as UTC) column.</summary>
    public DuckDbAppender Append(DateTimeOffset value) => Append(value.UtcDateTime);

    /// <summary>Appends a UUID to a UUID column.</summary>
    public DuckDbAppender Append(Guid value)
    {
        int column = NextColumn();
        if (_typeIds[column] != DuckDbType.Uuid)
        {
            throw Mismatch(column, "Guid");
        }

        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes, bigEndian: true, out _);
        ((DuckDbHugeIntStruct*)_data[column])[_rows] = new DuckDbHugeIntStruct
        {
            Upper = (long)(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes) ^ (1UL << 63)),
            Lower = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        };
        return this;
    }

    /// <summary>Appends a value of any supported type (boxing; see the typed overloads).</summary>
    public DuckDbAppender AppendValue(object? value) => value switch
    {
        null or DBNull => AppendNull(),
        bool b => Append(b),
        sbyte or short or int or long or byte or ushort or uint => Append(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)),
        ulong u => Append(checked((long)u)),
        float f => Append((double)f),
        double d => Append(d),
        decimal m => Append(m),
        string s => Append(s),
        byte[] bytes => Append(bytes),
        DateOnly date => Append(date),
        TimeOnly time => Append(time),
        DateTime dateTime => Append(dateTime),
        DateTimeOffset offset => Append(offset),
        Guid guid => Append(guid),
        _ => throw new ArgumentException($"The appender cannot write values of type {value.GetType().FullName}.", nameof(value)),
    };

    /// <summary>Hands the buffered rows to the table and closes the appender.</summary>
    /// <exception cref="DuckDbException">The rows could not be appended (e.g. a constraint failed).</exception>
    public void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        if (_chunkTable is not null)
        {
            if (_rows > 0)
            {
                FlushChunk();
            }

            _chunkTable.AppenderClosed(_chunk);
            return;
        }

        try
        {
            if (_rows > 0)
            {
                FlushChunk();
            }

            if (NativeMethods.Appender.Close(_handle!) != DuckDbState.Success)
            {
                throw Failure("closing");
            }
        }
        finally
        {
            _chunk.Dispose();
            _handle!.Dispose();
            _strings.Dispose();
        }
    }

    /// <summary>Closes the appender (flushing buffered rows) if it is still open.</summary>
    public void Dispose() => Close();

    private int NextColumn()
    {
        if (_column < 0)
        {
            throw new InvalidOperationException($"No row of '{_table}' is open. Call BeginRow() first.");
        }

        if (_column >= _types.Length)
        {
            AbandonRow();
            throw new InvalidOperationException($"Too many values for a row of '{_table}': it has {_types.Length} columns. The row was dropped.");
        }

        return _column++;
    }

    /// <summary>
    /// Writes a string of at most 12 UTF-8 bytes straight into the vector's duckdb_string_t (length at
    /// offset 0, bytes inline at offset 4), skipping a native call per value. The unused inline bytes
    /// must be zero: DuckDB compares inlined strings over the whole 16 bytes.
    /// </summary>
    private bool TryWriteInline(int column, string value)
    {
        Span<byte> inline = stackalloc byte[InlineStringBytes];
        if (System.Text.Unicode.Utf8.FromUtf16(value, inline, out _, out int length) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        WriteInline(column, inline[..length]);
        return true;
    }

    /// <summary>Writes a VARCHAR's or BLOB's bytes: inline when they fit, else copied into <see cref="_strings"/>.</summary>
    private void WriteBytes(int column, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= InlineStringBytes)
        {
            WriteInline(column, bytes);
            return;
        }

        byte* copy = _strings.Reserve(bytes.Length);
        bytes.CopyTo(new Span<byte>(copy, bytes.Length));
        WriteLongString(column, _strings.Commit(bytes.Length), bytes.Length);
    }

    private void WriteInline(int column, ReadOnlySpan<byte> bytes)
    {
        byte* entry = (byte*)_data[column] + (_rows * 16);
        *(ulong*)entry = (uint)bytes.Length;
        *(ulong*)(entry + 8) = 0;
        bytes.CopyTo(new Span<byte>(entry + 4, InlineStringBytes));
    }

    /// <summary>
    /// Points the vector's duckdb_string_t at bytes in <see cref="_strings"/> (length, 4-byte prefix, pointer) without a
    /// native call: the chunk only has to outlive <c>duckdb_append_data_chunk</c>, which copies the strings into the
    /// appender's own storage, and the arena is reused only after that.
    /// </summary>
    private void WriteLongString(int column, byte* bytes, int length)
    {
        byte* entry = (byte*)_data[column] + (_rows * 16);
        *(uint*)entry = (uint)length;
        *(uint*)(entry + 4) = *(uint*)bytes;
        *(byte**)(entry + 8) = bytes;
    }

    private void WriteDecimal(int column, decimal value)
    {
        LogicalTypeInfo type = _types[column];
        int targetScale = type.DecimalScale;
        try
        {
            // Scale the mantissa in Int128: value * 10^scale can exceed System.Decimal for DECIMAL(38, s).
            Span<int> bits = stackalloc int[4];
            decimal.GetBits(value, bits);
            if (((bits[3] >> 16) & 0xFF) > targetScale)
            {
                // More digits than the column keeps: round first (rare, and slower).
                decimal.GetBits(Math.Round(value, Math.Min(targetScale, 28), MidpointRounding.AwayFromZero), bits);
            }

            Int128 unscaled = ((Int128)(uint)bits[2] << 64) | ((Int128)(uint)bits[1] << 32) | (uint)bits[0];
            int scale = (bits[3] >> 16) & 0xFF;
            if (scale < targetScale)
            {
                unscaled = checked(unscaled * s_powersOf10[targetScale - scale]);
            }

            if (bits[3] < 0)
            {
                unscaled = -unscaled;
            }

            if (Int128.Abs(unscaled) >= s_powersOf10[type.DecimalWidth])
            {
                throw new OverflowException();
            }

            switch (type.InternalType)
            {
                case DuckDbType.SmallInt: ((short*)_data[column])[_rows] = checked((short)unscaled); break;
                case DuckDbType.Integer: ((int*)_data[column])[_rows] = checked((int)unscaled); break;
                case DuckDbType.BigInt: ((long*)_data[column])[_rows] = checked((long)unscaled); break;
                default: ((Int128*)_data[column])[_rows] = unscaled; break;
            }
        }
        catch (OverflowException)
        {
            throw DoesNotFit(column, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    // 10^0 .. 10^38: DECIMAL widths and scales go up to 38.
    private static readonly Int128[] s_powersOf10 = PowersOf10();

    private static Int128[] PowersOf10()
    {
        var powers = new Int128[39];
        powers[0] = 1;
        for (int i = 1; i < powers.Length; i++)
        {
            powers[i] = powers[i - 1] * 10;
        }

        return powers;
    }

    private void FlushChunk()
    {
        IntPtr chunk = _chunk.DangerousGetHandle();
        NativeMethods.DataChunk.SetSize(chunk, _rows);
        if (_chunkTable is not null)
        {
            // The chunk table keeps the chunk, and the strings it points to stay in the table's arena.
            _chunkTable.Add(_chunk, _rows);
            _chunk = _chunkTable.RentChunk();
            _rows = 0;
            LoadVectors();
            return;
        }

        DuckDbState state = NativeMethods.Appender.AppendDataChunk(_handle!, chunk);
        _strings.Reset();
        _rows = 0;
        NativeMethods.DataChunk.Reset(chunk);
        LoadVectors();
        if (state != DuckDbState.Success)
        {
            throw Failure("appending a chunk");
        }
    }

    private void LoadVectors()
    {
        IntPtr chunk = _chunk.DangerousGetHandle();
        for (int i = 0; i < _types.Length; i++)
        {
            _vectors[i] = NativeMethods.DataChunk.GetVector(chunk, (ulong)i);
            _data[i] = NativeMethods.DataChunk.VectorGetData(_vectors[i]);
            _validity[i] = null;
        }
    }

    private DuckDbException Failure(string action) =>
        new(ErrorCode.DuckDbAppendFailed, DuckDbErrorType.Invalid, $"Appending to '{_table}' failed while {action}: {NativeMethods.Appender.Error(_handle!)}");

    /// <summary>Drops the row being written, so a failed row leaves nothing behind (not even its NULL marks).</summary>
    private void AbandonRow()
    {
        _column = -1;
        for (int i = 0; i < _vectors.Length; i++)
        {
            ulong* validity = _validity[i];
            if (validity != null)
            {
                validity[_rows >> 6] |= 1UL << (int)(_rows & 63);
            }
        }
    }

    private InvalidCastException Mismatch(int column, string given)
    {
        AbandonRow();
        return new($"Column {column + 1} '{_columnNames[column]}' of '{_table}' is {_typeNames[column]}; a {given} cannot be appended to it. The row was dropped.");
    }

    private DuckDbException DoesNotFit(int column, string value)
    {
        AbandonRow();
        return new(ErrorCode.DuckDbAppendFailed, DuckDbErrorType.OutOfRange,
            $"The value {value} does not fit column {column + 1} '{_columnNames[column]}' ({_typeNames[column]}) of '{_table}'. The row was dropped.");
    }

    /// <summary>The table's column names, for messages that say which column a value did not fit.</summary>
    private static string[] ColumnNames(DuckDbConnection connection, string? catalog, string? schema, string table, int count)
    {
        var names = new string[count];
        using (DuckDbTableDescriptionHandle description = CreateDescription(connection, catalog, schema, table))
        {
            for (int i = 0; i < count; i++)
            {
                names[i] = description.IsInvalid ? string.Empty : NativeMethods.TableDescription.ColumnName(description, (ulong)i) ?? string.Empty;
            }
        }

        return names;
    }

    private static DuckDbTableDescriptionHandle CreateDescription(DuckDbConnection connection, string? catalog, string? schema, string table)
    {
        // A failure leaves the names empty: the appender itself already opened the table.
        NativeMethods.TableDescription.CreateExt(connection.Handle, catalog, schema, table, out DuckDbTableDescriptionHandle description);
        return description;
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_closed, this);
}
