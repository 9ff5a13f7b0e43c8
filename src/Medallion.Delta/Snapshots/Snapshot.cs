using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;

namespace Medallion.Delta.Snapshots;

/// <summary>Loads a snapshot's tombstones, reading its checkpoint with <paramref name="parquet"/> (see <see cref="Snapshot.LoadTombstonesAsync"/>).</summary>
internal delegate Task<IReadOnlyList<RemoveFile>> TombstoneLoader(IParquetHandler? parquet, CancellationToken cancellationToken);

/// <summary>
/// The state of a Delta table at one version: protocol, metadata, schema and the live logical files.
/// Immutable; it holds every live file in memory (one entry per file, not per commit), unless it was loaded without
/// them for appends (<see cref="HasFiles"/>).
/// </summary>
public sealed class Snapshot
{
    private readonly TombstoneLoader _tombstones;
    private readonly IReadOnlyList<ScanFile>? _files;
    private readonly FileTotals? _totals;

    internal Snapshot(
        string tableLocation,
        long version,
        Protocol protocol,
        Metadata metadata,
        StructType schema,
        ColumnMappingMode columnMappingMode,
        CommitInfo? commitInfo,
        DateTimeOffset timestamp,
        IReadOnlyList<ScanFile>? files,
        TombstoneLoader tombstones,
        IReadOnlyDictionary<string, long> transactionVersions,
        IReadOnlyDictionary<string, string> domainMetadata,
        FileTotals? totalsWithoutFiles = null)
    {
        TableLocation = tableLocation;
        Version = version;
        Protocol = protocol;
        Metadata = metadata;
        Schema = schema;
        ColumnMappingMode = columnMappingMode;
        CommitInfo = commitInfo;
        Timestamp = timestamp;
        _files = files;
        _totals = totalsWithoutFiles;
        _tombstones = tombstones;
        TransactionVersions = transactionVersions;
        DomainMetadata = domainMetadata;
    }

    /// <summary>The table root, as the store shows it.</summary>
    public string TableLocation { get; }

    /// <summary>The table version of this snapshot.</summary>
    public long Version { get; }

    /// <summary>The protocol in force at this version.</summary>
    public Protocol Protocol { get; }

    /// <summary>The metadata in force at this version.</summary>
    public Metadata Metadata { get; }

    /// <summary>The logical table schema.</summary>
    public StructType Schema { get; }

    /// <summary>The logical names of the partition columns, in order.</summary>
    public IReadOnlyList<string> PartitionColumns => Metadata.PartitionColumns;

    /// <summary>How data file columns map to table columns.</summary>
    public ColumnMappingMode ColumnMappingMode { get; }

    /// <summary>The <c>commitInfo</c> of the commit at this version, if it has one, its file still exists and was read (a snapshot loaded from a version checksum does not read it).</summary>
    public CommitInfo? CommitInfo { get; }

    /// <summary>The commit time of this version: the in-commit timestamp when enabled, else the commit file's modification time.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The live logical files.</summary>
    /// <exception cref="InvalidOperationException">The snapshot was loaded without its file list (<see cref="HasFiles"/> is false).</exception>
    public IReadOnlyList<ScanFile> Files => _files ?? throw new InvalidOperationException(
        $"The snapshot of the Delta table at '{TableLocation}' (version {Version}) was loaded without its file list, for appends; load the table's snapshot to read its files.");

    /// <summary>
    /// False for a snapshot loaded without its file list (<see cref="DeltaTable.GetLatestSnapshotWithoutFilesAsync"/>):
    /// enough to append to the table, not to read or change its rows.
    /// </summary>
    public bool HasFiles => _files is not null;

    /// <summary>How many files are live and their total size: counted when the snapshot holds its files, else carried from the version checksum it was loaded from (null when no checksum told).</summary>
    internal FileTotals? Totals => _files is null ? _totals : new FileTotals(_files.Count, SizeBytes);

    /// <summary>Application transaction versions (<c>txn</c> actions) by app id.</summary>
    public IReadOnlyDictionary<string, long> TransactionVersions { get; }

    /// <summary>Configuration of each live metadata domain by domain name.</summary>
    public IReadOnlyDictionary<string, string> DomainMetadata { get; }

    /// <summary>
    /// The <c>remove</c> actions still within the log, newest per file. Loaded on demand: only writing the next
    /// checkpoint needs them, and a checkpoint's tombstones can outnumber its live files many times over.
    /// </summary>
    /// <param name="parquet">
    /// Reads the checkpoint the snapshot was loaded from. It is the caller's, not the loader's: a snapshot outlives the
    /// connection that loaded it (writers share snapshots through a cache), so a reader kept from the load may be closed.
    /// </param>
    /// <param name="cancellationToken">Cancels the read.</param>
    internal Task<IReadOnlyList<RemoveFile>> LoadTombstonesAsync(IParquetHandler? parquet, CancellationToken cancellationToken) => _tombstones(parquet, cancellationToken);

    /// <summary>
    /// The commit file of this version as listed when the snapshot was loaded (null when only a checkpoint was read):
    /// a later update checks it is still there, unchanged, before trusting this snapshot as its base.
    /// </summary>
    internal Medallion.Storage.ObjectInfo? CommitFile { get; init; }

    /// <summary>
    /// True for the snapshot a writer built from its own commit (<see cref="Transactions.CommitResult.Snapshot"/>): the
    /// commit file's size is known but not its modification time, so <see cref="Timestamp"/> is the commit's own clock
    /// (unless in-commit timestamps are on) until <see cref="WithCommitFile"/> gives it the listed file.
    /// </summary>
    internal bool CommitTimeUnknown { get; private init; }

    /// <summary>This snapshot, marked as built from its own commit (see <see cref="CommitTimeUnknown"/>).</summary>
    internal Snapshot WithCommitTimeUnknown() => With(CommitFile, Timestamp, commitTimeUnknown: true);

    /// <summary>This snapshot with its commit file as listed: the listed modification time becomes its timestamp unless in-commit timestamps are on.</summary>
    internal Snapshot WithCommitFile(Medallion.Storage.ObjectInfo listed) =>
        With(listed, TableFeatures.InCommitTimestampsEnabled(Metadata) && CommitInfo?.InCommitTimestamp is not null ? Timestamp : listed.LastModified, commitTimeUnknown: false);

    private Snapshot With(Medallion.Storage.ObjectInfo? commitFile, DateTimeOffset timestamp, bool commitTimeUnknown) =>
        new(TableLocation, Version, Protocol, Metadata, Schema, ColumnMappingMode, CommitInfo, timestamp, _files, _tombstones, TransactionVersions, DomainMetadata, _totals)
        {
            CommitFile = commitFile,
            CommitTimeUnknown = commitTimeUnknown,
        };

    /// <summary>The total size of the live data files in bytes.</summary>
    public long SizeBytes
    {
        get
        {
            long total = 0;
            foreach (ScanFile f in Files)
            {
                total += f.SizeBytes;
            }

            return total;
        }
    }

    /// <summary>The number of rows, from file statistics minus deleted rows; <see langword="null"/> when a file has no row count.</summary>
    public long? RecordCount => ScanFile.TotalRecordCount(Files);
}

/// <summary>How many files a table version has live, and their total size in bytes.</summary>
internal readonly record struct FileTotals(long Count, long Bytes);
