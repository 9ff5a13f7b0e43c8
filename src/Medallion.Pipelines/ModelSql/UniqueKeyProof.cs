using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace Medallion.Pipelines.ModelSql;

/// <summary>
/// Decides from a model's statement tree (<c>json_serialize_sql</c>) whether its SELECT returns each unique key at
/// most once, so the run can skip counting repeated keys over the whole result (a hash aggregation as costly as a
/// large part of the model itself). Only the dedup idiom the runner's own error suggests is recognised:
/// <c>QUALIFY row_number() OVER (PARTITION BY &lt;keys&gt; ...) = 1</c> on the outermost SELECT, with every key
/// returned as the same column it was partitioned by. Anything else is "not proven", and the keys are counted.
/// </summary>
internal static class UniqueKeyProof
{
    /// <summary>True when <paramref name="node"/> (a statement's <c>node</c>) cannot return two rows with the same <paramref name="keys"/>.</summary>
    public static bool Proves(JsonElement node, IReadOnlyList<string> keys)
    {
        if (keys.Count == 0 || Text(node, "type") != "SELECT_NODE" || !node.TryGetProperty("qualify", out JsonElement qualify)
            || qualify.ValueKind != JsonValueKind.Object || RowNumberPartitions(qualify) is not { } partitions)
        {
            return false;
        }

        bool joined = node.TryGetProperty("from_table", out JsonElement from) && Text(from, "type") == "JOIN";
        JsonElement selectList = node.GetProperty("select_list");
        // Rows sharing the partition columns are cut to one; a key set that contains them is therefore unique too.
        return partitions.TrueForAll(p => keys.Any(k => string.Equals(k, p[^1], StringComparison.OrdinalIgnoreCase) && ReturnsUnchanged(selectList, p, joined)));
    }

    /// <summary>The column paths of <c>row_number() OVER (PARTITION BY ...) = 1</c>; null for any other predicate.</summary>
    private static List<string[]>? RowNumberPartitions(JsonElement qualify)
    {
        if (Text(qualify, "type") != "COMPARE_EQUAL")
        {
            return null;
        }

        JsonElement left = qualify.GetProperty("left"), right = qualify.GetProperty("right");
        (JsonElement window, JsonElement one) = Text(left, "class") == "WINDOW" ? (left, right) : (right, left);
        if (Text(window, "type") != "WINDOW_ROW_NUMBER" || !IsOne(one)
            || (window.TryGetProperty("filter_expr", out JsonElement filter) && filter.ValueKind != JsonValueKind.Null))
        {
            return null;
        }

        var partitions = new List<string[]>();
        foreach (JsonElement p in window.GetProperty("partitions").EnumerateArray())
        {
            if (ColumnPath(p) is not { } path)
            {
                return null;
            }

            partitions.Add(path);
        }

        return partitions.Count == 0 ? null : partitions;
    }

    /// <summary>True when the select list returns the column at <paramref name="path"/> as itself, under its own name.</summary>
    private static bool ReturnsUnchanged(JsonElement selectList, string[] path, bool joined)
    {
        foreach (JsonElement item in selectList.EnumerateArray())
        {
            if (Text(item, "class") == "STAR" && !joined && Empty(item, "exclude_list") && Empty(item, "replace_list") && Empty(item, "rename_list")
                && !(item.TryGetProperty("columns", out JsonElement columns) && columns.ValueKind == JsonValueKind.True))
            {
                return true;
            }

            if (ColumnPath(item) is not { } selected || !string.Equals(selected[^1], path[^1], StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            string alias = Text(item, "alias");
            bool sameName = alias.Length == 0 || string.Equals(alias, path[^1], StringComparison.OrdinalIgnoreCase);
            // Unqualified names resolve to the only column of that name in scope, so they may differ from a qualified one only across a join.
            bool sameColumn = selected.SequenceEqual(path, StringComparer.OrdinalIgnoreCase) || (!joined && (selected.Length == 1 || path.Length == 1));
            if (sameName && sameColumn)
            {
                return true;
            }
        }

        return false;
    }

    private static string[]? ColumnPath(JsonElement expression) =>
        Text(expression, "class") == "COLUMN_REF" && expression.TryGetProperty("column_names", out JsonElement names)
            ? names.EnumerateArray().Select(n => n.GetString() ?? string.Empty).ToArray()
            : null;

    private static bool IsOne(JsonElement expression) =>
        Text(expression, "class") == "CONSTANT" && expression.TryGetProperty("value", out JsonElement value)
        && value.TryGetProperty("is_null", out JsonElement isNull) && !isNull.GetBoolean()
        && value.TryGetProperty("value", out JsonElement number) && number.ValueKind == JsonValueKind.Number && number.GetDecimal() == 1;

    private static bool Empty(JsonElement node, string property) =>
        !node.TryGetProperty(property, out JsonElement list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0;

    private static string Text(JsonElement node, string property) =>
        node.ValueKind == JsonValueKind.Object && node.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? string.Empty : string.Empty;
}
