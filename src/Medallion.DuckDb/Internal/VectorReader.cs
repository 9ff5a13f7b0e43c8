using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
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

internal sealed unsafe class BooleanReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(bool);

    public override bool GetBoolean(ulong row) => ((byte*)Data)[row] != 0;

    public override object GetValue(ulong row) => GetBoolean(row);

    public override string GetString(ulong row) => GetBoolean(row) ? "true" : "false";
}

internal sealed unsafe class NumberReader<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)] T>(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
    where T : unmanaged, INumber<T>
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(T);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private T Read(ulong row) => ((T*)Data)[row];

    public override long GetInt64(ulong row)
    {
        T value = Read(row);
        if (typeof(T) == typeof(long))
        {
            return Unsafe.As<T, long>(ref value);
        }

        if (typeof(T) == typeof(float) || typeof(T) == typeof(double))
        {
            throw InvalidCast(typeof(long));
        }

        return Convert<long>(value);
    }

    public override int GetInt32(ulong row)
    {
        T value = Read(row);
        if (typeof(T) == typeof(int))
        {
            return Unsafe.As<T, int>(ref value);
        }

        return Convert<int>(value);
    }

    public override double GetDouble(ulong row)
    {
        T value = Read(row);
        if (typeof(T) == typeof(double))
        {
            return Unsafe.As<T, double>(ref value);
        }

        return double.CreateChecked(value);
    }

    public override float GetFloat(ulong row) => float.CreateChecked(Read(row));

    public override decimal GetDecimal(ulong row)
    {
        T value = Read(row);
        return Convert<decimal>(value);
    }

    private TTo Convert<TTo>(T value)
        where TTo : INumberBase<TTo>
    {
        try
        {
            return TTo.CreateChecked(value);
        }
        catch (OverflowException)
        {
            throw OutOfRange(value.ToString(null, CultureInfo.InvariantCulture), typeof(TTo));
        }
    }

    public override T1 GetFieldValue<T1>(ulong row)
    {
        if (typeof(T1) == typeof(T))
        {
            T value = Read(row);
            return Unsafe.As<T, T1>(ref value);
        }

        return base.GetFieldValue<T1>(row);
    }

    public override object GetValue(ulong row) => Read(row);

    public override string GetString(ulong row)
    {
        T value = Read(row);
        // "R" keeps floats round-trippable; integers ignore the format.
        return typeof(T) == typeof(double) || typeof(T) == typeof(float)
            ? ((IFormattable)value).ToString("R", CultureInfo.InvariantCulture)
            : value.ToString(null, CultureInfo.InvariantCulture);
    }
}

/// <summary>DECIMAL(width, scale), stored as int16/int32/int64/int128 by width.</summary>
internal sealed unsafe class DecimalReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    private readonly byte _scale = type.DecimalScale;
    private readonly double _divisor = Math.Pow(10, type.DecimalScale);

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(decimal);

    private Int128 Unscaled(ulong row) => Type.InternalType switch
    {
        DuckDbType.SmallInt => ((short*)Data)[row],
        DuckDbType.Integer => ((int*)Data)[row],
        DuckDbType.BigInt => ((long*)Data)[row],
        _ => ((Int128*)Data)[row],
    };

    public override decimal GetDecimal(ulong row)
    {
        Int128 unscaled = Unscaled(row);
        Int128 magnitude = Int128.Abs(unscaled);
        int scale = _scale;
        // System.Decimal holds a 96-bit mantissa with a scale of at most 28; trailing zeros of the
        // fraction can be dropped without changing the value (e.g. DECIMAL(38,5) 79228162514264337593543950335.00000).
        while ((magnitude >> 96 != 0 || scale > 28) && scale > 0 && magnitude % 10 == 0)
        {
            magnitude /= 10;
            scale--;
        }

        if (magnitude >> 96 != 0 || scale > 28)
        {
            throw OutOfRange(GetString(row), typeof(decimal));
        }

        int lo = (int)(uint)(magnitude & uint.MaxValue);
        int mid = (int)(uint)((magnitude >> 32) & uint.MaxValue);
        int hi = (int)(uint)((magnitude >> 64) & uint.MaxValue);
        return new decimal(lo, mid, hi, unscaled < 0, (byte)scale);
    }

    public override double GetDouble(ulong row) => (double)Unscaled(row) / _divisor;

    public override long GetInt64(ulong row) => throw InvalidCast(typeof(long));

    public override object GetValue(ulong row) => GetDecimal(row);

    public override string GetString(ulong row)
    {
        Int128 unscaled = Unscaled(row);
        string digits = Int128.Abs(unscaled).ToString(CultureInfo.InvariantCulture);
        if (_scale > 0)
        {
            digits = digits.PadLeft(_scale + 1, '0');
            digits = digits[..^_scale] + "." + digits[^_scale..];
        }

        return unscaled < 0 ? "-" + digits : digits;
    }
}

