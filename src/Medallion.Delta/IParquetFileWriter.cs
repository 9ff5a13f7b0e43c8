using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Schema;
using Medallion.Storage;

namespace Medallion.Delta;

/// <summary>
/// Writes Parquet files for the Delta kernel, which has no Parquet encoder of its own: checkpoints are Parquet.
/// The engine implements this (over DuckDB: <c>COPY (SELECT * FROM read_json(..., columns = ...)) TO ... (FORMAT parquet)</c>).
/// </summary>
public interface IParquetFileWriter
{
    /// <summary>
    /// Writes <paramref name="rows"/> (JSON objects, one per row, keyed by top-level column; absent columns are null)
    /// as one Parquet file with exactly <paramref name="schema"/>, and stores it at <paramref name="key"/>,
    /// replacing any object there atomically.
    /// </summary>
    /// <returns>The size of the written file in bytes.</returns>
    Task<long> WriteRowsFromJsonAsync(IObjectStore store, string key, StructType schema, IEnumerable<string> rows, CancellationToken cancellationToken = default);
}
