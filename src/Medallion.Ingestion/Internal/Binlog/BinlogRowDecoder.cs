using System;
using System.Buffers.Binary;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Text;

namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>
/// Decodes the row images of rows events into the values a full load of the same column appends, so that a CDC
/// table and a full-load table of one source agree: integers as <see cref="long"/> (unsigned BIGINT and BIT as
/// <see cref="decimal"/>), DECIMAL as <see cref="decimal"/> up to 28 digits and as MariaDB's text beyond, FLOAT and
/// DOUBLE as <see cref="double"/>, DATE as <see cref="DateOnly"/>, DATETIME and TIMESTAMP as <see cref="DateTime"/>
/// (TIMESTAMP in UTC), TIME in the server's text (<c>-838:59:59</c>, fractional digits as declared), ENUM and SET
/// as their labels, UUID, INET4 and INET6 in their text, text in its character set, binary types as bytes.
/// </summary>
/// <remarks>
/// Value layouts: MySQL's <c>Field_*::pack</c> and libbinlogevents' <c>binary_log::Value</c>; temporal types in the
/// MySQL 5.6 format (TIME2, DATETIME2, TIMESTAMP2), which MariaDB writes since 10.3, and the older ones. A column
/// whose binlog type does not match its information_schema type (the table changed since the stream started) is
/// never guessed at: <see cref="CheckTableMap"/> refuses the map.
/// </remarks>
internal sealed class BinlogRowDecoder(IReadOnlyList<BinlogColumn> columns, Func<byte[], string> geometryText)
{
    private static readonly int[] s_digitBytes = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

    /// <summary>The number of metadata bytes a table map holds for a column of <paramref name="type"/>.</summary>
    public static int MetadataLength(byte type) => type switch
    {
        BinlogColumnType.Float or BinlogColumnType.Double or BinlogColumnType.Blob or BinlogColumnType.Geometry or BinlogColumnType.Json
            or BinlogColumnType.Timestamp2 or BinlogColumnType.DateTime2 or BinlogColumnType.Time2 => 1,
        BinlogColumnType.VarChar or BinlogColumnType.VarString or BinlogColumnType.Bit or BinlogColumnType.NewDecimal
            or BinlogColumnType.String or BinlogColumnType.Enum or BinlogColumnType.Set => 2,
        _ => 0,
    };

    /// <summary>Null when the map describes the columns as the decoder knows them, else what differs.</summary>
    public string? CheckTableMap(TableMapEvent map)
    {
        if (map.Types.Length != columns.Count)
        {
            return string.Create(CultureInfo.InvariantCulture, $"its rows in the binlog have {map.Types.Length} columns where the stream reads {columns.Count} (the table's columns when the stream started)");
        }

        for (int i = 0; i < columns.Count; i++)
        {
            if (!Accepts(columns[i].DataType, map.Types[i]))
            {
                return string.Create(CultureInfo.InvariantCulture, $"column {i + 1} ('{columns[i].Name}', {columns[i].DataType} when the stream started) has binlog type {map.Types[i]} in its rows");
            }
        }

        return null;
    }

    private static bool Accepts(string dataType, byte type) => dataType switch
    {
        "tinyint" => type == BinlogColumnType.Tiny,
        "smallint" => type == BinlogColumnType.Short,
        "mediumint" => type == BinlogColumnType.Int24,
        "int" or "integer" => type == BinlogColumnType.Long,
        "bigint" => type == BinlogColumnType.LongLong,
        "float" => type == BinlogColumnType.Float,
        "double" or "real" => type == BinlogColumnType.Double,
        "decimal" or "numeric" => type == BinlogColumnType.NewDecimal,
        "year" => type == BinlogColumnType.Year,
        "date" => type == BinlogColumnType.Date,
        "time" => type is BinlogColumnType.Time or BinlogColumnType.Time2,
        "datetime" => type is BinlogColumnType.DateTime or BinlogColumnType.DateTime2,
        "timestamp" => type is BinlogColumnType.Timestamp or BinlogColumnType.Timestamp2,
        "bit" => type == BinlogColumnType.Bit,
        "varchar" or "varbinary" => type is BinlogColumnType.VarChar or BinlogColumnType.VarString,
        "char" or "binary" or "enum" or "set" or "uuid" or "inet4" or "inet6" => type is BinlogColumnType.String or BinlogColumnType.Enum or BinlogColumnType.Set,
        "tinytext" or "text" or "mediumtext" or "longtext" or "tinyblob" or "blob" or "mediumblob" or "longblob" => type == BinlogColumnType.Blob,
        "json" => type is BinlogColumnType.Blob or BinlogColumnType.Json,
        "geometry" or "point" or "linestring" or "polygon" or "multipoint" or "multilinestring" or "multipolygon" or "geometrycollection" => type == BinlogColumnType.Geometry,
        _ => false,
    };

