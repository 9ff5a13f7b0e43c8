using System;
using System.Globalization;
using System.Text;

namespace Medallion.Delta.Schema;

/// <summary>
/// Parses serialized partition values (PROTOCOL.md "Partition Value Serialization") into .NET values:
/// <c>string</c>, <c>long</c>, <c>int</c>, <c>short</c>, <c>sbyte</c>, <c>float</c>, <c>double</c>,
/// <c>decimal</c>, <c>bool</c>, <c>DateOnly</c> (date), <c>DateTimeOffset</c> in UTC (timestamp),
/// <c>DateTime</c> of unspecified kind (timestamp_ntz) and <c>byte[]</c> (binary).
/// An absent value or an empty string is a null partition for every type.
/// </summary>
public static class PartitionValues
{
    private static readonly string[] s_timestampFormats =
    [
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFF", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFF",
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFK",
    ];

    /// <summary>Parses <paramref name="serialized"/> as a value of <paramref name="type"/>.</summary>
    /// <exception cref="FormatException">The text is not a valid value of the type.</exception>
    public static object? Parse(string? serialized, DeltaType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (string.IsNullOrEmpty(serialized))
        {
            return null;
        }

        CultureInfo inv = CultureInfo.InvariantCulture;
        switch (type)
        {
            case DecimalType:
                return decimal.Parse(serialized, NumberStyles.Float, inv);
            case PrimitiveType p:
                return p.Name switch
                {
                    "string" => serialized,
                    "long" => long.Parse(serialized, NumberStyles.Integer, inv),
                    "integer" => int.Parse(serialized, NumberStyles.Integer, inv),
                    "short" => short.Parse(serialized, NumberStyles.Integer, inv),
                    "byte" => sbyte.Parse(serialized, NumberStyles.Integer, inv),
                    "float" => float.Parse(serialized, NumberStyles.Float, inv),
                    "double" => double.Parse(serialized, NumberStyles.Float, inv),
                    "boolean" => ParseBoolean(serialized),
                    "date" => DateOnly.ParseExact(serialized, "yyyy-MM-dd", inv),
                    // Without a zone the spec says "the writer's zone"; we, like delta-rs and kernel-rs, take UTC.
                    "timestamp" => DateTimeOffset.ParseExact(serialized, s_timestampFormats, inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                    "timestamp_ntz" => DateTime.SpecifyKind(DateTime.ParseExact(serialized, s_timestampFormats, inv, DateTimeStyles.None), DateTimeKind.Unspecified),
                    "binary" => Encoding.UTF8.GetBytes(serialized), // Spark writes the bytes decoded as UTF-8 text
                    _ => throw new FormatException($"a {p.Name} column cannot be a partition column"),
                };
            default:
                throw new FormatException($"a {type} column cannot be a partition column");
        }
    }

    private static bool ParseBoolean(string s) =>
        string.Equals(s, "true", StringComparison.OrdinalIgnoreCase) ? true
        : string.Equals(s, "false", StringComparison.OrdinalIgnoreCase) ? false
        : throw new FormatException($"'{s}' is not true or false");
}
