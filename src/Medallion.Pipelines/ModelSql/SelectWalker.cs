using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using Medallion.Catalog;

namespace Medallion.Pipelines.ModelSql;

/// <summary>
/// Walks DuckDB's serialized statement tree (<c>json_serialize_sql</c>) of one SELECT to find the
/// tables it reads and, per output column, the upstream columns feeding it. Names resolve through
/// FROM and JOIN aliases, subqueries and CTEs (a CTE is visible in its query and in CTEs declared
/// after it); <c>*</c> expands with the upstream columns when they are known.
/// </summary>
/// <remarks>
/// Tree shapes (DuckDB 1.5): query nodes are <c>SELECT_NODE</c> (select_list, from_table, cte_map)
/// and <c>SET_OPERATION_NODE</c> (left, right); table refs have a <c>type</c> of BASE_TABLE, JOIN,
/// SUBQUERY, TABLE_FUNCTION or EMPTY and no <c>class</c>; expressions have a <c>class</c>
/// (COLUMN_REF, STAR, SUBQUERY, FUNCTION, ...).
/// </remarks>
internal sealed class SelectWalker
{
    private readonly IReadOnlyDictionary<TableName, IReadOnlyList<string>> _knownColumns;
    private readonly List<(TableName Table, long Location)> _references = [];

    public SelectWalker(IReadOnlyDictionary<TableName, IReadOnlyList<string>> knownColumns)
    {
        _knownColumns = knownColumns;
    }

    /// <summary>Table references in SQL order with their byte offsets; unqualified names that are not CTEs have an empty namespace.</summary>
    public IReadOnlyList<(TableName Table, long Location)> References => _references;

    public (List<OutputColumn> Columns, bool Complete) Walk(JsonElement node)
    {
        Derived result = AnalyzeNode(node, Scope.Root);
        var columns = result.Columns.Select((c, i) => new OutputColumn(c.Name ?? "_" + (i + 1).ToString(CultureInfo.InvariantCulture), Sorted(c.Sources))
        {
            IsCopy = c.Copied && c.Sources.Count > 0,
        }).ToList();
        return (columns, result.Open.Count == 0);
    }

    private static List<ColumnReference> Sorted(IEnumerable<ColumnReference> sources) =>
        sources.Distinct().OrderBy(s => s.ToString(), StringComparer.OrdinalIgnoreCase).ToList();

    private Derived AnalyzeNode(JsonElement node, Scope parent)
    {
        string type = Text(node, "type");
        var scope = new Scope(parent);
        if (node.TryGetProperty("cte_map", out JsonElement cteMap) && cteMap.TryGetProperty("map", out JsonElement ctes))
        {
            foreach (JsonElement cte in ctes.EnumerateArray())
            {
                string name = Text(cte, "key");
                JsonElement query = cte.GetProperty("value").GetProperty("query").GetProperty("node");
                scope.Ctes[name] = AnalyzeNode(query, scope);
            }
        }

        if (type is "SET_OPERATION_NODE" or "RECURSIVE_CTE_NODE")
        {
            Derived left = AnalyzeNode(node.GetProperty("left"), scope);
            Derived right = AnalyzeNode(node.GetProperty("right"), scope);
            var columns = left.Columns.Select((c, i) => i < right.Columns.Count
                ? new DerivedColumn(c.Name, c.Sources.Union(right.Columns[i].Sources).ToHashSet(), c.Copied && right.Columns[i].Copied)
                : c).ToList();
            return new Derived(columns, [.. left.Open, .. right.Open]);
        }

        if (type != "SELECT_NODE")
        {
            return new Derived([], []);
        }

        if (node.TryGetProperty("from_table", out JsonElement from))
        {
            AddRelations(from, scope);
        }

        var output = new List<DerivedColumn>();
        var open = new List<Relation>();
        foreach (JsonElement expression in node.GetProperty("select_list").EnumerateArray())
        {
            if (Text(expression, "class") == "STAR" && !(expression.TryGetProperty("expr", out JsonElement starExpression) && starExpression.ValueKind == JsonValueKind.Object))
            {
                ExpandStar(expression, scope, output, open);
                continue;
            }

            var sources = new HashSet<ColumnReference>();
            CollectSources(expression, scope, sources);
            string? name = Text(expression, "alias") is { Length: > 0 } alias ? alias
                : Text(expression, "class") == "COLUMN_REF" ? ColumnNames(expression)[^1]
                : null;
            output.Add(new DerivedColumn(name, sources, IsCopy(expression, scope)));
        }

        // Tables only in WHERE / GROUP BY / HAVING / subqueries are dependencies too.
        foreach (string clause in (string[])["where_clause", "having", "qualify", "group_expressions", "modifiers"])
        {
            if (node.TryGetProperty(clause, out JsonElement element))
            {
                CollectSources(element, scope, []);
            }
        }

        return new Derived(output, open);
    }

