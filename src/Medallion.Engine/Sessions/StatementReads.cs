using System.Collections.Generic;

namespace Medallion.Engine.Sessions;

/// <summary>
/// What a statement reads, as DuckDB's parse of it shows (the same walk that binds its tables): the lakehouse tables
/// it names, and the columns it names, as written (<c>o.amount</c>, <c>amount</c>, <c>*</c>). Column names are not
/// resolved to their tables; a <c>*</c> stands for every column of the tables.
/// </summary>
/// <param name="Tables">Lakehouse tables read, <c>namespace.table</c>, with <c>@v3</c> for a time-travel read of version 3.</param>
/// <param name="Columns">Column references, in the order they appear, without repeats.</param>
public sealed record StatementReads(IReadOnlyList<string> Tables, IReadOnlyList<string> Columns)
{
    /// <summary>Nothing read (a refused statement, or one with no table).</summary>
    public static StatementReads None { get; } = new([], []);
}
