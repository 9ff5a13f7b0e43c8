using System;
using System.Collections.Generic;
using Medallion.Delta.Actions;
using Medallion.Delta.Schema;
using Medallion.Storage;

namespace Medallion.Delta.Snapshots;

/// <summary>
/// Builds snapshots without their file list, for appends: from a version checksum and the commits after it, or by moving
/// such a snapshot over newer commits. Commits are applied oldest first, so the newest protocol, metadata, <c>txn</c> per
/// application and domain per name win; each <c>add</c> and <c>remove</c> moves the file count and size, which are what
/// the next checksum needs (a <c>remove</c> without its size, which the protocol allows, leaves them unknown).
/// </summary>
internal sealed class HeadReplay
{
    private readonly string _location;
    private readonly Dictionary<string, long> _txns;
    private readonly Dictionary<string, string> _domains;
    private Protocol _protocol;
    private Metadata _metadata;
    private FileTotals? _totals;
    private long? _inCommitTimestamp;
    private CommitInfo? _commitInfo;

    private HeadReplay(string location, Protocol protocol, Metadata metadata, IReadOnlyDictionary<string, long> txns, IReadOnlyDictionary<string, string> domains, FileTotals? totals, long? inCommitTimestamp, CommitInfo? commitInfo)
    {
        _location = location;
        _protocol = protocol;
        _metadata = metadata;
        _txns = new Dictionary<string, long>(txns, StringComparer.Ordinal);
        _domains = new Dictionary<string, string>(domains, StringComparer.Ordinal);
        _totals = totals;
        _inCommitTimestamp = inCommitTimestamp;
        _commitInfo = commitInfo;
    }

    /// <summary>Starts from the state a checksum records.</summary>
    public static HeadReplay From(string location, VersionChecksum checksum) =>
        new(location, checksum.Protocol, checksum.Metadata, checksum.Transactions, checksum.Domains,
            new FileTotals(checksum.NumFiles, checksum.TableSizeBytes), checksum.InCommitTimestamp, null);

    /// <summary>Starts from a snapshot, with or without its files.</summary>
    public static HeadReplay From(Snapshot snapshot) =>
        new(snapshot.TableLocation, snapshot.Protocol, snapshot.Metadata, snapshot.TransactionVersions, snapshot.DomainMetadata,
            snapshot.Totals, snapshot.CommitInfo?.InCommitTimestamp, snapshot.CommitInfo);

    /// <summary>Applies the actions of the next commit.</summary>
    public void Apply(List<DeltaAction> actions)
    {
        _commitInfo = null;
        _inCommitTimestamp = null;
        foreach (DeltaAction action in actions)
        {
            switch (action)
            {
                case CommitInfoAction c:
                    _commitInfo = c.CommitInfo;
                    _inCommitTimestamp = c.CommitInfo.InCommitTimestamp;
                    break;
                case ProtocolAction p:
                    _protocol = p.Protocol;
                    break;
                case MetadataAction m:
                    _metadata = m.Metadata;
                    break;
                case Txn t:
                    _txns[t.AppId] = t.Version;
                    break;
                case DomainMetadata { Removed: true } d:
                    _domains.Remove(d.Domain);
                    break;
                case DomainMetadata d:
                    _domains[d.Domain] = d.Configuration;
                    break;
                case AddFile add when _totals is { } t:
                    _totals = new FileTotals(t.Count + 1, t.Bytes + add.Size);
                    break;
                case RemoveFile remove when _totals is { } t:
                    _totals = remove.Size is long size ? new FileTotals(t.Count - 1, t.Bytes - size) : null;
                    break;
            }
        }
    }

    /// <summary>
    /// The snapshot at <paramref name="version"/>, the version of the last commit applied (or of the checksum, when none was).
    /// </summary>
    /// <param name="version">The version reached.</param>
    /// <param name="commitFile">The version's commit file as listed (null when the log no longer has it), or as this process wrote it.</param>
    /// <param name="commitTimeUnknown">True when this process wrote the commit and has not listed it since (see <see cref="Snapshot.CommitTimeUnknown"/>).</param>
    public Snapshot Build(long version, ObjectInfo? commitFile, bool commitTimeUnknown)
    {
        string where = $"the Delta table at '{_location}' (version {version})";
        TableFeatures.EnsureReadable(_protocol, _location);
        StructType schema = SchemaParser.Parse(_metadata.SchemaString, where);
        LogReplay.PartitionFields(schema, _metadata, where);
        DateTimeOffset timestamp = TableFeatures.InCommitTimestampsEnabled(_metadata) && _inCommitTimestamp is long ict
            ? DateTimeOffset.FromUnixTimeMilliseconds(ict)
            : commitFile?.LastModified ?? DateTimeOffset.UnixEpoch;
        var snapshot = new Snapshot(_location, version, _protocol, _metadata, schema, TableFeatures.GetColumnMappingMode(_protocol, _metadata), _commitInfo, timestamp,
            null, NoTombstones, _txns, _domains, _totals)
        {
            CommitFile = commitFile,
        };
        return commitTimeUnknown ? snapshot.WithCommitTimeUnknown() : snapshot;
    }

    /// <summary>A snapshot without files is never checkpointed, the one use of tombstones.</summary>
    private static System.Threading.Tasks.Task<IReadOnlyList<RemoveFile>> NoTombstones(IParquetHandler? parquet, System.Threading.CancellationToken cancellationToken) =>
        throw new InvalidOperationException("A snapshot loaded without its file list has no tombstones either; load the table's snapshot to checkpoint it.");
}