    private void ExpandStar(JsonElement star, Scope scope, List<DerivedColumn> output, List<Relation> open)
    {
        string relationName = Text(star, "relation_name");
        var excluded = new HashSet<string>(
            star.TryGetProperty("exclude_list", out JsonElement exclude) ? exclude.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : Text(e, "column_name")) : [],
            StringComparer.OrdinalIgnoreCase);
        foreach (Relation relation in scope.Relations)
        {
            if (relationName.Length > 0 && !string.Equals(relation.Alias, relationName, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (DerivedColumn column in relation.Columns.Where(c => c.Name is null || !excluded.Contains(c.Name)))
            {
                output.Add(column);
            }

            if (relation.IsOpen)
            {
                open.Add(relation);
            }
        }
    }

    private void AddRelations(JsonElement tableRef, Scope scope)
    {
        string alias = Text(tableRef, "alias");
        switch (Text(tableRef, "type"))
        {
            case "BASE_TABLE":
                string schema = Text(tableRef, "schema_name");
                string table = Text(tableRef, "table_name");
                if (schema.Length == 0 && scope.FindCte(table) is { } cte)
                {
                    scope.Relations.Add(new Relation(alias.Length > 0 ? alias : table, null, cte.Columns, cte.Open));
                    break;
                }

                var name = new TableName(schema, table);
                _references.Add((name, tableRef.TryGetProperty("query_location", out JsonElement at) && at.TryGetInt64(out long location) ? location : long.MaxValue));
                bool known = _knownColumns.TryGetValue(name, out IReadOnlyList<string>? names);
                List<DerivedColumn> columns = known
                    ? names!.Select(c => new DerivedColumn(c, [new ColumnReference(name, c)], Copied: true)).ToList()
                    : [];
                scope.Relations.Add(new Relation(alias.Length > 0 ? alias : table, known ? null : name, columns, []));
                break;
            case "JOIN":
                AddRelations(tableRef.GetProperty("left"), scope);
                AddRelations(tableRef.GetProperty("right"), scope);
                if (tableRef.TryGetProperty("condition", out JsonElement condition))
                {
                    CollectSources(condition, scope, []);
                }

                break;
            case "SUBQUERY":
                Derived derived = AnalyzeNode(tableRef.GetProperty("subquery").GetProperty("node"), scope);
                List<DerivedColumn> renamed = derived.Columns;
                if (tableRef.TryGetProperty("column_name_alias", out JsonElement aliases) && aliases.GetArrayLength() > 0)
                {
                    string[] newNames = aliases.EnumerateArray().Select(a => a.GetString()!).ToArray();
                    renamed = derived.Columns.Select((c, i) => i < newNames.Length ? c with { Name = newNames[i] } : c).ToList();
                }

                scope.Relations.Add(new Relation(alias, null, renamed, derived.Open));
                break;
            case "PIVOT":
                // Pivoted columns are named by data values; resolve any name through the pivot's source.
                var pivotScope = new Scope(scope);
                AddRelations(tableRef.GetProperty("source"), pivotScope);
                scope.Relations.Add(new Relation(alias, null, [], pivotScope.Relations));
                break;
            case "TABLE_FUNCTION":
                if (tableRef.TryGetProperty("function", out JsonElement function))
                {
                    CollectSources(function, scope, []);
                }

                scope.Relations.Add(new Relation(alias, null, [], []));
                break;
        }
    }

    /// <summary>Adds the upstream columns an expression reads; subqueries inside it are walked for their tables too.</summary>
    private void CollectSources(JsonElement element, Scope scope, HashSet<ColumnReference> sources)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in element.EnumerateArray())
            {
                CollectSources(item, scope, sources);
            }

            return;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        switch (Text(element, "class"))
        {
            case "COLUMN_REF":
                sources.UnionWith(scope.Resolve(ColumnNames(element)).Sources);
                return;
            case "SUBQUERY":
                Derived derived = AnalyzeNode(element.GetProperty("subquery").GetProperty("node"), scope);
                foreach (DerivedColumn column in derived.Columns)
                {
                    sources.UnionWith(column.Sources);
                }

                if (element.TryGetProperty("child", out JsonElement child))
                {
                    CollectSources(child, scope, sources);
                }

                return;
        }

