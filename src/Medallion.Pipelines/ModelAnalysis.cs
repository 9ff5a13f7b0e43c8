using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;

namespace Medallion.Pipelines;

/// <summary>A table a model's SQL reads, and where in the model file it is named.</summary>
/// <param name="Table">The table.</param>
/// <param name="Location">Where the reference is in the .sql file.</param>
public sealed record TableReference(TableName Table, SourceLocation Location);

/// <summary>An upstream column: <c>namespace.table.column</c>.</summary>
/// <param name="Table">The upstream table.</param>
/// <param name="Column">The column in it.</param>
public readonly record struct ColumnReference(TableName Table, string Column)
{
    /// <summary>Formats as <c>namespace.table.column</c>.</summary>
    public override string ToString() => $"{Table}.{Column}";
}

/// <summary>One output column of a model and the upstream columns that feed it.</summary>
/// <param name="Name">The output name: the alias, the referenced column's name, or <c>_N</c> (1-based position) for an unaliased expression.</param>
/// <param name="Sources">The upstream columns the value is computed from, sorted; empty for constants.</param>
public sealed record OutputColumn(string Name, IReadOnlyList<ColumnReference> Sources)
{
    /// <summary>
    /// Whether each row's value is one of the source columns' values passed through, at most cast to another type
    /// (<c>customer_id</c>, <c>CAST(customer_id AS BIGINT)</c>, or several such under a UNION), rather than computed
    /// from them: a key copied that way holds the same keys as its sources.
    /// </summary>
    public bool IsCopy { get; init; }
}

/// <summary>What DuckDB's parser says about one model's SQL: the tables it reads and, per output column, the upstream columns it comes from.</summary>
/// <param name="Model">The model.</param>
/// <param name="References">Every table reference, in SQL order (CTE names and table functions excluded).</param>
/// <param name="Columns">The output columns with their upstream columns, as far as they can be resolved.</param>
/// <param name="ColumnsComplete">False when a <c>*</c> could not be expanded because an upstream table's columns were not known; <see cref="Columns"/> then lists only what could be named.</param>
public sealed record ModelAnalysis(TableName Model, IReadOnlyList<TableReference> References, IReadOnlyList<OutputColumn> Columns, bool ColumnsComplete)
{
    /// <summary>The distinct tables the model reads, in first-reference order.</summary>
    public IReadOnlyList<TableName> Dependencies => References.Select(r => r.Table).Distinct().ToList();

    /// <summary>The lineage edges into the model: one table-level edge per dependency, and one column-level edge per (output column, upstream column).</summary>
    public IReadOnlyList<LineageEdge> LineageEdges =>
        Dependencies.Select(d => new LineageEdge(d, null, Model, null))
            .Concat(Columns.SelectMany(c => c.Sources.Select(s => new LineageEdge(s.Table, s.Column, Model, c.Name))))
            .Distinct()
            .ToList();
}