/// <summary>duckdb_string_t: 16 bytes; up to 12 bytes inline at offset 4, else a pointer at offset 8.</summary>
internal abstract unsafe class StringVectorReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected ReadOnlySpan<byte> Bytes(ulong row)
    {
        byte* entry = (byte*)Data + (row * 16);
        uint length = *(uint*)entry;
        byte* bytes = length <= 12 ? entry + 4 : *(byte**)(entry + 8);
        return new ReadOnlySpan<byte>(bytes, checked((int)length));
    }
}

internal sealed class VarcharReader(LogicalTypeInfo type, string columnName) : StringVectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(string);

    public override string GetString(ulong row) => Encoding.UTF8.GetString(Bytes(row));

    public override object GetValue(ulong row) => GetString(row);
}

internal sealed class BlobReader(LogicalTypeInfo type, string columnName) : StringVectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(byte[]);

    public override object GetValue(ulong row) => Bytes(row).ToArray();

    /// <summary>DuckDB's own text form of a BLOB: printable ASCII as is, other bytes as \xHH.</summary>
    public override string GetString(ulong row)
    {
        var builder = new StringBuilder();
        foreach (byte b in Bytes(row))
        {
            if (b >= 32 && b < 127 && b != '\\' && b != '\'' && b != '"')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\x{b:X2}");
            }
        }

        return builder.ToString();
    }

    public ReadOnlySpan<byte> GetBytes(ulong row) => Bytes(row);
}

/// <summary>BIT: the first byte counts the padding bits of the second; the rest is the bit string.</summary>
internal sealed class BitReader(LogicalTypeInfo type, string columnName) : StringVectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(string);

    public override string GetString(ulong row)
    {
        ReadOnlySpan<byte> bytes = Bytes(row);
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        int padding = bytes[0];
        var builder = new StringBuilder();
        for (int i = 1; i < bytes.Length; i++)
        {
            for (int bit = 7; bit >= 0; bit--)
            {
                if (i == 1 && 7 - bit < padding)
                {
                    continue;
                }

                builder.Append(((bytes[i] >> bit) & 1) == 1 ? '1' : '0');
            }
        }

        return builder.ToString();
    }

    public override object GetValue(ulong row) => GetString(row);
}

internal sealed unsafe class DateReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    private const int UnixEpochDayNumber = 719162;

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(DateOnly);

    private DateOnly Read(ulong row)
    {
        int days = ((int*)Data)[row];
        long dayNumber = (long)days + UnixEpochDayNumber;
        if (dayNumber < DateOnly.MinValue.DayNumber || dayNumber > DateOnly.MaxValue.DayNumber)
        {
            throw OutOfRange(GetString(row), typeof(DateOnly));
        }

        return DateOnly.FromDayNumber((int)dayNumber);
    }

    public override DateTime GetDateTime(ulong row) => Read(row).ToDateTime(TimeOnly.MinValue);

    public override object GetValue(ulong row) => Read(row);

    public override T GetFieldValue<T>(ulong row)
    {
        if (typeof(T) == typeof(DateTime))
        {
            return (T)(object)GetDateTime(row);
        }

        return base.GetFieldValue<T>(row);
    }

    public override string GetString(ulong row)
    {
        int days = ((int*)Data)[row];
        if (days == int.MaxValue)
        {
            return "infinity";
        }

        if (days == -int.MaxValue)
        {
            return "-infinity";
        }

        long dayNumber = (long)days + UnixEpochDayNumber;
        return dayNumber >= DateOnly.MinValue.DayNumber && dayNumber <= DateOnly.MaxValue.DayNumber
            ? DateOnly.FromDayNumber((int)dayNumber).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : FormattableString.Invariant($"{days} days since 1970-01-01");
    }
}

