using System.Text.Json;

namespace Medallion.Server.Tests;

/// <summary>
/// Checks a JSON value against the subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that ASP.NET's document
/// generator writes: <c>$ref</c>, <c>type</c> (one or a list, with <c>null</c>), <c>properties</c>, <c>required</c>,
/// <c>items</c>, <c>enum</c>, <c>oneOf</c>/<c>anyOf</c> and <c>additionalProperties</c>.
/// </summary>
internal static class SchemaCheck
{
    public static IEnumerable<string> Validate(JsonElement document, JsonElement schema, JsonElement value, string at)
    {
        if (schema.TryGetProperty("$ref", out JsonElement reference))
        {
            JsonElement target = document;
            foreach (string part in reference.GetString()!.TrimStart('#', '/').Split('/'))
            {
                target = target.GetProperty(part);
            }

            foreach (string failure in Validate(document, target, value, at))
            {
                yield return failure;
            }

            yield break;
        }

        foreach (string keyword in new[] { "oneOf", "anyOf" })
        {
            if (schema.TryGetProperty(keyword, out JsonElement options))
            {
                if (!options.EnumerateArray().Any(option => !Validate(document, option, value, at).Any()))
                {
                    yield return $"{at}: {value.GetRawText()} matches none of the {keyword} schemas";
                }

                yield break;
            }
        }

        if (schema.TryGetProperty("type", out JsonElement type))
        {
            string[] allowed = type.ValueKind == JsonValueKind.Array ? [.. type.EnumerateArray().Select(t => t.GetString()!)] : [type.GetString()!];
            if (!allowed.Any(t => Matches(t, value)))
            {
                yield return $"{at}: {value.ValueKind} where the document says {string.Join(" or ", allowed)}";
                yield break;
            }
        }

        if (schema.TryGetProperty("enum", out JsonElement values) && !values.EnumerateArray().Any(v => v.GetRawText() == value.GetRawText()))
        {
            yield return $"{at}: {value.GetRawText()} is not one of {values.GetRawText()}";
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out JsonElement required))
            {
                foreach (JsonElement name in required.EnumerateArray())
                {
                    if (!value.TryGetProperty(name.GetString()!, out _))
                    {
                        yield return $"{at}: the required property {name.GetString()} is missing";
                    }
                }
            }

            schema.TryGetProperty("properties", out JsonElement properties);
            foreach (JsonProperty property in value.EnumerateObject())
            {
                if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out JsonElement propertySchema))
                {
                    foreach (string failure in Validate(document, propertySchema, property.Value, at + "." + property.Name))
                    {
                        yield return failure;
                    }
                }
                else if (schema.TryGetProperty("additionalProperties", out JsonElement additional) && additional.ValueKind == JsonValueKind.Object)
                {
                    foreach (string failure in Validate(document, additional, property.Value, at + "." + property.Name))
                    {
                        yield return failure;
                    }
                }
                else
                {
                    yield return $"{at}: the property {property.Name} is not in the document";
                }
            }
        }

        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out JsonElement items))
        {
            int index = 0;
            foreach (JsonElement item in value.EnumerateArray())
            {
                foreach (string failure in Validate(document, items, item, $"{at}[{index++}]"))
                {
                    yield return failure;
                }
            }
        }
    }

    private static bool Matches(string type, JsonElement value) => type switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number || (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, out _)),
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        _ => false,
    };
}
