using Medallion.Catalog;

namespace Medallion.Pipelines.Quality;

/// <summary>The outcome of one expectation on the rows checked.</summary>
/// <param name="Rule">The expectation.</param>
/// <param name="Passed">Whether it held; false as well when it was not checked (see <see cref="NotChecked"/>).</param>
/// <param name="FailingRows">
/// For row-level rules, the exact number of rows that broke it (for <c>unique</c>, every row of a duplicated
/// key). Table-level rules (<c>row_count</c>, <c>freshness</c>, <c>schema</c>) report 0: no single row breaks them.
/// </param>
/// <param name="SampleRowsJson">
/// A JSON array: up to <see cref="ExpectationChecker.SampleSize"/> failing rows for row-level rules; for table-level
/// rules one object with what was observed (the row count, the newest value and its age, the mismatched columns).
/// <c>[]</c> when the rule held.
/// </param>
public sealed record ExpectationResult(Expectation Rule, bool Passed, long FailingRows, string SampleRowsJson)
{
    /// <summary>Why the rule was not checked (e.g. <c>no new rows</c>: an incremental build brought none); null when it was.</summary>
    public string? NotChecked { get; init; }

    /// <summary>Whether the rule was checked and broke: it neither held nor went unchecked.</summary>
    public bool Broken => !Passed && NotChecked is null;

    /// <summary>A rule on an incremental build that brought no rows: nothing was there to check.</summary>
    internal static ExpectationResult NoNewRows(Expectation rule) => new(rule, false, 0, "[]") { NotChecked = QualityStatus.NoNewRows };
}
