using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Medallion.DuckDb;

namespace Medallion.Platform.Json;

/// <summary>
/// Writes values as typed JSON: numbers as numbers (exact, even beyond double), NULL as null,
/// timestamps as ISO-8601 (<c>Z</c> for TIMESTAMPTZ), blobs as base64, lists as arrays,
/// structs and maps as objects, and JSON columns as the documents they hold. The CLI's <c>--format json</c> writes
/// rows so, and the web UI shows a list, struct or map so.
/// </summary>
public static class JsonValues
{
    /// <summary>Writes the value of column <paramref name="ordinal"/> of the reader's current row.</summary>
    /// <param name="json">The writer.</param>
    /// <param name="reader">A reader on a row.</param>
    /// <param name="ordinal">The column.</param>
    public static void WriteColumn(Utf8JsonWriter json, DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.IsDBNull(ordinal))
        {
            json.WriteNullValue();
            return;
        }

        Type type = reader.GetFieldType(ordinal);
        if (type == typeof(string) && reader.GetDataTypeName(ordinal) == "JSON")
        {
            // A JSON column holds a document DuckDB has validated: embed it, not a string of it.
            json.WriteRawValue(reader.GetString(ordinal));
        }
        else if (type == typeof(decimal) || type == typeof(Int128) || type == typeof(UInt128))
        {
            // Exact text: wide DECIMALs and HUGEINTs do not fit a double.
            json.WriteRawValue(reader.GetString(ordinal));
        }
        else if (type == typeof(DateTime) || type == typeof(DateOnly) || type == typeof(TimeOnly))
        {
            json.WriteStringValue(reader.GetString(ordinal));
        }
        else
        {
            Write(json, reader.GetValue(ordinal));
        }
    }

    /// <summary>Writes a value as a reader returns it (<see cref="DbDataReader.GetValue"/>), nested ones recursively.</summary>
    /// <param name="json">The writer.</param>
    /// <param name="value">The value; null or <see cref="DBNull"/> for NULL.</param>
    public static void Write(Utf8JsonWriter json, object? value)
    {
        ArgumentNullException.ThrowIfNull(json);
        switch (value)
        {
            case null or DBNull:
                json.WriteNullValue();
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case string s:
                json.WriteStringValue(s);
                break;
            case double d when !double.IsFinite(d):
                json.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                break;
            case float f when !float.IsFinite(f):
                json.WriteStringValue(f.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                json.WriteNumberValue(d);
                break;
            case float f:
                json.WriteNumberValue(f);
                break;
            case decimal m:
                json.WriteNumberValue(m);
                break;
            case sbyte or short or int or long:
                json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case byte or ushort or uint or ulong:
                json.WriteNumberValue(Convert.ToUInt64(value, CultureInfo.InvariantCulture));
                break;
            case Int128 or UInt128:
                json.WriteRawValue(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                break;
            case DateTime dateTime:
                json.WriteStringValue(dateTime.ToString(dateTime.Kind == DateTimeKind.Utc ? "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
                break;
            case DateOnly date:
                json.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            case TimeOnly time:
                json.WriteStringValue(time.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset offset:
                json.WriteStringValue(offset.ToString("O", CultureInfo.InvariantCulture));
                break;
            case Guid guid:
                json.WriteStringValue(guid.ToString("D"));
                break;
            case byte[] bytes:
                json.WriteBase64StringValue(bytes);
                break;
            case DuckDbInterval interval:
                json.WriteStringValue(interval.ToString());
                break;
            case IDictionary<string, object?> fields:
                json.WriteStartObject();
                foreach ((string key, object? field) in fields)
                {
                    json.WritePropertyName(key);
                    Write(json, field);
                }

                json.WriteEndObject();
                break;
            case IDictionary map:
                json.WriteStartObject();
                foreach (DictionaryEntry entry in map)
                {
                    json.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty);
                    Write(json, entry.Value);
                }

                json.WriteEndObject();
                break;
            case IEnumerable items:
                json.WriteStartArray();
                foreach (object? item in items)
                {
                    Write(json, item);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
