using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.DuckDb;
using Medallion.Storage;

namespace Medallion.Engine.Parquet;

/// <summary>
/// Reads Delta checkpoint and sidecar Parquet files through DuckDB, rendering each row as a JSON object of the
/// requested top-level columns (<c>to_json(struct_pack(...))</c>); columns the file lacks are left out, and rows
/// whose requested columns are all null are skipped.
/// Files of remote stores are read from the store's local mirror in the object cache.
/// </summary>
public sealed class DuckDbParquetHandler : IParquetHandler
{
    private const int MaxCachedFiles = 256;
    private readonly DuckDbConnection _connection;
    private readonly ConcurrentDictionary<(string Path, long Length, long Ticks), HashSet<string>> _columns = new();

    /// <summary>Uses <paramref name="connection"/> (open) for its queries; the caller keeps ownership.</summary>
    public DuckDbParquetHandler(DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<string> ReadRowsAsJsonAsync(IObjectStore store, string key, IReadOnlyList<string> columns, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        // DuckDB reads local files only: a remote store's checkpoint is read from its copy in the object cache.
        LocalMirror mirror = LocalMirror.Of(store);
        await mirror.FetchAsync([key], cancellationToken).ConfigureAwait(false);
        string path = mirror.PathOf(key);
        string source = "read_parquet(" + DuckDbConnection.QuoteLiteral(path) + ")";
        var file = new FileInfo(path);
        // Checkpoint and sidecar files are immutable once written, so their column list is cached by (path, size,
        // time): loading a snapshot again then costs one query instead of two.
        var cacheKey = (path, file.Exists ? file.Length : -1, file.Exists ? file.LastWriteTimeUtc.Ticks : 0);
        if (!_columns.TryGetValue(cacheKey, out HashSet<string>? present))
        {
            present = new HashSet<string>(StringComparer.Ordinal);
            using (DuckDbCommand describe = _connection.CreateCommand())
            {
                describe.CommandText = "SELECT column_name FROM (DESCRIBE SELECT * FROM " + source + ")";
                using var reader = await describe.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    present.Add(reader.GetString(0));
                }
            }

            if (_columns.Count >= MaxCachedFiles)
            {
                _columns.Clear();
            }

            _columns[cacheKey] = present;
        }

        List<string> wanted = columns.Where(present.Contains).ToList();
        if (wanted.Count == 0)
        {
            yield break;
        }

        using DuckDbCommand command = _connection.CreateCommand();
        // A checkpoint row holds one action, so a row whose requested columns are all null carries nothing asked for
        // (tombstones when reading live state); filtering them in DuckDB spares rendering and parsing them.
        command.CommandText = "SELECT to_json(struct_pack(" + string.Join(", ", wanted.Select(c => DuckDbConnection.QuoteIdentifier(c) + " := " + DuckDbConnection.QuoteIdentifier(c))) + "))::VARCHAR FROM " + source
            + " WHERE " + string.Join(" OR ", wanted.Select(c => DuckDbConnection.QuoteIdentifier(c) + " IS NOT NULL"));
        using var rows = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return rows.GetString(0);
        }
    }
}
