using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using Medallion.Delta.Schema;
using Medallion.Engine;

namespace Medallion.Pipelines.Running;

/// <summary>
/// Spark's type names (as a Spark Connect schema gives them: <c>bigint</c>, <c>decimal(18,2)</c>, <c>timestamp</c>,
/// <c>array&lt;string&gt;</c>, <c>struct&lt;id:bigint&gt;</c>) as the DuckDB types Medallion reads those columns as, so a
/// Spark result is compared with a contract's DuckDB types: the Spark type is read as the Delta type Spark stores it as,
/// and that is written as DuckDB's (<see cref="DuckDbTypes.ToDuckDb"/>).
/// </summary>
internal static class SparkColumnTypes
{
    private static readonly IReadOnlyDictionary<string, JsonElement> s_noMetadata = new Dictionary<string, JsonElement>();

    /// <summary>The DuckDB type of <paramref name="sparkType"/>; null for a type Delta does not store (an interval, a UDT, a variant).</summary>
    public static string? ToDuckDb(string sparkType) => ToDelta(sparkType) is { } type ? DuckDbTypes.ToDuckDb(type) : null;

    /// <summary>The Delta type of a Spark type name; null when Delta has none.</summary>
    private static DeltaType? ToDelta(string sparkType)
    {
        string type = sparkType.Trim();
        if (Inner(type, "array") is { } element)
        {
            return ToDelta(element) is { } e ? new ArrayType(e, true) : null;
        }

        if (Inner(type, "map") is { } pair)
        {
            return TopLevel(pair, ',') is [string key, string value] && ToDelta(key) is { } k && ToDelta(value) is { } v ? new MapType(k, v, true) : null;
        }

        if (Inner(type, "struct") is { } members)
        {
            var fields = new List<StructField>();
            foreach (string member in TopLevel(members, ','))
            {
                int colon = member.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0 || ToDelta(member[(colon + 1)..]) is not { } fieldType)
                {
                    return null;
                }

                fields.Add(new StructField(member[..colon].Trim().Trim('`'), fieldType, true, s_noMetadata));
            }

            return new StructType(fields);
        }

        string lower = type.ToLowerInvariant();
        if (lower.StartsWith("decimal(", StringComparison.Ordinal) && lower.EndsWith(')') && lower[8..^1].Split(',') is [string p, string s]
            && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int precision) && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int scale))
        {
            return new DecimalType(precision, scale);
        }

        // Spark's char(n) and varchar(n) are strings in Delta's schema.
        return lower.StartsWith("char(", StringComparison.Ordinal) || lower.StartsWith("varchar(", StringComparison.Ordinal)
            ? PrimitiveType.String
            : lower switch
            {
                "bigint" => PrimitiveType.Long,
                "int" => PrimitiveType.Integer,
                "smallint" => PrimitiveType.Short,
                "tinyint" => PrimitiveType.Byte,
                "decimal" => new DecimalType(10, 0),
                "string" or "float" or "double" or "boolean" or "binary" or "date" or "timestamp" or "timestamp_ntz" => new PrimitiveType(lower),
                _ => null,
            };
    }

    /// <summary>The text inside <c>name&lt;...&gt;</c>; null when <paramref name="type"/> is not of that form.</summary>
    private static string? Inner(string type, string name) =>
        type.Length > name.Length + 2 && type.StartsWith(name + "<", StringComparison.OrdinalIgnoreCase) && type.EndsWith('>')
            ? type[(name.Length + 1)..^1]
            : null;

    /// <summary>The parts of <paramref name="text"/> between <paramref name="separator"/>s outside angle brackets and parentheses.</summary>
    private static List<string> TopLevel(string text, char separator)
    {
        var parts = new List<string>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            depth += text[i] is '<' or '(' ? 1 : text[i] is '>' or ')' ? -1 : 0;
            if (depth == 0 && text[i] == separator)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }
}
