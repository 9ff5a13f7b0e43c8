using Medallion.Storage;

namespace Medallion.Delta.Tests;

/// <summary>Opens the shared conformance tables (<see cref="ConformanceTables"/>) as Delta tables.</summary>
public static class Conformance
{
    /// <summary>Opens a case's table in place (read-only use).</summary>
    public static DeltaTable Open(string caseName, IParquetHandler? parquet = null) =>
        new(new LocalObjectStore(ConformanceTables.TablePath(caseName)), parquet);
}
