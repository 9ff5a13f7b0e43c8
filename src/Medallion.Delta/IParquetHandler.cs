using System.Collections.Generic;
using System.Threading;
using Medallion.Storage;

namespace Medallion.Delta;

/// <summary>
/// Reads Parquet files for the Delta kernel, which has no Parquet decoder of its own: checkpoints and
/// checkpoint sidecars are Parquet. The engine implements this (over DuckDB: <c>SELECT to_json(struct_pack(add, remove, ...))
/// FROM read_parquet(...)</c>).
/// </summary>
public interface IParquetHandler
{
    /// <summary>
    /// Streams the rows of one Parquet file as JSON object text, one object per row, holding the requested
    /// top-level <paramref name="columns"/>.
    /// </summary>
    /// <remarks>
    /// Requested columns the file does not have are left out of the objects (or written as <c>null</c>). Rows whose
    /// requested columns are all null may be skipped (a checkpoint row holds a single action).
    /// Structs become JSON objects, lists JSON arrays, maps JSON objects keyed by the map key, and
    /// 64-bit integers JSON numbers. Null structs are <c>null</c>.
    /// </remarks>
    /// <param name="store">The store holding the file.</param>
    /// <param name="key">The file's key in <paramref name="store"/>.</param>
    /// <param name="columns">The top-level columns to read.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    IAsyncEnumerable<string> ReadRowsAsJsonAsync(IObjectStore store, string key, IReadOnlyList<string> columns, CancellationToken cancellationToken = default);
}