internal sealed unsafe class TimeReader(LogicalTypeInfo type, string columnName, bool nanoseconds) : VectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(TimeOnly);

    private TimeOnly Read(ulong row)
    {
        long value = ((long*)Data)[row];
        long ticks = nanoseconds ? value / 100 : value * 10;
        // 24:00:00 is a valid DuckDB TIME; TimeOnly stops just short of it.
        return new TimeOnly(Math.Min(ticks, TimeOnly.MaxValue.Ticks));
    }

    public override object GetValue(ulong row) => Read(row);

    public override string GetString(ulong row)
    {
        long value = ((long*)Data)[row];
        long micros = nanoseconds ? value / 1000 : value;
        return TemporalText.Time(micros);
    }
}

/// <summary>TIME WITH TIME ZONE: 40 bits of microseconds, then 24 bits of (max offset - offset seconds).</summary>
internal sealed unsafe class TimeTzReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    private const int MaxOffsetSeconds = (16 * 60 * 60) - 1;

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(DateTimeOffset);

    private (long Micros, int OffsetSeconds) Read(ulong row)
    {
        ulong bits = ((ulong*)Data)[row];
        return ((long)(bits >> 24), MaxOffsetSeconds - (int)(bits & 0xFFFFFF));
    }

    public override object GetValue(ulong row)
    {
        (long micros, int offset) = Read(row);
        return new DateTimeOffset(DateTime.MinValue.AddTicks(Math.Min(micros * 10, TimeSpan.TicksPerDay - 1)), TimeSpan.FromSeconds(offset));
    }

    public override string GetString(ulong row)
    {
        (long micros, int offset) = Read(row);
        return TemporalText.Time(micros) + TemporalText.Offset(offset);
    }
}

internal sealed unsafe class TimestampReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    private readonly bool _withTimeZone = type.Id == DuckDbType.TimestampTz;

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(DateTime);

    private long Raw(ulong row) => ((long*)Data)[row];

    private bool IsInfinite(long raw) => raw == long.MaxValue || raw == -long.MaxValue;

    /// <summary>Microseconds since the epoch, whatever the stored unit (nanoseconds are truncated).</summary>
    private long Micros(long raw) => Type.Id switch
    {
        DuckDbType.TimestampS => raw * 1_000_000,
        DuckDbType.TimestampMs => raw * 1_000,
        DuckDbType.TimestampNs => raw / 1_000,
        _ => raw,
    };

    private long Ticks(long raw) => Type.Id == DuckDbType.TimestampNs ? raw / 100 : Micros(raw) * 10;

    public override DateTime GetDateTime(ulong row)
    {
        long raw = Raw(row);
        long ticks = IsInfinite(raw) ? long.MinValue : Ticks(raw);
        long maxTicks = DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks;
        long minTicks = -DateTime.UnixEpoch.Ticks;
        if (ticks < minTicks || ticks > maxTicks)
        {
            throw OutOfRange(GetString(row), typeof(DateTime));
        }

        return new DateTime(DateTime.UnixEpoch.Ticks + ticks, _withTimeZone ? DateTimeKind.Utc : DateTimeKind.Unspecified);
    }

    public override object GetValue(ulong row) => GetDateTime(row);

    public override T GetFieldValue<T>(ulong row)
    {
        if (typeof(T) == typeof(DateTimeOffset))
        {
            return (T)(object)new DateTimeOffset(DateTime.SpecifyKind(GetDateTime(row), DateTimeKind.Utc));
        }

        return base.GetFieldValue<T>(row);
    }

    /// <summary>ISO-8601: <c>2026-01-02T03:04:05.123456</c>, with <c>Z</c> for TIMESTAMPTZ (always UTC here).</summary>
    public override string GetString(ulong row)
    {
        long raw = Raw(row);
        if (IsInfinite(raw))
        {
            return raw > 0 ? "infinity" : "-infinity";
        }

        long micros = Micros(raw);
        long days = Math.DivRem(micros, 86_400_000_000L, out long microsOfDay);
        if (microsOfDay < 0)
        {
            microsOfDay += 86_400_000_000L;
            days--;
        }

        string fraction = Type.Id == DuckDbType.TimestampNs
            ? TemporalText.Fraction(((((raw % 1_000_000_000L) + 1_000_000_000L) % 1_000_000_000L)), 9)
            : TemporalText.Fraction(microsOfDay % 1_000_000, 6);
        long dayNumber = days + 719162;
        string date = dayNumber >= DateOnly.MinValue.DayNumber && dayNumber <= DateOnly.MaxValue.DayNumber
            ? DateOnly.FromDayNumber((int)dayNumber).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : FormattableString.Invariant($"{days}d");
        return date + "T" + TemporalText.Time(microsOfDay - (microsOfDay % 1_000_000)).TrimEnd('.') + fraction + (_withTimeZone ? "Z" : string.Empty);
    }
}

