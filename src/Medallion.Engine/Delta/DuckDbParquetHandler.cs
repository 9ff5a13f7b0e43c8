using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.DuckDb;
using Medallion.Storage;

namespace Medallion.Engine.Delta;

/// <summary>
/// Reads Delta checkpoint and sidecar Parquet files through DuckDB, rendering each row as a JSON object of the
/// requested top-level columns (<c>to_json(struct_pack(...))</c>); columns the file lacks are left out.
/// Only local stores are supported until the object-store cache exists.
/// </summary>
public sealed class DuckDbParquetHandler : IParquetHandler
{
    private readonly DuckDbConnection _connection;

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
        if (store is not LocalObjectStore local)
        {
            throw new MedallionException(ErrorCode.StorageIoFailed,
                $"Cannot read Parquet file '{key}' from '{store.Location}': only local stores can be read by the engine so far.");
        }

        string source = "read_parquet(" + DuckDbConnection.QuoteLiteral(local.GetLocalPath(key)) + ")";
        var present = new HashSet<string>(StringComparer.Ordinal);
        using (DuckDbCommand describe = _connection.CreateCommand())
        {
            describe.CommandText = "SELECT column_name FROM (DESCRIBE SELECT * FROM " + source + ")";
            using var reader = await describe.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                present.Add(reader.GetString(0));
            }
        }

        List<string> wanted = columns.Where(present.Contains).ToList();
        if (wanted.Count == 0)
        {
            yield break;
        }

        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = "SELECT to_json(struct_pack(" + string.Join(", ", wanted.Select(c => DuckDbConnection.QuoteIdentifier(c) + " := " + DuckDbConnection.QuoteIdentifier(c))) + "))::VARCHAR FROM " + source;
        using var rows = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return rows.GetString(0);
        }
    }
}
