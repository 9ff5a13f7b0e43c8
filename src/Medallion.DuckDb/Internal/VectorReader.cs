using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb.Internal;

/// <summary>
/// Reads one column of the current data chunk. One reader per result column lives for the whole
/// result and is <see cref="Reset"/> onto each new chunk's vector, so reading allocates nothing per
/// chunk. Typed getters read straight from vector memory; <see cref="GetValue"/> boxes.
/// </summary>
/// <remarks>The vector is borrowed from the chunk: valid only until the reader moves to the next chunk.</remarks>
internal abstract unsafe class VectorReader
{
    protected VectorReader(LogicalTypeInfo type, string columnName)
    {
        Type = type;
        ColumnName = columnName;
    }

    public LogicalTypeInfo Type { get; }

    public string ColumnName { get; }

    protected IntPtr Vector { get; private set; }

    protected void* Data { get; private set; }

    private ulong* _validity;

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public abstract Type FieldType { get; }

    public virtual void Reset(IntPtr vector)
    {
        Vector = vector;
        Data = NativeMethods.DataChunk.VectorGetData(vector);
        _validity = NativeMethods.DataChunk.VectorGetValidity(vector);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsValid(ulong row) => _validity == null || (_validity[row >> 6] & (1UL << (int)(row & 63))) != 0;

    public abstract object GetValue(ulong row);

    /// <summary>The value as text, exact for every type (e.g. wide decimals, infinite timestamps).</summary>
    public virtual string GetString(ulong row) => Convert.ToString(GetValue(row), CultureInfo.InvariantCulture) ?? string.Empty;

    public virtual bool GetBoolean(ulong row) => throw InvalidCast(typeof(bool));

    public virtual long GetInt64(ulong row) => throw InvalidCast(typeof(long));

    public virtual int GetInt32(ulong row) => checked((int)GetInt64(row));

    public virtual short GetInt16(ulong row) => checked((short)GetInt64(row));

    public virtual byte GetByte(ulong row) => checked((byte)GetInt64(row));

    public virtual double GetDouble(ulong row) => throw InvalidCast(typeof(double));

    public virtual float GetFloat(ulong row) => (float)GetDouble(row);

    public virtual decimal GetDecimal(ulong row) => throw InvalidCast(typeof(decimal));

    public virtual DateTime GetDateTime(ulong row) => throw InvalidCast(typeof(DateTime));

    public virtual Guid GetGuid(ulong row) => throw InvalidCast(typeof(Guid));

    public virtual T GetFieldValue<T>(ulong row) => GetValue(row) is T value ? value : throw InvalidCast(typeof(T));

    protected InvalidCastException InvalidCast(Type target) =>
        new($"Column '{ColumnName}' has type {Type.SqlName}, which cannot be read as {target.Name}.");

    protected DuckDbException OutOfRange(string value, Type target) =>
        new(ErrorCode.DuckDbValueOutOfRange, DuckDbErrorType.OutOfRange,
            $"The value {value} in column '{ColumnName}' ({Type.SqlName}) does not fit in {target.Name}. Help: read it with GetString(), or cast it in SQL (e.g. to VARCHAR or DOUBLE).");

    public static VectorReader Create(LogicalTypeInfo type, string columnName) => type.Id switch
    {
        DuckDbType.Boolean => new BooleanReader(type, columnName),
        DuckDbType.TinyInt => new NumberReader<sbyte>(type, columnName),
        DuckDbType.SmallInt => new NumberReader<short>(type, columnName),
        DuckDbType.Integer => new NumberReader<int>(type, columnName),
        DuckDbType.BigInt => new NumberReader<long>(type, columnName),
        DuckDbType.UTinyInt => new NumberReader<byte>(type, columnName),
        DuckDbType.USmallInt => new NumberReader<ushort>(type, columnName),
        DuckDbType.UInteger => new NumberReader<uint>(type, columnName),
        DuckDbType.UBigInt => new NumberReader<ulong>(type, columnName),
        DuckDbType.HugeInt => new NumberReader<Int128>(type, columnName),
        DuckDbType.UHugeInt => new NumberReader<UInt128>(type, columnName),
        DuckDbType.Float => new NumberReader<float>(type, columnName),
        DuckDbType.Double => new NumberReader<double>(type, columnName),
        DuckDbType.Decimal => new DecimalReader(type, columnName),
        DuckDbType.Varchar => new VarcharReader(type, columnName),
        DuckDbType.Blob => new BlobReader(type, columnName),
        DuckDbType.Bit => new BitReader(type, columnName),
        DuckDbType.Date => new DateReader(type, columnName),
        DuckDbType.Time => new TimeReader(type, columnName, nanoseconds: false),
        DuckDbType.TimeNs => new TimeReader(type, columnName, nanoseconds: true),
        DuckDbType.TimeTz => new TimeTzReader(type, columnName),
        DuckDbType.Timestamp or DuckDbType.TimestampS or DuckDbType.TimestampMs or DuckDbType.TimestampNs or DuckDbType.TimestampTz
            => new TimestampReader(type, columnName),
        DuckDbType.Interval => new IntervalReader(type, columnName),
        DuckDbType.Uuid => new UuidReader(type, columnName),
        DuckDbType.Enum => new EnumReader(type, columnName),
        DuckDbType.List => new ListReader(type, columnName),
        DuckDbType.Array => new ArrayReader(type, columnName),
        DuckDbType.Struct => new StructReader(type, columnName),
        DuckDbType.Map => new MapReader(type, columnName),
        DuckDbType.Union => new UnionReader(type, columnName),
        DuckDbType.SqlNull => new NullReader(type, columnName),
        _ => new UnsupportedReader(type, columnName),
    };
}

internal sealed class NullReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(object);

    public override object GetValue(ulong row) => DBNull.Value;
}

/// <summary>Types with no .NET counterpart here (BIGNUM, GEOMETRY, VARIANT): reading one says how to get at it.</summary>
internal sealed class UnsupportedReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(string);

    public override object GetValue(ulong row) =>
        throw new DuckDbException(ErrorCode.DuckDbValueOutOfRange, DuckDbErrorType.NotImplemented,
            $"Column '{ColumnName}' has type {Type.SqlName}, which Medallion cannot read. Help: cast it in SQL, e.g. {ColumnName}::VARCHAR.");

    public override string GetString(ulong row) => (string)GetValue(row);
}
