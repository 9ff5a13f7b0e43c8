using System;
using System.Collections;
using System.Globalization;
using System.Text;
using Medallion.DuckDb;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>
/// Writes DuckDB values as PostgreSQL text or binary values
/// (https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-FORMAT-CODES; binary
/// layouts follow the types' send functions in PostgreSQL's sources).
/// </summary>
internal static class ValueEncoder
{
    public static void WriteDataRow(MessageWriter writer, DuckDbDataReader reader, ResultColumn[] columns, TimeZoneInfo timeZone)
    {
        writer.StartMessage((byte)'D');
        writer.WriteInt16((short)columns.Length);
        for (int i = 0; i < columns.Length; i++)
        {
            if (reader.IsDBNull(i))
            {
                writer.WriteInt32(-1);
                continue;
            }

            int at = writer.StartField();
            ResultColumn column = columns[i];
            if (column.Binary)
            {
                WriteBinary(writer, reader, i, column, timeZone);
            }
            else
            {
                WriteText(writer, reader, i, column.Type, timeZone);
            }

            writer.EndField(at);
        }

        writer.EndMessage();
    }

    private static void WriteText(MessageWriter writer, DuckDbDataReader reader, int ordinal, PgType type, TimeZoneInfo timeZone)
    {
        switch (type.Kind)
        {
            case PgTypeKind.Bool:
                writer.WriteByte(reader.GetBoolean(ordinal) ? (byte)'t' : (byte)'f');
                break;
            case PgTypeKind.Int2 or PgTypeKind.Int4 or PgTypeKind.Int8:
                long integer = reader.GetInt64(ordinal);
                integer.TryFormat(writer.GetSpan(20), out int written, default, CultureInfo.InvariantCulture);
                writer.Advance(written);
                break;
            case PgTypeKind.Float4:
                writer.WriteString(FormatFloat(reader.GetFloat(ordinal)));
                break;
            case PgTypeKind.Float8:
                writer.WriteString(FormatDouble(reader.GetDouble(ordinal)));
                break;
            case PgTypeKind.Array:
                writer.WriteString(FormatArray((IList)reader.GetValue(ordinal), type.Element!, timeZone));
                break;
            case PgTypeKind.Bytea:
                writer.WriteString(FormatBytea((byte[])reader.GetValue(ordinal)));
                break;
            case PgTypeKind.Numeric or PgTypeKind.Text or PgTypeKind.Json:
                writer.WriteString(reader.GetString(ordinal));
                break;
            default:
                writer.WriteString(FormatTemporal(reader, ordinal, type, timeZone));
                break;
        }
    }

    private static string FormatTemporal(DuckDbDataReader reader, int ordinal, PgType type, TimeZoneInfo timeZone)
    {
        object value;
        try
        {
            value = type.Kind == PgTypeKind.Date ? DateOnly.FromDateTime(reader.GetDateTime(ordinal)) : reader.GetValue(ordinal);
        }
        catch (DuckDbException)
        {
            // infinity, -infinity, or beyond .NET's range: DuckDB's own text is the best we have.
            return reader.GetString(ordinal);
        }

        return FormatText(value, type, timeZone);
    }

    /// <summary>A .NET value (as DuckDB returns it) in PostgreSQL's text format for <paramref name="type"/>.</summary>
    public static string FormatText(object value, PgType type, TimeZoneInfo timeZone) => value switch
    {
        bool b => b ? "t" : "f",
        float f => FormatFloat(f),
        double d => FormatDouble(d),
        byte[] bytes => FormatBytea(bytes),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly time => FormatTime(time.Ticks),
        DateTime dateTime when type.Kind == PgTypeKind.TimestampTz => FormatTimestampTz(dateTime, timeZone),
        DateTime dateTime when type.Kind == PgTypeKind.Date => dateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime dateTime => dateTime.ToString("yyyy-MM-dd ", CultureInfo.InvariantCulture) + FormatTime(dateTime.TimeOfDay.Ticks),
        Guid guid => guid.ToString("D"),
        IList list when value is not string => FormatArray(list, type.Element ?? PgType.Text, timeZone),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string FormatTime(long ticks)
    {
        var time = new TimeSpan(ticks);
        string text = time.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);
        long fraction = ticks % TimeSpan.TicksPerSecond / 10;
        return fraction == 0 ? text : text + "." + fraction.ToString("D6", CultureInfo.InvariantCulture).TrimEnd('0');
    }

