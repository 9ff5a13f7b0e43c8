using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Schema;
using Medallion.DuckDb;
using Medallion.Storage;

namespace Medallion.Engine.Parquet;

/// <summary>
/// The kernel's Parquet writing over DuckDB, for log files (checkpoints): rows go through <c>read_json</c> with the
/// exact column types into <c>COPY ... (FORMAT parquet)</c>, into a local temporary file that is then put into the store.
/// </summary>
internal sealed class DuckDbParquetFiles(DuckDbConnection connection) : IParquetFileWriter
{
    private const string FolderPrefix = "medallion-checkpoint-";

    // No checkpoint's rows take this long to write: an older folder is one a killed process left.
    private static readonly TimeSpan s_abandonedAfter = TimeSpan.FromHours(1);

    public async Task<long> WriteRowsFromJsonAsync(IObjectStore store, string key, StructType schema, IEnumerable<string> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(schema);
        // A checkpoint holds every file's statistics (the data's minimums and maximums): it is written in a folder of the
        // owner's only (CreateTempSubdirectory makes it 0700), never readable in the shared temp folder.
        RemoveAbandonedFolders();
        string folder = Directory.CreateTempSubdirectory(FolderPrefix).FullName;
        string json = Path.Combine(folder, "rows.json"), parquet = Path.Combine(folder, "rows.parquet");
        try
        {
            await File.WriteAllLinesAsync(json, rows, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            var columns = new StringBuilder("{");
            for (int i = 0; i < schema.Fields.Count; i++)
            {
                StructField f = schema.Fields[i];
                columns.Append(i == 0 ? string.Empty : ", ").Append(DuckDbConnection.QuoteIdentifier(f.Name)).Append(": ").Append(DuckDbConnection.QuoteLiteral(DuckDbTypes.ToDuckDb(f.Type)));
            }

            columns.Append('}');
            using (DuckDbCommand command = connection.CreateCommand())
            {
                command.CommandText = $"COPY (SELECT * FROM read_json({DuckDbConnection.QuoteLiteral(json)}, format = 'newline_delimited', columns = {columns})) TO {DuckDbConnection.QuoteLiteral(parquet)} (FORMAT parquet)";
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            byte[] bytes = await File.ReadAllBytesAsync(parquet, cancellationToken).ConfigureAwait(false);
            await store.PutAsync(key, bytes, cancellationToken).ConfigureAwait(false);
            return bytes.LongLength;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Deletes the folders of checkpoints that a killed process left in the temp folder (the <c>finally</c> above never
    /// ran), once they are old enough that no live checkpoint is writing there. Another user's folders are not ours to
    /// delete; the temp folder's sticky bit refuses, and that is left alone.
    /// </summary>
    private static void RemoveAbandonedFolders()
    {
        DateTime before = DateTime.UtcNow - s_abandonedAfter;
        try
        {
            foreach (string folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
            {
                try
                {
                    if (Directory.GetLastWriteTimeUtc(folder) < before)
                    {
                        Directory.Delete(folder, recursive: true);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another user's, or gone meanwhile: not ours to clean.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable temp folder only means nothing is cleaned this time.
        }
    }
}
