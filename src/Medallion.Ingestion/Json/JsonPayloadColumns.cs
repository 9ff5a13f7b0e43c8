using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Ingestion.Json;

/// <summary>A projection of JSON objects held as text: <see cref="Columns"/> (each followed by a comma, or empty) selected from <see cref="Source"/>.</summary>
internal sealed record JsonProjection(string Columns, string Source);

/// <summary>
/// Turns JSON objects held as text in a column of a DuckDB table into a column per top-level field, with DuckDB's own
/// JSON functions, so nothing is parsed or rewritten in .NET: one pass merges the objects' structures
/// (<c>json_group_structure</c>), a second (only when there are text or unsigned fields) checks which text fields hold
/// only ISO 8601 dates or timestamps and which unsigned integers fit a BIGINT, and the projection extracts every field
/// with one parse per row (<c>json_transform</c>).
/// </summary>
/// <remarks>
/// Types follow DuckDB's <c>read_json</c> inference, as <see cref="JsonBatchTable"/> lands them: integers BIGINT (or
/// DECIMAL(20,0) beyond it), numbers DOUBLE, booleans BOOLEAN, text of dates (<c>2026-11-23</c>) DATE, text of
/// timestamps without an offset or with <c>Z</c> TIMESTAMP, other text VARCHAR; nested objects and arrays, and fields
/// whose values disagree in type, land as text (JSON text, as DuckDB writes it, for nested values). Fields spelled in
/// several cases are one text column. Names in <c>reserved</c> are left out. Types are kept across batches by
/// <see cref="JsonColumnTypes"/>. Not thread-safe; owned by one stream.
/// </remarks>
internal sealed class JsonPayloadColumns
{
    private const string PayloadAlias = "__payload";
    private const string DatePattern = @"\d{4}-\d{2}-\d{2}";
    private const string TimestampPattern = @"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z?";

    private readonly HashSet<string> _reserved;
    private readonly JsonColumnTypes _types = new();

    /// <param name="reserved">Names of columns the caller adds itself: payload fields of these names (any case) are not kept.</param>
    public JsonPayloadColumns(IEnumerable<string> reserved) => _reserved = new HashSet<string>(reserved, StringComparer.OrdinalIgnoreCase);

    /// <summary>Records the type a column already has in the target table, so a batch of only nulls (or a text column) keeps it.</summary>
    public void Remember(string name, string duckType) => _types.Remember(name, duckType);

    /// <summary>
    /// The columns of the JSON objects in <paramref name="column"/> of <paramref name="table"/> (NULL where a row has
    /// none): every value that is not NULL must be a JSON object.
    /// </summary>
    /// <exception cref="DuckDbException">DuckDB cannot read the values (the caller words the error).</exception>
    public async Task<JsonProjection> ProjectAsync(DuckDbConnection connection, string table, string column, CancellationToken cancellationToken)
    {
        string value = DuckDbConnection.QuoteIdentifier(column);
        string? structure = await ScalarAsync(connection, $"SELECT CAST(json_group_structure(CAST({value} AS JSON)) AS VARCHAR) FROM {table} WHERE {value} IS NOT NULL", cancellationToken).ConfigureAwait(false);
        List<Field> fields = structure is null ? [] : Fields(structure);
        if (fields.Count == 0)
        {
            return new JsonProjection(string.Empty, table);
        }

        await CheckTextAndUnsignedAsync(connection, table, value, fields, cancellationToken).ConfigureAwait(false);
        var transform = new Dictionary<string, string>(StringComparer.Ordinal);
        var columns = new StringBuilder();
        foreach (Field f in fields)
        {
            string type = _types.TypeFor(f.Name, f.Inferred);
            string name = DuckDbConnection.QuoteIdentifier(f.Name);
            if (f.Spellings.Count > 1)
            {
                // A struct cannot hold two fields whose names differ only in case, so these are read one by one, as text.
                columns.Append("CAST(coalesce(");
                for (int i = 0; i < f.Spellings.Count; i++)
                {
                    columns.Append(i == 0 ? string.Empty : ", ").Append("json_extract_string(").Append(value).Append(", ").Append(DuckDbConnection.QuoteLiteral(Path(f.Spellings[i]))).Append(')');
                }

                columns.Append(") AS ").Append(type).Append(") AS ").Append(name).Append(", ");
                continue;
            }

            transform[f.Name] = type;
            columns.Append(PayloadAlias).Append('.').Append(name).Append(" AS ").Append(name).Append(", ");
        }

        string source = transform.Count == 0
            ? table
            : $"(SELECT json_transform({value}, {DuckDbConnection.QuoteLiteral(Structure(transform))}) AS {PayloadAlias}, * FROM {table})";
        return new JsonProjection(columns.ToString(), source);
    }

