using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Medallion.Delta.Schema;

namespace Medallion.Delta.Iceberg;

/// <summary>
/// A Delta statistic (a JSON value of <c>minValues</c>/<c>maxValues</c>) as Iceberg's single-value binary form for
/// <c>lower_bounds</c>/<c>upper_bounds</c> (Iceberg spec, Appendix D, "Binary single-value serialization"): little-endian
/// ints, longs, floats and doubles, days since the epoch, microseconds since the epoch, UTF-8 strings, and a decimal's
/// unscaled value as big-endian two's complement in the fewest bytes.
/// </summary>
internal static class SingleValue
{
    private static readonly DateTime s_epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The bound's bytes, or null when the statistic is absent, of another shape, or of a type Iceberg gets no bound for here.</summary>
    /// <param name="value">The statistic.</param>
    /// <param name="type">The column's Delta type.</param>
    /// <param name="upper">True for a maximum: a timestamp kept to milliseconds (as Spark keeps them) is widened to the last microsecond of its millisecond, so it still bounds the values it was cut from.</param>
    public static byte[]? Serialize(JsonElement value, DeltaType type, bool upper)
    {
        switch (type)
        {
            case DecimalType d when value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out decimal number):
                return Unscaled(number, d.Scale)?.ToByteArray(isUnsigned: false, isBigEndian: true);
            case PrimitiveType p:
                return Primitive(value, p.Name, upper);
            default:
                return null;
        }
    }

    private static byte[]? Primitive(JsonElement value, string type, bool upper)
    {
        switch (type)
        {
            case "byte" or "short" or "integer" when value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int i):
                var ints = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(ints, i);
                return ints;
            case "long" when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long l):
                return Long(l);
            case "float" when value.ValueKind == JsonValueKind.Number && value.TryGetSingle(out float f) && float.IsFinite(f):
                var floats = new byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(floats, f);
                return floats;
            case "double" when value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double x) && double.IsFinite(x):
                var doubles = new byte[8];
                BinaryPrimitives.WriteDoubleLittleEndian(doubles, x);
                return doubles;
            case "boolean" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return [value.GetBoolean() ? (byte)1 : (byte)0];
            case "string" when value.ValueKind == JsonValueKind.String:
                return Encoding.UTF8.GetBytes(value.GetString()!);
            case "date" when value.ValueKind == JsonValueKind.String
                && DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly day):
                var days = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(days, day.DayNumber - DateOnly.FromDateTime(s_epoch).DayNumber);
                return days;
            case "timestamp" or "timestamp_ntz" when value.ValueKind == JsonValueKind.String && Micros(value.GetString()!, upper) is long micros:
                return Long(micros);
            default:
                return null;
        }
    }

    /// <summary>Microseconds since the epoch of a Delta timestamp statistic (an instant with its offset, or a wall-clock time read as UTC).</summary>
    internal static long? Micros(string text, bool upper)
    {
        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime utc))
        {
            return null;
        }

        long micros = (utc.Ticks - s_epoch.Ticks) / 10;
        return upper && FractionDigits(text) <= 3 ? micros + 999 : micros;
    }

    private static int FractionDigits(string text)
    {
        int t = text.IndexOf('T', StringComparison.Ordinal);
        int dot = text.IndexOf('.', Math.Max(t, 0));
        if (dot < 0)
        {
            return 0;
        }

        int digits = 0;
        while (dot + 1 + digits < text.Length && char.IsAsciiDigit(text[dot + 1 + digits]))
        {
            digits++;
        }

        return digits;
    }

    private static BigInteger? Unscaled(decimal value, int scale)
    {
        try
        {
            decimal scaled = value;
            for (int i = 0; i < scale; i++)
            {
                scaled *= 10;
            }

            return decimal.Truncate(scaled) == scaled ? new BigInteger(scaled) : null;
        }
        catch (OverflowException)
        {
            // Past decimal's 28 digits: the bound is left out, which an Iceberg reader takes as unknown.
            return null;
        }
    }

    private static byte[] Long(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }
}
