using Medallion.Delta.Schema;
using Medallion.Engine.Writing;

namespace Medallion.Engine;

/// <summary>The DuckDB spelling of Delta types, as the writer and the scans use it.</summary>
public static class DuckDbTypeNames
{
    /// <summary>The DuckDB type that holds values of <paramref name="type"/> (e.g. <c>long</c> is <c>BIGINT</c>, <c>timestamp</c> is <c>TIMESTAMPTZ</c>).</summary>
    /// <exception cref="System.ArgumentException">The type has no DuckDB equivalent.</exception>
    public static string Of(DeltaType type) => DuckDbTypes.ToDuckDb(type);
}
