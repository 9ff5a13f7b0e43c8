using System;
using System.Collections.Generic;
using System.Globalization;
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
/// JSON functions, so nothing is parsed or rewritten in .NET: one cheap pass finds the field names (the distinct
/// <c>json_keys</c> lists), a second infers each field's type (<c>json_type</c> of every value, and whether text values
/// are all ISO 8601 dates or timestamps), and the projection extracts every field with one parse per row
/// (<c>json_transform</c>).
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
        List<Field> fields = await FieldsAsync(connection, table, value, cancellationToken).ConfigureAwait(false);
        if (fields.Count == 0)
        {
            return new JsonProjection(string.Empty, table);
        }

        await InferAsync(connection, table, value, fields, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The top-level field names, in the order the rows first give them: from the distinct key lists
    /// (<c>json_keys</c>), which a topic's messages mostly share, so the grouping is cheap.
    /// </summary>
    private async Task<List<Field>> FieldsAsync(DuckDbConnection connection, string table, string value, CancellationToken cancellationToken)
    {
        var fields = new List<Field>();
        var byName = new Dictionary<string, Field>(StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT keys FROM (SELECT CAST(to_json(json_keys({value})) AS VARCHAR) AS keys, min(rowid) AS first FROM {table} WHERE {value} IS NOT NULL GROUP BY keys) ORDER BY first";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                using JsonDocument keys = JsonDocument.Parse(reader.GetString(0));
                foreach (JsonElement key in keys.RootElement.EnumerateArray())
                {
                    string name = key.GetString()!;
                    if (_reserved.Contains(name) || !seen.Add(name))
                    {
                        continue;
                    }

                    if (byName.TryGetValue(name, out Field? earlier))
                    {
                        earlier.Spellings.Add(name);
                        earlier.Inferred = "VARCHAR";
                        continue;
                    }

                    var field = new Field(name, "NULL");
                    byName[name] = field;
                    fields.Add(field);
                }
            }
        }

        return fields;
    }

    /// <summary>
    /// Infers each field's type in one pass over the rows: which JSON types its values have (<c>json_type</c>), whether
    /// its text values are all dates or all timestamps, and whether its unsigned integers fit a BIGINT.
    /// </summary>
    /// <remarks>
    /// Integers and numbers together are DOUBLE; unsigned integers beyond BIGINT DECIMAL(20,0); any other mix, nested
    /// values included, text. (DuckDB's <c>json_group_structure</c> says the same but costs several times more.)
    /// </remarks>
    private static async Task InferAsync(DuckDbConnection connection, string table, string value, List<Field> fields, CancellationToken cancellationToken)
    {
        var single = fields.FindAll(f => f.Spellings.Count == 1);
        if (single.Count == 0)
        {
            return;
        }

        var extract = new StringBuilder();
        var tests = new StringBuilder();
        var transform = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < single.Count; i++)
        {
            string v = "v" + i.ToString(CultureInfo.InvariantCulture), t = "t" + i.ToString(CultureInfo.InvariantCulture);
            string text = $"({v} ->> '$')";
            transform[single[i].Name] = "JSON";
            extract.Append(i == 0 ? string.Empty : ", ").Append($"{PayloadAlias}.{DuckDbConnection.QuoteIdentifier(single[i].Name)} AS {v}, coalesce(json_type({PayloadAlias}.{DuckDbConnection.QuoteIdentifier(single[i].Name)}), 'NULL') AS {t}");
            tests.Append(i == 0 ? string.Empty : ", ")
                .Append($"bit_or(CASE {t} WHEN 'NULL' THEN 0 WHEN 'BOOLEAN' THEN {BooleanBit} WHEN 'BIGINT' THEN {IntegerBit} WHEN 'UBIGINT' THEN {UnsignedBit} WHEN 'DOUBLE' THEN {DoubleBit} WHEN 'VARCHAR' THEN {TextBit} ELSE {OtherBit} END), ")
                .Append($"coalesce(bool_and(CASE WHEN {t} = 'VARCHAR' THEN regexp_full_match({text}, '{DatePattern}') AND TRY_CAST({text} AS DATE) IS NOT NULL ELSE true END), false), ")
                .Append($"coalesce(bool_and(CASE WHEN {t} = 'VARCHAR' THEN regexp_full_match({text}, '{TimestampPattern}') AND TRY_CAST({text} AS TIMESTAMP) IS NOT NULL ELSE true END), false), ")
                .Append($"coalesce(bool_and(CASE WHEN {t} = 'UBIGINT' THEN TRY_CAST({v} AS UBIGINT) <= 9223372036854775807 ELSE true END), true)");
        }

        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT {tests} FROM (SELECT {extract} FROM (SELECT json_transform({value}, {DuckDbConnection.QuoteLiteral(Structure(transform))}) AS {PayloadAlias} FROM {table} WHERE {value} IS NOT NULL))";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            for (int i = 0; i < single.Count; i++)
            {
                long kinds = reader.IsDBNull(4 * i) ? 0 : Convert.ToInt64(reader.GetValue(4 * i), CultureInfo.InvariantCulture);
                bool dates = reader.GetBoolean(4 * i + 1), timestamps = reader.GetBoolean(4 * i + 2), fitsBigint = reader.GetBoolean(4 * i + 3);
                single[i].Inferred = kinds switch
                {
                    0 => "NULL",
                    BooleanBit => "BOOLEAN",
                    TextBit => dates ? "DATE" : timestamps ? "TIMESTAMP" : "VARCHAR",
                    _ when (kinds & ~(IntegerBit | UnsignedBit)) == 0 => fitsBigint ? "BIGINT" : "DECIMAL(20,0)",
                    _ when (kinds & ~(IntegerBit | UnsignedBit | DoubleBit)) == 0 => "DOUBLE",
                    _ => "VARCHAR",
                };
            }
        }
    }

    private const int BooleanBit = 1, IntegerBit = 2, UnsignedBit = 4, DoubleBit = 8, TextBit = 16, OtherBit = 32;

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

    private sealed class Field(string name, string inferred)
    {
        public string Name { get; } = name;

        public string Inferred { get; set; } = inferred;

        public List<string> Spellings { get; } = [name];
    }
}
