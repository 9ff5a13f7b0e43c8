using System;
using System.Collections.Generic;
using System.Linq;

namespace Medallion.Server.Web;

/// <summary>
/// Run ids as a page shows them: like git's abbreviated hashes, each the shortest prefix of at least
/// <see cref="MinimumLength"/> characters that no other id on the page shares, so two runs started in the same
/// instant (a backfill's intervals) never read the same.
/// </summary>
internal sealed class RunIdAbbreviations
{
    /// <summary>The length an id is cut to when nothing on the page shares its prefix.</summary>
    public const int MinimumLength = 12;

    private readonly Dictionary<string, int> _lengths = new(StringComparer.Ordinal);

    /// <summary>Abbreviations unique among <paramref name="ids"/> (repeats of one id are one id).</summary>
    public RunIdAbbreviations(IEnumerable<string> ids)
    {
        string[] sorted = [.. ids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        for (int i = 0; i < sorted.Length; i++)
        {
            // In sorted order an id shares its longest prefix with a neighbour, so only they need to differ.
            int shared = Math.Max(
                i > 0 ? CommonPrefix(sorted[i - 1], sorted[i]) : 0,
                i < sorted.Length - 1 ? CommonPrefix(sorted[i], sorted[i + 1]) : 0);
            _lengths[sorted[i]] = Math.Max(MinimumLength, shared + 1);
        }
    }

    /// <summary>The abbreviation of <paramref name="id"/>; an id the page did not list is cut to the minimum length.</summary>
    public string this[string id] => Cut(id, _lengths.TryGetValue(id, out int length) ? length : MinimumLength);

    /// <summary>One id on its own, e.g. in a page title: the minimum length.</summary>
    public static string Single(string id) => Cut(id, MinimumLength);

    private static string Cut(string id, int length) => id.Length > length ? id[..length] : id;

    private static int CommonPrefix(string a, string b) => a.AsSpan().CommonPrefixLength(b);
}
