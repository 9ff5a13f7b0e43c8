using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Delta.Internal;
using Medallion.Delta.Log;
using Medallion.Delta.Snapshots;
using Medallion.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Delta;

/// <summary>
/// Entry point of the Delta kernel for one table: snapshots at a version or timestamp, history, scans and
/// the change data feed. It does no I/O of its own beyond the <see cref="IObjectStore"/> and
/// <see cref="IParquetHandler"/> it is given, and keeps no state between calls (each snapshot is fresh).
/// </summary>
public sealed partial class DeltaTable
{
    private readonly IParquetHandler? _parquet;
    private ILogger? _logger;

    /// <summary>Opens the table whose root is the root of <paramref name="store"/>.</summary>
    /// <param name="store">The store rooted at the table directory (the folder holding <c>_delta_log</c>).</param>
    /// <param name="parquet">Reads Parquet checkpoints and sidecars; without it, only tables whose log is all JSON can be read.</param>
    public DeltaTable(IObjectStore store, IParquetHandler? parquet = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Store = store;
        _parquet = parquet;
    }

    /// <summary>The store rooted at the table directory.</summary>
    public IObjectStore Store { get; }

    /// <summary>The Parquet reader the table was opened with: its opener's, live for as long as the opener uses the table.</summary>
    internal IParquetHandler? Parquet => _parquet;

    /// <summary>
    /// How a <see cref="Transactions.Transaction"/> on this table makes its commit a version of the log: put-if-absent of the
    /// commit file in <see cref="Store"/> (<see cref="Transactions.ObjectStoreCommitter"/>) unless a catalog coordinates the table's commits.
    /// </summary>
    public Transactions.ICommitter Committer { get; init; } = Transactions.ObjectStoreCommitter.Instance;

    /// <summary>Where the kernel logs degraded reads (an unusable <c>_last_checkpoint</c> hint) and the commits a transaction was rebased past; none by default.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The kernel's logger for this table.</summary>
    internal ILogger Logger => _logger ??= LoggerFactory.CreateLogger<DeltaTable>();

    /// <summary>
    /// True when <paramref name="key"/>, relative to a table's root, names a commit or a checkpoint of its log: a table
    /// exists once its log holds one. The <c>_delta_log</c> folder alone does not make a table, since a writer creating
    /// the table makes the folder before its first commit is in place.
    /// </summary>
    public static bool IsVersionFile(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return LogFile.TryParse(new ObjectInfo(key, 0, default)) is { Kind: not (LogFileKind.Compaction or LogFileKind.Checksum) };
    }

    /// <summary>The table root for messages.</summary>
    public string Location => Store.Location;

    /// <summary>Loads the snapshot at <paramref name="version"/>, or the newest one when it is <see langword="null"/>.</summary>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.DeltaTableNotFound"/>, <see cref="ErrorCode.DeltaVersionNotFound"/>, <see cref="ErrorCode.DeltaLogGap"/>,
    /// <see cref="ErrorCode.DeltaCorruptLogFile"/>, <see cref="ErrorCode.DeltaUnsupportedReaderFeature"/>,
    /// <see cref="ErrorCode.DeltaMissingProtocolOrMetadata"/>.
    /// </exception>
    public async Task<Snapshot> GetSnapshotAsync(long? version = null, CancellationToken cancellationToken = default)
    {
        if (version is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "A table version is 0 or more.");
        }

