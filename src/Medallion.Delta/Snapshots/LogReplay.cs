using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Delta.Internal;
using Medallion.Delta.Log;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Storage;

namespace Medallion.Delta.Snapshots;

/// <summary>
/// Reconstructs a snapshot from a log segment, newest to oldest (PROTOCOL.md "Action Reconciliation"): the
/// first protocol, metadata, txn per app and domain per name seen win; a file action counts only if its
/// (path, deletion vector id) key was not seen in a newer commit. Only keys from commits are remembered,
/// because the checkpoint is already reconciled; so memory follows the tail and the live files, not the history.
/// </summary>
internal sealed class LogReplay
{
    private readonly IObjectStore _store;
    private readonly HashSet<(string Path, string? DvId)> _seen = [];
    private readonly List<AddFile> _live = [];
    private readonly List<RemoveFile> _tombstones = [];
    private readonly Dictionary<string, long> _txns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DomainMetadata> _domains = new(StringComparer.Ordinal);
    private Protocol? _protocol;
    private Metadata? _metadata;
    private bool _protocolChecked;

    private LogReplay(IObjectStore store) => _store = store;

    public static async Task<Snapshot> ReplayAsync(IObjectStore store, IParquetHandler? parquet, LogSegment segment, CancellationToken cancellationToken)
    {
        var replay = new LogReplay(store);
        CommitInfo? commitInfo = null;
        var newestFirst = new List<LogFile>(segment.Commits);
        newestFirst.Reverse();
        int next = 0;
        await foreach (List<DeltaAction> actions in CommitReader.ReadInOrderAsync(store, newestFirst, cancellationToken).ConfigureAwait(false))
        {
            if (newestFirst[next++].Version == segment.Version)
            {
                commitInfo = actions.Find(a => a is CommitInfoAction) is CommitInfoAction c ? c.CommitInfo : null;
            }

            replay.Apply(actions, fromCheckpoint: false);
            replay.CheckProtocolOnce(segment);
        }

        if (segment.CheckpointParts.Count > 0)
        {
            await foreach (List<DeltaAction> batch in CheckpointReader.ReadAsync(store, parquet, segment.CheckpointParts, CheckpointPass.State, cancellationToken).ConfigureAwait(false))
            {
                replay.Apply(batch, fromCheckpoint: true);
                replay.CheckProtocolOnce(segment);
            }
        }

        return replay.Build(segment, commitInfo, (reader, ct) => replay.LoadTombstonesAsync(reader, segment.CheckpointParts, ct));
    }

    /// <summary>The tombstones of the commits replayed, plus the checkpoint's that no commit after it superseded.</summary>
    private async Task<IReadOnlyList<RemoveFile>> LoadTombstonesAsync(IParquetHandler? parquet, IReadOnlyList<LogFile> checkpointParts, CancellationToken cancellationToken)
    {
        var tombstones = new List<RemoveFile>(_tombstones);
        if (checkpointParts.Count > 0)
        {
            await foreach (List<DeltaAction> batch in CheckpointReader.ReadAsync(_store, parquet, checkpointParts, CheckpointPass.Tombstones, cancellationToken).ConfigureAwait(false))
            {
                foreach (DeltaAction action in batch)
                {
                    if (action is RemoveFile remove && IsNewest(remove.Path, remove.DeletionVector, fromCheckpoint: true))
                    {
                        tombstones.Add(remove);
                    }
                }
            }
        }

        return tombstones;
    }

    private void CheckProtocolOnce(LogSegment segment)
    {
        // Refuse an unsupported table as soon as its protocol is known, before reading (maybe unreadable) older files.
        if (!_protocolChecked && _protocol is not null)
        {
            TableFeatures.EnsureReadable(_protocol, segment.TableLocation);
            _protocolChecked = true;
        }
    }

