using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using Medallion.Pipelines.ModelSql;

namespace Medallion.Pipelines.Planning;

/// <summary>How two parses of a model differ in their outer SELECT's projections.</summary>
/// <param name="OnlyAdded">True when the new parse is the old one with projections added to the outer SELECT, nothing else changed.</param>
/// <param name="Changed">The output columns that were added, removed or are computed differently (all of them when more than the projections changed).</param>
internal sealed record ProjectionDiff(bool OnlyAdded, IReadOnlyList<string> Changed)
{
    /// <summary>Compares two canonical parses (<see cref="ModelSqlParser.Canonical"/>); <paramref name="oldColumns"/> are the columns the old model built.</summary>
    public static ProjectionDiff Compare(JsonElement oldNode, JsonElement newNode, IEnumerable<string> oldColumns)
    {
        if (!IsSelect(oldNode) || !IsSelect(newNode) || !SameBesidesProjections(oldNode, newNode))
        {
            List<string> all = oldColumns.Concat(Projections(newNode).Select(p => p.Name)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            return new ProjectionDiff(false, all);
        }

        List<(string Name, string Text)> before = Projections(oldNode);
        List<(string Name, string Text)> after = Projections(newNode);
        // The old projections, in order, within the new ones: the new list only adds.
        int next = 0;
        foreach ((string _, string text) in after)
        {
            if (next < before.Count && before[next].Text == text)
            {
                next++;
            }
        }

        bool onlyAdded = next == before.Count && after.Count > before.Count;
        var changed = new List<string>();
        foreach ((string name, string text) in after)
        {
            if (!before.Any(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase) && b.Text == text))
            {
                changed.Add(name);
            }
        }

        changed.AddRange(before.Where(b => !after.Any(a => string.Equals(a.Name, b.Name, StringComparison.OrdinalIgnoreCase))).Select(b => b.Name));
        return new ProjectionDiff(onlyAdded, changed.Distinct(StringComparer.OrdinalIgnoreCase).ToList());
    }

    private static bool IsSelect(JsonElement node) => node.TryGetProperty("type", out JsonElement type) && type.ValueEquals("SELECT_NODE");

    private static bool SameBesidesProjections(JsonElement oldNode, JsonElement newNode)
    {
        static Dictionary<string, string> Rest(JsonElement node) => node.EnumerateObject()
            .Where(p => !p.NameEquals("select_list"))
            .ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);

        Dictionary<string, string> before = Rest(oldNode), after = Rest(newNode);
        return before.Count == after.Count && before.All(p => after.TryGetValue(p.Key, out string? value) && value == p.Value);
    }

    /// <summary>The outer SELECT's projections: each one's output name (alias, else the column's name, else <c>_N</c>) and its parse.</summary>
    private static List<(string Name, string Text)> Projections(JsonElement node)
    {
        if (!node.TryGetProperty("select_list", out JsonElement list))
        {
            return [];
        }

        return list.EnumerateArray().Select((p, i) => (Name(p, i), p.GetRawText())).ToList();
    }

    private static string Name(JsonElement projection, int index)
    {
        if (projection.TryGetProperty("alias", out JsonElement alias) && alias.GetString() is { Length: > 0 } name)
        {
            return name;
        }

        if (projection.TryGetProperty("column_names", out JsonElement names) && names.GetArrayLength() > 0)
        {
            return names[names.GetArrayLength() - 1].GetString() ?? $"_{index + 1}";
        }

        return $"_{index + 1}";
    }
}
