using System;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.ModelSql;

/// <summary>
/// Asks DuckDB's own parser for a model's statement tree (<c>json_serialize_sql</c>) and checks it is
/// exactly one SELECT. The whole file is sent, leading config comment included, so the parser's
/// positions are positions in the file.
/// </summary>
internal static class ModelSqlParser
{
    /// <summary>Parses the model; the returned element is the statement's <c>node</c> (a SELECT_NODE or SET_OPERATION_NODE).</summary>
    public static async Task<JsonElement> ParseAsync(DuckDbConnection connection, ModelDefinition model, SqlText text, CancellationToken cancellationToken)
    {
        string json;
        using (DuckDbCommand command = connection.CreateCommand())
        {
            command.CommandText = "SELECT json_serialize_sql($1::VARCHAR)";
            command.Parameters.Add(new DuckDbParameter { Value = model.Sql });
            json = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        if (root.TryGetProperty("error", out JsonElement error) && error.GetBoolean())
        {
            throw ParseError(model, text, root);
        }

        JsonElement statements = root.GetProperty("statements");
        if (statements.GetArrayLength() == 0)
        {
            throw Invalid(model, text.FirstToken(), $"model {model.Name} has no SQL. Expected a single SELECT statement after the config block.");
        }

        if (statements.GetArrayLength() > 1)
        {
            long second = MinLocation(statements[1]);
            SourceLocation location = second == long.MaxValue ? text.FirstToken() : text.LocationOfByte(second);
            throw Invalid(model, location, $"model {model.Name} has {statements.GetArrayLength()} statements. Expected a single SELECT.\nHelp: move each other query into its own model file.");
        }

        return statements[0].GetProperty("node").Clone();
    }

    private static MedallionException ParseError(ModelDefinition model, SqlText text, JsonElement root)
    {
        string type = root.TryGetProperty("error_type", out JsonElement t) ? t.GetString() ?? string.Empty : string.Empty;
        string message = root.TryGetProperty("error_message", out JsonElement m) ? m.GetString() ?? string.Empty : string.Empty;
        int newline = message.IndexOf('\n', StringComparison.Ordinal);
        if (newline >= 0)
        {
            // "at or near" quotes the rest of the statement; its first line is enough.
            message = message[..newline] + "...\"";
        }

        if (type == "not implemented" && message.Contains("Only SELECT", StringComparison.Ordinal))
        {
            return Invalid(model, text.FirstToken(), $"model {model.Name} is not a SELECT. Expected a single SELECT (or WITH ... SELECT) statement.\nHelp: a model only reads; Medallion writes its result with the model's 'materialized' strategy.");
        }

        SourceLocation location = root.TryGetProperty("position", out JsonElement p) && long.TryParse(p.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long position)
            ? text.LocationOfByte(position)
            : text.FirstToken();
        return Invalid(model, location, $"the SQL of model {model.Name} does not parse: {message}. Expected a single SELECT statement.");
    }

    private static MedallionException Invalid(ModelDefinition model, SourceLocation location, string message) =>
        new(ErrorCode.ModelSqlInvalid, $"{location}: {message}", location: location);

    /// <summary>
    /// The statement tree as compact JSON without its positions (<c>query_location</c>): what the SQL says, whatever its
    /// layout and comments. Two texts that parse alike give the same string.
    /// </summary>
    internal static string Canonical(JsonElement node)
    {
        using var stream = new System.IO.MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            WriteWithoutPositions(node, writer);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteWithoutPositions(JsonElement element, Utf8JsonWriter writer)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    if (!property.NameEquals("query_location"))
                    {
                        writer.WritePropertyName(property.Name);
                        WriteWithoutPositions(property.Value, writer);
                    }
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (JsonElement item in element.EnumerateArray())
                {
                    WriteWithoutPositions(item, writer);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    /// <summary>The smallest known <c>query_location</c> in a tree (DuckDB writes 2^64-1 for unknown).</summary>
    internal static long MinLocation(JsonElement element)
    {
        long min = long.MaxValue;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    if (property.NameEquals("query_location") && property.Value.TryGetInt64(out long location))
                    {
                        min = Math.Min(min, location);
                    }
                    else
                    {
                        min = Math.Min(min, MinLocation(property.Value));
                    }
                }

                break;
            case JsonValueKind.Array:
                min = element.EnumerateArray().Select(MinLocation).DefaultIfEmpty(long.MaxValue).Min();
                break;
        }

        return min;
    }
}
