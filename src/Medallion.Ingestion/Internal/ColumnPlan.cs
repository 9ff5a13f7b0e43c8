namespace Medallion.Ingestion.Internal;

/// <summary>How one source column is selected, read, staged and converted into its DuckDB type.</summary>
/// <param name="Name">The column name in the source (and in DuckDB).</param>
/// <param name="SourceType">The source's type text, for messages and <see cref="SourceColumn"/>.</param>
/// <param name="SelectSql">The expression in the source query (the quoted column, or a cast of it to text).</param>
/// <param name="Kind">How values are read and appended.</param>
/// <param name="StageType">The DuckDB type the appender writes.</param>
/// <param name="DuckDbType">The DuckDB type of the batch table column.</param>
/// <param name="ConvertSql">
/// A DuckDB expression turning the staged column (written as <c>{0}</c>) into <paramref name="DuckDbType"/>,
/// or null when the staged value is already final.
/// </param>
internal sealed record ColumnPlan(string Name, string SourceType, string SelectSql, ValueKind Kind, string StageType, string DuckDbType, string? ConvertSql = null)
{
    /// <summary>The source type is one the type map does not know, so its values land as their text (and a warning says so).</summary>
    public bool KeptAsText { get; init; }

    public SourceColumn ToSourceColumn() => new(Name, SourceType, DuckDbType);
}
