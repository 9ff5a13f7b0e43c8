using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;

namespace Medallion.Engine.Sessions;

/// <summary>
/// A table reference found in a statement by DuckDB's parser: the <c>BASE_TABLE</c> node of
/// <c>json_serialize_sql</c>, which the session may rewrite in place.
/// </summary>
internal sealed class TableReference(JsonObject node, bool namesCte = false)
{
    public JsonObject Node { get; } = node;

    /// <summary>Whether the name is a CTE of an enclosing WITH (unqualified, and in the CTE's scope), not a relation of the catalog.</summary>
    public bool NamesCte { get; } = namesCte;

    public string Catalog => (string?)Node["catalog_name"] ?? string.Empty;

    public string Schema => (string?)Node["schema_name"] ?? string.Empty;

    public string Table => (string?)Node["table_name"] ?? string.Empty;

    /// <summary><c>VERSION</c> or <c>TIMESTAMP</c> when the reference has an <c>AT (...)</c> clause; null otherwise.</summary>
    public string? AtUnit => Node["at_clause"] is JsonObject at ? (string?)at["unit"] : null;

    /// <summary>The parsed expression of the <c>AT</c> clause, evaluated by DuckDB.</summary>
    public JsonNode? AtExpression => Node["at_clause"] is JsonObject at ? at["expr"] : null;

    /// <summary>
    /// Whether the <c>AT</c> clause is a constant expression: literals, casts, arithmetic and the clock functions. The
    /// clause is computed before the statement runs, so anything that could take long (a subquery, a function over a
    /// large list) is refused rather than run.
    /// </summary>
    public bool AtExpressionIsConstant => AtExpression is not { } expression || IsConstant(expression);

    /// <summary>Points the reference at another relation, keeping the name the query uses for it.</summary>
    public void RedirectTo(string catalog, string schema, string table)
    {
        if (string.IsNullOrEmpty((string?)Node["alias"]))
        {
            Node["alias"] = Table;
        }

        Node["catalog_name"] = catalog;
        Node["schema_name"] = schema;
        Node["table_name"] = table;
        Node["at_clause"] = null;
    }

    private static readonly HashSet<string> s_constantFunctions = new(StringComparer.OrdinalIgnoreCase)
    {
        "+", "-", "*", "/", "//", "%", "now", "current_timestamp", "get_current_timestamp", "current_date", "today",
        "date_trunc", "make_date", "make_timestamp", "make_timestamptz", "to_timestamp", "epoch_ms", "strptime",
        "greatest", "least", "timezone", "trunc", "round",
        // INTERVAL 1 DAY parses as to_days(1).
        "to_years", "to_quarters", "to_months", "to_weeks", "to_days", "to_hours", "to_minutes", "to_seconds", "to_milliseconds", "to_microseconds",
    };

    private static bool IsConstant(JsonNode node)
    {
        if (node is not JsonObject expression || expression["class"] is not JsonValue kind || !kind.TryGetValue(out string? name))
        {
            return false;
        }

        return name switch
        {
            "CONSTANT" => true,
            "CAST" => expression["child"] is { } child && IsConstant(child),
            "FUNCTION" or "OPERATOR" => (name == "OPERATOR" || (expression["function_name"] is JsonValue function && function.TryGetValue(out string? called) && s_constantFunctions.Contains(called)))
                && expression["children"] is JsonArray children && children.All(argument => argument is not null && IsConstant(argument)),
            _ => false,
        };
    }
}