internal static class TemporalText
{
    /// <summary>HH:mm:ss with the fraction only when it is not zero.</summary>
    public static string Time(long micros)
    {
        long seconds = micros / 1_000_000;
        string text = FormattableString.Invariant($"{seconds / 3600:D2}:{seconds / 60 % 60:D2}:{seconds % 60:D2}");
        return text + Fraction(micros % 1_000_000, 6);
    }

    public static string Fraction(long value, int digits) =>
        value == 0 ? string.Empty : "." + value.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');

    public static string Offset(int seconds)
    {
        char sign = seconds < 0 ? '-' : '+';
        int magnitude = Math.Abs(seconds);
        string text = FormattableString.Invariant($"{sign}{magnitude / 3600:D2}:{magnitude / 60 % 60:D2}");
        return magnitude % 60 == 0 ? text : text + FormattableString.Invariant($":{magnitude % 60:D2}");
    }
}

internal sealed unsafe class IntervalReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(DuckDbInterval);

    private DuckDbInterval Read(ulong row)
    {
        DuckDbIntervalStruct value = ((DuckDbIntervalStruct*)Data)[row];
        return new DuckDbInterval(value.Months, value.Days, value.Micros);
    }

    public override object GetValue(ulong row) => Read(row);

    public override string GetString(ulong row) => Read(row).ToString();

    public override T GetFieldValue<T>(ulong row)
    {
        if (typeof(T) == typeof(TimeSpan))
        {
            return (T)(object)Read(row).ToTimeSpan();
        }

        return base.GetFieldValue<T>(row);
    }
}

/// <summary>UUID: a HUGEINT whose top bit is flipped so that signed order equals UUID order.</summary>
internal sealed unsafe class UuidReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(Guid);

    public override Guid GetGuid(ulong row)
    {
        DuckDbHugeIntStruct value = ((DuckDbHugeIntStruct*)Data)[row];
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)value.Upper ^ (1UL << 63));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], value.Lower);
        return new Guid(bytes, bigEndian: true);
    }

    public override object GetValue(ulong row) => GetGuid(row);

    public override string GetString(ulong row) => GetGuid(row).ToString("D");
}

internal sealed unsafe class EnumReader(LogicalTypeInfo type, string columnName) : VectorReader(type, columnName)
{
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(string);

    public override string GetString(ulong row)
    {
        ulong index = Type.InternalType switch
        {
            DuckDbType.UTinyInt => ((byte*)Data)[row],
            DuckDbType.USmallInt => ((ushort*)Data)[row],
            _ => ((uint*)Data)[row],
        };
        return Type.EnumValues[(int)index];
    }

    public override object GetValue(ulong row) => GetString(row);
}

internal sealed unsafe class ListReader : VectorReader
{
    private readonly VectorReader _element;

