using System;
using System.Collections.Generic;
using System.Linq;

namespace Medallion;

/// <summary>Finds the closest of several names to a misspelt one (Levenshtein distance, case-insensitive), for the "Did you mean" of error messages.</summary>
public static class NameSuggester
{
    // A shorter part ("ord", "a") is found inside too many names to be a hint.
    private const int MinimumPartLength = 4;

    /// <summary>The closest candidate, or null when none is close enough to be a plausible typo.</summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        int bestDistance = int.MaxValue;
        int limit = Limit(input);
        foreach (string candidate in candidates)
        {
            int distance = Distance(input.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance || (distance == bestDistance && string.CompareOrdinal(candidate, best) < 0))
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return bestDistance <= limit ? best : null;
    }

    /// <summary>" Did you mean 'x'?" for the closest candidate, or an empty string.</summary>
    public static string DidYouMean(string input, IEnumerable<string> candidates) =>
        Closest(input, candidates) is { } suggestion ? $" Did you mean '{suggestion}'?" : string.Empty;

    /// <summary>
    /// The tables (<c>namespace.name</c>) closest to a misspelt one, best first, at most <paramref name="count"/>: those
    /// within a typo of the whole name; else those within a typo of its bare name (the table is in another namespace);
    /// else those whose bare name contains the one written or starts with it (<c>gold.revenue</c> finds
    /// <c>gold.daily_revenue</c>, too many edits away to be a typo). Each kind of match is tried only when the one
    /// before found nothing, so a close name is not drowned by loose ones. Equal matches keep their order in <paramref name="tables"/>.
    /// </summary>
    public static IReadOnlyList<string> ClosestTables(string input, IEnumerable<string> tables, int count = 3)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(tables);
        string wanted = input.Trim().ToLowerInvariant();
        string wantedName = BareName(wanted);
        int limit = Limit(wanted), nameLimit = Limit(wantedName);
        var typos = new List<(string Table, int Distance)>();
        var typosOfName = new List<(string Table, int Distance)>();
        var parts = new List<(string Table, int Distance)>();
        foreach (string table in tables)
        {
            string lowered = table.ToLowerInvariant();
            string name = BareName(lowered);
            int distance = Distance(wanted, lowered), nameDistance = Distance(wantedName, name);
            if (distance <= limit)
            {
                typos.Add((table, distance));
            }
            else if (nameDistance <= nameLimit)
            {
                typosOfName.Add((table, nameDistance));
            }
            else if (wantedName.Length >= MinimumPartLength
                && (name.Contains(wantedName, StringComparison.Ordinal) || (name.Length >= MinimumPartLength && wantedName.StartsWith(name, StringComparison.Ordinal))))
            {
                parts.Add((table, Math.Abs(name.Length - wantedName.Length)));
            }
        }

        List<(string Table, int Distance)> best = typos.Count > 0 ? typos : typosOfName.Count > 0 ? typosOfName : parts;

        // OrderBy is stable: equal matches keep the caller's order (e.g. bronze, silver, gold).
        return [.. best.OrderBy(m => m.Distance).Take(count).Select(m => m.Table)];
    }

    /// <summary>" Did you mean a, b or c?" for the closest tables (see <see cref="ClosestTables"/>), or an empty string.</summary>
    public static string DidYouMeanTable(string input, IEnumerable<string> tables)
    {
        IReadOnlyList<string> closest = ClosestTables(input, tables);
        return closest.Count == 0 ? string.Empty : $" Did you mean {JoinAlternatives(closest)}?";
    }

    /// <summary>"a", "a or b", "a, b or c": alternatives as a sentence names them.</summary>
    public static string JoinAlternatives(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return names.Count <= 1 ? string.Concat(names) : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];
    }

    /// <summary>The Levenshtein distance between <paramref name="a"/> and <paramref name="b"/> (case-sensitive: lower both first to ignore case).</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    // How many edits a typo may have: two, or a third of the word for a long one.
    private static int Limit(string input) => Math.Max(2, input.Length / 3);

    private static string BareName(string table) => table[(table.LastIndexOf('.') + 1)..];
}
