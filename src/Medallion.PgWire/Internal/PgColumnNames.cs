using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>
/// The names PostgreSQL gives result columns the query did not name (<c>count(*)</c> is <c>count</c>, <c>1</c> is
/// <c>?column?</c>), where DuckDB names them after the expression's text (<c>count_star()</c>). Clients and BI tools
/// key on these names. The select list comes from DuckDB's parser (<c>json_serialize_sql</c>); the rules are
/// PostgreSQL's FigureColname (src/backend/parser/parse_target.c).
/// </summary>
internal static class PgColumnNames
{
    private const string Unnamed = "?column?";

    /// <summary>What DuckDB calls a function whose PostgreSQL spelling (and so column name) differs.</summary>
    private static readonly Dictionary<string, string> s_functionNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["count_star"] = "count",
        ["list_value"] = "array",
    };

    /// <summary>
    /// One name per select-list item of <paramref name="sql"/>'s outermost query, null where the query gave an alias
    /// (DuckDB keeps it); null altogether when the statement is not a query or its select list does not map one to
    /// one onto result columns (<c>*</c>, <c>COLUMNS(...)</c>).
    /// </summary>
    public static async Task<string?[]?> FigureAsync(DuckDbConnection connection, string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT json_serialize_sql($1::VARCHAR)";
        command.Parameters.Add(new DuckDbParameter(sql));
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string json
            || JsonNode.Parse(json) is not JsonObject tree || (bool?)tree["error"] == true
            || tree["statements"] is not JsonArray { Count: 1 } statements)
        {
            return null;
        }

        return SelectList(statements[0]?["node"]) is JsonArray list ? Figure(list) : null;
    }

    /// <summary>Replaces the names of <paramref name="columns"/> the query left unnamed; returns them unchanged when the select list does not line up.</summary>
    public static ResultColumn[] Apply(ResultColumn[] columns, string?[]? names)
    {
        if (names is null || names.Length != columns.Length)
        {
            return columns;
        }

        for (int i = 0; i < columns.Length; i++)
        {
            if (names[i] is { } name)
            {
                columns[i] = columns[i] with { Name = name };
            }
        }

        return columns;
    }

    /// <summary>The select list that names the result: a UNION's first branch, as in PostgreSQL.</summary>
    private static JsonArray? SelectList(JsonNode? node) => Text(node, "type") switch
    {
        "SELECT_NODE" => node!["select_list"] as JsonArray,
        "SET_OPERATION_NODE" => SelectList(node!["left"] ?? (node["children"] as JsonArray)?[0]),
        "CTE_NODE" => SelectList(node!["child"]),
        _ => null,
    };

    private static string?[]? Figure(JsonArray list)
    {
        var names = new string?[list.Count];
        for (int i = 0; i < list.Count; i++)
        {
            JsonNode? item = list[i];
            if (Text(item, "class") is "STAR")
            {
                return null;
            }

            names[i] = string.IsNullOrEmpty(Text(item, "alias")) ? Name(item) : null;
        }

        return names;
    }

    private static string Name(JsonNode? expression) => FigureColname(expression, out string? name) > 0 ? name! : Unnamed;

    /// <summary>PostgreSQL's FigureColnameInternal: the name an expression suggests and how strongly (2 a real name, 1 a fallback, 0 none).</summary>
    private static int FigureColname(JsonNode? expression, out string? name)
    {
        name = null;
        switch (Text(expression, "class"))
        {
            case "COLUMN_REF" when expression!["column_names"] is JsonArray { Count: > 0 } parts:
                name = parts[^1]!.GetValue<string>();
                return 2;
            case "FUNCTION" when expression!["is_operator"] is not JsonValue op || !op.GetValue<bool>():
            case "WINDOW":
                string function = Text(expression, "function_name") ?? string.Empty;
                if (function.Length == 0 || !char.IsLetter(function[0]) && function[0] != '_')
                {
                    return 0;
                }

                name = s_functionNames.GetValueOrDefault(function, function.ToLowerInvariant());
                return 2;
            case "CAST":
                int strength = FigureColname(expression!["child"], out name);
                if (strength > 1)
                {
                    return strength;
                }

                name = CastTypeName(expression["cast_type"]);
                return 1;
            case "COLLATE":
                return FigureColname(expression!["child"], out name);
            case "CASE":
                if (FigureColname(expression!["else_expr"], out name) > 1)
                {
                    return 2;
                }

                name = "case";
                return 1;
            case "OPERATOR" when Text(expression, "type") is "OPERATOR_COALESCE":
                name = "coalesce";
                return 2;
            case "SUBQUERY" when Text(expression, "subquery_type") is "EXISTS":
                name = "exists";
                return 2;
            case "SUBQUERY" when Text(expression, "subquery_type") is "SCALAR"
                && SelectList(expression!["subquery"]?["node"]) is JsonArray { Count: > 0 } inner && inner[0] is { } first:
                name = string.IsNullOrEmpty(Text(first, "alias")) ? null : Text(first, "alias");
                return name is not null ? 2 : FigureColname(first, out name);
            case "CONSTANT" when Text(expression!["value"]?["type"], "id") is "BOOLEAN":
                // PostgreSQL's grammar reads true and false as 't'::bool.
                name = "bool";
                return 1;
            default:
                return 0;
        }
    }

    /// <summary>The PostgreSQL name of a cast's target type (<c>x::int</c> of a constant is <c>int4</c>).</summary>
    private static string CastTypeName(JsonNode? type)
    {
        string id = Text(type, "id") ?? string.Empty;
        PgType pg = PgType.FromDuckDb(id, out _);
        return pg == PgType.Text && !id.Equals("VARCHAR", StringComparison.OrdinalIgnoreCase) ? id.ToLowerInvariant() : pg.Name;
    }

    private static string? Text(JsonNode? node, string property) =>
        node is JsonObject obj && obj[property] is JsonValue value && value.TryGetValue(out string? text) ? text : null;
}