    public ListReader(LogicalTypeInfo type, string columnName)
        : base(type, columnName)
    {
        _element = Create(type.Children[0].Type, columnName + "[]");
    }

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(List<object?>);

    public override void Reset(IntPtr vector)
    {
        base.Reset(vector);
        _element.Reset(NativeMethods.DataChunk.ListVectorGetChild(vector));
    }

    public override object GetValue(ulong row)
    {
        DuckDbListEntry entry = ((DuckDbListEntry*)Data)[row];
        var list = new List<object?>((int)entry.Length);
        for (ulong i = entry.Offset; i < entry.Offset + entry.Length; i++)
        {
            list.Add(_element.IsValid(i) ? _element.GetValue(i) : null);
        }

        return list;
    }

    /// <summary>A list of integers as <c>long[]</c> reads each element straight from the vector, without boxing it.</summary>
    public override T GetFieldValue<T>(ulong row)
    {
        if (typeof(T) != typeof(long[]))
        {
            return base.GetFieldValue<T>(row);
        }

        DuckDbListEntry entry = ((DuckDbListEntry*)Data)[row];
        long[] values = new long[entry.Length];
        for (ulong i = 0; i < entry.Length; i++)
        {
            ulong element = entry.Offset + i;
            values[i] = _element.IsValid(element) ? _element.GetInt64(element) : throw new InvalidCastException($"Column '{ColumnName}' holds a list with a NULL at position {i + 1}, which cannot be read as Int64[].");
        }

        return (T)(object)values;
    }

    public override string GetString(ulong row)
    {
        DuckDbListEntry entry = ((DuckDbListEntry*)Data)[row];
        return NestedText.List(_element, entry.Offset, entry.Length);
    }
}

internal sealed class ArrayReader : VectorReader
{
    private readonly VectorReader _element;
    private readonly ulong _size;

    public ArrayReader(LogicalTypeInfo type, string columnName)
        : base(type, columnName)
    {
        _element = Create(type.Children[0].Type, columnName + "[]");
        _size = type.ArraySize;
    }

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(List<object?>);

    public override void Reset(IntPtr vector)
    {
        base.Reset(vector);
        _element.Reset(NativeMethods.DataChunk.ArrayVectorGetChild(vector));
    }

    public override object GetValue(ulong row)
    {
        var list = new List<object?>((int)_size);
        for (ulong i = row * _size; i < (row + 1) * _size; i++)
        {
            list.Add(_element.IsValid(i) ? _element.GetValue(i) : null);
        }

        return list;
    }

    public override string GetString(ulong row) => NestedText.List(_element, row * _size, _size);
}

internal sealed class StructReader : VectorReader
{
    private readonly VectorReader[] _fields;

    public StructReader(LogicalTypeInfo type, string columnName)
        : base(type, columnName)
    {
        _fields = new VectorReader[type.Children.Count];
        for (int i = 0; i < _fields.Length; i++)
        {
            _fields[i] = Create(type.Children[i].Type, columnName + "." + type.Children[i].Name);
        }
    }

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(Dictionary<string, object?>);

    public override void Reset(IntPtr vector)
    {
        base.Reset(vector);
        for (int i = 0; i < _fields.Length; i++)
        {
            _fields[i].Reset(NativeMethods.DataChunk.StructVectorGetChild(vector, (ulong)i));
        }
    }

    public override object GetValue(ulong row)
    {
        var fields = new Dictionary<string, object?>(_fields.Length, StringComparer.Ordinal);
        for (int i = 0; i < _fields.Length; i++)
        {
            fields[Type.Children[i].Name] = _fields[i].IsValid(row) ? _fields[i].GetValue(row) : null;
        }

        return fields;
    }

    public override string GetString(ulong row)
    {
        var builder = new StringBuilder("{");
        for (int i = 0; i < _fields.Length; i++)
        {
            builder.Append(i == 0 ? string.Empty : ", ").Append('\'').Append(Type.Children[i].Name).Append("': ");
            builder.Append(NestedText.Element(_fields[i], row));
        }

        return builder.Append('}').ToString();
    }
}