    /// <summary>The top-level fields of a merged structure, in order, with the type the structure gives each (text for nested ones).</summary>
    private List<Field> Fields(string structure)
    {
        var fields = new List<Field>();
        var byName = new Dictionary<string, Field>(StringComparer.OrdinalIgnoreCase);
        using JsonDocument document = JsonDocument.Parse(structure);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return fields;
        }

        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            if (_reserved.Contains(property.Name))
            {
                continue;
            }

            string inferred = property.Value.ValueKind == JsonValueKind.String
                ? property.Value.GetString()!.ToUpperInvariant() switch
                {
                    "BIGINT" or "DOUBLE" or "BOOLEAN" or "UBIGINT" or "VARCHAR" or "NULL" => property.Value.GetString()!.ToUpperInvariant(),
                    _ => "VARCHAR",
                }
                : "VARCHAR";
            if (byName.TryGetValue(property.Name, out Field? earlier))
            {
                earlier.Spellings.Add(property.Name);
                earlier.Inferred = "VARCHAR";
                continue;
            }

            var field = new Field(property.Name, inferred);
            byName[property.Name] = field;
            fields.Add(field);
        }

        return fields;
    }

    /// <summary>
    /// Narrows text fields to DATE or TIMESTAMP when every value is one, and unsigned integer fields to BIGINT when every
    /// value fits (else DECIMAL(20,0), which holds them all): one pass over the rows for all of them.
    /// </summary>
    private static async Task CheckTextAndUnsignedAsync(DuckDbConnection connection, string table, string value, List<Field> fields, CancellationToken cancellationToken)
    {
        var checkedFields = new List<Field>();
        var transform = new Dictionary<string, string>(StringComparer.Ordinal);
        var tests = new StringBuilder();
        foreach (Field f in fields)
        {
            if (f.Spellings.Count > 1 || f.Inferred is not ("VARCHAR" or "UBIGINT"))
            {
                continue;
            }

            string x = $"{PayloadAlias}.{DuckDbConnection.QuoteIdentifier(f.Name)}";
            transform[f.Name] = f.Inferred;
            checkedFields.Add(f);
            tests.Append(tests.Length == 0 ? string.Empty : ", ");
            if (f.Inferred == "UBIGINT")
            {
                tests.Append($"coalesce(bool_and({x} <= 9223372036854775807), true), false");
            }
            else
            {
                tests.Append($"coalesce(bool_and({x} IS NULL OR (regexp_full_match({x}, '{DatePattern}') AND TRY_CAST({x} AS DATE) IS NOT NULL)), false), ")
                    .Append($"coalesce(bool_and({x} IS NULL OR (regexp_full_match({x}, '{TimestampPattern}') AND TRY_CAST({x} AS TIMESTAMP) IS NOT NULL)), false)");
            }
        }

        if (checkedFields.Count == 0)
        {
            return;
        }

        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT {tests} FROM (SELECT json_transform({value}, {DuckDbConnection.QuoteLiteral(Structure(transform))}) AS {PayloadAlias} FROM {table} WHERE {value} IS NOT NULL)";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            for (int i = 0; i < checkedFields.Count; i++)
            {
                Field f = checkedFields[i];
                bool first = reader.GetBoolean(2 * i), second = reader.GetBoolean(2 * i + 1);
                f.Inferred = f.Inferred == "UBIGINT"
                    ? (first ? "BIGINT" : "DECIMAL(20,0)")
                    : first ? "DATE" : second ? "TIMESTAMP" : "VARCHAR";
            }
        }
    }

    /// <summary>A <c>json_transform</c> structure: a JSON object of field names and DuckDB types.</summary>
    private static string Structure(Dictionary<string, string> types)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach ((string name, string type) in types)
            {
                writer.WriteString(name, type);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A JSON path to a top-level field of any name.</summary>
    private static string Path(string name) => "$.\"" + JsonEncodedText.Encode(name, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\"";

    private static async Task<string?> ScalarAsync(DuckDbConnection connection, string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    private sealed class Field(string name, string inferred)
    {
        public string Name { get; } = name;

        public string Inferred { get; set; } = inferred;

        public List<string> Spellings { get; } = [name];
    }
}
