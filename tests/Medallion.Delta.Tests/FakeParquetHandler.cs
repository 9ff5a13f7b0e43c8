using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Storage;

namespace Medallion.Delta.Tests;

/// <summary>
/// Stands in for the engine's Parquet reader where a test needs a Parquet checkpoint: it returns the JSON rows
/// registered for a key, as the DuckDB-backed reader would render them. Records which keys were read.
/// </summary>
public sealed class FakeParquetHandler : IParquetHandler
{
    private readonly Dictionary<string, List<string>> _rows = [];

    public List<string> ReadKeys { get; } = [];

    public FakeParquetHandler With(string key, params string[] rows)
    {
        _rows[key] = [.. rows];
        return this;
    }

    public async IAsyncEnumerable<string> ReadRowsAsJsonAsync(IObjectStore store, string key, IReadOnlyList<string> columns, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ReadKeys.Add(key);
        foreach (string row in _rows[key])
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return row;
        }
    }
}