/// <summary>MAP is a LIST of STRUCT(key, value); keys are never NULL.</summary>
internal sealed unsafe class MapReader : VectorReader
{
    private readonly VectorReader _key;
    private readonly VectorReader _value;

    public MapReader(LogicalTypeInfo type, string columnName)
        : base(type, columnName)
    {
        _key = Create(type.Children[0].Type, columnName + ".key");
        _value = Create(type.Children[1].Type, columnName + ".value");
    }

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(Dictionary<object, object?>);

    public override void Reset(IntPtr vector)
    {
        base.Reset(vector);
        IntPtr entries = NativeMethods.DataChunk.ListVectorGetChild(vector);
        _key.Reset(NativeMethods.DataChunk.StructVectorGetChild(entries, 0));
        _value.Reset(NativeMethods.DataChunk.StructVectorGetChild(entries, 1));
    }

    public override object GetValue(ulong row)
    {
        DuckDbListEntry entry = ((DuckDbListEntry*)Data)[row];
        var map = new Dictionary<object, object?>((int)entry.Length);
        for (ulong i = entry.Offset; i < entry.Offset + entry.Length; i++)
        {
            map[_key.GetValue(i)] = _value.IsValid(i) ? _value.GetValue(i) : null;
        }

        return map;
    }

    public override string GetString(ulong row)
    {
        DuckDbListEntry entry = ((DuckDbListEntry*)Data)[row];
        var builder = new StringBuilder("{");
        for (ulong i = entry.Offset; i < entry.Offset + entry.Length; i++)
        {
            builder.Append(i == entry.Offset ? string.Empty : ", ").Append(NestedText.Element(_key, i)).Append('=').Append(NestedText.Element(_value, i));
        }

        return builder.Append('}').ToString();
    }
}

/// <summary>
/// Text for nested values in DuckDB's notation (<c>[1, 2]</c>, <c>{'a': 'x'}</c>, <c>{'k'=v}</c>), except that strings
/// and temporal values are always quoted (DuckDB quotes only some), so the text is unambiguous.
/// </summary>
internal static class NestedText
{
    public static string List(VectorReader element, ulong offset, ulong length)
    {
        var builder = new StringBuilder("[");
        for (ulong i = offset; i < offset + length; i++)
        {
            builder.Append(i == offset ? string.Empty : ", ").Append(Element(element, i));
        }

        return builder.Append(']').ToString();
    }

    public static string Element(VectorReader reader, ulong row)
    {
        if (!reader.IsValid(row))
        {
            return "NULL";
        }

        string text = reader.GetString(row);
        return reader is VarcharReader or EnumReader or UuidReader or DateReader or TimestampReader or TimeReader or BlobReader or IntervalReader
            ? "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'"
            : text;
    }
}

/// <summary>UNION is a STRUCT whose first child is the tag naming the member that holds the value.</summary>
internal sealed unsafe class UnionReader : VectorReader
{
    private readonly VectorReader[] _members;
    private byte* _tags;

    public UnionReader(LogicalTypeInfo type, string columnName)
        : base(type, columnName)
    {
        _members = new VectorReader[type.Children.Count];
        for (int i = 0; i < _members.Length; i++)
        {
            _members[i] = Create(type.Children[i].Type, columnName + "." + type.Children[i].Name);
        }
    }

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties)]
    public override Type FieldType => typeof(object);

    public override void Reset(IntPtr vector)
    {
        base.Reset(vector);
        _tags = (byte*)NativeMethods.DataChunk.VectorGetData(NativeMethods.DataChunk.StructVectorGetChild(vector, 0));
        for (int i = 0; i < _members.Length; i++)
        {
            _members[i].Reset(NativeMethods.DataChunk.StructVectorGetChild(vector, (ulong)i + 1));
        }
    }

    public override object GetValue(ulong row)
    {
        VectorReader member = _members[_tags[row]];
        return member.IsValid(row) ? member.GetValue(row) : DBNull.Value;
    }

    public override string GetString(ulong row) => NestedText.Element(_members[_tags[row]], row);
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
