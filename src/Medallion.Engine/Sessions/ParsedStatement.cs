using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Engine.Sessions;

/// <summary>
/// A SQL text as DuckDB's own parser sees it (<c>json_serialize_sql</c>): the table references of
/// its SELECT statements, which can be rewritten and turned back into SQL (<c>json_deserialize_sql</c>).
/// Statements DuckDB cannot serialize (anything but SELECT) leave <see cref="IsSelect"/> false.
/// </summary>
internal sealed class ParsedStatement
{
    /// <summary>
    /// How deep the statement tree may nest. A chain of set operations nests one level per branch, and the guard caps
    /// branches well below this (<see cref="StatementGuard.MaxSetOperations"/>); System.Text.Json's default of 64
    /// would refuse ordinary queries with a few dozen UNIONs.
    /// </summary>
    private static readonly JsonNodeOptions s_nodeOptions = new();
    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 8 * 1024 };

    private readonly JsonNode? _tree;

    private ParsedStatement(JsonNode? tree, IReadOnlyList<TableReference> references, IReadOnlyList<string> columns)
    {
        _tree = tree;
        References = references;
        Columns = columns;
    }

    /// <summary>True when every statement of the text is a SELECT (and so could be parsed to a tree).</summary>
    public bool IsSelect => _tree is not null;

    public IReadOnlyList<TableReference> References { get; }

    /// <summary>The column references of the tree as written (<c>o.amount</c>, <c>*</c>, <c>o.*</c>), first appearance first, for the audit.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>DuckDB's parser error when the text is not valid SQL; null otherwise.</summary>
    public string? SyntaxError { get; private init; }

    /// <summary>The statement tree of <c>json_serialize_sql</c>, or null when the text is not all SELECT statements.</summary>
    public JsonNode? Tree => _tree;

    public static async Task<ParsedStatement> ParseAsync(DuckDbConnection connection, string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT json_serialize_sql($1::VARCHAR)";
        command.Parameters.Add(sql);
        string json = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        JsonNode? tree = JsonNode.Parse(json, s_nodeOptions, s_documentOptions);
        if ((bool?)tree?["error"] == true && (string?)tree["error_type"] == "out of memory")
        {
            // The parse itself met the memory limit (shared by all running queries): the statement's kind is unknown,
            // so it is the memory error, not a refusal of the statement as something other than a query.
            throw new DuckDbException(ErrorCode.DuckDbQueryFailed, DuckDbErrorType.OutOfMemory, "Out of Memory Error: " + (string?)tree["error_message"]);
        }

        if (tree is null || (bool?)tree["error"] == true)
        {
            // Not a SELECT (SET, DDL, ...) or not valid SQL: running it reports the real error, and a read-only session
            // reports the syntax error itself.
            return new ParsedStatement(null, [], []) { SyntaxError = (string?)tree?["error_type"] == "parser" ? (string?)tree["error_message"] : null };
        }

        var references = new List<TableReference>();
        var columns = new List<string>();
        Collect(tree, references, columns);
        return new ParsedStatement(tree, references, columns);
    }

    /// <summary>The SQL of the (possibly rewritten) tree.</summary>
    public async Task<string> ToSqlAsync(DuckDbConnection connection, CancellationToken cancellationToken)
    {
        if (_tree is null)
        {
            throw new InvalidOperationException("Only SELECT statements can be turned back into SQL.");
        }

        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT json_deserialize_sql($1::JSON)";
        command.Parameters.Add(_tree.ToJsonString());
        return (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Evaluates an expression node (the value of an <c>AT</c> clause) by splicing it into
    /// <c>SELECT 1</c> and letting DuckDB compute it, so any constant expression works.
    /// </summary>
    public static async Task<object?> EvaluateAsync(DuckDbConnection connection, JsonNode expression, CancellationToken cancellationToken)
    {
        using DuckDbCommand serialize = connection.CreateCommand();
        serialize.CommandText = "SELECT json_serialize_sql('SELECT 1')";
        JsonNode template = JsonNode.Parse((string)(await serialize.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!, s_nodeOptions, s_documentOptions)!;
        template["statements"]![0]!["node"]!["select_list"] = new JsonArray(expression.DeepClone());
        using DuckDbCommand deserialize = connection.CreateCommand();
        deserialize.CommandText = "SELECT json_deserialize_sql($1::JSON)";
        deserialize.Parameters.Add(template.ToJsonString());
        string sql = (string)(await deserialize.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        using DuckDbCommand evaluate = connection.CreateCommand();
        evaluate.CommandText = sql;
        object? value = await evaluate.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    /// <summary>A column reference's name as written (<c>COLUMN_REF</c>), or a star (<c>STAR</c>, <c>o.*</c>); null for any other node.</summary>
    private static string? ColumnOf(JsonObject node)
    {
        string? kind = node["class"] is JsonValue value && value.TryGetValue(out string? text) ? text : null;
        if (kind == "COLUMN_REF" && node["column_names"] is JsonArray names)
        {
            return string.Join('.', names.Select(n => n is JsonValue v && v.TryGetValue(out string? part) ? part : string.Empty));
        }

        if (kind == "STAR")
        {
            string relation = node["relation_name"] is JsonValue r && r.TryGetValue(out string? name) ? name : string.Empty;
            return relation.Length == 0 ? "*" : relation + ".*";
        }

        return null;
    }

    /// <summary>
    /// Gathers the table and column references. <paramref name="ctes"/> holds the CTE names in scope: a WITH's names are
    /// in scope in its body and, in order, in the CTEs after each; a CTE's own body does not see its own name (DuckDB reads
    /// the relation of that name there), so a reference is taken for a CTE only where DuckDB would take it so.
    /// </summary>
    private static void Collect(JsonNode node, List<TableReference> references, List<string> columns, IReadOnlySet<string>? ctes = null)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["cte_map"] is JsonObject { } cteMap && cteMap["map"] is JsonArray { Count: > 0 } entries)
                {
                    var scope = new HashSet<string>(ctes ?? new HashSet<string>(), StringComparer.OrdinalIgnoreCase);
                    foreach (JsonNode? entry in entries)
                    {
                        if (entry?["value"] is { } body)
                        {
                            Collect(body, references, columns, new HashSet<string>(scope, StringComparer.OrdinalIgnoreCase));
                        }

                        if (entry?["key"] is JsonValue key && key.TryGetValue(out string? name))
                        {
                            scope.Add(name);
                        }
                    }

                    ctes = scope;
                }

                if (obj["type"] is JsonValue type && type.TryGetValue(out string? kind) && kind == "BASE_TABLE" && obj.ContainsKey("table_name"))
                {
                    bool namesCte = ctes is not null && string.IsNullOrEmpty((string?)obj["schema_name"]) && string.IsNullOrEmpty((string?)obj["catalog_name"])
                        && ctes.Contains((string?)obj["table_name"] ?? string.Empty);
                    references.Add(new TableReference(obj, namesCte));
                }
                else if (ColumnOf(obj) is { } column && !columns.Contains(column))
                {
                    columns.Add(column);
                }

                foreach ((string property, JsonNode? child) in obj)
                {
                    if (child is not null && property != "cte_map")
                    {
                        Collect(child, references, columns, ctes);
                    }
                }

                break;
            case JsonArray array:
                foreach (JsonNode? child in array)
                {
                    if (child is not null)
                    {
                        Collect(child, references, columns, ctes);
                    }
                }

                break;
        }
    }
}
