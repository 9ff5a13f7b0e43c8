using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Delta.ChangeDataFeed;
using Medallion.Delta.DeletionVectors;
using Medallion.Delta.Internal;
using Medallion.Delta.Log;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;

namespace Medallion.Delta;

public sealed partial class DeltaTable
{
    /// <summary>
    /// Plans the change data feed from <paramref name="startVersion"/> to <paramref name="endVersion"/> (inclusive;
    /// the newest version when <see langword="null"/>). Per PROTOCOL.md "Reader Requirements for AddCDCFile": a
    /// commit with <c>cdc</c> actions contributes exactly those files; otherwise its <c>add</c>s are inserts and its
    /// <c>remove</c>s deletes (data-changing ones only). When a commit replaces a file's deletion vector, the rows
    /// the new vector adds are deletes and the rows it drops are inserts.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaInvalidChangeRange"/> for an empty or out-of-range range.</exception>
    public async Task<ChangeFeedPlan> PlanChangesAsync(long startVersion, long? endVersion = null, CancellationToken cancellationToken = default)
    {
        Snapshot latest = await GetSnapshotAsync(null, cancellationToken).ConfigureAwait(false);
        long end = endVersion ?? latest.Version;
        if (startVersion < 0 || startVersion > end || end > latest.Version)
        {
            throw new MedallionException(ErrorCode.DeltaInvalidChangeRange,
                $"Cannot read changes of the Delta table at '{Location}' from version {startVersion} to {end}: the range must satisfy 0 <= start <= end <= {latest.Version} (the newest version).");
        }

        Snapshot snapshot = end == latest.Version ? latest : await GetSnapshotAsync(end, cancellationToken).ConfigureAwait(false);
        return await PlanChangesAsync(snapshot, startVersion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Plans the change data feed from <paramref name="startVersion"/> to the version of <paramref name="snapshot"/>, a snapshot
    /// of this table the caller already holds (a run pins its upstream tables' versions once): the log is listed from
    /// <paramref name="startVersion"/> on and only the commits in the range are read, so the newest version is not
    /// loaded again. As <see cref="PlanChangesAsync(long, long?, CancellationToken)"/> otherwise.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaInvalidChangeRange"/> for an empty range or a commit of it no longer in the log.</exception>
    /// <exception cref="ArgumentException"><paramref name="snapshot"/> is of another table.</exception>
    public async Task<ChangeFeedPlan> PlanChangesAsync(Snapshot snapshot, long startVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!string.Equals(snapshot.TableLocation, Location, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The snapshot is of the Delta table at '{snapshot.TableLocation}', not of '{Location}'.", nameof(snapshot));
        }

        if (startVersion < 0 || startVersion > snapshot.Version)
        {
            throw new MedallionException(ErrorCode.DeltaInvalidChangeRange,
                $"Cannot read changes of the Delta table at '{Location}' from version {startVersion} to {snapshot.Version}: the range must satisfy 0 <= start <= end.");
        }

        bool ict = TableFeatures.InCommitTimestampsEnabled(snapshot.Metadata);
        // From the start version on (sorted names: "~" follows every file of the version before it), never the whole log.
        string? startAfter = startVersion > 0 ? LogFile.LogDirectory + (startVersion - 1).ToString("D20", CultureInfo.InvariantCulture) + "~" : null;
        List<LogFile> commits = (await LogSegmentBuilder.ListAsync(Store, startAfter, snapshot.Version, cancellationToken).ConfigureAwait(false))
            .Where(c => c.Kind == LogFileKind.Commit && c.Version >= startVersion).ToList();
        for (long v = startVersion, i = 0; v <= snapshot.Version; v++, i++)
        {
            if (i >= commits.Count || commits[(int)i].Version != v)
            {
                throw new MedallionException(ErrorCode.DeltaInvalidChangeRange,
                    $"Cannot read changes of the Delta table at '{Location}' at version {v}: commit file '_delta_log/{LogFile.CommitFileName(v)}' is missing.\nHelp: the log was cleaned up; start the change feed at a later version.");
            }
        }

        var partitionFields = snapshot.PartitionColumns.Select(c => snapshot.Schema.Find(c)!).ToList();
        var files = new List<ChangeFile>();
        int next = 0;
        await foreach (List<DeltaAction> actions in CommitReader.ReadInOrderAsync(Store, commits, cancellationToken).ConfigureAwait(false))
        {
            LogFile commit = commits[next++];
            CommitInfo? info = actions.Find(a => a is CommitInfoAction) is CommitInfoAction c ? c.CommitInfo : null;
            DateTimeOffset when = ict && info?.InCommitTimestamp is long t ? DateTimeOffset.FromUnixTimeMilliseconds(t) : commit.Info.LastModified;
            var context = new ChangeContext(this, snapshot, partitionFields, commit.Version, when);
            List<AddCdcFile> cdc = actions.OfType<AddCdcFile>().ToList();
            if (cdc.Count > 0)
            {
                foreach (AddCdcFile f in cdc)
                {
                    files.Add(context.File(f.Path, f.PartitionValues, null, [], null));
                }

                continue;
            }

            await AddDataFileChangesAsync(context, actions, files, cancellationToken).ConfigureAwait(false);
        }

        return new ChangeFeedPlan(startVersion, snapshot.Version, files, DescribeColumns(snapshot));
    }

    private async Task AddDataFileChangesAsync(ChangeContext context, List<DeltaAction> actions, List<ChangeFile> files, CancellationToken cancellationToken)
    {
        var removes = actions.OfType<RemoveFile>().Where(r => r.DataChange).ToDictionary(r => TablePaths.Decode(r.Path), StringComparer.Ordinal);
        var pairedRemoves = new HashSet<string>(StringComparer.Ordinal);
        foreach (AddFile add in actions.OfType<AddFile>().Where(a => a.DataChange))
        {
            long[] addDeleted = add.DeletionVector is { } adv ? await DeletionVectorReader.ReadAsync(Store, adv, add.Path, cancellationToken).ConfigureAwait(false) : [];
            string path = TablePaths.Decode(add.Path);
            if (removes.TryGetValue(path, out RemoveFile? remove) && (add.DeletionVector is not null || remove.DeletionVector is not null))
            {
                // The same data file with a new deletion vector: only the difference changed.
                pairedRemoves.Add(path);
                long[] removeDeleted = remove.DeletionVector is { } rdv ? await DeletionVectorReader.ReadAsync(Store, rdv, remove.Path, cancellationToken).ConfigureAwait(false) : [];
                long[] newlyDeleted = addDeleted.Except(removeDeleted).Order().ToArray();
                long[] restored = removeDeleted.Except(addDeleted).Order().ToArray();
                if (newlyDeleted.Length > 0)
                {
                    files.Add(context.File(add.Path, add.PartitionValues, "delete", [], newlyDeleted));
                }

                if (restored.Length > 0)
                {
                    files.Add(context.File(add.Path, add.PartitionValues, "insert", [], restored));
                }

                continue;
            }

            files.Add(context.File(add.Path, add.PartitionValues, "insert", addDeleted, null));
        }

        foreach ((string path, RemoveFile remove) in removes)
        {
            if (pairedRemoves.Contains(path))
            {
                continue;
            }

            long[] deleted = remove.DeletionVector is { } dv ? await DeletionVectorReader.ReadAsync(Store, dv, remove.Path, cancellationToken).ConfigureAwait(false) : [];
            files.Add(context.File(remove.Path, remove.PartitionValues, "delete", deleted, null));
        }
    }

    private sealed record ChangeContext(DeltaTable Table, Snapshot Snapshot, List<StructField> PartitionFields, long Version, DateTimeOffset Timestamp)
    {
        public ChangeFile File(string logPath, IReadOnlyDictionary<string, string?> rawPartitions, string? changeType, IReadOnlyList<long> deleted, IReadOnlyList<long>? selected)
        {
            Dictionary<string, object?> values = PartitionValueReader.Read(rawPartitions, PartitionFields, Snapshot.ColumnMappingMode, logPath,
                $"version {Version} of the Delta table at '{Table.Location}'");
            string key = TablePaths.ToKey(Table.Store, logPath) ?? logPath;
            return new ChangeFile(Version, Timestamp, key, TablePaths.ToExternal(Table.Store, logPath), values, changeType, deleted, selected);
        }
    }
}
