using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb.Internal;

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
