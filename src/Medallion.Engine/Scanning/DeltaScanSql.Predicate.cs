using System;
using System.Collections.Generic;
using System.Text.Json;
using Medallion.Delta.Scans;
using Medallion.DuckDb;

namespace Medallion.Engine.Scanning;

public static partial class DeltaScanSql
{
    /// <summary>
    /// Turns the simple parts of a SQL predicate into a <see cref="ScanPredicate"/> for file skipping: comparisons of a
    /// column with a constant, <c>IN</c> lists, <c>IS [NOT] NULL</c>, joined by <c>AND</c>/<c>OR</c>. DuckDB parses the
    /// text (<c>json_serialize_sql</c>); parts it cannot express are left out of an <c>AND</c> (pruning stays
    /// conservative), so the caller must still apply the whole predicate to the rows.
    /// </summary>
    /// <param name="connection">An open connection used to parse the text.</param>
    /// <param name="predicate">The SQL predicate, as written after <c>WHERE</c>.</param>
    /// <returns>The pruning predicate, or <see langword="null"/> when no part of it can be used (or it does not parse).</returns>
    public static ScanPredicate? TryParsePredicate(DuckDbConnection connection, string predicate)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(predicate);
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT json_serialize_sql(" + DuckDbConnection.QuoteLiteral("SELECT 1 FROM t WHERE " + predicate) + ")::VARCHAR";
        string? json = command.ExecuteScalar() as string;
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        if (root.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.True
            || !root.TryGetProperty("statements", out JsonElement statements) || statements.GetArrayLength() != 1
            || !statements[0].TryGetProperty("node", out JsonElement node) || !node.TryGetProperty("where_clause", out JsonElement where))
        {
            return null;
        }

        return ToPredicate(where);
    }

    private static ScanPredicate? ToPredicate(JsonElement e)
    {
        string type = e.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? string.Empty : string.Empty;
        switch (type)
        {
            case "CONJUNCTION_AND":
            {
                ScanPredicate? result = null;
                foreach (JsonElement child in e.GetProperty("children").EnumerateArray())
                {
                    // Leaving out a conjunct keeps more files, never fewer.
                    if (ToPredicate(child) is { } part)
                    {
                        result = result is null ? part : ScanPredicate.And(result, part);
                    }
                }

                return result;
            }

            case "CONJUNCTION_OR":
            {
                ScanPredicate? result = null;
                foreach (JsonElement child in e.GetProperty("children").EnumerateArray())
                {
                    if (ToPredicate(child) is not { } part)
                    {
                        return null;
                    }

                    result = result is null ? part : ScanPredicate.Or(result, part);
                }

                return result;
            }

            case "OPERATOR_IS_NULL" or "OPERATOR_IS_NOT_NULL":
            {
                JsonElement children = e.GetProperty("children");
                if (children.GetArrayLength() != 1 || Column(children[0]) is not { } column)
                {
                    return null;
                }

                return type == "OPERATOR_IS_NULL" ? ScanPredicate.IsNull(column) : ScanPredicate.IsNotNull(column);
            }

            case "COMPARE_IN":
            {
                JsonElement children = e.GetProperty("children");
                if (children.GetArrayLength() < 2 || Column(children[0]) is not { } column)
                {
                    return null;
                }

                var values = new List<object>();
                for (int i = 1; i < children.GetArrayLength(); i++)
                {
                    if (Constant(children[i]) is not { } value)
                    {
                        return null;
                    }

                    values.Add(value);
                }

                return ScanPredicate.In(column, values);
            }

            case "COMPARE_EQUAL" or "COMPARE_NOTEQUAL" or "COMPARE_LESSTHAN" or "COMPARE_GREATERTHAN" or "COMPARE_LESSTHANOREQUALTO" or "COMPARE_GREATERTHANOREQUALTO":
            {
                JsonElement left = e.GetProperty("left"), right = e.GetProperty("right");
                bool flipped = false;
                if (Column(left) is not { } column || Constant(right) is not { } value)
                {
                    if (Column(right) is not { } c2 || Constant(left) is not { } v2)
                    {
                        return null;
                    }

                    (column, value, flipped) = (c2, v2, true);
                }

                return (type, flipped) switch
                {
                    ("COMPARE_EQUAL", _) => ScanPredicate.Equal(column, value),
                    ("COMPARE_NOTEQUAL", _) => ScanPredicate.NotEqual(column, value),
                    ("COMPARE_LESSTHAN", false) or ("COMPARE_GREATERTHAN", true) => ScanPredicate.LessThan(column, value),
                    ("COMPARE_GREATERTHAN", false) or ("COMPARE_LESSTHAN", true) => ScanPredicate.GreaterThan(column, value),
                    ("COMPARE_LESSTHANOREQUALTO", false) or ("COMPARE_GREATERTHANOREQUALTO", true) => ScanPredicate.LessThanOrEqual(column, value),
                    _ => ScanPredicate.GreaterThanOrEqual(column, value),
                };
            }

            default:
                return null;
        }
    }

    private static string? Column(JsonElement e) =>
        e.TryGetProperty("class", out JsonElement c) && c.GetString() == "COLUMN_REF"
        && e.GetProperty("column_names") is { ValueKind: JsonValueKind.Array } names && names.GetArrayLength() == 1
            ? names[0].GetString()
            : null;

    /// <summary>
    /// A constant as a .NET value: strings stay strings (the kernel parses them as the column's type, as DuckDB casts
    /// them), integers become <see cref="long"/>, floating point <see cref="double"/>. Other constants (decimals,
    /// NULL, typed literals) are not used for pruning.
    /// </summary>
    private static object? Constant(JsonElement e)
    {
        if (!e.TryGetProperty("class", out JsonElement c) || c.GetString() != "CONSTANT" || !e.TryGetProperty("value", out JsonElement value)
            || value.TryGetProperty("is_null", out JsonElement isNull) && isNull.ValueKind == JsonValueKind.True
            || !value.TryGetProperty("value", out JsonElement v))
        {
            return null;
        }

        string typeId = value.TryGetProperty("type", out JsonElement t) && t.TryGetProperty("id", out JsonElement id) ? id.GetString() ?? string.Empty : string.Empty;
        return typeId switch
        {
            "VARCHAR" when v.ValueKind == JsonValueKind.String => v.GetString(),
            "TINYINT" or "SMALLINT" or "INTEGER" or "BIGINT" when v.TryGetInt64(out long l) => l,
            "DOUBLE" or "FLOAT" when v.ValueKind == JsonValueKind.Number => v.GetDouble(),
            "BOOLEAN" when v.ValueKind is JsonValueKind.True or JsonValueKind.False => v.GetBoolean(),
            _ => null,
        };
    }
}
