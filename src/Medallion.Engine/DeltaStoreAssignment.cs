using Medallion.Delta.Schema;
using Medallion.Engine.Writing;

namespace Medallion.Engine;

/// <summary>
/// Which values a Delta column takes and how they are converted, for callers that stage rows in DuckDB before a write
/// (file sources, ad-hoc loads): the same rule every write path of <see cref="DeltaWriter"/> applies, Spark's ANSI
/// store assignment (any number into a number column, checked row by row against the column's range; dates and times
/// into one another, a wall-clock time read as UTC; numbers, booleans, dates and times into text; never text into a
/// number or a date).
/// </summary>
public static class DeltaStoreAssignment
{
    /// <summary>Whether a column of <paramref name="column"/> takes values of the DuckDB type <paramref name="duckType"/> (as <c>DESCRIBE</c> spells it).</summary>
    public static bool Takes(DeltaType column, string duckType)
    {
        System.ArgumentNullException.ThrowIfNull(column);
        System.ArgumentException.ThrowIfNullOrEmpty(duckType);
        return duckType is "NULL" or "\"NULL\""
            || (DuckDbTypes.FromDuckDb(duckType, out _) is { } from && StoreAssignment.Allows(from, column, duckType));
    }

    /// <summary>
    /// The DuckDB expression that turns <paramref name="expression"/> (of DuckDB type <paramref name="duckType"/>, which
    /// <see cref="Takes"/> accepted) into a value of <paramref name="column"/>: a wall-clock time becomes the instant it
    /// names in UTC, never in the session's time zone; a number out of the column's range fails the query that evaluates it.
    /// </summary>
    public static string Convert(string expression, string duckType, DeltaType column)
    {
        System.ArgumentException.ThrowIfNullOrEmpty(expression);
        System.ArgumentNullException.ThrowIfNull(column);
        return StoreAssignment.Convert(expression, DuckDbTypes.FromDuckDb(duckType, out _), column, StoreTarget.None);
    }
}
