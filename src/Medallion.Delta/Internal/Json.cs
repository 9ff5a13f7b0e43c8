using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace Medallion.Delta.Internal;

/// <summary>
/// Tolerant accessors over <see cref="JsonElement"/>: absent and JSON <c>null</c> are the same thing, and
/// unknown properties are ignored (the protocol requires readers to ignore unrecognised fields). Numbers
/// written as strings are accepted because some writers (and Parquet-to-JSON conversions) produce them.
/// </summary>
internal static class Json
{
    public static bool TryGet(this JsonElement e, string name, out JsonElement value)
    {
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    public static string? String(this JsonElement e, string name) =>
        e.TryGet(name, out JsonElement v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;

    public static long? Long(this JsonElement e, string name)
    {
        if (!e.TryGet(name, out JsonElement v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.Number => v.TryGetInt64(out long l) ? l : (long)v.GetDouble(),
            JsonValueKind.String => long.Parse(v.GetString()!, NumberStyles.Integer, CultureInfo.InvariantCulture),
            _ => throw new FormatException($"'{name}' is {v.ValueKind}, expected a number."),
        };
    }

    public static int? Int(this JsonElement e, string name) => e.Long(name) is long l ? checked((int)l) : null;

    public static bool? Bool(this JsonElement e, string name)
    {
        if (!e.TryGet(name, out JsonElement v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String => bool.Parse(v.GetString()!),
            _ => throw new FormatException($"'{name}' is {v.ValueKind}, expected true or false."),
        };
    }

    public static string RequiredString(this JsonElement e, string name) =>
        e.String(name) ?? throw new FormatException($"required field '{name}' is missing");

    public static long RequiredLong(this JsonElement e, string name) =>
        e.Long(name) ?? throw new FormatException($"required field '{name}' is missing");

    /// <summary>A string map; JSON <c>null</c> values stay <see langword="null"/> (a null partition value).</summary>
    public static IReadOnlyDictionary<string, string?> StringMap(this JsonElement e, string name)
    {
        if (!e.TryGet(name, out JsonElement v))
        {
            return s_emptyMap;
        }

        var map = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (v.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty p in v.EnumerateObject())
            {
                map[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.String => p.Value.GetString(),
                    _ => p.Value.GetRawText(),
                };
            }
        }
        else if (v.ValueKind == JsonValueKind.Array)
        {
            // Some Parquet-to-JSON conversions render a MAP as [{"key":..,"value":..}].
            foreach (JsonElement kv in v.EnumerateArray())
            {
                map[kv.RequiredString("key")] = kv.String("value");
            }
        }

        return map;
    }

    public static IReadOnlyList<string>? StringList(this JsonElement e, string name)
    {
        if (!e.TryGet(name, out JsonElement v) || v.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var list = new List<string>(v.GetArrayLength());
        foreach (JsonElement item in v.EnumerateArray())
        {
            list.Add(item.GetString() ?? string.Empty);
        }

        return list;
    }

    private static readonly IReadOnlyDictionary<string, string?> s_emptyMap = new Dictionary<string, string?>();
}