    /// <summary>
    /// Reads one row image at <paramref name="reader"/>'s position into <paramref name="values"/> (one per column;
    /// columns absent from the image stay null).
    /// </summary>
    public void ReadRow(PacketReader reader, TableMapEvent map, BitArray present, object?[] values)
    {
        Array.Clear(values);
        int presentCount = 0;
        for (int i = 0; i < present.Length; i++)
        {
            presentCount += present[i] ? 1 : 0;
        }

        var nulls = new BitArray(reader.ReadBytes((presentCount + 7) / 8).ToArray());
        int index = 0;
        for (int i = 0; i < present.Length; i++)
        {
            if (!present[i])
            {
                continue;
            }

            if (!nulls[index++])
            {
                values[i] = ReadValue(reader, map.Types[i], map.Metadata[i], columns[i]);
            }
        }
    }

    private object ReadValue(PacketReader reader, byte type, int meta, BinlogColumn column)
    {
        switch (type)
        {
            case BinlogColumnType.Tiny:
                return column.Unsigned ? (long)reader.ReadByte() : (long)(sbyte)reader.ReadByte();
            case BinlogColumnType.Short:
                return column.Unsigned ? (long)reader.ReadUInt16() : (long)(short)reader.ReadUInt16();
            case BinlogColumnType.Int24:
                uint medium = reader.ReadUInt24();
                return column.Unsigned ? (long)medium : (long)((int)(medium << 8) >> 8);
            case BinlogColumnType.Long:
                return column.Unsigned ? (long)reader.ReadUInt32() : (long)(int)reader.ReadUInt32();
            case BinlogColumnType.LongLong:
                ulong big = reader.ReadUInt64();
                return column.Unsigned ? (object)(decimal)big : (long)big;
            case BinlogColumnType.Float:
                return (double)BitConverter.Int32BitsToSingle((int)reader.ReadUInt32());
            case BinlogColumnType.Double:
                return BitConverter.Int64BitsToDouble((long)reader.ReadUInt64());
            case BinlogColumnType.Year:
                byte year = reader.ReadByte();
                return year == 0 ? 0L : 1900L + year;
            case BinlogColumnType.NewDecimal:
                string number = ReadDecimal(reader, meta & 0xFF, meta >> 8);
                return column.Plan.Kind == ValueKind.Decimal ? decimal.Parse(number, NumberStyles.Number, CultureInfo.InvariantCulture) : number;
            case BinlogColumnType.Bit:
                int bitBytes = (meta >> 8) + ((meta & 0xFF) > 0 ? 1 : 0);
                return (decimal)ReadBigEndian(reader.ReadBytes(bitBytes));
            case BinlogColumnType.Date:
                uint date = reader.ReadUInt24();
                return ToDate((int)(date >> 9), (int)((date >> 5) & 15), (int)(date & 31), column);
            case BinlogColumnType.Time:
                int hhmmss = (int)(reader.ReadUInt24() << 8) >> 8;
                int abs = Math.Abs(hhmmss);
                return TimeText(hhmmss < 0, abs / 10000, abs / 100 % 100, abs % 100, 0, 0);
            case BinlogColumnType.Time2:
                return ReadTime2(reader, meta);
            case BinlogColumnType.DateTime:
                ulong packed = reader.ReadUInt64();
                return ToDateTime((int)(packed / 10000000000), (int)(packed / 100000000 % 100), (int)(packed / 1000000 % 100), (int)(packed / 10000 % 100), (int)(packed / 100 % 100), (int)(packed % 100), 0, column);
            case BinlogColumnType.DateTime2:
                long intPart = (long)ReadBigEndian(reader.ReadBytes(5)) - 0x8000000000;
                int micros = ReadFraction(reader, meta);
                long ymd = intPart >> 17, hms = intPart % (1 << 17);
                return ToDateTime((int)(ymd >> 5) / 13, (int)(ymd >> 5) % 13, (int)(ymd % 32), (int)(hms >> 12), (int)((hms >> 6) % 64), (int)(hms % 64), micros, column);
            case BinlogColumnType.Timestamp:
                return DateTime.UnixEpoch.AddSeconds(reader.ReadUInt32());
            case BinlogColumnType.Timestamp2:
                uint seconds = BinaryPrimitives.ReadUInt32BigEndian(reader.ReadBytes(4));
                return DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(ReadFraction(reader, meta) * 10L);
            case BinlogColumnType.VarChar or BinlogColumnType.VarString:
                return Bytes(reader.ReadBytes(meta > 255 ? reader.ReadUInt16() : reader.ReadByte()), column);
            case BinlogColumnType.Blob:
                return Bytes(reader.ReadBytes(checked((int)reader.ReadUInt(meta))), column);
            case BinlogColumnType.Geometry:
                return geometryText(reader.ReadBytes(checked((int)reader.ReadUInt(meta))).ToArray());
            case BinlogColumnType.String or BinlogColumnType.Enum or BinlogColumnType.Set:
                return ReadString(reader, type, meta, column);
            case BinlogColumnType.Json:
                throw new BinlogProtocolException($"column '{column.Name}' holds MySQL's binary JSON, which the binlog reader does not decode (MariaDB's JSON is text and is read)");
            default:
                throw new BinlogProtocolException($"column '{column.Name}' has binlog type {type}, which the binlog reader does not decode");
        }
    }

