using System.Collections.Generic;
using Medallion.Catalog;
using Medallion.Pipelines.Privacy;

namespace Medallion.Platform.Privacy;

/// <summary>A table holding a person's rows.</summary>
/// <param name="Table">The table of the project (whichever physical table of it holds the rows, see <see cref="Environments"/>).</param>
/// <param name="Kind">Where the table comes from.</param>
/// <param name="Version">The version read.</param>
/// <param name="MatchedColumns">The columns whose values identified the person.</param>
/// <param name="Rows">The person's rows, each value with its column's docs.</param>
/// <param name="Policy">What an erasure does to the rows (<c>erasure:</c> of the model; delete elsewhere).</param>
public sealed record SubjectTableMatch(
    TableName Table,
    TableKind Kind,
    long Version,
    IReadOnlyList<string> MatchedColumns,
    IReadOnlyList<IReadOnlyList<SubjectValue>> Rows,
    ErasurePolicy Policy)
{
    /// <summary>
    /// What points at the physical table holding the rows when it is not prod's: environments (<c>dev</c>), kept previous
    /// sets (<c>prod~previous</c>), or <see cref="Lakehouse.Unpointed"/>; empty for prod's table.
    /// </summary>
    public IReadOnlyList<string> Environments { get; init; } = [];

    /// <summary>The table as reports name it: <c>silver.customers</c> for prod's, <c>silver.customers (dev)</c> for another.</summary>
    public string DisplayName => Display(Table, Environments);

    /// <summary>Where the physical table is.</summary>
    internal string Location { get; init; } = string.Empty;

    /// <summary>A physical table as reports name it: the table, and what points at it when it is not prod's.</summary>
    internal static string Display(TableName table, IReadOnlyList<string> environments) =>
        environments.Count == 0 ? table.ToString() : $"{table} ({string.Join(", ", environments)})";

    /// <summary>
    /// The SQL condition that selects the person's rows, over the table's columns, however their identifiers are
    /// written: what finds them in older data files too.
    /// </summary>
    internal string Predicate { get; init; } = "false";

    /// <summary>
    /// The condition that selects the rows found, by the exact values their matched columns hold: the same rows as
    /// <see cref="Predicate"/> in the version searched, compared without normalising every value of the table.
    /// </summary>
    internal string FoundRowsPredicate { get; init; } = "false";

    /// <summary>The assignments of an anonymising erasure: the matched and the classified columns set to NULL.</summary>
    internal string Anonymization { get; init; } = string.Empty;
}
