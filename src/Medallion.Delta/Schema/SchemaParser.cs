using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace Medallion.Delta.Schema;

/// <summary>Parses Delta schema JSON (the <c>schemaString</c> of <c>metaData</c>).</summary>
public static class SchemaParser
{
    /// <summary>Parses a schema string; <paramref name="context"/> names the table for errors.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaCorruptLogFile"/> when the schema is not valid Delta schema JSON.</exception>
    public static StructType Parse(string schemaString, string context)
    {
        try
        {
            using var doc = JsonDocument.Parse(schemaString);
            return ParseType(doc.RootElement) as StructType
                ?? throw new FormatException("the top-level type is not a struct");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new MedallionException(ErrorCode.DeltaInvalidSchema,
                $"The schema of {context} is not valid Delta schema JSON: {e.Message}", e);
        }
    }

    private static DeltaType ParseType(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.String)
        {
            return ParsePrimitive(e.GetString()!);
        }

        string kind = e.GetProperty("type").GetString()!;
        switch (kind)
        {
            case "struct":
                var fields = new List<StructField>();
                foreach (JsonElement f in e.GetProperty("fields").EnumerateArray())
                {
                    var metadata = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                    if (f.TryGetProperty("metadata", out JsonElement m) && m.ValueKind == JsonValueKind.Object)
                    {
                        foreach (JsonProperty p in m.EnumerateObject())
                        {
                            metadata[p.Name] = p.Value.Clone();
                        }
                    }

                    bool nullable = !f.TryGetProperty("nullable", out JsonElement n) || n.ValueKind != JsonValueKind.False;
                    fields.Add(new StructField(f.GetProperty("name").GetString()!, ParseType(f.GetProperty("type")), nullable, metadata));
                }

                return new StructType(fields);
            case "array":
                return new ArrayType(ParseType(e.GetProperty("elementType")),
                    !e.TryGetProperty("containsNull", out JsonElement cn) || cn.ValueKind != JsonValueKind.False);
            case "map":
                return new MapType(ParseType(e.GetProperty("keyType")), ParseType(e.GetProperty("valueType")),
                    !e.TryGetProperty("valueContainsNull", out JsonElement vn) || vn.ValueKind != JsonValueKind.False);
            default:
                return ParsePrimitive(kind);
        }
    }

    private static DeltaType ParsePrimitive(string name)
    {
        if (name.StartsWith("decimal", StringComparison.Ordinal))
        {
            // "decimal" alone is Spark's decimal(10,0); otherwise "decimal(p,s)" with optional spaces.
            if (name == "decimal")
            {
                return new DecimalType(10, 0);
            }

            int open = name.IndexOf('(', StringComparison.Ordinal), comma = name.IndexOf(',', StringComparison.Ordinal), close = name.IndexOf(')', StringComparison.Ordinal);
            if (open < 0 || comma < open || close < comma)
            {
                throw new FormatException($"'{name}' is not a decimal type");
            }

            int precision = int.Parse(name.AsSpan(open + 1, comma - open - 1).Trim(), CultureInfo.InvariantCulture);
            int scale = int.Parse(name.AsSpan(comma + 1, close - comma - 1).Trim(), CultureInfo.InvariantCulture);
            if (precision is < 1 or > 38 || scale < 0 || scale > precision)
            {
                throw new FormatException($"'{name}' has an invalid precision or scale");
            }

            return new DecimalType(precision, scale);
        }

        if (!PrimitiveType.IsKnown(name))
        {
            throw new FormatException($"unknown type '{name}'");
        }

        return new PrimitiveType(name);
    }
}
