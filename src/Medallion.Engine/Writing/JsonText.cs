using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using Medallion.Delta.Transactions;

namespace Medallion.Engine.Writing;

/// <summary>Small JSON texts for commitInfo parameters and schema metadata, without reflection-based serialization (trim/AOT safe), readable as the log is.</summary>
internal static class JsonText
{
    public static string StringArray(IEnumerable<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, ActionSerializer.WriterOptions))
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
        using (var w = new Utf8JsonWriter(buffer, ActionSerializer.WriterOptions))
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