    private object ReadString(PacketReader reader, byte type, int meta, BinlogColumn column)
    {
        int realType = type == BinlogColumnType.String ? meta >> 8 : type;
        int length = meta & 0xFF;
        if (type == BinlogColumnType.String && (realType & 0x30) != 0x30)
        {
            // Lengths above 255 keep their two high bits, inverted, in the real type's byte (MySQL bug 37426).
            length |= ((realType & 0x30) ^ 0x30) << 4;
            realType |= 0x30;
        }

        if (realType == BinlogColumnType.Enum)
        {
            int index = (int)reader.ReadUInt(length);
            // Index 0 is the empty string MariaDB stores for an invalid value.
            return index == 0 ? "" : column.Labels[index - 1];
        }

        if (realType == BinlogColumnType.Set)
        {
            ulong bits = reader.ReadUInt(length);
            var labels = new List<string>();
            for (int i = 0; i < column.Labels.Count; i++)
            {
                if ((bits & (1UL << i)) != 0)
                {
                    labels.Add(column.Labels[i]);
                }
            }

            return string.Join(',', labels);
        }

        ReadOnlySpan<byte> value = reader.ReadBytes(length > 255 ? reader.ReadUInt16() : reader.ReadByte());
        switch (column.DataType)
        {
            case "uuid":
                return UuidText(value);
            case "inet4":
                return new IPAddress(Padded(value, 4)).ToString();
            case "inet6":
                return new IPAddress(Padded(value, 16)).ToString();
            case "binary":
                // The binlog leaves out a BINARY value's trailing zero bytes; the column holds them.
                return Padded(value, (int)(column.OctetLength ?? value.Length));
            default:
                return Bytes(value, column);
        }
    }

    private static object Bytes(ReadOnlySpan<byte> value, BinlogColumn column) =>
        column.Encoding is null ? value.ToArray() : column.Encoding.GetString(value);

    private static byte[] Padded(ReadOnlySpan<byte> value, int length)
    {
        byte[] bytes = new byte[Math.Max(length, value.Length)];
        value.CopyTo(bytes);
        return bytes;
    }

