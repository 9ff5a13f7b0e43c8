using System;
using System.Collections.Generic;
using System.Linq;

namespace Medallion.Pipelines.Quality;

/// <summary>
/// A row-level rule compiled to SQL: <see cref="Fails"/> gives, for the checked relation, a boolean that is TRUE
/// exactly for the rows breaking the rule (never NULL, so "fails" and "passes" partition the rows).
/// </summary>
/// <param name="Rule">The expectation.</param>
/// <param name="Fails">The predicate for a relation (the relation matters for rules reading the model itself).</param>
/// <param name="Window">A window column the predicate reads (<c>unique</c>), added next to the relation's columns; null when none.</param>
/// <param name="WindowAlias">The quoted name of <see cref="Window"/>'s column.</param>
/// <param name="SampleOrder">Columns that order the sample (so duplicates of one key sit together), or empty.</param>
internal sealed record RowRule(Expectation Rule, Func<string, string> Fails, string? Window, string? WindowAlias, IReadOnlyList<string> SampleOrder);

/// <summary>Builds the SELECT pieces shared by counting, sampling and splitting rows.</summary>
internal static class RowRuleSql
{
    /// <summary>The relation, with the rules' window columns added when they have any.</summary>
    public static string From(IReadOnlyList<RowRule> rules, string relation)
    {
        List<string> windows = [.. rules.Where(r => r.Window is not null).Select(r => $"{r.Window} AS {r.WindowAlias}")];
        return windows.Count == 0 ? relation : $"(SELECT *, {string.Join(", ", windows)} FROM {relation})";
    }

    /// <summary>The relation's own columns, leaving out the window columns <see cref="From"/> added.</summary>
    public static string Columns(IReadOnlyList<RowRule> rules)
    {
        List<string> aliases = [.. rules.Where(r => r.WindowAlias is not null).Select(r => r.WindowAlias!)];
        return aliases.Count == 0 ? "*" : $"* EXCLUDE ({string.Join(", ", aliases)})";
    }

    /// <summary>TRUE for the rows breaking at least one of the rules.</summary>
    public static string AnyFails(IReadOnlyList<RowRule> rules, string relation) =>
        string.Join(" OR ", rules.Select(r => $"({r.Fails(relation)})"));
}
