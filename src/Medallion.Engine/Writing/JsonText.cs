using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;

namespace Medallion.Engine.Writing;

/// <summary>Small JSON texts for commitInfo parameters and schema metadata, without reflection-based serialization (trim/AOT safe).</summary>
internal static class JsonText
{
    public static string StringArray(IEnumerable<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (string v in values)
            {
                w.WriteStringValue(v);
            }

            w.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string StringMap(IEnumerable<KeyValuePair<string, string?>> values)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach ((string k, string? v) in values)
            {
                w.WriteString(k, v);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static JsonElement Element(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    public static JsonElement String(string value) => Element(StringArray([value]))[0];
}
