using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Medallion.Platform.Json;

namespace Medallion.Cli.Output;

/// <summary>
/// Writes a reader's current result in one of the <see cref="OutputFormat"/>s. CSV and JSON stream
/// row by row; table and Markdown hold the rows to align the columns.
/// </summary>
internal static class ResultWriter
{
    public static int Write(DbDataReader reader, OutputFormat format, TextWriter output, Stopwatch? elapsed = null) => format switch
    {
        OutputFormat.Csv => WriteCsv(reader, output),
        OutputFormat.Json => WriteJson(reader, output),
        OutputFormat.Markdown => WriteMarkdown(reader, output),
        _ => WriteTable(reader, output, elapsed),
    };

    private static string[] Names(DbDataReader reader) => Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();

    private static string Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? "NULL" : reader.GetString(ordinal);

    private static bool IsNumeric(Type type) =>
        type == typeof(sbyte) || type == typeof(short) || type == typeof(int) || type == typeof(long) || type == typeof(byte) ||
        type == typeof(ushort) || type == typeof(uint) || type == typeof(ulong) || type == typeof(Int128) || type == typeof(UInt128) ||
        type == typeof(float) || type == typeof(double) || type == typeof(decimal);

    private static int WriteTable(DbDataReader reader, TextWriter output, Stopwatch? elapsed)
    {
        string[] names = Names(reader);
        bool[] rightAligned = Enumerable.Range(0, names.Length).Select(i => IsNumeric(reader.GetFieldType(i))).ToArray();
        var rows = new List<string[]>();
        while (reader.Read())
        {
            var row = new string[names.Length];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = Text(reader, i).ReplaceLineEndings("↵");
            }

            rows.Add(row);
        }

        TextTable.Write(output, names, rightAligned, rows);

        string count = rows.Count == 1 ? "1 row" : rows.Count.ToString("N0", CultureInfo.InvariantCulture) + " rows";
        output.WriteLine(elapsed is null ? $"({count})" : $"({count}, {DurationText.Format(elapsed.Elapsed)})");
        return rows.Count;
    }

    private static int WriteMarkdown(DbDataReader reader, TextWriter output)
    {
        string[] names = Names(reader);
        output.WriteLine("| " + string.Join(" | ", names.Select(EscapeMarkdown)) + " |");
        output.WriteLine("|" + string.Join("|", names.Select((_, i) => IsNumeric(reader.GetFieldType(i)) ? "---:" : "---")) + "|");
        int count = 0;
        while (reader.Read())
        {
            output.WriteLine("| " + string.Join(" | ", Enumerable.Range(0, names.Length).Select(i => EscapeMarkdown(Text(reader, i)))) + " |");
            count++;
        }

        return count;
    }

    private static string EscapeMarkdown(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings("<br>");

    private static int WriteCsv(DbDataReader reader, TextWriter output)
    {
        string[] names = Names(reader);
        output.WriteLine(string.Join(",", names.Select(EscapeCsv)));
        int count = 0;
        var line = new StringBuilder();
        while (reader.Read())
        {
            line.Clear();
            for (int i = 0; i < names.Length; i++)
            {
                if (i > 0)
                {
                    line.Append(',');
                }

                if (!reader.IsDBNull(i))
                {
                    line.Append(EscapeCsv(reader.GetString(i)));
                }
            }

            output.WriteLine(line);
            count++;
        }

        return count;
    }

    private static string EscapeCsv(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static int WriteJson(DbDataReader reader, TextWriter output)
    {
        string[] names = Names(reader);
        using var buffer = new MemoryStream();
        int count = 0;
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            while (reader.Read())
            {
                json.WriteStartObject();
                for (int i = 0; i < names.Length; i++)
                {
                    json.WritePropertyName(names[i]);
                    JsonValues.WriteColumn(json, reader, i);
                }

                json.WriteEndObject();
                count++;
                if (buffer.Length > 1 << 16)
                {
                    json.Flush();
                    output.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
                    buffer.SetLength(0);
                }
            }

            json.WriteEndArray();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        return count;
    }
}
