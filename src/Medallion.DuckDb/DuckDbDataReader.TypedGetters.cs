using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using Medallion.DuckDb.Internal;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb;

// The typed getters are the hot path of reading (tens of millions of calls per second). For the flat
// types whose vector layout is a plain array (BIGINT, INTEGER, DOUBLE, VARCHAR, ...) they read the
// current chunk's memory directly; every other type goes through its column's VectorReader. A typed
// getter on a NULL value throws InvalidCastException, as in other ADO.NET providers.
public sealed partial class DuckDbDataReader
{
    /// <inheritdoc />
    /// <exception cref="InvalidCastException">The value is NULL, or the column's type is not BOOLEAN.</exception>
    public override unsafe bool GetBoolean(int ordinal)
    {
        ulong row = CurrentRow;
        ref ColumnVector vector = ref CheckedVector(ordinal, row, "Boolean");
        return vector.Type == DuckDbType.Boolean ? ((byte*)vector.Data)[row] != 0 : _columns[ordinal].GetBoolean(row);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidCastException">The value is NULL or not a number.</exception>
    /// <exception cref="DuckDbException">The value does not fit in a byte.</exception>
    public override byte GetByte(int ordinal)
    {
        ulong row = CurrentRow;
        CheckedVector(ordinal, row, "Byte");
        return _columns[ordinal].GetByte(row);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidCastException">The value is NULL or not a number.</exception>
    /// <exception cref="DuckDbException">The value does not fit in an Int16.</exception>
    public override unsafe short GetInt16(int ordinal)
    {
        ulong row = CurrentRow;
        ref ColumnVector vector = ref CheckedVector(ordinal, row, "Int16");
        return vector.Type == DuckDbType.SmallInt ? ((short*)vector.Data)[row] : _columns[ordinal].GetInt16(row);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidCastException">The value is NULL or not a number.</exception>
    /// <exception cref="DuckDbException">The value does not fit in an Int32.</exception>
    public override unsafe int GetInt32(int ordinal)
    {
        ulong row = CurrentRow;
        ref ColumnVector vector = ref CheckedVector(ordinal, row, "Int32");
        return vector.Type == DuckDbType.Integer ? ((int*)vector.Data)[row] : _columns[ordinal].GetInt32(row);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidCastException">The value is NULL or not a number.</exception>
    /// <exception cref="DuckDbException">The value does not fit in an Int64 (e.g. a large UBIGINT or HUGEINT).</exception>
    public override unsafe long GetInt64(int ordinal)
    {
        ulong row = CurrentRow;
        ref ColumnVector vector = ref CheckedVector(ordinal, row, "Int64");
        return vector.Type == DuckDbType.BigInt ? ((long*)vector.Data)[row] : _columns[ordinal].GetInt64(row);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidCastException">The value is NULL or not a number.</exception>
    public override unsafe float GetFloat(int ordinal)
    {
        ulong row = CurrentRow;
        ref ColumnVector vector = ref CheckedVector(ordinal, row, "Single");
        return vector.Type == DuckDbType.Float ? ((float*)vector.Data)[row] : _columns[ordinal].GetFloat(row);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidCastException">The value is NULL or not a number.</exception>
    public override unsafe double GetDouble(int ordinal)
    {
        ulong row = CurrentRow;
        ref ColumnVector vector = ref CheckedVector(ordinal, row, "Double");
        return vector.Type == DuckDbType.Double ? ((double*)vector.Data)[row] : _columns[ordinal].GetDouble(row);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidCastException">The value is NULL or not a number.</exception>
    /// <exception cref="DuckDbException">The value is beyond <see cref="decimal"/> (read it with <see cref="GetString"/>).</exception>
    public override decimal GetDecimal(int ordinal)
    {
        ulong row = CurrentRow;
        CheckedVector(ordinal, row, "Decimal");
        return _columns[ordinal].GetDecimal(row);
    }

    /// <summary>
    /// The value as text. Exact for every type: a DECIMAL too wide for <see cref="decimal"/>, an
    /// infinite timestamp, a HUGEINT. Timestamps are ISO-8601.
    /// </summary>
    /// <exception cref="InvalidCastException">The value is NULL.</exception>
    public override unsafe string GetString(int ordinal)
    {
        ulong row = CurrentRow;
        ref ColumnVector vector = ref CheckedVector(ordinal, row, "String");
        if (vector.Type != DuckDbType.Varchar)
        {
            return _columns[ordinal].GetString(row);
        }

        // duckdb_string_t: 16 bytes; up to 12 bytes inline at offset 4, else a pointer at offset 8.
        byte* entry = (byte*)vector.Data + (row * 16);
        int length = *(int*)entry;
        return length <= 12
            ? Encoding.UTF8.GetString(entry + 4, length)
            : Encoding.UTF8.GetString(*(byte**)(entry + 8), length);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidCastException">The value is NULL or not a date or timestamp.</exception>
    /// <exception cref="DuckDbException">The value is beyond <see cref="DateTime"/> (e.g. infinity).</exception>
    public override DateTime GetDateTime(int ordinal)
    {
        ulong row = CurrentRow;
        CheckedVector(ordinal, row, "DateTime");
        return _columns[ordinal].GetDateTime(row);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidCastException">The value is NULL or not a UUID.</exception>
    public override Guid GetGuid(int ordinal)
    {
        ulong row = CurrentRow;
        CheckedVector(ordinal, row, "Guid");
        return _columns[ordinal].GetGuid(row);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidCastException">The value is NULL.</exception>
    public override char GetChar(int ordinal) => GetString(ordinal)[0];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool IsValid(ref ColumnVector vector, ulong row) =>
        vector.Validity == null || (vector.Validity[row >> 6] & (1UL << (int)(row & 63))) != 0;

    /// <summary>The column's vector, after checking that the value in <paramref name="row"/> is not NULL.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref ColumnVector CheckedVector(int ordinal, ulong row, string targetType)
    {
        ref ColumnVector vector = ref _vectors[ordinal];
        if (!IsValid(ref vector, row))
        {
            ThrowNull(ordinal, targetType);
        }

        return ref vector;
    }

    [DoesNotReturn]
    private void ThrowNull(int ordinal, string targetType) =>
        throw new InvalidCastException($"Column '{_columns[ordinal].ColumnName}' is NULL in this row and cannot be read as {targetType}. Help: check IsDBNull first, or read it as a nullable type.");

    /// <summary>
    /// The current chunk's memory for one column: borrowed from the chunk, valid until the next fetch.
    /// <see cref="Type"/> names the flat type a typed getter may read directly, or Invalid when the
    /// column's reader must be asked.
    /// </summary>
    private unsafe struct ColumnVector
    {
        public void* Data;
        public ulong* Validity;
        public DuckDbType Type;

        public static DuckDbType FastPathType(LogicalTypeInfo type) => type.Id switch
        {
            DuckDbType.Boolean or DuckDbType.SmallInt or DuckDbType.Integer or DuckDbType.BigInt
                or DuckDbType.Float or DuckDbType.Double or DuckDbType.Varchar => type.Id,
            _ => DuckDbType.Invalid,
        };
    }
}