        LogSegment segment;
        try
        {
            segment = await LogSegmentBuilder.BuildAsync(Store, version, Logger, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.DeltaVersionNotFound && version is long old)
        {
            // A version gone with the log that a data subject erasure removed is named as the erasure's doing.
            await Scans.ErasedFiles.ThrowIfLogErasedAsync(Store, old, cancellationToken).ConfigureAwait(false);
            throw;
        }

        return await LogReplay.ReplayAsync(Store, _parquet, segment, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads the newest snapshot starting from <paramref name="snapshot"/>, an earlier snapshot of this table: only the
    /// log files after it are listed and only the commits after it are read (no checkpoint, no <c>_last_checkpoint</c>),
    /// as Delta's <c>SnapshotManagement.update</c> does. Falls back to a full load when its commit file is gone or
    /// changed (the log was cleaned up or the table replaced) or a newer commit changes the protocol or metadata.
    /// </summary>
    /// <exception cref="MedallionException">As <see cref="GetSnapshotAsync"/>.</exception>
    public async Task<Snapshot> UpdateSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.CommitFile is { } known)
        {
            // Listing from the snapshot's own commit on proves that commit is still the one the snapshot was built from.
            string? startAfter = snapshot.Version > 0 ? LogFile.LogDirectory + (snapshot.Version - 1).ToString("D20", CultureInfo.InvariantCulture) + "~" : null;
            List<LogFile> files = await LogSegmentBuilder.ListAsync(Store, startAfter, null, cancellationToken).ConfigureAwait(false);
            var commits = new List<LogFile>();
            bool baseIntact = false;
            foreach (LogFile f in files)
            {
                if (f.Kind != LogFileKind.Commit)
                {
                    continue;
                }

                if (f.Version == snapshot.Version)
                {
                    // A snapshot built from this process's own commit knows its file's size, not yet its time: the listing gives it.
                    baseIntact = f.Info.SizeBytes == known.SizeBytes && (snapshot.CommitTimeUnknown || f.Info.LastModified == known.LastModified);
                    if (baseIntact && snapshot.CommitTimeUnknown)
                    {
                        snapshot = snapshot.WithCommitFile(f.Info);
                    }
                }
                else if (f.Version == snapshot.Version + 1 + commits.Count)
                {
                    commits.Add(f);
                }
                else
                {
                    baseIntact = false;
                    break;
                }
            }

            if (baseIntact && await LogReplay.TryAdvanceAsync(Store, snapshot, commits, cancellationToken).ConfigureAwait(false) is { } advanced)
            {
                return advanced;
            }
        }

        return snapshot.HasFiles
            ? await GetSnapshotAsync(null, cancellationToken).ConfigureAwait(false)
            : await GetLatestSnapshotWithoutFilesAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads the newest version without its file list (<see cref="Snapshot.HasFiles"/> is false): protocol, metadata, schema,
    /// application and domain versions, which is what a blind append needs. They come from the newest version checksum
    /// (<c>_delta_log/&lt;version&gt;.crc</c>) and the commits after it, so on an object store a table whose writers keep
    /// checksums costs a listing and one read, not its checkpoint and up to a checkpoint interval of commits. Without a
    /// usable checksum it loads the whole snapshot (files included), as <see cref="GetSnapshotAsync"/> does.
    /// </summary>
    /// <exception cref="MedallionException">As <see cref="GetSnapshotAsync"/>.</exception>
    public async Task<Snapshot> GetLatestSnapshotWithoutFilesAsync(CancellationToken cancellationToken = default)
    {
        LogSegment segment = await LogSegmentBuilder.BuildAsync(Store, null, Logger, cancellationToken).ConfigureAwait(false);
        if (segment.Checksum is { } file && await TryReadChecksumAsync(file.Key, cancellationToken).ConfigureAwait(false) is { } checksum)
        {
            HeadReplay head = HeadReplay.From(Location, checksum);
            var after = segment.Commits.Where(c => c.Version > file.Version).ToList();
            await foreach (List<DeltaAction> actions in CommitReader.ReadInOrderAsync(Store, after, cancellationToken).ConfigureAwait(false))
            {
                head.Apply(actions);
            }

            LogFile? last = segment.Commits.Count > 0 && segment.Commits[^1].Version == segment.Version ? segment.Commits[^1] : null;
            return head.Build(segment.Version, last?.Info, commitTimeUnknown: false);
        }

        return await LogReplay.ReplayAsync(Store, _parquet, segment, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the version checksum of <paramref name="snapshot"/> (PROTOCOL.md "Version Checksum File"), create-only: a
    /// checksum is never overwritten. For the snapshot a writer's own commit gave it, so that the next load without files
    /// (<see cref="GetLatestSnapshotWithoutFilesAsync"/>) starts there.
    /// </summary>
    /// <returns>
    /// False when nothing was written: the checksum exists already, or the snapshot does not know all a checksum records
    /// (its files' count and size, its in-commit timestamp when the table keeps them).
    /// </returns>
    public async Task<bool> WriteVersionChecksumAsync(Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        bool keepsInCommitTimestamps = TableFeatures.InCommitTimestampsEnabled(snapshot.Metadata);
        long? inCommitTimestamp = keepsInCommitTimestamps ? snapshot.CommitInfo?.InCommitTimestamp : null;
        if (snapshot.Totals is not { } totals || (keepsInCommitTimestamps && inCommitTimestamp is null))
        {
            return false;
        }

        var checksum = new VersionChecksum(totals.Bytes, totals.Count, snapshot.Protocol, snapshot.Metadata, snapshot.TransactionVersions, snapshot.DomainMetadata,
            inCommitTimestamp, snapshot.CommitInfo?.Raw.String("txnId"));
        return await Store.PutIfAbsentAsync(VersionChecksum.Key(snapshot.Version), checksum.Serialize(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A checksum usable to load from, or null (gone meanwhile, unreadable, or without the application and domain versions).</summary>
    private async Task<VersionChecksum?> TryReadChecksumAsync(string key, CancellationToken cancellationToken)
    {
        if (await Store.TryReadAllAsync(key, cancellationToken).ConfigureAwait(false) is not { } bytes)
        {
            return null;
        }

        try
        {
            return VersionChecksum.Parse(bytes);
        }
        catch (FormatException e)
        {
            // A checksum only saves reads: a broken one must not make the table unwritable.
            LogMessages.ChecksumUnreadable(Logger, Location, key, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Loads the snapshot of the newest version committed at or before <paramref name="timestamp"/>. Commit times
    /// are in-commit timestamps when the table enables them, else commit file modification times.
    /// A timestamp after the newest commit gives the newest version.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaTimestampOutOfRange"/> when the timestamp is before the
    /// earliest commit still in the log and older commits were cleaned up (before version 0 itself, version 0 is returned).</exception>
    public async Task<Snapshot> GetSnapshotAtTimestampAsync(DateTimeOffset timestamp, CancellationToken cancellationToken = default)
    {
        long version = await GetVersionAtTimestampAsync(timestamp, cancellationToken).ConfigureAwait(false);
        return await GetSnapshotAsync(version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The newest version committed at or before <paramref name="timestamp"/> (see <see cref="GetSnapshotAtTimestampAsync"/>).</summary>
    public async Task<long> GetVersionAtTimestampAsync(DateTimeOffset timestamp, CancellationToken cancellationToken = default)
    {
        Snapshot latest = await GetSnapshotAsync(null, cancellationToken).ConfigureAwait(false);
        bool ict = TableFeatures.InCommitTimestampsEnabled(latest.Metadata);
        List<LogFile> commits = await LogSegmentBuilder.ListCommitsAsync(Store, cancellationToken).ConfigureAwait(false);
        DateTimeOffset? earliest = null;
        long earliestVersion = -1;
        for (int i = commits.Count - 1; i >= 0; i--)
        {
            if (commits[i].Version > latest.Version)
            {
                continue;
            }

            DateTimeOffset committed = await CommitTimestampAsync(commits[i], ict, cancellationToken).ConfigureAwait(false);
            if (committed <= timestamp)
            {
                return commits[i].Version;
            }

            earliest = committed;
            earliestVersion = commits[i].Version;
        }

        // Before the table's first commit, delta-rs (and the conformance answers taken from it) resolve to version 0;
        // when older commits were cleaned up we cannot tell what existed then, so that is an error.
        if (earliestVersion == 0)
        {
            return 0;
        }

        throw new MedallionException(ErrorCode.DeltaTimestampOutOfRange,
            $"The Delta table at '{Location}' has no version at or before {timestamp.ToString("O", CultureInfo.InvariantCulture)}; its earliest available commit is at {earliest?.ToString("O", CultureInfo.InvariantCulture) ?? "an unknown time"}.\nHelp: use a later timestamp, or a version number.");
    }

    /// <summary>
    /// The earliest commit still in the log and the newest one, each with the time <see cref="GetVersionAtTimestampAsync"/>
    /// compares a timestamp to (the in-commit timestamp when the table keeps them, else the commit file's time): the
    /// times a reader can travel to. Reads at most those two commits.
    /// </summary>
    public async Task<(CommitEntry Earliest, CommitEntry Newest)> GetCommitTimeRangeAsync(CancellationToken cancellationToken = default)
    {
        Snapshot latest = await GetSnapshotAsync(null, cancellationToken).ConfigureAwait(false);
        bool ict = TableFeatures.InCommitTimestampsEnabled(latest.Metadata);
        List<LogFile> commits = (await LogSegmentBuilder.ListCommitsAsync(Store, cancellationToken).ConfigureAwait(false))
            .Where(c => c.Version <= latest.Version).OrderBy(c => c.Version).ToList();
        if (commits.Count == 0)
        {
            // Only a checkpoint is left of the log: the newest version is all there is, and its time is not known.
            var only = new CommitEntry(latest.Version, DateTimeOffset.MinValue, null);
            return (only, only);
        }

        var earliest = new CommitEntry(commits[0].Version, await CommitTimestampAsync(commits[0], ict, cancellationToken).ConfigureAwait(false), null);
        var newest = commits.Count == 1 ? earliest
            : new CommitEntry(commits[^1].Version, await CommitTimestampAsync(commits[^1], ict, cancellationToken).ConfigureAwait(false), null);
        return (earliest, newest);
    }

    /// <summary>One entry per commit still in the log, newest first: version, commit time, <c>commitInfo</c> and the commit's actions.</summary>
    public async IAsyncEnumerable<CommitEntry> GetHistoryAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<LogFile> commits = await LogSegmentBuilder.ListCommitsAsync(Store, cancellationToken).ConfigureAwait(false);
        if (commits.Count == 0)
        {
            throw new MedallionException(ErrorCode.DeltaTableNotFound,
                $"No Delta table at '{Location}': '_delta_log' has no commit files.\nHelp: check the path; a Delta table has a '_delta_log' folder with files such as 00000000000000000000.json.");
        }

        commits.Reverse();
        int i = 0;
        await foreach (List<DeltaAction> actions in CommitReader.ReadInOrderAsync(Store, commits, cancellationToken).ConfigureAwait(false))
        {
            LogFile commit = commits[i++];
            CommitInfo? info = actions.Find(a => a is CommitInfoAction) is CommitInfoAction c ? c.CommitInfo : null;
            DateTimeOffset when = info?.InCommitTimestamp is long ict ? DateTimeOffset.FromUnixTimeMilliseconds(ict) : commit.Info.LastModified;
            yield return new CommitEntry(commit.Version, when, info) { Actions = actions };
        }
    }

    private async Task<DateTimeOffset> CommitTimestampAsync(LogFile commit, bool inCommitTimestamps, CancellationToken cancellationToken)
    {
        if (inCommitTimestamps)
        {
            List<DeltaAction> actions = await CommitReader.ReadAsync(Store, commit.Key, cancellationToken).ConfigureAwait(false);
            if (actions.Find(a => a is CommitInfoAction) is CommitInfoAction { CommitInfo.InCommitTimestamp: long ict })
            {
                return DateTimeOffset.FromUnixTimeMilliseconds(ict);
            }
        }

        // Before in-commit timestamps were enabled (or without them) the file time is the commit time.
        return commit.Info.LastModified;
    }
}
