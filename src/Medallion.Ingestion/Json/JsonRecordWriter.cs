using System;
using System.Collections.Generic;
using System.Text.Json;
using Medallion.Ingestion.Http;

namespace Medallion.Ingestion.Json;

/// <summary>
/// Writes one JSON record as one flat JSON object whose values are scalars only, so that DuckDB's JSON reader infers
/// one column per field: nested objects become JSON text or are flattened (<c>a.b</c> becomes <c>a_b</c>), arrays
/// always become JSON text (the exact text the source sent).
/// </summary>
internal static class JsonRecordWriter
{
    /// <summary>Writes the properties of <paramref name="record"/> (an object) under <paramref name="prefix"/>; a name already written is skipped (the first spelling wins).</summary>
    public static void WriteProperties(Utf8JsonWriter writer, JsonElement record, NestedJson nested, string prefix, HashSet<string> written)
    {
        foreach (JsonProperty property in record.EnumerateObject())
        {
            string name = prefix + property.Name;
            if (property.Value.ValueKind == JsonValueKind.Object && nested == NestedJson.Flatten)
            {
                WriteProperties(writer, property.Value, nested, name + "_", written);
                continue;
            }

            if (written.Add(name))
            {
                writer.WritePropertyName(name);
                WriteValue(writer, property.Value);
            }
        }
    }

    public static void WriteValue(Utf8JsonWriter writer, JsonElement value)
    {
        if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
        {
            writer.WriteStringValue(value.GetRawText());
        }
        else
        {
            value.WriteTo(writer);
        }
    }

    /// <summary>The value's text as a position or cursor keeps it: a string's content, a number's literal, null for null.</summary>
    public static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.GetRawText(),
    };

    /// <summary>Finds a dotted path (<c>data.items</c>) in <paramref name="root"/>; the empty path is the root itself.</summary>
    public static bool TryFind(JsonElement root, string path, out JsonElement found, out string missingAt)
    {
        found = root;
        missingAt = string.Empty;
        if (path.Length == 0)
        {
            return true;
        }

        string walked = string.Empty;
        foreach (string part in path.Split('.'))
        {
            walked = walked.Length == 0 ? part : walked + "." + part;
            if (found.ValueKind != JsonValueKind.Object || !found.TryGetProperty(part, out JsonElement next))
            {
                missingAt = walked;
                return false;
            }

            found = next;
        }

        return true;
    }

    /// <summary>The property names of an object (for messages), or its kind when it is not one.</summary>
    public static string Describe(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return "it is " + Kind(element.ValueKind);
        }

        var names = new List<string>();
        foreach (JsonProperty property in element.EnumerateObject())
        {
            names.Add(property.Name);
        }

        return names.Count == 0 ? "it is an empty object" : "it has " + string.Join(", ", names);
    }

    public static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>Compares two cursor texts: as numbers when both are numbers, else ordinally (ISO-8601 times order that way).</summary>
    public static int CompareCursor(string a, string b) =>
        decimal.TryParse(a, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out decimal x)
        && decimal.TryParse(b, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out decimal y)
            ? x.CompareTo(y)
            : string.CompareOrdinal(a, b);

    /// <summary>The first sentence of a JSON parser error, without its position (callers give it 1-based).</summary>
    public static string JsonProblem(JsonException e) => e.Message.Split(" LineNumber", 2)[0].Split(". ", 2)[0].TrimEnd('.', ' ');
}
