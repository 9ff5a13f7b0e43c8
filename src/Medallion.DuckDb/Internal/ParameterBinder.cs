using System;
using System.Globalization;
using System.Text;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb.Internal;

/// <summary>Binds command parameters to one prepared statement, by name or by position.</summary>
internal static unsafe class ParameterBinder
{
    public static void Bind(DuckDbPreparedStatementHandle statement, DuckDbParameterCollection parameters)
    {
        ulong count = NativeMethods.Prepared.ParameterCount(statement);
        if (count == 0)
        {
            return;
        }

        NativeMethods.Prepared.ClearBindings(statement);
        for (ulong index = 1; index <= count; index++)
        {
            string name = NativeMethods.Prepared.ParameterName(statement, index) ?? index.ToString(CultureInfo.InvariantCulture);
            DuckDbParameter parameter = Find(parameters, name)
                ?? throw new DuckDbException(ErrorCode.DuckDbPrepareFailed, DuckDbErrorType.ParameterNotResolved,
                    $"No value was given for parameter ${name}. Help: add it with command.Parameters.AddWithValue(\"{name}\", value) or, for positional parameters, command.Parameters.Add(value) in order.");
            if (BindOne(statement, index, parameter.Value) != DuckDbState.Success)
            {
                throw new DuckDbException(ErrorCode.DuckDbPrepareFailed, DuckDbErrorType.MismatchType,
                    $"Could not bind parameter ${name} ({parameter.Value?.GetType().Name ?? "null"}): {NativeMethods.Prepared.PrepareError(statement)}");
            }
        }
    }

    private static DuckDbParameter? Find(DuckDbParameterCollection parameters, string name)
    {
        int byName = parameters.IndexOf(name);
        if (byName >= 0)
        {
            return parameters[byName];
        }

        return int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int position) && position >= 1 && position <= parameters.Count
            ? parameters[position - 1]
            : null;
    }

    private static DuckDbState BindOne(DuckDbPreparedStatementHandle statement, ulong index, object? value)
    {
        switch (value)
        {
            case null or DBNull:
                return NativeMethods.Prepared.BindNull(statement, index);
            case bool b:
                return NativeMethods.Prepared.BindBoolean(statement, index, b);
            case sbyte i8:
                return NativeMethods.Prepared.BindInt8(statement, index, i8);
            case short i16:
                return NativeMethods.Prepared.BindInt16(statement, index, i16);
            case int i32:
                return NativeMethods.Prepared.BindInt32(statement, index, i32);
            case long i64:
                return NativeMethods.Prepared.BindInt64(statement, index, i64);
            case byte u8:
                return NativeMethods.Prepared.BindUInt8(statement, index, u8);
            case ushort u16:
                return NativeMethods.Prepared.BindUInt16(statement, index, u16);
            case uint u32:
                return NativeMethods.Prepared.BindUInt32(statement, index, u32);
            case ulong u64:
                return NativeMethods.Prepared.BindUInt64(statement, index, u64);
            case Int128 i128:
                return NativeMethods.Prepared.BindHugeInt(statement, index, new DuckDbHugeIntStruct(i128));
            case UInt128 u128:
                return NativeMethods.Prepared.BindUHugeInt(statement, index, new DuckDbUHugeIntStruct { Lower = (ulong)(u128 & ulong.MaxValue), Upper = (ulong)(u128 >> 64) });
            case float f:
                return NativeMethods.Prepared.BindFloat(statement, index, f);
            case double d:
                return NativeMethods.Prepared.BindDouble(statement, index, d);
            case decimal m:
                return BindDecimal(statement, index, m);
            case string s:
                return BindText(statement, index, s);
            case char c:
                return BindText(statement, index, c.ToString());
            case byte[] bytes:
                fixed (byte* data = bytes)
                {
                    return NativeMethods.Prepared.BindBlob(statement, index, data, (ulong)bytes.Length);
                }

            case ReadOnlyMemory<byte> memory:
                fixed (byte* data = memory.Span)
                {
                    return NativeMethods.Prepared.BindBlob(statement, index, data, (ulong)memory.Length);
                }

            case DateOnly date:
                return NativeMethods.Prepared.BindDate(statement, index, date.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber);
            case TimeOnly time:
                return NativeMethods.Prepared.BindTime(statement, index, time.Ticks / 10);
            case DateTime dateTime when dateTime.Kind == DateTimeKind.Utc:
                return NativeMethods.Prepared.BindTimestampTz(statement, index, (dateTime.Ticks - DateTime.UnixEpoch.Ticks) / 10);
            case DateTime dateTime:
                return NativeMethods.Prepared.BindTimestamp(statement, index, (dateTime.Ticks - DateTime.UnixEpoch.Ticks) / 10);
            case DateTimeOffset offset:
                return NativeMethods.Prepared.BindTimestampTz(statement, index, (offset.UtcTicks - DateTime.UnixEpoch.Ticks) / 10);
            case TimeSpan span:
                return NativeMethods.Prepared.BindInterval(statement, index, new DuckDbIntervalStruct { Micros = span.Ticks / 10 });
            case DuckDbInterval interval:
                return NativeMethods.Prepared.BindInterval(statement, index, new DuckDbIntervalStruct { Months = interval.Months, Days = interval.Days, Micros = interval.Micros });
            case Guid guid:
                return BindGuid(statement, index, guid);
            case Enum e:
                return BindText(statement, index, e.ToString());
            default:
                throw new ArgumentException($"Parameter values of type {value.GetType().FullName} are not supported. Help: pass a string, number, bool, date/time, Guid, byte[] or null.");
        }
    }

    private static DuckDbState BindText(DuckDbPreparedStatementHandle statement, ulong index, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* data = bytes)
        {
            return NativeMethods.Prepared.BindVarcharLength(statement, index, data, (ulong)bytes.Length);
        }
    }

    private static DuckDbState BindDecimal(DuckDbPreparedStatementHandle statement, ulong index, decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        Int128 mantissa = ((Int128)(uint)bits[2] << 64) | ((Int128)(uint)bits[1] << 32) | (uint)bits[0];
        bool negative = bits[3] < 0;
        byte scale = (byte)((bits[3] >> 16) & 0xFF);
        var unscaled = negative ? -mantissa : mantissa;
        var decimalValue = new DuckDbDecimalStruct { Width = 38, Scale = scale, Value = new DuckDbHugeIntStruct(unscaled) };
        return NativeMethods.Prepared.BindDecimal(statement, index, decimalValue);
    }

    private static DuckDbState BindGuid(DuckDbPreparedStatementHandle statement, ulong index, Guid guid)
    {
        Span<byte> bytes = stackalloc byte[16];
        guid.TryWriteBytes(bytes, bigEndian: true, out _);
        var uuid = new DuckDbUHugeIntStruct
        {
            Upper = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes),
            Lower = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        };
        IntPtr value = NativeMethods.Prepared.CreateUuid(uuid);
        try
        {
            return NativeMethods.Prepared.BindValue(statement, index, value);
        }
        finally
        {
            NativeMethods.Prepared.DestroyValue(ref value);
        }
    }
}
