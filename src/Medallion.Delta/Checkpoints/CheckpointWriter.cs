using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Delta.Log;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;
using Medallion.Storage;

namespace Medallion.Delta.Checkpoints;

/// <summary>
/// Writes a classic single-file checkpoint of a snapshot (PROTOCOL.md "Checkpoints", V1 spec, classic naming),
/// then the <c>_last_checkpoint</c> hint, then removes expired log files. The checkpoint is written before the
/// hint, so a crash in between leaves a valid checkpoint that listing still finds; a crash while writing it leaves
/// no checkpoint file at all, since the store replaces objects atomically.
/// </summary>
public static class CheckpointWriter
{
    /// <summary>Commits between checkpoints when <c>delta.checkpointInterval</c> is not set (10).</summary>
    public const int DefaultInterval = 10;

    /// <summary>The checkpoint interval of a table (<c>delta.checkpointInterval</c>, default 10 commits).</summary>
    public static int Interval(Metadata metadata) => WriterFeatures.IntProperty(metadata.Configuration, "delta.checkpointInterval", DefaultInterval);

    /// <summary>Whether a commit of <paramref name="version"/> should be followed by a checkpoint.</summary>
    public static bool IsDue(long version, Metadata metadata) => version > 0 && version % Interval(metadata) == 0;

    /// <summary>
    /// Whether <paramref name="snapshot"/> is owed a checkpoint: <see cref="Interval"/> commits or more lie between it and
    /// the newest checkpoint in the log (a writer that skipped or failed its checkpoint, or another engine's commits).
    /// </summary>
    public static async Task<bool> IsOverdueAsync(IObjectStore store, Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(snapshot);
        long newest = -1;
        foreach (LogFile f in await LogSegmentBuilder.ListAsync(store, null, null, cancellationToken).ConfigureAwait(false))
        {
            if (f.IsCheckpoint && f.Version <= snapshot.Version)
            {
                newest = Math.Max(newest, f.Version);
            }
        }

        return snapshot.Version > 0 && snapshot.Version - newest >= Interval(snapshot.Metadata);
    }

    /// <summary>Writes the checkpoint of <paramref name="snapshot"/> with <paramref name="writer"/>, then the <c>_last_checkpoint</c> hint.</summary>
    /// <param name="table">
    /// The table, opened by the caller: its store, and its Parquet reader for the tombstones of the checkpoint the
    /// snapshot was loaded from (the snapshot may come from a cache and outlive the reader that loaded it).
    /// </param>
    /// <param name="writer">Writes the checkpoint's Parquet file.</param>
    /// <param name="snapshot">The snapshot to checkpoint; its version names the checkpoint.</param>
    /// <param name="now">The time tombstones are measured against (expired ones are left out).</param>
    /// <param name="cancellationToken">Cancels the write; the hint is written only after the checkpoint.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaCheckpointFailed"/> when the checkpoint could not be written.</exception>
    public static async Task<CheckpointResult> WriteAsync(DeltaTable table, IParquetFileWriter writer, Snapshot snapshot, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        IObjectStore store = table.Store;
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(writer);
        var rows = new List<string>(snapshot.Files.Count + 8)
        {
            ActionSerializer.SerializeLine(new ProtocolAction(snapshot.Protocol)),
            ActionSerializer.SerializeLine(new MetadataAction(snapshot.Metadata)),
        };
        foreach ((string appId, long version) in snapshot.TransactionVersions)
        {
            rows.Add(ActionSerializer.SerializeLine(new Txn(appId, version, null)));
        }

        foreach ((string domain, string configuration) in snapshot.DomainMetadata)
        {
            rows.Add(ActionSerializer.SerializeLine(new DomainMetadata(domain, configuration, false)));
        }

        int addCount = 0;
        foreach (ScanFile file in snapshot.Files)
        {
            // Checkpoints reconcile state; they never mark a change of data.
            rows.Add(ActionSerializer.SerializeLine(file.Add with { DataChange = false }));
            addCount++;
        }

        // Tombstones stay until the deleted-file retention passes, so VACUUM of readers at older versions stays safe.
        TimeSpan retention = RetentionDuration.FromProperty(snapshot.Metadata.Configuration, "delta.deletedFileRetentionDuration", RetentionDuration.DefaultDeletedFileRetention);
        long cutoff = (now - retention).ToUnixTimeMilliseconds();
        foreach (RemoveFile remove in await snapshot.LoadTombstonesAsync(table.Parquet, cancellationToken).ConfigureAwait(false))
        {
            if ((remove.DeletionTimestamp ?? 0) >= cutoff)
            {
                rows.Add(ActionSerializer.SerializeLine(remove with { DataChange = false, Stats = null }));
            }
        }

        string key = LogFile.LogDirectory + snapshot.Version.ToString("D20", CultureInfo.InvariantCulture) + ".checkpoint.parquet";
        long sizeBytes;
        try
        {
            sizeBytes = await writer.WriteRowsFromJsonAsync(store, key, CheckpointSchema.Classic, rows, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code != ErrorCode.DeltaCheckpointFailed)
        {
            throw new MedallionException(ErrorCode.DeltaCheckpointFailed,
                $"Could not write the checkpoint of version {snapshot.Version} of the Delta table at '{store.Location}': {e.Message}\nHelp: the table is unaffected; retry the checkpoint.", e,
                isTransient: e.IsTransient); // A checkpoint fails the way its write failed: a store's passing trouble or a lasting one.
        }

        CrashPoint.Reach("delta.checkpoint.before-hint");
        byte[] hint = Encoding.UTF8.GetBytes(LastCheckpointJson(snapshot.Version, rows.Count, sizeBytes, addCount));
        await store.PutAsync(LastCheckpoint.Key, hint, cancellationToken).ConfigureAwait(false);
        return new CheckpointResult(snapshot.Version, key, rows.Count, addCount, sizeBytes);
    }

    private static string LastCheckpointJson(long version, int actions, long sizeBytes, int addFiles)
    {
        JsonElement e = ActionSerializer.BuildObject(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("version", version);
            w.WriteNumber("size", actions);
            w.WriteNumber("sizeInBytes", sizeBytes);
            w.WriteNumber("numOfAddFiles", addFiles);
            w.WriteEndObject();
        });
        return e.GetRawText();
    }

