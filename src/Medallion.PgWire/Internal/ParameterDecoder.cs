using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Medallion.DuckDb;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>
/// Turns Bind parameter values into .NET values DuckDB binds. Text values of an unknown or textual
/// type stay strings: DuckDB casts them to the type it inferred for the parameter, as PostgreSQL
/// does with an untyped literal.
/// </summary>
internal static class ParameterDecoder
{
    public static object? Decode(byte[]? value, bool binary, int typeOid)
    {
        if (value is null)
        {
            return null;
        }

        PgType? type = PgType.FromOid(typeOid);
        try
        {
            return binary ? DecodeBinary(value, type, typeOid) : DecodeText(Encoding.UTF8.GetString(value), type);
        }
        catch (Exception error) when (error is FormatException or OverflowException or ArgumentException or IndexOutOfRangeException)
        {
            string typeName = type?.Name ?? typeOid.ToString(CultureInfo.InvariantCulture);
            throw new PgWireException(ErrorCode.PgWireStatementFailed, binary ? SqlState.InvalidBinaryRepresentation : SqlState.InvalidTextRepresentation,
                $"invalid {(binary ? "binary" : "text")} value for a parameter of type {typeName}", error);
        }
    }

    private static object DecodeText(string text, PgType? type) => type?.Kind switch
    {
        PgTypeKind.Bool => ParseBool(text),
        PgTypeKind.Int2 => short.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture),
        PgTypeKind.Int4 when type.Oid == PgType.OidType.Oid => uint.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture),
        PgTypeKind.Int4 => int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture),
        PgTypeKind.Int8 => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture),
        PgTypeKind.Float4 => float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        PgTypeKind.Float8 => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        PgTypeKind.Uuid => Guid.Parse(text, CultureInfo.InvariantCulture),
        PgTypeKind.Bytea when text.StartsWith("\\x", StringComparison.Ordinal) => Convert.FromHexString(text.AsSpan(2)),
        _ => text,
    };

    private static bool ParseBool(string text) => text.Trim().ToUpperInvariant() switch
    {
        "T" or "TRUE" or "Y" or "YES" or "ON" or "1" => true,
        "F" or "FALSE" or "N" or "NO" or "OFF" or "0" => false,
        _ => throw new FormatException($"invalid input syntax for type boolean: \"{text}\""),
    };

    private static object DecodeBinary(byte[] value, PgType? type, int typeOid)
    {
        ReadOnlySpan<byte> data = value;
        switch (type?.Kind)
        {
            case PgTypeKind.Bool:
                return Exactly(data, 1)[0] != 0;
            case PgTypeKind.Int2:
                return BinaryPrimitives.ReadInt16BigEndian(Exactly(data, 2));
            case PgTypeKind.Int4 when typeOid == PgType.OidType.Oid:
                return BinaryPrimitives.ReadUInt32BigEndian(Exactly(data, 4));
            case PgTypeKind.Int4:
                return BinaryPrimitives.ReadInt32BigEndian(Exactly(data, 4));
            case PgTypeKind.Int8:
                return BinaryPrimitives.ReadInt64BigEndian(Exactly(data, 8));
            case PgTypeKind.Float4:
                return BinaryPrimitives.ReadSingleBigEndian(Exactly(data, 4));
            case PgTypeKind.Float8:
                return BinaryPrimitives.ReadDoubleBigEndian(Exactly(data, 8));
            case PgTypeKind.Numeric:
                string numeric = ReadNumeric(data);
                return decimal.TryParse(numeric, NumberStyles.Number, CultureInfo.InvariantCulture, out decimal exact) ? exact : numeric;
            case PgTypeKind.Text:
                return Encoding.UTF8.GetString(data);
            case PgTypeKind.Json:
                // jsonb's binary form starts with a version byte (1); json's is the text itself.
                return typeOid == PgType.Jsonb.Oid ? Encoding.UTF8.GetString(data[1..]) : Encoding.UTF8.GetString(data);
            case PgTypeKind.Bytea:
                return value;
            case PgTypeKind.Date:
                int days = BinaryPrimitives.ReadInt32BigEndian(Exactly(data, 4));
                return days switch
                {
                    int.MaxValue => "infinity",
                    int.MinValue => "-infinity",
                    _ => DateOnly.FromDateTime(DateTime.UnixEpoch).AddDays(days + PgEpoch.Days),
                };
            case PgTypeKind.Time:
                return new TimeOnly(BinaryPrimitives.ReadInt64BigEndian(Exactly(data, 8)) * 10);
            case PgTypeKind.Timestamp or PgTypeKind.TimestampTz:
                long micros = BinaryPrimitives.ReadInt64BigEndian(Exactly(data, 8));
                if (micros is long.MaxValue or long.MinValue)
                {
                    return micros > 0 ? "infinity" : "-infinity";
                }

                return new DateTime(DateTime.UnixEpoch.Ticks + ((micros + PgEpoch.Micros) * 10), type.Kind == PgTypeKind.TimestampTz ? DateTimeKind.Utc : DateTimeKind.Unspecified);
            case PgTypeKind.Interval:
                Exactly(data, 16);
                return new DuckDbInterval(BinaryPrimitives.ReadInt32BigEndian(data[12..]), BinaryPrimitives.ReadInt32BigEndian(data[8..]), BinaryPrimitives.ReadInt64BigEndian(data));
            case PgTypeKind.Uuid:
                return new Guid(Exactly(data, 16), bigEndian: true);
            default:
                throw new PgWireException(ErrorCode.PgWireStatementFailed, SqlState.FeatureNotSupported,
                    $"binary parameters of type OID {typeOid} are not supported. Help: send this parameter in text format.");
        }
    }

    /// <summary>numeric_send's layout back to text: int16 count, weight, sign, scale, then base-10000 digits.</summary>
    internal static string ReadNumeric(ReadOnlySpan<byte> data)
    {
        short count = BinaryPrimitives.ReadInt16BigEndian(data);
        short weight = BinaryPrimitives.ReadInt16BigEndian(data[2..]);
        ushort sign = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
        short scale = BinaryPrimitives.ReadInt16BigEndian(data[6..]);
        if (sign == 0xC000)
        {
            return "NaN";
        }

        if (data.Length != 8 + (2 * count) || count < 0 || scale < 0)
        {
            throw new FormatException("invalid numeric length");
        }

        var integer = new StringBuilder();
        var fraction = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            short digit = BinaryPrimitives.ReadInt16BigEndian(data[(8 + (2 * i))..]);
            if (digit is < 0 or > 9999)
            {
                throw new FormatException("invalid numeric digit");
            }

            string group = digit.ToString("D4", CultureInfo.InvariantCulture);
            int position = weight - i;
            if (position >= 0)
            {
                integer.Append(group);
            }
            else
            {
                if (fraction.Length == 0)
                {
                    fraction.Append('0', 4 * (-position - 1));
                }

                fraction.Append(group);
            }
        }

        if (count > 0 && weight >= count)
        {
            integer.Append('0', 4 * (weight - count + 1));
        }

        string integerText = integer.ToString().TrimStart('0');
        string fractionText = fraction.ToString().PadRight(scale, '0')[..scale];
        string text = (integerText.Length == 0 ? "0" : integerText) + (scale > 0 ? "." + fractionText : string.Empty);
        return sign == 0x4000 ? "-" + text : text;
    }

    private static ReadOnlySpan<byte> Exactly(ReadOnlySpan<byte> data, int length) =>
        data.Length == length ? data : throw new FormatException($"expected {length} bytes, got {data.Length}");
}
