using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;
using Medallion.Delta.Schema;

namespace Medallion.Engine.Writing;

/// <summary>
/// Finds the equality conjuncts <c>target.x = source.y</c> of a MERGE condition, so the target can be pruned by the
/// source's key range. Reads only what it is sure of: a condition with a top-level OR yields nothing, and a conjunct
/// of any other shape is skipped (an AND only narrows the match, so skipping one keeps the pruning safe).
/// </summary>
internal static partial class MergeJoinKeys
{
    public static List<(string Target, string Source)> Parse(string on)
    {
        var keys = new List<(string, string)>();
        List<string>? conjuncts = SplitTopLevelAnd(on);
        if (conjuncts is null)
        {
            return keys;
        }

        foreach (string conjunct in conjuncts)
        {
            Match m = Equality().Match(StripParentheses(conjunct));
            if (!m.Success)
            {
                continue;
            }

            (string leftSide, string left, string rightSide, string right) = (m.Groups[1].Value, Name(m.Groups[2].Value), m.Groups[3].Value, Name(m.Groups[4].Value));
            if (string.Equals(leftSide, "target", StringComparison.OrdinalIgnoreCase) && string.Equals(rightSide, "source", StringComparison.OrdinalIgnoreCase))
            {
                keys.Add((left, right));
            }
            else if (string.Equals(leftSide, "source", StringComparison.OrdinalIgnoreCase) && string.Equals(rightSide, "target", StringComparison.OrdinalIgnoreCase))
            {
                keys.Add((right, left));
            }
        }

        return keys;
    }

    /// <summary>
    /// Whether DuckDB compares the two types as the statistics pruning does: both numbers, or both the same type
    /// among string, date and timestamp. Otherwise an implicit cast could match values the ranges say cannot.
    /// </summary>
    public static bool SameKind(DeltaType target, DeltaType source) => (Kind(target), Kind(source)) switch
    {
        (string t, string s) => t == s,
        _ => false,
    };

    private static string? Kind(DeltaType type) => type switch
    {
        DecimalType => "number",
        PrimitiveType { Name: "long" or "integer" or "short" or "byte" or "float" or "double" } => "number",
        PrimitiveType { Name: "string" or "date" or "timestamp" or "timestamp_ntz" } p => p.Name,
        _ => null,
    };

    private static string Name(string identifier) =>
        identifier.StartsWith('"') ? identifier[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : identifier;

    private static string StripParentheses(string text)
    {
        string t = text.Trim();
        while (t.Length >= 2 && t[0] == '(' && t[^1] == ')' && SplitTopLevelAnd(t[1..^1]) is not null && Balanced(t[1..^1]))
        {
            t = t[1..^1].Trim();
        }

        return t;
    }

    private static bool Balanced(string text)
    {
        int depth = 0;
        foreach (char c in text)
        {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (depth < 0)
            {
                return false;
            }
        }

        return depth == 0;
    }

    /// <summary>The conjuncts at parenthesis depth 0, or null when the condition has a top-level OR (or unbalanced quotes).</summary>
    private static List<string>? SplitTopLevelAnd(string text)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
                continue;
            }

            if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                depth--;
            }
            else if (depth == 0 && IsWord(text, i, "OR"))
            {
                return null;
            }
            else if (depth == 0 && IsWord(text, i, "AND"))
            {
                parts.Add(text[start..i]);
                start = i + 3;
            }
        }

        if (quote != '\0')
        {
            return null;
        }

        parts.Add(text[start..]);
        return parts;
    }

    private static bool IsWord(string text, int at, string word) =>
        at + word.Length <= text.Length
        && string.Compare(text, at, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0
        && (at == 0 || !IsIdentifierChar(text[at - 1]))
        && (at + word.Length == text.Length || !IsIdentifierChar(text[at + word.Length]));

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '.' or '"';

    [GeneratedRegex("""^(target|source)\s*\.\s*("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(target|source)\s*\.\s*("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)$""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Equality();
}
