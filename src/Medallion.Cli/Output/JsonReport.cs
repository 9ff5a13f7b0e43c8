using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Medallion.Cli.Output;

/// <summary>
/// Writes one indented JSON document to a command's output. Records (tables, runs, passes, jobs) are written with
/// <see cref="Medallion.Platform.Json.RecordJson"/>, as the REST API answers them; these helpers shape the other reports.
/// </summary>
internal static class JsonReport
{
    private static readonly JsonWriterOptions s_options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(TextWriter output, Action<Utf8JsonWriter> write) => Write(output, write, s_options);

    /// <summary>Writes one compact JSON document on a line of its own (JSON lines, for streams of events).</summary>
    public static void WriteLine(TextWriter output, Action<Utf8JsonWriter> write) => Write(output, write, s_options with { Indented = false });

    private static void Write(TextWriter output, Action<Utf8JsonWriter> write, JsonWriterOptions options)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            write(json);
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    public static void String(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    public static void Number(Utf8JsonWriter json, string name, long? value)
    {
        if (value is long number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    public static void Time(Utf8JsonWriter json, string name, DateTimeOffset? value) => String(json, name, value is { } time ? FormatTime(time) : null);

    public static void Strings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