    private static string FormatTimestampTz(DateTime utc, TimeZoneInfo timeZone)
    {
        TimeSpan offset = timeZone.GetUtcOffset(utc);
        DateTime local = DateTime.SpecifyKind(utc, DateTimeKind.Unspecified) + offset;
        string text = local.ToString("yyyy-MM-dd ", CultureInfo.InvariantCulture) + FormatTime(local.TimeOfDay.Ticks);
        string sign = offset < TimeSpan.Zero ? "-" : "+";
        TimeSpan magnitude = offset.Duration();
        text += sign + magnitude.Hours.ToString("D2", CultureInfo.InvariantCulture);
        if (magnitude.Minutes != 0 || magnitude.Seconds != 0)
        {
            text += ":" + magnitude.Minutes.ToString("D2", CultureInfo.InvariantCulture);
        }

        if (magnitude.Seconds != 0)
        {
            text += ":" + magnitude.Seconds.ToString("D2", CultureInfo.InvariantCulture);
        }

        return text;
    }

    /// <summary>PostgreSQL 12+ prints the shortest text that reads back exactly (extra_float_digits &gt; 0).</summary>
    private static string FormatDouble(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "Infinity"
        : double.IsNegativeInfinity(value) ? "-Infinity"
        : value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    private static string FormatFloat(float value) =>
        float.IsNaN(value) ? "NaN"
        : float.IsPositiveInfinity(value) ? "Infinity"
        : float.IsNegativeInfinity(value) ? "-Infinity"
        : value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    private static string FormatBytea(byte[] bytes) => "\\x" + Convert.ToHexStringLower(bytes);

    /// <summary>Array text: <c>{1,2,NULL}</c>, elements quoted when empty, NULL-like or holding special characters.</summary>
    private static string FormatArray(IList list, PgType element, TimeZoneInfo timeZone)
    {
        var builder = new StringBuilder("{");
        for (int i = 0; i < list.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            object? item = list[i];
            if (item is null or DBNull)
            {
                builder.Append("NULL");
                continue;
            }

            string text = FormatText(item, element, timeZone);
            if (NeedsQuotes(text))
            {
                builder.Append('"').Append(text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                builder.Append(text);
            }
        }

        return builder.Append('}').ToString();
    }

    private static bool NeedsQuotes(string text)
    {
        if (text.Length == 0 || text.Equals("NULL", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (char c in text)
        {
            if (c is '{' or '}' or ',' or '"' or '\\' or ' ' or '\t' or '\n' or '\r')
            {
                return true;
            }
        }

        return false;
    }

    // The hot path of streaming a result: the common types are read with the reader's typed getters and encoded
    // straight into the buffer, without boxing or an intermediate string per value.
    private static void WriteBinary(MessageWriter writer, DuckDbDataReader reader, int ordinal, ResultColumn column, TimeZoneInfo timeZone)
    {
        PgType type = column.Type;
        switch (type.Kind)
        {
            case PgTypeKind.Numeric when DecimalScale(column) is int scale:
                WriteNumeric(writer, reader.GetDecimal(ordinal), scale);
                break;
            case PgTypeKind.Numeric:
                WriteNumeric(writer, reader.GetString(ordinal));
                break;
            case PgTypeKind.Bool:
                writer.WriteByte(reader.GetBoolean(ordinal) ? (byte)1 : (byte)0);
                break;
            case PgTypeKind.Date or PgTypeKind.Timestamp or PgTypeKind.TimestampTz:
                DateTime dateTime;
                try
                {
                    dateTime = reader.GetDateTime(ordinal);
                }
                catch (DuckDbException)
                {
                    // infinity, -infinity, or beyond .NET's range.
                    WriteBinaryValue(writer, reader.GetString(ordinal), type, timeZone);
                    break;
                }

                if (type.Kind == PgTypeKind.Date)
                {
                    writer.WriteInt32(PgDays(DateOnly.FromDateTime(dateTime)));
                }
                else
                {
                    writer.WriteInt64(PgMicros(dateTime));
                }

                break;
            case PgTypeKind.Text or PgTypeKind.Json:
                writer.WriteString(reader.GetString(ordinal));
                break;
            case PgTypeKind.Int2:
                writer.WriteInt16(reader.GetInt16(ordinal));
                break;
            case PgTypeKind.Int4:
                writer.WriteInt32(reader.GetInt32(ordinal));
                break;
            case PgTypeKind.Int8:
                writer.WriteInt64(reader.GetInt64(ordinal));
                break;
            case PgTypeKind.Float4:
                writer.WriteInt32(BitConverter.SingleToInt32Bits(reader.GetFloat(ordinal)));
                break;
            case PgTypeKind.Float8:
                writer.WriteInt64(BitConverter.DoubleToInt64Bits(reader.GetDouble(ordinal)));
                break;
            default:
                object value;
                try
                {
                    value = reader.GetValue(ordinal);
                }
                catch (DuckDbException)
                {
                    value = reader.GetString(ordinal);
                }

                WriteBinaryValue(writer, value, type, timeZone);
                break;
        }
    }

    /// <summary>A .NET value (as DuckDB returns it) in PostgreSQL's binary format for <paramref name="type"/>.</summary>
    private static void WriteBinaryValue(MessageWriter writer, object value, PgType type, TimeZoneInfo timeZone)
    {
        switch (type.Kind)
        {
            case PgTypeKind.Bool:
                writer.WriteByte(Convert.ToBoolean(value, CultureInfo.InvariantCulture) ? (byte)1 : (byte)0);
                break;
            case PgTypeKind.Int2:
                writer.WriteInt16(Convert.ToInt16(value, CultureInfo.InvariantCulture));
                break;
            case PgTypeKind.Int4:
                writer.WriteInt32(Convert.ToInt32(value, CultureInfo.InvariantCulture));
                break;
            case PgTypeKind.Int8:
                writer.WriteInt64(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case PgTypeKind.Float4:
                writer.WriteInt32(BitConverter.SingleToInt32Bits(Convert.ToSingle(value, CultureInfo.InvariantCulture)));
                break;
            case PgTypeKind.Float8:
                writer.WriteInt64(BitConverter.DoubleToInt64Bits(Convert.ToDouble(value, CultureInfo.InvariantCulture)));
                break;
            case PgTypeKind.Numeric when value is decimal number:
                WriteNumeric(writer, number, number.Scale);
                break;
            case PgTypeKind.Numeric:
                WriteNumeric(writer, FormatText(value, type, timeZone));
                break;
            case PgTypeKind.Bytea:
                writer.WriteBytes((byte[])value);
                break;
            case PgTypeKind.Date:
                writer.WriteInt32(value switch
                {
                    DateOnly date => PgDays(date),
                    "infinity" => int.MaxValue,
                    "-infinity" => int.MinValue,
                    _ => throw Unencodable(value, type),
                });
                break;
            case PgTypeKind.Time:
                writer.WriteInt64(value is TimeOnly time ? time.Ticks / 10 : throw Unencodable(value, type));
                break;
            case PgTypeKind.Timestamp or PgTypeKind.TimestampTz:
                writer.WriteInt64(value switch
                {
                    DateTime dateTime => PgMicros(dateTime),
                    "infinity" => long.MaxValue,
                    "-infinity" => long.MinValue,
                    _ => throw Unencodable(value, type),
                });
                break;
            case PgTypeKind.Interval:
                var interval = (DuckDbInterval)value;
                writer.WriteInt64(interval.Micros);
                writer.WriteInt32(interval.Days);
                writer.WriteInt32(interval.Months);
                break;
            case PgTypeKind.Uuid:
                ((Guid)value).TryWriteBytes(writer.GetSpan(16), bigEndian: true, out _);
                writer.Advance(16);
                break;
            case PgTypeKind.Array:
                WriteArray(writer, (IList)value, type.Element!, timeZone);
                break;
            default:
                writer.WriteString(FormatText(value, type, timeZone));
                break;
        }
    }

    private static int PgDays(DateOnly date) => date.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber - PgEpoch.Days;

    private static long PgMicros(DateTime dateTime) => ((dateTime.Ticks - DateTime.UnixEpoch.Ticks) / 10) - PgEpoch.Micros;

    /// <summary>
    /// The scale of a DECIMAL column whose every value fits <see cref="decimal"/> (precision up to 28), so the reader's
    /// <see cref="DuckDbDataReader.GetDecimal"/> is exact; null for wider DECIMALs and the integers sent as numeric.
    /// </summary>
    private static int? DecimalScale(ResultColumn column)
    {
        if (column.TypeModifier < 4)
        {
            return null;
        }

        int precision = (column.TypeModifier - 4) >> 16;
        return precision <= 28 ? (column.TypeModifier - 4) & 0xFFFF : null;
    }

    private static void WriteArray(MessageWriter writer, IList list, PgType element, TimeZoneInfo timeZone)
    {
        bool hasNull = false;
        foreach (object? item in list)
        {
            hasNull |= item is null or DBNull;
        }

        writer.WriteInt32(list.Count == 0 ? 0 : 1);
        writer.WriteInt32(hasNull ? 1 : 0);
        writer.WriteInt32(element.Oid);
        if (list.Count == 0)
        {
            return;
        }

        writer.WriteInt32(list.Count);
        writer.WriteInt32(1); // lower bound
        foreach (object? item in list)
        {
            if (item is null or DBNull)
            {
                writer.WriteInt32(-1);
                continue;
            }

            int at = writer.StartField();
            WriteBinaryValue(writer, item, element, timeZone);
            writer.EndField(at);
        }
    }

    /// <summary>
    /// numeric's binary form: digit count, weight (of the first base-10000 digit), sign, display
    /// scale, then base-10000 digits, all int16 (PostgreSQL's numeric_send).
    /// </summary>
    public static void WriteNumeric(MessageWriter writer, string text)
    {
        if (text is "NaN" or "nan")
        {
            writer.WriteInt16(0);
            writer.WriteInt16(0);
            writer.WriteInt16(unchecked((short)0xC000));
            writer.WriteInt16(0);
            return;
        }

        bool negative = text.StartsWith('-');
        string digits = negative || text.StartsWith('+') ? text[1..] : text;
        int dot = digits.IndexOf('.', StringComparison.Ordinal);
        string integerPart = dot < 0 ? digits : digits[..dot];
        string fractionPart = dot < 0 ? string.Empty : digits[(dot + 1)..];
        integerPart = integerPart.TrimStart('0');
        int displayScale = fractionPart.Length;

        int integerGroups = (integerPart.Length + 3) / 4;
        string paddedInteger = integerPart.PadLeft(integerGroups * 4, '0');
        int fractionGroups = (fractionPart.Length + 3) / 4;
        string paddedFraction = fractionPart.PadRight(fractionGroups * 4, '0');
        string all = paddedInteger + paddedFraction;

        int groupCount = integerGroups + fractionGroups;
        Span<short> groups = groupCount <= 64 ? stackalloc short[groupCount] : new short[groupCount];
        for (int i = 0; i < groupCount; i++)
        {
            groups[i] = short.Parse(all.AsSpan(i * 4, 4), NumberStyles.None, CultureInfo.InvariantCulture);
        }

        int first = 0;
        int weight = integerGroups - 1;
        while (first < groupCount && groups[first] == 0)
        {
            first++;
            weight--;
        }

        int last = groupCount;
        while (last > first && groups[last - 1] == 0)
        {
            last--;
        }

        int count = last - first;
        writer.WriteInt16((short)count);
        writer.WriteInt16((short)(count == 0 ? 0 : weight));
        writer.WriteInt16(negative && count > 0 ? (short)0x4000 : (short)0);
        writer.WriteInt16((short)displayScale);
        for (int i = first; i < last; i++)
        {
            writer.WriteInt16(groups[i]);
        }
    }

    /// <summary>
    /// numeric's binary form of a <see cref="decimal"/> shown with <paramref name="displayScale"/> fraction digits (at
    /// least the value's own scale), computed from its 96-bit mantissa as <see cref="WriteNumeric(MessageWriter, string)"/>
    /// does from its text.
    /// </summary>
    public static void WriteNumeric(MessageWriter writer, decimal value, int displayScale)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        int scale = value.Scale;
        UInt128 mantissa = new((ulong)(uint)bits[2], ((ulong)(uint)bits[1] << 32) | (uint)bits[0]);

        // Align the fraction to whole base-10000 digits: up to three more decimal zeros, at most 2^96 * 1000.
        int fractionGroups = (scale + 3) / 4;
        for (int pad = (fractionGroups * 4) - scale; pad > 0; pad--)
        {
            mantissa *= 10;
        }

        // Base-10000 digits from the least significant; 29 decimal digits plus padding make at most 8.
        Span<short> groups = stackalloc short[8];
        int count = 0;
        while (mantissa > ulong.MaxValue)
        {
            (mantissa, UInt128 group) = UInt128.DivRem(mantissa, 10_000);
            groups[count++] = (short)group;
        }

        // Most values fit 64 bits, whose division is far cheaper.
        for (ulong rest = (ulong)mantissa; rest != 0; count++)
        {
            (rest, ulong group) = Math.DivRem(rest, 10_000UL);
            groups[count] = (short)group;
        }

        int weight = count - fractionGroups - 1;
        int last = 0;
        while (last < count && groups[last] == 0)
        {
            last++;
        }

        int digits = count - last;
        writer.WriteInt16((short)digits);
        writer.WriteInt16((short)(digits == 0 ? 0 : weight));
        writer.WriteInt16(value < 0 && digits > 0 ? (short)0x4000 : (short)0);
        writer.WriteInt16((short)Math.Max(displayScale, scale));
        for (int i = count - 1; i >= last; i--)
        {
            writer.WriteInt16(groups[i]);
        }
    }

    private static PgWireException Unencodable(object value, PgType type) =>
        new(ErrorCode.PgWireStatementFailed, SqlState.InvalidBinaryRepresentation, $"The value '{value}' cannot be sent as binary {type.Name}. Help: ask for text results, or cast the column in SQL.");
}