    /// <summary>
    /// Makes <paramref name="snapshot"/>'s version the oldest the table keeps: writes its checkpoint, then deletes the
    /// change data files that only older commits name and every log file before it (commits and checkpoints, oldest first,
    /// so a crash in between leaves a log that merely starts later). A data subject erasure does this so that no older
    /// commit (the statistics of its <c>add</c> actions), checkpoint or change data file still holds the person; the
    /// versions before become unreadable, as after Delta's own log cleanup.
    /// </summary>
    /// <returns>The keys deleted: change data files, then log files.</returns>
    public static async Task<List<string>> ForgetHistoryBeforeAsync(DeltaTable table, IParquetFileWriter writer, Snapshot snapshot, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(snapshot);
        IObjectStore store = table.Store;
        await WriteAsync(table, writer, snapshot, now, cancellationToken).ConfigureAwait(false);
        List<LogFile> older = [.. (await LogSegmentBuilder.ListAsync(store, null, null, cancellationToken).ConfigureAwait(false)).Where(f => f.Version < snapshot.Version)];
        var deleted = new List<string>();
        foreach (LogFile commit in older.Where(f => f.Kind == LogFileKind.Commit))
        {
            foreach (string changeData in ChangeDataFiles(await store.ReadAllAsync(commit.Key, cancellationToken).ConfigureAwait(false)))
            {
                await store.DeleteAsync(changeData, cancellationToken).ConfigureAwait(false);
                deleted.Add(changeData);
            }
        }

        foreach (LogFile file in older)
        {
            await store.DeleteAsync(file.Key, cancellationToken).ConfigureAwait(false);
            deleted.Add(file.Key);
        }

        return deleted;
    }

    /// <summary>The table-relative keys of the change data files a commit's <c>cdc</c> actions name.</summary>
    private static IEnumerable<string> ChangeDataFiles(byte[] commit)
    {
        foreach (string line in System.Text.Encoding.UTF8.GetString(commit).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using JsonDocument action = JsonDocument.Parse(line);
            if (action.RootElement.TryGetProperty("cdc", out JsonElement cdc) && cdc.TryGetProperty("path", out JsonElement path) && path.GetString() is { } relative
                && !relative.Contains("://", StringComparison.Ordinal))
            {
                yield return Uri.UnescapeDataString(relative);
            }
        }
    }

    /// <summary>
    /// Deletes log files older than the table's <c>delta.logRetentionDuration</c> (default 30 days)
    /// (PROTOCOL.md "Metadata Cleanup"): everything before the newest checkpoint that has only expired files
    /// before it, so the oldest remaining version is always a checkpoint and every later version stays readable.
    /// </summary>
    /// <param name="store">The table's store.</param>
    /// <param name="metadata">The table's metadata, for its <c>delta.logRetentionDuration</c>.</param>
    /// <param name="now">The present, for the cutoff.</param>
    /// <param name="defaultRetention">The retention when the table sets none; null for the protocol's 30 days.</param>
    /// <param name="cancellationToken">Stops the cleanup; what was deleted stays deleted.</param>
    /// <returns>The keys deleted.</returns>
    public static async Task<List<string>> CleanupExpiredLogsAsync(IObjectStore store, Metadata metadata, DateTimeOffset now, TimeSpan? defaultRetention = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(metadata);
        TimeSpan retention = RetentionDuration.FromProperty(metadata.Configuration, "delta.logRetentionDuration", defaultRetention ?? RetentionDuration.DefaultLogRetention);
        DateTimeOffset cutoff = now - retention;
        List<LogFile> files = await LogSegmentBuilder.ListAsync(store, null, null, cancellationToken).ConfigureAwait(false);
        long boundary = -1;
        bool allExpiredSoFar = true;
        long currentVersion = -1;
        bool currentVersionExpired = true;
        foreach (LogFile f in files)
        {
            if (f.Version != currentVersion)
            {
                allExpiredSoFar &= currentVersionExpired;
                currentVersion = f.Version;
                currentVersionExpired = true;
            }

            if (f.IsCheckpoint && allExpiredSoFar && f.Parts == 1)
            {
                boundary = Math.Max(boundary, f.Version);
            }

            currentVersionExpired &= f.Info.LastModified < cutoff;
        }

        var deleted = new List<string>();
        foreach (LogFile f in files)
        {
            if (f.Version < boundary)
            {
                await store.DeleteAsync(f.Key, cancellationToken).ConfigureAwait(false);
                deleted.Add(f.Key);
            }
        }

        return deleted;
    }
}
