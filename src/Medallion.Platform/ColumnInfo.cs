using System.Collections.Generic;

namespace Medallion.Platform;

/// <summary>A column of a table: its type from the Delta schema and its docs from the project files or the catalog.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="DataType">Its type as DuckDB spells it; empty when only the docs know the column (the table is not built).</param>
/// <param name="Nullable">Whether it may hold nulls.</param>
/// <param name="Description">What it holds.</param>
/// <param name="Classification">Its data class, e.g. <c>pii</c>.</param>
/// <param name="Tags">Its tags.</param>
public sealed record ColumnInfo(string Name, string DataType, bool Nullable, string? Description, string? Classification, IReadOnlyList<string> Tags);