    // MariaDB stores an RFC 4122 UUID (version 1 to 5, variant 1) with its segments swapped so that time-based ones
    // sort by time: in the record, clock_seq and node come first, then time_hi, time_mid and time_low. Others stay
    // in text order (sql/plugin/type_uuid, MDEV-29959).
    private static string UuidText(ReadOnlySpan<byte> stored)
    {
        byte[] record = Padded(stored, 16);
        int version = record[8] >> 4;
        bool swapped = version is >= 1 and <= 5 && (record[0] & 0xC0) == 0x80;
        byte[] text = swapped ? [.. record.AsSpan(12, 4), .. record.AsSpan(10, 2), .. record.AsSpan(8, 2), .. record.AsSpan(0, 2), .. record.AsSpan(2, 6)] : record;
        string hex = Convert.ToHexStringLower(text);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    private static ulong ReadBigEndian(ReadOnlySpan<byte> bytes)
    {
        ulong value = 0;
        foreach (byte b in bytes)
        {
            value = (value << 8) | b;
        }

        return value;
    }

    /// <summary>The fractional seconds after a TIME2, DATETIME2 or TIMESTAMP2, in microseconds.</summary>
    private static int ReadFraction(PacketReader reader, int precision) => precision switch
    {
        1 or 2 => reader.ReadByte() * 10000,
        3 or 4 => BinaryPrimitives.ReadUInt16BigEndian(reader.ReadBytes(2)) * 100,
        5 or 6 => (int)ReadBigEndian(reader.ReadBytes(3)),
        _ => 0,
    };

    private static string ReadTime2(PacketReader reader, int precision)
    {
        // As my_time_packed_from_binary: a 3-byte offset integer part, then the fraction; negative times borrow.
        long packed;
        switch (precision)
        {
            case 1 or 2 or 3 or 4:
                long intPart = (long)ReadBigEndian(reader.ReadBytes(3)) - 0x800000;
                int size = precision <= 2 ? 1 : 2;
                long frac = (long)ReadBigEndian(reader.ReadBytes(size));
                if (intPart < 0 && frac != 0)
                {
                    intPart++;
                    frac -= size == 1 ? 0x100 : 0x10000;
                }

                packed = (intPart << 24) + frac * (size == 1 ? 10000 : 100);
                break;
            case 5 or 6:
                packed = (long)ReadBigEndian(reader.ReadBytes(6)) - 0x800000000000;
                break;
            default:
                packed = ((long)ReadBigEndian(reader.ReadBytes(3)) - 0x800000) << 24;
                break;
        }

        bool negative = packed < 0;
        packed = Math.Abs(packed);
        long hms = packed >> 24;
        return TimeText(negative, (int)((hms >> 12) % (1 << 10)), (int)((hms >> 6) % (1 << 6)), (int)(hms % (1 << 6)), (int)(packed % (1 << 24)), precision);
    }

    private static string TimeText(bool negative, int hours, int minutes, int seconds, int micros, int precision)
    {
        string text = string.Create(CultureInfo.InvariantCulture, $"{(negative ? "-" : "")}{hours:00}:{minutes:00}:{seconds:00}");
        if (precision > 0)
        {
            text += "." + (micros / (int)Math.Pow(10, 6 - precision)).ToString("D" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }

        return text;
    }

    private static DateOnly ToDate(int year, int month, int day, BinlogColumn column) =>
        year > 0 && month > 0 && day > 0 ? new DateOnly(year, month, day) : throw ZeroDate(column);

    private static DateTime ToDateTime(int year, int month, int day, int hour, int minute, int second, int micros, BinlogColumn column) =>
        year > 0 && month > 0 && day > 0 ? new DateTime(year, month, day, hour, minute, second).AddTicks(micros * 10L) : throw ZeroDate(column);

    private static FormatException ZeroDate(BinlogColumn column) =>
        new($"column '{column.Name}' holds a zero or partial date, which has no DuckDB value");

    /// <summary>DECIMAL's binary form: groups of 9 digits in 4 bytes, the leftover digits in fewer, sign in the top bit.</summary>
    private static string ReadDecimal(PacketReader reader, int precision, int scale)
    {
        int integral = precision - scale;
        int intFull = integral / 9, intRest = integral % 9, fracFull = scale / 9, fracRest = scale % 9;
        int size = (intFull * 4) + s_digitBytes[intRest] + (fracFull * 4) + s_digitBytes[fracRest];
        byte[] bytes = reader.ReadBytes(size).ToArray();
        bool negative = (bytes[0] & 0x80) == 0;
        bytes[0] ^= 0x80;
        if (negative)
        {
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] ^= 0xFF;
            }
        }

        var text = new StringBuilder();
        int at = 0;
        void Group(int digits, bool pad)
        {
            int length = digits == 9 ? 4 : s_digitBytes[digits];
            ulong value = ReadBigEndian(bytes.AsSpan(at, length));
            at += length;
            text.Append(pad ? value.ToString("D" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture));
        }

        if (intRest > 0)
        {
            Group(intRest, pad: true);
        }

        for (int i = 0; i < intFull; i++)
        {
            Group(9, pad: true);
        }

        string whole = text.ToString().TrimStart('0');
        text.Clear();
        for (int i = 0; i < fracFull; i++)
        {
            Group(9, pad: true);
        }

        if (fracRest > 0)
        {
            Group(fracRest, pad: true);
        }

        string number = (whole.Length == 0 ? "0" : whole) + (scale > 0 ? "." + text : "");
        return negative ? "-" + number : number;
    }
}
