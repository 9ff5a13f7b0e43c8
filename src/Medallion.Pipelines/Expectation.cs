using System;
using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Pipelines;

/// <summary>The kind of a quality rule.</summary>
public enum ExpectationKind
{
    /// <summary>The columns hold no nulls.</summary>
    NotNull,
    /// <summary>The combination of the columns is unique.</summary>
    Unique,
    /// <summary>The column holds only the listed values.</summary>
    AcceptedValues,
    /// <summary>The column lies within <see cref="Expectation.Min"/> and <see cref="Expectation.Max"/> (inclusive).</summary>
    Range,
    /// <summary>The column matches <see cref="Expectation.Pattern"/> (DuckDB's <c>regexp_full_match</c>).</summary>
    Regex,
    /// <summary>Every value of the column exists in <see cref="Expectation.To"/>.<see cref="Expectation.ToColumn"/>.</summary>
    Relationships,
    /// <summary>The table's row count lies within <see cref="Expectation.Min"/> and <see cref="Expectation.Max"/>.</summary>
    RowCount,
    /// <summary>The newest value of the column is at most <see cref="Expectation.MaxAge"/> old.</summary>
    Freshness,
    /// <summary>Every row satisfies the SQL boolean <see cref="Expectation.Sql"/>.</summary>
    Expression,
    /// <summary>The table has the columns (and types) of <see cref="Expectation.SchemaColumns"/>.</summary>
    Schema,
}

/// <summary>What happens when a rule does not hold.</summary>
public enum ExpectationSeverity
{
    /// <summary>Record the result only.</summary>
    Warn,
    /// <summary>Move the failing rows to <c>&lt;namespace&gt;.&lt;name&gt;_quarantine</c>; commit the rest.</summary>
    Quarantine,
    /// <summary>Commit nothing; the model fails.</summary>
    Fail,
}

/// <summary>One quality rule of a model. Only the fields its <see cref="Kind"/> uses are set.</summary>
/// <param name="Kind">The rule.</param>
/// <param name="Name">A stable name for results, e.g. <c>not_null(customer_id)</c>.</param>
/// <param name="Severity">What a failure does.</param>
/// <param name="Columns">The columns the rule checks (one for most kinds; several for <c>not_null</c> and <c>unique</c>).</param>
/// <param name="Values">For <c>accepted_values</c>.</param>
/// <param name="Min">For <c>range</c> and <c>row_count</c>: the inclusive lower bound as written (a SQL literal), or null.</param>
/// <param name="Max">For <c>range</c> and <c>row_count</c>: the inclusive upper bound as written, or null.</param>
/// <param name="Pattern">For <c>regex</c>.</param>
/// <param name="To">For <c>relationships</c>: the referenced table.</param>
/// <param name="ToColumn">For <c>relationships</c>: the referenced column.</param>
/// <param name="MaxAge">For <c>freshness</c>.</param>
/// <param name="Sql">For <c>expression</c>: a SQL boolean over the model's columns.</param>
/// <param name="SchemaColumns">For <c>schema</c>: expected column names and DuckDB types (an empty type accepts any).</param>
/// <param name="Location">Where the rule is written.</param>
public sealed record Expectation(
    ExpectationKind Kind,
    string Name,
    ExpectationSeverity Severity,
    IReadOnlyList<string> Columns,
    IReadOnlyList<string> Values,
    string? Min,
    string? Max,
    string? Pattern,
    TableName? To,
    string? ToColumn,
    TimeSpan? MaxAge,
    string? Sql,
    IReadOnlyDictionary<string, string>? SchemaColumns,
    SourceLocation Location);
