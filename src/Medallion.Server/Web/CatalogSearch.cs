using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using Medallion.Platform;

namespace Medallion.Server.Web;

/// <summary>
/// The catalog's search: every word of the query must match the table somewhere (its name, a column's name, a
/// description, a tag, the owner, a classification); tables rank by where their words matched, name matches first
/// (an exact name above a prefix above a part), then in the order data flows (bronze, silver, gold).
/// </summary>
internal static class CatalogSearch
{
    /// <summary>A table with its documented columns (docs edited in the catalog over the project files').</summary>
    public sealed record Entry(TableSummary Table, IReadOnlyList<ColumnInfo> Columns);

    /// <summary>Where a word matched: a field (<c>name</c>, <c>column</c>, ...) and, for columns, which one.</summary>
    public sealed record Match(string Field, string? Detail);

    /// <summary>A table that matched, with its score and where.</summary>
    public sealed record Hit(TableSummary Table, int Score, IReadOnlyList<Match> Matches);

    /// <param name="entries">The tables to search, in data-flow order.</param>
    /// <param name="query">Words that must each match somewhere.</param>
    /// <param name="layer">Only this namespace.</param>
    /// <param name="owner">Only tables of this owner.</param>
    /// <param name="tag">Only tables tagged so, or with a column tagged so.</param>
    /// <param name="classification">Only tables with a column of this classification (<c>pii</c>, ...).</param>
    public static IReadOnlyList<Hit> Search(IReadOnlyList<Entry> entries, string? query, string? layer, string? owner, string? tag, string? classification = null)
    {
        string[] words = (query ?? string.Empty).Split((char[])[' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
        var hits = new List<(Hit Hit, int Order)>();
        for (int order = 0; order < entries.Count; order++)
        {
            Entry entry = entries[order];
            TableSummary table = entry.Table;
            if ((!string.IsNullOrEmpty(layer) && !Same(table.Name.Namespace, layer))
                || (!string.IsNullOrEmpty(owner) && !Same(table.Owner, owner))
                || (!string.IsNullOrEmpty(tag) && !table.Tags.Any(t => Same(t, tag)) && !entry.Columns.Any(c => c.Tags.Any(t => Same(t, tag))))
                || (!string.IsNullOrEmpty(classification) && !entry.Columns.Any(c => Same(c.Classification, classification))))
            {
                continue;
            }

            int score = 0;
            var matches = new List<Match>();
            bool all = true;
            foreach (string word in words)
            {
                (int best, Match? match) = Score(entry, word);
                if (match is null)
                {
                    all = false;
                    break;
                }

                score += best;
                if (!matches.Contains(match))
                {
                    matches.Add(match);
                }
            }

            if (all)
            {
                hits.Add((new Hit(table, score, matches), order));
            }
        }

        return [.. hits.OrderByDescending(h => h.Hit.Score).ThenBy(h => h.Order).Select(h => h.Hit)];
    }

    private static (int Score, Match? Match) Score(Entry entry, string word)
    {
        TableSummary table = entry.Table;
        string name = table.Name.Name;
        if (Same(name, word) || Same(table.Name.ToString(), word))
        {
            return (100, new Match("name", null));
        }

        if (name.StartsWith(word, StringComparison.OrdinalIgnoreCase))
        {
            return (90, new Match("name", null));
        }

        if (table.Name.ToString().Contains(word, StringComparison.OrdinalIgnoreCase))
        {
            return (80, new Match("name", null));
        }

        if (entry.Columns.FirstOrDefault(c => c.Name.Contains(word, StringComparison.OrdinalIgnoreCase)) is { } column)
        {
            return (Same(column.Name, word) ? 60 : 50, new Match("column", column.Name));
        }

        if (Contains(table.Description, word))
        {
            return (30, new Match("description", null));
        }

        if (entry.Columns.FirstOrDefault(c => Contains(c.Description, word)) is { } described)
        {
            return (25, new Match("description", described.Name));
        }

        if (table.Tags.Any(t => Contains(t, word)) || entry.Columns.Any(c => c.Tags.Any(t => Contains(t, word))))
        {
            return (20, new Match("tag", null));
        }

        if (Contains(table.Owner, word))
        {
            return (20, new Match("owner", null));
        }

        return entry.Columns.FirstOrDefault(c => Contains(c.Classification, word)) is { } classified
            ? (20, new Match("tag", classified.Name))
            : (0, null);
    }

    private static bool Same(string? a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static bool Contains(string? text, string word) => text is not null && text.Contains(word, StringComparison.OrdinalIgnoreCase);
}
