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
        string folder = CreateFolder();
        string json = Path.Combine(folder, "rows.json"), parquet = Path.Combine(folder, "rows.parquet");
        try
        {
            await StageAsync(folder, async () =>
            {
                await File.WriteAllLinesAsync(json, rows, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
                return json;
            }).ConfigureAwait(false);
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

            byte[] bytes = await StageAsync(folder, () => File.ReadAllBytesAsync(parquet, cancellationToken)).ConfigureAwait(false);
            await store.PutAsync(key, bytes, cancellationToken).ConfigureAwait(false);
            return bytes.LongLength;
        }
        finally
        {
            RemoveFolder(folder);
        }
    }

    /// <summary>A new folder of the owner's only in the temp folder, or the error naming the temp folder that refused it.</summary>
    private static string CreateFolder()
    {
        try
        {
            return Directory.CreateTempSubdirectory(FolderPrefix).FullName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw TempFolderFailed(Path.GetTempPath(), e);
        }
    }

    /// <summary>Reads or writes a file of the staging folder, failing with <see cref="TempFolderFailed"/>.</summary>
    private static async Task<T> StageAsync<T>(string folder, Func<Task<T>> io)
    {
        try
        {
            return await io().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw TempFolderFailed(folder, e);
        }
    }

    /// <summary>
    /// A failure of the local staging of the rows (a full disk, a temp folder that is missing or not writable) is this
    /// writer's error with the folder named, as a store's failure is, never a bare .NET exception.
    /// </summary>
    private static MedallionException TempFolderFailed(string folder, Exception inner) => DiskFull.Caused(inner)
        ? new MedallionException(ErrorCode.StorageFull, $"Could not stage a Parquet file in '{folder}': {DiskFull.Text}.\nHelp: free space on that disk, or point TMPDIR at a disk with space.", inner)
        : new MedallionException(ErrorCode.StorageIoFailed, $"Could not stage a Parquet file in '{folder}': {(Directory.Exists(folder) ? inner.Message : "the folder does not exist.")}\nHelp: make the temp folder (TMPDIR, now '{Path.GetTempPath()}') exist and be writable by the user running Medallion.", inner,
            isTransient: false); // A missing or read-only temp folder stays so until someone acts.

    /// <summary>Removes the staging folder; one that cannot be removed is left to <see cref="RemoveAbandonedFolders"/> rather than failing a write that succeeded.</summary>
    private static void RemoveFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cleaned by a later write once it is old enough.
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
