using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Schema;
using Medallion.DuckDb;
using Medallion.Storage;

namespace Medallion.Engine.Writing;

/// <summary>
/// The kernel's Parquet reading and writing over DuckDB, for log files (checkpoints): rows go out through
/// <c>read_json</c> with the exact column types into <c>COPY ... (FORMAT parquet)</c>, and come back as
/// <c>to_json</c> of the requested columns. Files of non-local stores pass through a local temporary file.
/// </summary>
internal sealed class DuckDbParquetFiles(DuckDbConnection connection) : IParquetFileWriter, IParquetHandler
{
    public async Task<long> WriteRowsFromJsonAsync(IObjectStore store, string key, StructType schema, IEnumerable<string> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(schema);
        string temp = Path.Combine(Path.GetTempPath(), "medallion-" + Guid.NewGuid().ToString("N"));
        string json = temp + ".json", parquet = temp + ".parquet";
        try
        {
            await File.WriteAllLinesAsync(json, rows, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            var columns = new StringBuilder("{");
            for (int i = 0; i < schema.Fields.Count; i++)
            {
                StructField f = schema.Fields[i];
                columns.Append(i == 0 ? string.Empty : ", ").Append(DuckDbTypes.Quote(f.Name)).Append(": ").Append(DuckDbTypes.Literal(DuckDbTypes.ToDuckDb(f.Type)));
            }

            columns.Append('}');
            using (DuckDbCommand command = connection.CreateCommand())
            {
                command.CommandText = $"COPY (SELECT * FROM read_json({DuckDbTypes.Literal(json)}, format = 'newline_delimited', columns = {columns})) TO {DuckDbTypes.Literal(parquet)} (FORMAT parquet)";
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            byte[] bytes = await File.ReadAllBytesAsync(parquet, cancellationToken).ConfigureAwait(false);
            await store.PutAsync(key, bytes, cancellationToken).ConfigureAwait(false);
            return bytes.LongLength;
        }
        finally
        {
            File.Delete(json);
            File.Delete(parquet);
        }
    }

    public async IAsyncEnumerable<string> ReadRowsAsJsonAsync(IObjectStore store, string key, IReadOnlyList<string> columns, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(columns);
        string? temp = null;
        string path;
        if (store is LocalObjectStore local)
        {
            path = local.GetLocalPath(key);
        }
        else
        {
            temp = Path.Combine(Path.GetTempPath(), "medallion-" + Guid.NewGuid().ToString("N") + ".parquet");
            await File.WriteAllBytesAsync(temp, await store.ReadAllAsync(key, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            path = temp;
        }

        try
        {
            var present = new HashSet<string>(StringComparer.Ordinal);
            using (DuckDbCommand describe = connection.CreateCommand())
            {
                describe.CommandText = $"SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet({DuckDbTypes.Literal(path)}))";
                DuckDbDataReader r = await describe.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (r.ConfigureAwait(false))
                {
                    while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        present.Add(r.GetString(0));
                    }
                }
            }

            var pack = new List<string>();
            foreach (string c in columns)
            {
                if (present.Contains(c))
                {
                    pack.Add(DuckDbTypes.Quote(c) + " := " + DuckDbTypes.Quote(c));
                }
            }

            if (pack.Count == 0)
            {
                yield break;
            }

            using DuckDbCommand command = connection.CreateCommand();
            command.CommandText = $"SELECT CAST(to_json(struct_pack({string.Join(", ", pack)})) AS VARCHAR) FROM read_parquet({DuckDbTypes.Literal(path)})";
            DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return reader.GetString(0);
                }
            }
        }
        finally
        {
            if (temp is not null)
            {
                File.Delete(temp);
            }
        }
    }
}
