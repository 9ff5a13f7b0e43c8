using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;

namespace Medallion.Catalog.Internal;

/// <summary>The few JSON shapes the catalog stores (string lists, name-to-version maps), written without reflection.</summary>
internal static class CatalogJson
{
    public static string WriteStrings(IReadOnlyList<string>? values)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            foreach (string value in values ?? [])
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static IReadOnlyList<string> ReadStrings(string json)
    {
        // Most tags lists are empty, and a search reads one per column of every table: skip the parser for those.
        if (json == "[]")
        {
            return [];
        }

        using JsonDocument document = JsonDocument.Parse(json);
        var values = new List<string>();
        foreach (JsonElement element in document.RootElement.EnumerateArray())
        {
            values.Add(element.GetString() ?? string.Empty);
        }

        return values;
    }

    public static string WriteVersions(IReadOnlyDictionary<string, long> versions)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (KeyValuePair<string, long> pair in versions)
            {
                writer.WriteNumber(pair.Key, pair.Value);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static IReadOnlyDictionary<string, long> ReadVersions(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        var versions = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            versions[property.Name] = property.Value.GetInt64();
        }

        return versions;
    }

    public static string WriteStringMap(IReadOnlyDictionary<string, string> values)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (KeyValuePair<string, string> pair in values)
            {
                writer.WriteString(pair.Key, pair.Value);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static IReadOnlyDictionary<string, string> ReadStringMap(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            values[property.Name] = property.Value.GetString() ?? string.Empty;
        }

        return values;
    }
}
