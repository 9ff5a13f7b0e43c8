using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Actions;
using Medallion.Delta.Checkpoints;
using Medallion.Delta.Iceberg;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;
using Medallion.DuckDb;
using Medallion.Engine.Writing;
using Medallion.Storage;

namespace Medallion.Engine;

public sealed partial class DeltaWriter
{
    /// <summary>The file size OPTIMIZE packs small files into (Delta's default, 1 GiB is Databricks'; 128 MiB suits one machine).</summary>
    public const long DefaultTargetFileSizeBytes = 128L * 1024 * 1024;

    /// <summary>Writes a checkpoint of the newest version now (and cleans expired log files), whatever the interval.</summary>
    public async Task<DeltaOperationResult> CheckpointAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        Snapshot snapshot = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
        CheckpointResult written = await CheckpointWriter.WriteAsync(table, _parquet, snapshot, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        List<string> cleaned = await CheckpointWriter.CleanupExpiredLogsAsync(table.Store, snapshot.Metadata, DateTimeOffset.UtcNow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new DeltaOperationResult("CHECKPOINT", table.Location, snapshot.Version, false)
        {
            CheckpointVersion = written.Version,
            Paths = cleaned,
            Metrics = Parameters(
                ("numActions", Transaction.Metric(written.Actions)),
                ("numAddFiles", Transaction.Metric(written.AddFiles)),
                ("sizeInBytes", Transaction.Metric(written.SizeBytes)),
                ("numExpiredLogFilesDeleted", Transaction.Metric(cleaned.Count))),
        };
    }

    /// <summary>
    /// Makes <paramref name="version"/> the oldest version the table keeps: its checkpoint is written, then the log before
    /// it and the change data files only that log names are deleted (see <see cref="CheckpointWriter.ForgetHistoryBeforeAsync"/>).
    /// A data subject erasure calls it with its own commit, so that no older commit, checkpoint or change data file still
    /// holds the person. Versions before become unreadable.
    /// </summary>
    /// <returns>The keys deleted.</returns>
    public async Task<IReadOnlyList<string>> ForgetHistoryBeforeAsync(string path, long version, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        Snapshot snapshot = await table.GetSnapshotAsync(version, cancellationToken).ConfigureAwait(false);
        return await CheckpointWriter.ForgetHistoryBeforeAsync(table, _parquet, snapshot, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes data files no longer referenced by the newest version and older than the retention (the table's
    /// <c>delta.deletedFileRetentionDuration</c>, default 7 days, or <paramref name="retain"/>). Keeping less than the
    /// table's retention can break readers of older versions and concurrent writers, so it needs <paramref name="force"/>.
    /// A file another table still reads (<paramref name="keepForClones"/>: a shallow clone's <c>add</c> names it by its
    /// absolute path) is kept whatever its age, and counted in the <c>numFilesKeptForClones</c> metric.
    /// </summary>
    /// <param name="path">The table's location.</param>
    /// <param name="retain">The history to keep; the table's <c>delta.deletedFileRetentionDuration</c> when null.</param>
    /// <param name="dryRun">List what would be deleted and delete nothing.</param>
    /// <param name="force">Allow <paramref name="retain"/> below the table's retention.</param>
    /// <param name="keepForClones">Keys of this table's files that shallow clones of it still name; null when none do.</param>
    /// <param name="cancellationToken">Stops between deletions.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaRetentionTooShort"/> when <paramref name="retain"/> is below the table's retention without <paramref name="force"/>.</exception>
    public async Task<DeltaOperationResult> VacuumAsync(string path, TimeSpan? retain = null, bool dryRun = false, bool force = false, IReadOnlySet<string>? keepForClones = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        DeltaTable table = OpenTable(path);
        Snapshot snapshot = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
        EnsureMayChange(table, snapshot, "VACUUM");
        WriterFeatures.EnsureWritable(snapshot.Protocol, snapshot.Schema, table.Location);
        TimeSpan tableRetention = RetentionDuration.FromProperty(snapshot.Metadata.Configuration, "delta.deletedFileRetentionDuration", RetentionDuration.DefaultDeletedFileRetention);
        TimeSpan retention = retain ?? tableRetention;
        if (retention < tableRetention && !force)
        {
            throw new MedallionException(ErrorCode.DeltaRetentionTooShort,
                $"VACUUM of the Delta table at '{table.Location}' was asked to keep {Hours(retention)} of history, less than the table's delta.deletedFileRetentionDuration ({Hours(tableRetention)}): readers of older versions and running writers could lose files.\nHelp: keep at least {Hours(tableRetention)}, or force the vacuum if no reader or writer uses older versions.");
        }

        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (ScanFile f in snapshot.Files)
        {
            live.Add(f.Path);
            if (f.Add.DeletionVector is { StorageType: "u" or "p" } dv)
            {
                live.Add(global::Medallion.Delta.DeletionVectors.DeletionVectorReader.ResolveKey(table.Store, dv));
            }
        }

        DateTimeOffset cutoff = DateTimeOffset.UtcNow - retention;
        var doomed = new List<string>();
        // A UniForm table's Iceberg metadata is not data: its expiry follows the log's retention (IcebergExpiry).
        string? iceberg = UniForm.IsEnabled(snapshot.Metadata.Configuration) ? IcebergConverter.MetadataFolder : null;
        int keptForClones = 0;
        await foreach (ObjectInfo info in table.Store.ListAsync(string.Empty, null, cancellationToken).ConfigureAwait(false))
        {
            if (IsHiddenFromVacuum(info.Key) || live.Contains(info.Key) || info.LastModified >= cutoff || (iceberg is not null && info.Key.StartsWith(iceberg, StringComparison.Ordinal)))
            {
                continue;
            }

            if (keepForClones?.Contains(info.Key) == true)
            {
                keptForClones++;
                continue;
            }

            doomed.Add(info.Key);
        }

        int abortedUploads = 0;
        if (!dryRun)
        {
            foreach (string key in doomed)
            {
                await table.Store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            }

            // A writer killed during a multipart upload leaves parts that are no object, and one killed before linking its
            // commit leaves a hidden temporary file in the log, so the listing above misses both. Neither is touched while
            // younger than UnfinishedWriteAge, whatever retention was forced: a live writer may still finish it.
            DateTimeOffset unfinishedBefore = DateTimeOffset.UtcNow - UnfinishedWriteAge;
            abortedUploads = await table.Store.AbortUnfinishedUploadsAsync(cutoff < unfinishedBefore ? cutoff : unfinishedBefore, cancellationToken).ConfigureAwait(false);
        }

        return new DeltaOperationResult("VACUUM", table.Location, snapshot.Version, false)
        {
            FilesRemoved = dryRun ? 0 : doomed.Count,
            Paths = doomed,
            Metrics = Parameters(
                ("numFilesToDelete", Transaction.Metric(doomed.Count)),
                ("numDeletedFiles", Transaction.Metric(dryRun ? 0 : doomed.Count)),
                ("numAbortedUploads", Transaction.Metric(abortedUploads)),
                ("numFilesKeptForClones", Transaction.Metric(keptForClones)),
                ("retentionHours", Transaction.Metric((long)retention.TotalHours)),
                ("dryRun", dryRun ? "true" : "false")),
        };
    }

    /// <summary>How old an unfinished write (a temporary file, an upload's parts) must be before VACUUM removes it: no commit or upload takes that long.</summary>
    public static readonly TimeSpan UnfinishedWriteAge = TimeSpan.FromHours(1);

    /// <summary>
    /// The upkeep Databricks' predictive optimization gives a table, in one call: a checkpoint when one is overdue
    /// (<see cref="CheckpointWriter.IsOverdueAsync"/>), auto compaction when the table sets
    /// <see cref="AutoCompactProperty"/> (<see cref="AutoCompactAsync"/>), the log files past <c>delta.logRetentionDuration</c> removed, and
    /// VACUUM past <c>delta.deletedFileRetentionDuration</c>, unfinished writes included. The table's own properties
    /// win; the defaults given here stand in for tables that set none, and Delta's (30 and 7 days) when null.
    /// </summary>
    /// <param name="path">The table's location.</param>
    /// <param name="defaultLogRetention">The log retention of a table without <c>delta.logRetentionDuration</c>.</param>
    /// <param name="defaultDeletedFileRetention">The file retention of a table without <c>delta.deletedFileRetentionDuration</c>.</param>
    /// <param name="keepForClones">Keys of this table's files that shallow clones of it still name, which VACUUM keeps; null when none do.</param>
    /// <param name="cancellationToken">Stops between steps; what was done stays done.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaTableProtected"/> for the platform's own protected tables, which keep their own upkeep.</exception>
    public async Task<TableMaintenance> MaintainAsync(string path, TimeSpan? defaultLogRetention = null, TimeSpan? defaultDeletedFileRetention = null, IReadOnlySet<string>? keepForClones = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        Snapshot snapshot = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
        EnsureMayChange(table, snapshot, "Maintenance");
        // Compaction runs here, off every writer's commit path: its commit removes files without changing data, which
        // concurrent blind appends do not conflict with. Only tables that set the property opt in.
        int compacted = 0;
        if (snapshot.Metadata.Configuration.TryGetValue(AutoCompactProperty, out string? auto) && string.Equals(auto, "true", StringComparison.OrdinalIgnoreCase))
        {
            compacted = (await AutoCompactAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false)).FilesRemoved;
        }

        long? checkpointed = null;
        if (await CheckpointWriter.IsOverdueAsync(table.Store, snapshot, cancellationToken).ConfigureAwait(false))
        {
            checkpointed = (await CheckpointWriter.WriteAsync(table, _parquet, snapshot, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false)).Version;
        }

        List<string> logs = await CheckpointWriter.CleanupExpiredLogsAsync(table.Store, snapshot.Metadata, DateTimeOffset.UtcNow, defaultLogRetention, cancellationToken).ConfigureAwait(false);
        await ExpireIcebergAsync(table, snapshot, cancellationToken).ConfigureAwait(false);
        TimeSpan retention = RetentionDuration.FromProperty(snapshot.Metadata.Configuration, "delta.deletedFileRetentionDuration", defaultDeletedFileRetention ?? RetentionDuration.DefaultDeletedFileRetention);
        // Forced only in the sense VacuumAsync means: the retention is the table's own, or the project's default for it.
        DeltaOperationResult vacuum = await VacuumAsync(path, retention, force: true, keepForClones: keepForClones, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new TableMaintenance(table.Location, snapshot.Version, checkpointed, logs.Count, vacuum.FilesRemoved,
            int.Parse(vacuum.Metrics["numAbortedUploads"], CultureInfo.InvariantCulture))
        {
            FilesKeptForClones = int.Parse(vacuum.Metrics["numFilesKeptForClones"], CultureInfo.InvariantCulture),
            FilesCompacted = compacted,
        };
    }

    private static string Hours(TimeSpan t) => ((long)t.TotalHours).ToString(CultureInfo.InvariantCulture) + "h";

    /// <summary>The log and any folder or file starting with '_' or '.' other than change data are not data files VACUUM may touch.</summary>
    private static bool IsHiddenFromVacuum(string key)
    {
        if (key.StartsWith("_change_data/", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (string segment in key.Split('/'))
        {
            if (segment.StartsWith('_') || segment.StartsWith('.'))
            {
                // Partition folders such as "_p=1" would be hidden too; Delta has the same rule.
                return !segment.Contains('=', StringComparison.Ordinal);
            }
        }

        return false;
    }

    /// <summary>Restores the table to the state of <paramref name="version"/> as a new commit (RESTORE): files are re-added and removed, metadata restored.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaVersionNotFound"/> for a version that cannot be reconstructed;
    /// <see cref="ErrorCode.DeltaOperationNotAllowed"/> when files of that version were already vacuumed.</exception>
    public async Task<DeltaOperationResult> RestoreAsync(string path, long? version = null, DateTimeOffset? timestamp = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if ((version is null) == (timestamp is null))
        {
            throw new ArgumentException("Give exactly one of version and timestamp.", nameof(version));
        }

        DeltaTable table = OpenTable(path);
        Snapshot latest = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
        EnsureMayChange(table, latest, "RESTORE");
        long target = version ?? await table.GetVersionAtTimestampAsync(timestamp!.Value, cancellationToken).ConfigureAwait(false);
        Snapshot old = await table.GetSnapshotAsync(target, cancellationToken).ConfigureAwait(false);
        var tx = new Transaction(table, latest);
        tx.Reads.AddWholeTable();
        var oldKeys = new HashSet<(string, string?)>();
        foreach (ScanFile f in old.Files)
        {
            oldKeys.Add((f.Path, f.Add.DeletionVector?.UniqueId));
        }

        var latestKeys = new HashSet<(string, string?)>();
        int removed = 0, restored = 0;
        foreach (ScanFile f in latest.Files)
        {
            latestKeys.Add((f.Path, f.Add.DeletionVector?.UniqueId));
            if (!oldKeys.Contains((f.Path, f.Add.DeletionVector?.UniqueId)))
            {
                tx.Remove(f);
                removed++;
            }
        }

        var missing = new List<string>();
        foreach (ScanFile f in old.Files)
        {
            if (latestKeys.Contains((f.Path, f.Add.DeletionVector?.UniqueId)))
            {
                continue;
            }

            if (await table.Store.GetInfoAsync(f.Path, cancellationToken).ConfigureAwait(false) is null)
            {
                missing.Add(f.Path);
            }

            tx.Add(f.Add with { DataChange = true });
            restored++;
        }

        if (missing.Count > 0)
        {
            throw new MedallionException(ErrorCode.DeltaOperationNotAllowed,
                $"Cannot restore the Delta table at '{table.Location}' to version {target}: {missing.Count} of its data files were deleted by VACUUM (e.g. '{missing[0]}').\nHelp: restore to a newer version whose files still exist.");
        }

        if (!ReferenceEquals(old.Metadata, latest.Metadata) && old.Metadata != latest.Metadata)
        {
            tx.UpdateMetadata(old.Metadata);
        }

        var metrics = Parameters(
            ("numRestoredFiles", Transaction.Metric(restored)),
            ("numRemovedFiles", Transaction.Metric(removed)),
            ("tableSizeAfterRestore", Transaction.Metric(old.SizeBytes)),
            ("numOfFilesAfterRestore", Transaction.Metric(old.Files.Count)));
        var parameters = Parameters(
            ("version", version?.ToString(CultureInfo.InvariantCulture)),
            ("timestamp", timestamp?.ToString("O", CultureInfo.InvariantCulture)));
        CommitResult commit = await CommitAsync(tx, "RESTORE", parameters, metrics, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(table, commit, new DeltaOperationResult("RESTORE", table.Location, commit.Version, true)
        {
            FilesAdded = restored,
            FilesRemoved = removed,
            Metrics = metrics,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// OPTIMIZE: packs the small files of each partition into files of up to <paramref name="targetFileSizeBytes"/>
    /// (files with deletion vectors count as small, so deleted rows are purged); with <paramref name="sortBy"/> every file
    /// of a partition is rewritten in the Z-order of those columns (see <see cref="ZOrder"/>), so that a filter on any
    /// of them skips files. The commit changes no data
    /// (<c>dataChange = false</c>), so it never conflicts with concurrent appends.
    /// </summary>
    public Task<DeltaOperationResult> OptimizeAsync(string path, IReadOnlyList<string>? sortBy = null, long targetFileSizeBytes = DefaultTargetFileSizeBytes, CancellationToken cancellationToken = default)
        => PackAsync(path, sortBy, targetFileSizeBytes, minSmallFiles: 2, purgesLoneDeletionVectors: true, cancellationToken);

    /// <summary>The table property that opts a table into auto compaction (Delta's name; <c>true</c> or <c>false</c>).</summary>
    public const string AutoCompactProperty = "delta.autoOptimize.autoCompact";

    /// <summary>The small files a partition must have before auto compaction rewrites it (Delta's <c>autoCompact.minNumFiles</c>).</summary>
    public const int AutoCompactMinNumFiles = 50;

    /// <summary>
    /// Auto compaction (Delta's <c>delta.autoOptimize.autoCompact</c>): OPTIMIZE without Z-order, but only of partitions
    /// holding at least <paramref name="minNumFiles"/> small files (under <see cref="DefaultTargetFileSizeBytes"/>, or
    /// with deletion vectors), so a table of a few files is left alone. Like OPTIMIZE the commit changes no data.
    /// </summary>
    /// <returns>The OPTIMIZE result; not committed when no partition reached the threshold.</returns>
    public Task<DeltaOperationResult> AutoCompactAsync(string path, int minNumFiles = AutoCompactMinNumFiles, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minNumFiles, 2);
        return PackAsync(path, null, DefaultTargetFileSizeBytes, minNumFiles, purgesLoneDeletionVectors: false, cancellationToken);
    }

    private async Task<DeltaOperationResult> PackAsync(
        string path, IReadOnlyList<string>? sortBy, long targetFileSizeBytes, int minSmallFiles, bool purgesLoneDeletionVectors, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetFileSizeBytes);
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        Snapshot snapshot = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
        EnsureMayChange(table, snapshot, "OPTIMIZE");
        sortBy ??= [];
        var order = new List<string>();
        foreach (string column in sortBy)
        {
            StructField f = snapshot.Schema.Find(column) ?? throw Invalid(table, $"ZORDER BY names '{column}', which is not a column of the table", "name existing data columns");
            order.Add(DuckDbConnection.QuoteIdentifier(f.Name));
        }

        // Group by partition; a partition is rewritten when it has minSmallFiles small files, any file when sorting, and
        // for OPTIMIZE a lone file with deletion vectors (its deleted rows purged); auto compaction leaves that one be.
        var byPartition = new Dictionary<string, List<ScanFile>>(StringComparer.Ordinal);
        ScanPlan plan = await table.PlanLocalScanAsync(snapshot, null, cancellationToken).ConfigureAwait(false);
        foreach (ScanFile f in plan.Files)
        {
            if (order.Count == 0 && f.SizeBytes >= targetFileSizeBytes && !f.HasDeletionVector)
            {
                continue;
            }

            string key = JsonText.StringMap(f.Add.PartitionValues);
            if (!byPartition.TryGetValue(key, out List<ScanFile>? list))
            {
                byPartition[key] = list = [];
            }

            list.Add(f);
        }

        var touched = new List<ScanFile>();
        foreach (List<ScanFile> files in byPartition.Values)
        {
            if (files.Count >= minSmallFiles || order.Count > 0 || (purgesLoneDeletionVectors && files[0].HasDeletionVector))
            {
                touched.AddRange(files);
            }
        }

        var result = new DeltaOperationResult("OPTIMIZE", table.Location, snapshot.Version, false);
        if (touched.Count == 0)
        {
            return result;
        }

        string relation = await TableRelation.BuildAsync(Connection, snapshot, LocalMirror.Of(table.Store), touched, withRowIds: false, cancellationToken).ConfigureAwait(false);
        string rows = ZOrder($"SELECT * FROM ({relation}) AS target", order);
        List<AddFile> written = await WriteRowsAsync(table, snapshot, rows, cancellationToken).ConfigureAwait(false);
        var tx = new Transaction(table, snapshot);
        long removedBytes = 0, addedBytes = 0;
        foreach (ScanFile f in touched)
        {
            tx.Remove(f, dataChange: false);
            removedBytes += f.SizeBytes;
        }

        foreach (AddFile a in written)
        {
            tx.Add(a with { DataChange = false });
            addedBytes += a.Size;
        }

        var metrics = Parameters(
            ("numRemovedFiles", Transaction.Metric(touched.Count)),
            ("numAddedFiles", Transaction.Metric(written.Count)),
            ("numRemovedBytes", Transaction.Metric(removedBytes)),
            ("numAddedBytes", Transaction.Metric(addedBytes)));
        CommitResult commit = await CommitAsync(tx, "OPTIMIZE", Parameters(("predicate", "[]"), ("zOrderBy", JsonText.StringArray(sortBy))), metrics, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(table, commit, result with { FilesAdded = written.Count, FilesRemoved = touched.Count, Metrics = metrics }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Bits of each column's rank that go into the Z-order key: the key is one BIGINT, so at most 62 bits in all.</summary>
    private const int ZOrderKeyBits = 62;

    /// <summary>
    /// Orders rows along a Z-order (Morton) curve of <paramref name="quotedColumns"/>: each column's value becomes its
    /// dense rank, scaled to the same number of bits for every column (so columns with few distinct values weigh as much
    /// as columns with many), and the key interleaves those bits from the most significant down, the first column
    /// first. Ranks make the curve independent of the columns' types and value ranges; NULLs rank last. One column is
    /// a plain sort, which is what its Z-order is.
    /// </summary>
    internal static string ZOrder(string rowsSql, IReadOnlyList<string> quotedColumns)
    {
        int k = quotedColumns.Count;
        if (k <= 1)
        {
            return k == 0 ? rowsSql : $"{rowsSql} ORDER BY {quotedColumns[0]}";
        }

        int bits = Math.Min(20, ZOrderKeyBits / k);
        var ranks = new StringBuilder();
        var scaled = new StringBuilder();
        var helpers = new List<string>();
        for (int i = 0; i < k; i++)
        {
            string r = "__zr" + i.ToString(CultureInfo.InvariantCulture), z = "__zs" + i.ToString(CultureInfo.InvariantCulture);
            ranks.Append($", dense_rank() OVER (ORDER BY {quotedColumns[i]}) - 1 AS {r}");
            scaled.Append($", ({r} * {1L << bits}) // (max({r}) OVER () + 1) AS {z}");
            helpers.Add(r);
            helpers.Add(z);
        }

        var key = new List<string>(bits * k);
        for (int b = bits - 1; b >= 0; b--)
        {
            for (int i = 0; i < k; i++)
            {
                int position = (b * k) + (k - 1 - i);
                // Parenthesized: in SQL '+' binds tighter than '<<'.
                key.Add($"(((__zs{i} >> {b}) & 1) << {position})");
            }
        }

        return $"SELECT * EXCLUDE ({string.Join(", ", helpers)}) FROM (SELECT *{scaled} FROM (SELECT *{ranks} FROM ({rowsSql}) AS __zrows) AS __zranked) AS __zscaled ORDER BY {string.Join(" + ", key)}";
    }

    /// <summary>
    /// Sets and unsets table properties in one metadata commit. New CHECK constraints (<c>delta.constraints.*</c>) must hold
    /// for every existing row; the protocol is raised when a property needs it (e.g. change data feed).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaInvalidWriteArgument"/> for an invalid property;
    /// <see cref="ErrorCode.DeltaConstraintViolation"/> when existing rows break a new constraint.</exception>
    public async Task<DeltaOperationResult> SetPropertiesAsync(string path, IReadOnlyDictionary<string, string> set, IReadOnlyList<string>? unset = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(set);
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        Snapshot snapshot = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
        EnsureMayChange(table, snapshot, "SET TBLPROPERTIES");
        var configuration = new Dictionary<string, string?>(snapshot.Metadata.Configuration, StringComparer.Ordinal);
        foreach (string key in unset ?? [])
        {
            configuration.Remove(key);
        }

        var added = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach ((string key, string value) in set)
        {
            if (key == "delta.columnMapping.mode" && !string.Equals(value, snapshot.Metadata.Configuration.GetValueOrDefault(key) ?? "none", StringComparison.Ordinal))
            {
                throw Invalid(table, "changing delta.columnMapping.mode of an existing table is not supported by this writer", "create a new table with the mode you need");
            }

            configuration[key] = value;
            added[key] = value;
        }

        ValidateProperties(added, table.Location);
        Delta.Iceberg.UniForm.Validate(configuration, snapshot.Schema, snapshot.PartitionColumns, $"the Delta table at '{table.Location}'");
        await ValidateConstraintsAsync(snapshot.Schema, added, table.Location, cancellationToken).ConfigureAwait(false);
        ScanPlan plan = await table.PlanLocalScanAsync(snapshot, null, cancellationToken).ConfigureAwait(false);
        string relation = await TableRelation.BuildAsync(Connection, snapshot, LocalMirror.Of(table.Store), plan.Files, withRowIds: false, cancellationToken).ConfigureAwait(false);
        foreach ((string key, string? expression) in added)
        {
            if (key.StartsWith("delta.constraints.", StringComparison.Ordinal)
                && await ScalarLongAsync($"SELECT count(*) FROM ({relation}) AS target WHERE ({expression}) IS NOT TRUE", cancellationToken).ConfigureAwait(false) is long bad and > 0)
            {
                throw new MedallionException(ErrorCode.DeltaConstraintViolation,
                    $"CHECK constraint '{key["delta.constraints.".Length..]}' ({expression}) cannot be added to the Delta table at '{table.Location}': {bad} existing rows do not satisfy it.\nHelp: fix or delete those rows first.");
            }
        }

        var tx = new Transaction(table, snapshot);
        tx.UpdateMetadata(snapshot.Metadata with { Configuration = configuration });
        string operation = set.Count > 0 ? "SET TBLPROPERTIES" : "UNSET TBLPROPERTIES";
        var parameters = Parameters(("properties", JsonText.StringMap(added)), ("propertyKeys", unset is { Count: > 0 } ? JsonText.StringArray(unset) : null));
        CommitResult commit = await CommitAsync(tx, operation, parameters, new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        return await FinishAsync(table, commit, new DeltaOperationResult(operation, table.Location, commit.Version, true), cancellationToken).ConfigureAwait(false);
    }
}