    private void Apply(List<DeltaAction> actions, bool fromCheckpoint)
    {
        foreach (DeltaAction action in actions)
        {
            switch (action)
            {
                case AddFile add:
                    if (IsNewest(add.Path, add.DeletionVector, fromCheckpoint))
                    {
                        _live.Add(add);
                    }

                    break;
                case RemoveFile remove when !fromCheckpoint:
                    if (IsNewest(remove.Path, remove.DeletionVector, fromCheckpoint))
                    {
                        _tombstones.Add(remove);
                    }

                    break;
                case ProtocolAction p:
                    _protocol ??= p.Protocol;
                    break;
                case MetadataAction m:
                    _metadata ??= m.Metadata;
                    break;
                case Txn t:
                    _txns.TryAdd(t.AppId, t.Version);
                    break;
                case DomainMetadata d:
                    _domains.TryAdd(d.Domain, d);
                    break;
            }
        }
    }

    private bool IsNewest(string path, DeletionVectorDescriptor? dv, bool fromCheckpoint)
    {
        var key = (TablePaths.Decode(path), dv?.UniqueId);
        return fromCheckpoint ? !_seen.Contains(key) : _seen.Add(key);
    }

    private Snapshot Build(LogSegment segment, CommitInfo? commitInfo, TombstoneLoader tombstones)
    {
        string where = $"the Delta table at '{segment.TableLocation}' (version {segment.Version})";
        if (_protocol is null || _metadata is null)
        {
            string missing = _protocol is null ? "protocol" : "metaData";
            throw new MedallionException(ErrorCode.DeltaMissingProtocolOrMetadata,
                $"Log replay of {where} found no '{missing}' action{(segment.CheckpointParts.Count > 0 ? $" in the checkpoint at version {segment.CheckpointVersion} or the commits after it" : string.Empty)}.\nHelp: the log is damaged; a valid table has both a protocol and a metaData action.");
        }

        StructType schema = SchemaParser.Parse(_metadata.SchemaString, where);
        ColumnMappingMode mode = TableFeatures.GetColumnMappingMode(_protocol, _metadata);
        List<StructField> partitionFields = PartitionFields(schema, _metadata, where);

        var files = new List<ScanFile>(_live.Count);
        foreach (AddFile add in _live)
        {
            files.Add(ToScanFile(add, partitionFields, mode, where));
        }

        var domains = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, DomainMetadata d) in _domains)
        {
            if (!d.Removed)
            {
                domains[name] = d.Configuration;
            }
        }

        DateTimeOffset timestamp = CommitTimestamp(commitInfo, _metadata, segment);
        LogFile? last = segment.Commits.Count > 0 && segment.Commits[^1].Version == segment.Version ? segment.Commits[^1] : null;
        return new Snapshot(segment.TableLocation, segment.Version, _protocol, _metadata, schema, mode, commitInfo, timestamp, files, tombstones, _txns, domains)
        {
            CommitFile = last?.Info,
        };
    }

    /// <summary>The schema fields of the partition columns, in order.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaInvalidSchema"/> when a partition column is not in the schema.</exception>
    internal static List<StructField> PartitionFields(StructType schema, Metadata metadata, string where)
    {
        var fields = new List<StructField>();
        foreach (string column in metadata.PartitionColumns)
        {
            fields.Add(schema.Find(column) ?? throw new MedallionException(ErrorCode.DeltaInvalidSchema,
                $"Partition column '{column}' of {where} is not in the table schema."));
        }

        return fields;
    }

    /// <summary>
    /// Moves <paramref name="snapshot"/> forward over <paramref name="commits"/> (ascending, contiguous, starting right after
    /// it) without rereading what it already holds. Returns null when a commit changes the protocol or metadata: the
    /// partition values and statistics of the files held were interpreted under the old ones, so the caller replays in full.
    /// A snapshot without files stays without them, and moves over any commit.
    /// </summary>
    public static async Task<Snapshot?> TryAdvanceAsync(IObjectStore store, Snapshot snapshot, IReadOnlyList<LogFile> commits, CancellationToken cancellationToken)
    {
        if (commits.Count == 0)
        {
            return snapshot;
        }

        if (!snapshot.HasFiles)
        {
            // Without files there is nothing a new protocol or metadata would make read anew: the commits just apply.
            HeadReplay head = HeadReplay.From(snapshot);
            await foreach (List<DeltaAction> actions in CommitReader.ReadInOrderAsync(store, commits, cancellationToken).ConfigureAwait(false))
            {
                head.Apply(actions);
            }

            return head.Build(commits[^1].Version, commits[^1].Info, commitTimeUnknown: false);
        }

        var read = new List<List<DeltaAction>>(commits.Count);
        await foreach (List<DeltaAction> actions in CommitReader.ReadInOrderAsync(store, commits, cancellationToken).ConfigureAwait(false))
        {
            if (actions.Exists(a => a is ProtocolAction or MetadataAction))
            {
                return null;
            }

            read.Add(actions);
        }

        return Advance(store, snapshot, commits, read);
    }

    /// <summary>
    /// The table right after a commit this process wrote at <paramref name="version"/> with <paramref name="actions"/>
    /// (<paramref name="size"/> bytes), on top of <paramref name="before"/>, the snapshot at the version just before (null
    /// for the commit that created the table): the same state a replay of the log would give, without reading the log.
    /// Null when the commit changes the protocol or metadata of an existing table whose files <paramref name="before"/> holds
    /// (a replay interprets its files anew); a snapshot without files gives one without files.
    /// The commit file's modification time is not known yet: the snapshot's <see cref="Snapshot.Timestamp"/> is the
    /// commit's own clock (its <c>commitInfo</c>) until an update lists the log and takes the listed time.
    /// </summary>
    public static Snapshot? AfterCommit(IObjectStore store, Snapshot? before, long version, List<DeltaAction> actions, long size)
    {
        CommitInfo? commitInfo = actions.Find(a => a is CommitInfoAction) is CommitInfoAction c ? c.CommitInfo : null;
        DateTimeOffset written = commitInfo?.Timestamp is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.UtcNow;
        var commit = new LogFile(new ObjectInfo(LogFile.CommitKey(version), size, written), LogFileKind.Commit, version, EndVersion: version);
        if (before is { HasFiles: false })
        {
            HeadReplay head = HeadReplay.From(before);
            head.Apply(actions);
            return head.Build(version, commit.Info, commitTimeUnknown: true);
        }

        if (before is not null)
        {
            return actions.Exists(a => a is ProtocolAction or MetadataAction) ? null : Advance(store, before, [commit], [actions]).WithCommitTimeUnknown();
        }

        var replay = new LogReplay(store);
        replay.Apply(actions, fromCheckpoint: false);
        var segment = new LogSegment(store.Location, version, -1, [], [commit]);
        replay.CheckProtocolOnce(segment);
        return replay.Build(segment, commitInfo, (_, ct) => replay.LoadTombstonesAsync(null, [], ct)).WithCommitTimeUnknown();
    }

    /// <summary><see cref="TryAdvanceAsync"/> over commits already read, none of which changes the protocol or metadata.</summary>
    private static Snapshot Advance(IObjectStore store, Snapshot snapshot, IReadOnlyList<LogFile> commits, List<List<DeltaAction>> read)
    {
        // Newest first, as in a full replay, so the newest action per file key wins.
        var replay = new LogReplay(store);
        for (int i = commits.Count - 1; i >= 0; i--)
        {
            replay.Apply(read[i], fromCheckpoint: false);
        }

        string where = $"the Delta table at '{snapshot.TableLocation}' (version {commits[^1].Version})";
        var partitionFields = new List<StructField>();
        foreach (string column in snapshot.Metadata.PartitionColumns)
        {
            partitionFields.Add(snapshot.Schema.Find(column)!);
        }

        var files = new List<ScanFile>(snapshot.Files.Count + replay._live.Count);
        foreach (AddFile add in replay._live)
        {
            files.Add(replay.ToScanFile(add, partitionFields, snapshot.ColumnMappingMode, where));
        }

        foreach (ScanFile file in snapshot.Files)
        {
            if (!replay._seen.Contains((TablePaths.Decode(file.Add.Path), file.Add.DeletionVector?.UniqueId)))
            {
                files.Add(file);
            }
        }

        var txns = new Dictionary<string, long>(snapshot.TransactionVersions, StringComparer.Ordinal);
        foreach ((string app, long version) in replay._txns)
        {
            txns[app] = version;
        }

        var domains = new Dictionary<string, string>(snapshot.DomainMetadata, StringComparer.Ordinal);
        foreach ((string name, DomainMetadata d) in replay._domains)
        {
            if (d.Removed)
            {
                domains.Remove(name);
            }
            else
            {
                domains[name] = d.Configuration;
            }
        }

        CommitInfo? commitInfo = read[^1].Find(a => a is CommitInfoAction) is CommitInfoAction c ? c.CommitInfo : null;
        DateTimeOffset timestamp = TableFeatures.InCommitTimestampsEnabled(snapshot.Metadata) && commitInfo?.InCommitTimestamp is long ict
            ? DateTimeOffset.FromUnixTimeMilliseconds(ict)
            : commits[^1].Info.LastModified;
        var tombstones = new AdvancedTombstones(snapshot.LoadTombstonesAsync, replay._tombstones, replay._seen);
        return new Snapshot(snapshot.TableLocation, commits[^1].Version, snapshot.Protocol, snapshot.Metadata, snapshot.Schema, snapshot.ColumnMappingMode,
            commitInfo, timestamp, files, tombstones.LoadAsync, txns, domains)
        {
            CommitFile = commits[^1].Info,
        };
    }

    /// <summary>
    /// The tombstones of an advanced snapshot: the newer commits' removes plus the older snapshot's not superseded.
    /// Computed once and then kept, dropping the older snapshot's loader, so a writer that advances its snapshot commit
    /// after commit holds a chain only back to the last time tombstones were needed (the last checkpoint it wrote).
    /// </summary>
    private sealed class AdvancedTombstones(TombstoneLoader older, List<RemoveFile> newer, HashSet<(string Path, string? DvId)> seen)
    {
        private TombstoneLoader? _older = older;
        private HashSet<(string Path, string? DvId)>? _seen = seen;
        private IReadOnlyList<RemoveFile>? _all;

        public async Task<IReadOnlyList<RemoveFile>> LoadAsync(IParquetHandler? parquet, CancellationToken cancellationToken)
        {
            if (_all is not null)
            {
                return _all;
            }

            var all = new List<RemoveFile>(newer);
            foreach (RemoveFile remove in await _older!(parquet, cancellationToken).ConfigureAwait(false))
            {
                if (!_seen!.Contains((TablePaths.Decode(remove.Path), remove.DeletionVector?.UniqueId)))
                {
                    all.Add(remove);
                }
            }

            (_all, _older, _seen) = (all, null, null);
            return all;
        }
    }

    private ScanFile ToScanFile(AddFile add, List<StructField> partitionFields, ColumnMappingMode mode, string where)
    {
        Dictionary<string, object?> values = PartitionValueReader.Read(add.PartitionValues, partitionFields, mode, add.Path, where);
        string key = TablePaths.IsAbsolute(add.Path) ? TablePaths.ToKey(_store, add.Path) ?? add.Path : TablePaths.Decode(add.Path);
        return new ScanFile(add, key, TablePaths.ToExternal(_store, add.Path), values, FileStatistics.TryParse(add.Stats));
    }

    internal static DateTimeOffset CommitTimestamp(CommitInfo? commitInfo, Metadata metadata, LogSegment segment)
    {
        if (TableFeatures.InCommitTimestampsEnabled(metadata) && commitInfo?.InCommitTimestamp is long ict)
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(ict);
        }

        LogFile? last = segment.Commits.Count > 0 ? segment.Commits[^1] : segment.CheckpointParts.Count > 0 ? segment.CheckpointParts[^1] : null;
        return last?.Info.LastModified ?? DateTimeOffset.UnixEpoch;
    }
}
