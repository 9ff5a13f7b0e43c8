using System.Text.Json.Nodes;

namespace Medallion.Engine.Sessions;

/// <summary>
/// A table reference found in a statement by DuckDB's parser: the <c>BASE_TABLE</c> node of
/// <c>json_serialize_sql</c>, which the session may rewrite in place.
/// </summary>
internal sealed class TableReference(JsonObject node)
{
    public JsonObject Node { get; } = node;

    public string Catalog => (string?)Node["catalog_name"] ?? string.Empty;

    public string Schema => (string?)Node["schema_name"] ?? string.Empty;

    public string Table => (string?)Node["table_name"] ?? string.Empty;

    /// <summary><c>VERSION</c> or <c>TIMESTAMP</c> when the reference has an <c>AT (...)</c> clause; null otherwise.</summary>
    public string? AtUnit => Node["at_clause"] is JsonObject at ? (string?)at["unit"] : null;

    /// <summary>The parsed expression of the <c>AT</c> clause, evaluated by DuckDB.</summary>
    public JsonNode? AtExpression => Node["at_clause"] is JsonObject at ? at["expr"] : null;

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
}
