using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Platform.Json;

namespace Medallion.Server.Web;

/// <summary>
/// Rows read from a query (at most a limit), shown as an HTML table by locale or written as CSV. A list, struct or map
/// is kept as its JSON text (<c>[2,20]</c>, <c>{"id":2,"kind":"retail"}</c>), which people and programs both read.
/// </summary>
internal sealed class ResultTable
{
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private ResultTable(IReadOnlyList<string> columns, IReadOnlyList<string> types, IReadOnlyList<bool> numeric, List<object?[]> rows, bool truncated)
    {
        Columns = columns;
        Types = types;
        Numeric = numeric;
        Rows = rows;
        Truncated = truncated;
    }

    public IReadOnlyList<string> Columns { get; }

    public IReadOnlyList<string> Types { get; }

    /// <summary>Whether each column holds numbers: its header and cells align right, and a chart may draw it.</summary>
    public IReadOnlyList<bool> Numeric { get; }

    public List<object?[]> Rows { get; }

    /// <summary>Whether the query had more rows than the limit.</summary>
    public bool Truncated { get; }

    public static async Task<ResultTable> ReadAsync(DbDataReader reader, int limit, CancellationToken cancellationToken)
    {
        var columns = new string[reader.FieldCount];
        var types = new string[reader.FieldCount];
        var nested = new bool[reader.FieldCount];
        var numeric = new bool[reader.FieldCount];
        for (int i = 0; i < columns.Length; i++)
        {
            columns[i] = reader.GetName(i);
            types[i] = reader.GetDataTypeName(i);
            Type type = reader.GetFieldType(i);
            nested[i] = IsNested(type);
            numeric[i] = IsNumberType(type);
        }

        var rows = new List<object?[]>();
        bool truncated = false;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (rows.Count == limit)
            {
                truncated = true;
                break;
            }

            var row = new object?[columns.Length];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : nested[i] ? Json(reader.GetValue(i)) : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return new ResultTable(columns, types, numeric, rows, truncated);
    }

    public Markup ToHtml(PageContext page)
    {
        var html = new HtmlBuilder();
        html.Add(new Markup("<div class=\"scroll\"><table class=\"result\"><thead><tr>"));
        for (int i = 0; i < Columns.Count; i++)
        {
            html.Add($"<th title=\"{Types[i]}\"{(Numeric[i] ? new Markup(" class=\"num\"") : Markup.Empty)}>{Columns[i]}</th>");
        }

        html.Add(new Markup("</tr></thead><tbody>"));
        foreach (object?[] row in Rows)
        {
            html.Add(new Markup("<tr>"));
            foreach (object? value in row)
            {
                html.Add(value is null
                    ? new Markup("<td class=\"null\">NULL</td>")
                    // A number carries its invariant value too, for the chart to read whatever the page's locale.
                    : IsNumber(value) ? HtmlBuilder.Of($"<td class=\"num\" data-value=\"{Format(value, CultureInfo.InvariantCulture, grouping: false)}\">{Format(value, page.Culture)}</td>")
                    : HtmlBuilder.Of($"<td>{Format(value, page.Culture)}</td>"));
            }

            html.Add(new Markup("</tr>"));
        }

        html.Add(new Markup("</tbody></table></div>"));
        return html.ToMarkup();
    }

    /// <summary>
    /// RFC 4180 CSV: invariant numbers and ISO dates (a file is read by programs, not by a locale). A text cell a
    /// spreadsheet would run as a formula is written as text (<see cref="Inert"/>).
    /// </summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', Columns.Count == 0 ? [] : System.Linq.Enumerable.Select(Columns, column => Quote(Inert(column)))).Append("\r\n");
        foreach (object?[] row in Rows)
        {
            for (int i = 0; i < row.Length; i++)
            {
                if (i > 0)
                {
                    csv.Append(',');
                }

                object? value = row[i];
                csv.Append(value is null ? string.Empty
                    : IsNumber(value) ? Format(value, CultureInfo.InvariantCulture, grouping: false)
                    : Quote(Inert(Format(value, CultureInfo.InvariantCulture, grouping: false))));
            }

            csv.Append("\r\n");
        }

        return csv.ToString();
    }

    /// <summary>A value as text: numbers by locale (1.234,56 in pt-BR), times in ISO form.</summary>
    public static string Format(object value, CultureInfo culture, bool grouping = true) => value switch
    {
        byte or short or int or long or sbyte or ushort or uint or ulong or Int128 or UInt128 or System.Numerics.BigInteger => ((IFormattable)value).ToString(grouping ? "N0" : "0", culture),
        // A DECIMAL keeps its scale: 1234.50 reads 1,234.50 (1.234,50 in pt-BR), as an amount of money should.
        decimal d => d.ToString((grouping ? "N" : "F") + d.Scale.ToString(CultureInfo.InvariantCulture), culture),
        double d => d.ToString(grouping ? "#,##0.#########" : "R", culture),
        float f => f.ToString(grouping ? "#,##0.######" : "R", culture),
        DateTime t => t.ToString(t.TimeOfDay == TimeSpan.Zero && t.Kind != DateTimeKind.Utc ? "yyyy-MM-dd" : "yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFzzz", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        byte[] bytes => "\\x" + Convert.ToHexStringLower(bytes),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>Whether a column holds collections (LIST, ARRAY, STRUCT, MAP), whose values are kept as JSON.</summary>
    private static bool IsNested(Type type) => type != typeof(string) && type != typeof(byte[]) && typeof(System.Collections.IEnumerable).IsAssignableFrom(type);

    private static bool IsNumber(object value) => IsNumberType(value.GetType());

    private static bool IsNumberType(Type type) =>
        type == typeof(byte) || type == typeof(short) || type == typeof(int) || type == typeof(long) || type == typeof(sbyte) || type == typeof(ushort)
        || type == typeof(uint) || type == typeof(ulong) || type == typeof(Int128) || type == typeof(UInt128) || type == typeof(decimal)
        || type == typeof(double) || type == typeof(float) || type == typeof(System.Numerics.BigInteger);

    /// <summary>A list, struct or map as JSON, as <c>medallion sql --format json</c> writes it (<see cref="JsonValues"/>).</summary>
    private static string Json(object value)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, s_json))
        {
            JsonValues.Write(json, value);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Text that a spreadsheet opening the file would take for a formula (it starts with <c>=</c>, <c>+</c>, <c>-</c>,
    /// <c>@</c>, a tab or a carriage return, e.g. <c>=HYPERLINK("http://evil","x")</c>) with a <c>'</c> before it, so
    /// it is shown as the text it is (OWASP's advice on CSV injection). Numbers are written as they are, minus sign included.
    /// </summary>
    private static string Inert(string text) => text is ['=' or '+' or '-' or '@' or '\t' or '\r', ..] ? "'" + text : text;

    private static string Quote(string text) =>
        text.AsSpan().IndexOfAny("\",\r\n") < 0 ? text : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