        foreach (JsonProperty property in element.EnumerateObject())
        {
            CollectSources(property.Value, scope, sources);
        }
    }

    /// <summary>
    /// Whether an output expression is a column passed through unchanged, or only cast (<c>CAST(customer_id AS BIGINT)</c>):
    /// a key copied that way holds the same keys as its source, which column lineage alone cannot tell from a computed value.
    /// </summary>
    private static bool IsCopy(JsonElement expression, Scope scope)
    {
        while (Text(expression, "class") == "CAST" && expression.TryGetProperty("child", out JsonElement child))
        {
            expression = child;
        }

        return Text(expression, "class") == "COLUMN_REF" && scope.Resolve(ColumnNames(expression)).Copied;
    }

    private static string[] ColumnNames(JsonElement columnRef) => columnRef.GetProperty("column_names").EnumerateArray().Select(n => n.GetString()!).ToArray();

    private static string Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;

    /// <summary>A column of a query: its name, the upstream columns it is computed from, and whether it is one of them unchanged (<see cref="IsCopy"/>).</summary>
    private sealed record DerivedColumn(string? Name, HashSet<ColumnReference> Sources, bool Copied = false);

    /// <summary>What a name that resolves to nothing reads: no upstream column.</summary>
    private static readonly DerivedColumn s_unresolved = new(null, []);

    /// <summary>A name that several open relations may hold: any of their columns, a copy only if each is one.</summary>
    private static DerivedColumn Union(DerivedColumn a, DerivedColumn b) => new(a.Name, [.. a.Sources, .. b.Sources], a.Copied && b.Copied);

    /// <summary>A query's output: named columns, plus relations whose <c>*</c> could not be expanded (their columns pass through unnamed).</summary>
    private sealed record Derived(List<DerivedColumn> Columns, List<Relation> Open);

    /// <summary>
    /// A relation in a FROM clause. <paramref name="UnknownTable"/> is set for a base table whose columns are not
    /// known: any column name resolves to <c>table.column</c>. <paramref name="Open"/> lists relations whose columns
    /// reached this one through an unexpanded <c>*</c>: unmatched names are looked up there.
    /// </summary>
    private sealed record Relation(string Alias, TableName? UnknownTable, List<DerivedColumn> Columns, List<Relation> Open)
    {
        public bool IsOpen => UnknownTable is not null || Open.Count > 0;

        public DerivedColumn? Resolve(string column)
        {
            if (Columns.FirstOrDefault(c => string.Equals(c.Name, column, StringComparison.OrdinalIgnoreCase)) is { } match)
            {
                return match;
            }

            if (UnknownTable is { } table)
            {
                return new DerivedColumn(column, [new ColumnReference(table, column)], Copied: true);
            }

            DerivedColumn? found = null;
            foreach (Relation inner in Open)
            {
                if (inner.Resolve(column) is { } resolved)
                {
                    found = found is null ? resolved : Union(found, resolved);
                }
            }

            return found;
        }
    }

    private sealed class Scope(Scope? parent)
    {
        private readonly Scope? _parent = parent;

        public static Scope Root => new(null);

        public Dictionary<string, Derived> Ctes { get; } = new(StringComparer.OrdinalIgnoreCase);

        public List<Relation> Relations { get; } = [];

        public Derived? FindCte(string name) => Ctes.TryGetValue(name, out Derived? cte) ? cte : _parent?.FindCte(name);

        /// <summary>
        /// Resolves <c>column</c>, <c>alias.column</c> or <c>alias.column.field</c>: a named match in this
        /// scope wins; otherwise every open relation may hold it; otherwise the enclosing query (correlation).
        /// </summary>
        public DerivedColumn Resolve(string[] names)
        {
            if (names.Length > 1)
            {
                for (Scope? scope = this; scope is not null; scope = scope._parent)
                {
                    for (int qualifierAt = names.Length - 2; qualifierAt >= 0; qualifierAt--)
                    {
                        if (scope.Relations.FirstOrDefault(r => string.Equals(r.Alias, names[qualifierAt], StringComparison.OrdinalIgnoreCase)) is { } relation)
                        {
                            DerivedColumn resolved = relation.Resolve(names[qualifierAt + 1]) ?? s_unresolved;
                            // alias.column.field reads a part of the column.
                            return qualifierAt + 2 < names.Length ? resolved with { Copied = false } : resolved;
                        }
                    }
                }

                // Not a qualifier anywhere: a struct field access, column.field, which is part of the column, not a copy of it.
                return Resolve([names[0]]) with { Copied = false };
            }

            string column = names[0];
            foreach (Relation relation in Relations)
            {
                if (relation.Columns.Any(c => string.Equals(c.Name, column, StringComparison.OrdinalIgnoreCase)))
                {
                    return relation.Resolve(column)!;
                }
            }

            DerivedColumn? open = null;
            foreach (Relation relation in Relations.Where(r => r.IsOpen))
            {
                if (relation.Resolve(column) is { } resolved)
                {
                    open = open is null ? resolved : Union(open, resolved);
                }
            }

            return open is { Sources.Count: > 0 } ? open : _parent?.Resolve(names) ?? s_unresolved;
        }
    }
}
