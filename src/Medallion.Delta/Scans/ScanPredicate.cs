using System.Collections.Generic;

namespace Medallion.Delta.Scans;

/// <summary>
/// A small predicate language for pruning files (not SQL): comparisons of one column with a literal, IN, IS
/// [NOT] NULL, AND and OR. Columns are logical top-level names; literals are .NET values of the column's type
/// (numbers, strings, <c>bool</c>, <c>DateOnly</c>, <c>DateTimeOffset</c>, <c>DateTime</c> for timestamp_ntz).
/// Pruning is conservative: a file is dropped only when no row in it can match.
/// </summary>
public abstract record ScanPredicate
{
    /// <summary><c>column = value</c></summary>
    public static ScanPredicate Equal(string column, object value) => new ComparisonPredicate(column, ComparisonOperator.Equal, value);

    /// <summary><c>column &lt;&gt; value</c></summary>
    public static ScanPredicate NotEqual(string column, object value) => new ComparisonPredicate(column, ComparisonOperator.NotEqual, value);

    /// <summary><c>column &lt; value</c></summary>
    public static ScanPredicate LessThan(string column, object value) => new ComparisonPredicate(column, ComparisonOperator.LessThan, value);

    /// <summary><c>column &lt;= value</c></summary>
    public static ScanPredicate LessThanOrEqual(string column, object value) => new ComparisonPredicate(column, ComparisonOperator.LessThanOrEqual, value);

    /// <summary><c>column &gt; value</c></summary>
    public static ScanPredicate GreaterThan(string column, object value) => new ComparisonPredicate(column, ComparisonOperator.GreaterThan, value);

    /// <summary><c>column &gt;= value</c></summary>
    public static ScanPredicate GreaterThanOrEqual(string column, object value) => new ComparisonPredicate(column, ComparisonOperator.GreaterThanOrEqual, value);

    /// <summary><c>column IN (values)</c></summary>
    public static ScanPredicate In(string column, params IReadOnlyList<object> values) => new InPredicate(column, values);

    /// <summary><c>column IS NULL</c></summary>
    public static ScanPredicate IsNull(string column) => new IsNullPredicate(column, Negated: false);

    /// <summary><c>column IS NOT NULL</c></summary>
    public static ScanPredicate IsNotNull(string column) => new IsNullPredicate(column, Negated: true);

    /// <summary><c>left AND right</c></summary>
    public static ScanPredicate And(ScanPredicate left, ScanPredicate right) => new AndPredicate(left, right);

    /// <summary><c>left OR right</c></summary>
    public static ScanPredicate Or(ScanPredicate left, ScanPredicate right) => new OrPredicate(left, right);
}
