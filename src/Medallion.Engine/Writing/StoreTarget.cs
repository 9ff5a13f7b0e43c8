namespace Medallion.Engine.Writing;

/// <summary>What a store assignment's error names: the table, the column, and the SQL naming the row (<see cref="StoreAssignment.RowKey"/>), if any.</summary>
/// <param name="Table">The table's location.</param>
/// <param name="Column">The column assigned; null where the caller converts values before they meet a column (the write then names it).</param>
/// <param name="RowKey">A VARCHAR expression naming the row in the statement, or null.</param>
internal sealed record StoreTarget(string? Table, string? Column, string? RowKey)
{
    /// <summary>No column or row to name: only the value and the type.</summary>
    public static StoreTarget None { get; } = new(null, null, null);
}
