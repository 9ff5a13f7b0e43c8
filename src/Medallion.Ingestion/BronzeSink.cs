using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Snapshots;
using Medallion.Engine;
using Medallion.Ingestion.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Ingestion;

/// <summary>
/// Lands batches in a bronze Delta table: each batch is written to data files at once (memory stays bounded by a
/// batch) and becomes visible in one commit per commit point, which also carries the source position in the
/// metadata domain <c>medallion.source.&lt;source name&gt;</c> and a <c>txn</c> (application id = the source key,
/// version = the batch number, increasing across runs).
/// </summary>
/// <remarks>
/// <para>
/// The position is read back from the table's newest snapshot, so the next run resumes right after the last
/// commit: a process killed at any moment either committed a batch with its position or left only invisible
/// files, and no batch is committed twice (a second process committing the same batch number conflicts on the
/// domain). A full load replaces the table's content in one commit at the end of the stream; incremental and
/// CDC batches append.
/// </para>
/// <para>Bronze rows are the batch's columns plus <c>_ingested_at</c> (the commit's time, UTC); new source columns
/// are added to the table (schema merge), never dropped. Not thread-safe: one sink per stream.</para>
/// </remarks>
public sealed class BronzeSink : IBatchSink
{
    /// <summary>The prefix of the metadata domain that holds a source's position.</summary>
    public const string DomainPrefix = "medallion.source.";

    private readonly DeltaWriter _writer;
    private readonly ILogger _logger;
    private DeltaStagedWrite? _staged;
    private DateTimeOffset? _stagedSourceCommit;
    private long? _lastBatch;

    /// <summary>Creates a sink writing to the table at <paramref name="tablePath"/> (created by the first commit when missing).</summary>
    /// <param name="writer">
    /// Writes Parquet and commits on its connection, the one the source stages its batches in. The caller's writer, so
    /// every bronze commit follows the caller's rules: its stores, its logs (where commits and retries go), and its
    /// <see cref="DeltaWriter.CommitFence"/>, which a run that is no longer its server's uses to commit nothing more
    /// (the batch and its position are then left uncommitted together).
    /// </param>
    /// <param name="tablePath">The bronze table's root directory.</param>
    /// <param name="sourceName">The source's name as the project knows it; names the metadata domain.</param>
    /// <remarks>A source that is read (not one that pushes) lands through <see cref="IngestionRunner.LandAsync"/>, which creates the sink.</remarks>
    public BronzeSink(DeltaWriter writer, string tablePath, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentException.ThrowIfNullOrEmpty(tablePath);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        _writer = writer;
        TablePath = Path.GetFullPath(tablePath);
        SourceName = sourceName;
        Domain = DomainPrefix + sourceName;
        _logger = (writer.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<BronzeSink>();
    }

    /// <summary>The bronze table's root directory.</summary>
    public string TablePath { get; }

    /// <summary>The source's name.</summary>
    public string SourceName { get; }

    /// <summary>The metadata domain holding the position: <c>medallion.source.&lt;source name&gt;</c>.</summary>
    public string Domain { get; }

    /// <summary>The table version of the last commit this sink made, or null before its first.</summary>
    public long? LastCommittedVersion { get; private set; }

    /// <summary>The table's newest version, or null when it has none yet.</summary>
    /// <param name="cancellationToken">Stops the read.</param>
    public async Task<long?> GetTableVersionAsync(CancellationToken cancellationToken = default) =>
        (await _writer.TryGetSnapshotAsync(TablePath, cancellationToken).ConfigureAwait(false))?.Version;

    /// <summary>
    /// Reads the position committed with the table's newest version (null when the table or the domain is missing);
    /// anything staged and not committed by an earlier run of this sink is dropped.
    /// </summary>
    public async Task<SourcePosition?> GetCommittedPositionAsync(string sourceKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceKey);
        _staged = null;
        Snapshot? snapshot = await _writer.TryGetSnapshotAsync(TablePath, cancellationToken).ConfigureAwait(false);
        _lastBatch = snapshot is not null && snapshot.TransactionVersions.TryGetValue(sourceKey, out long batch) ? batch : 0;
        return snapshot is not null && snapshot.DomainMetadata.TryGetValue(Domain, out string? configuration) ? ReadPosition(configuration) : null;
    }

    /// <inheritdoc/>
    public async Task WriteBatchAsync(string sourceKey, SourceBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceKey);
        ArgumentNullException.ThrowIfNull(batch);
        if (_staged is null)
        {
            _lastBatch ??= await ReadLastBatchAsync(sourceKey, cancellationToken).ConfigureAwait(false);
            _staged = await _writer.BeginWriteAsync(TablePath, new DeltaWriteOptions
            {
                Mode = batch.Position.Mode == IngestionMode.Full ? DeltaWriteMode.Overwrite : DeltaWriteMode.Append,
                MergeSchema = true,
                ApplicationId = sourceKey,
                ApplicationVersion = _lastBatch + 1,
            }, cancellationToken).ConfigureAwait(false);
            if (_staged.IsAlreadyCommitted)
            {
                _staged = null;
                throw ConcurrentIngestion(sourceKey);
            }
        }

        string ingestedAt = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        await _staged.AddAsync($"SELECT *, TIMESTAMPTZ '{ingestedAt}+00' AS _ingested_at FROM {batch.Relation}", cancellationToken).ConfigureAwait(false);
        _stagedSourceCommit = batch.SourceCommittedAt ?? _stagedSourceCommit;
        if (batch.IsCommitPoint)
        {
            await CommitAsync(sourceKey, batch.Position, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task CompleteAsync(string sourceKey, SourcePosition? position, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceKey);
        if (_staged is not null && position is not null)
        {
            await CommitAsync(sourceKey, position, cancellationToken).ConfigureAwait(false);
        }

        _staged = null;
    }

    private async Task CommitAsync(string sourceKey, SourcePosition position, CancellationToken cancellationToken)
    {
        DeltaStagedWrite staged = _staged!;
        _staged = null;
        staged.SetDomainMetadata(Domain, WritePosition(sourceKey, position));
        DeltaOperationResult result;
        try
        {
            result = await staged.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.DeltaConcurrentModification)
        {
            _lastBatch = null;
            throw ConcurrentIngestion(sourceKey, e);
        }

        _lastBatch++;
        LastCommittedVersion = result.Version;
        if (_stagedSourceCommit is { } sourceCommit)
        {
            IngestionMeter.RecordCommitToBronze(SourceName, DateTimeOffset.UtcNow - sourceCommit);
            _stagedSourceCommit = null;
        }

        LogMessages.BronzeCommitted(_logger, SourceName, TablePath, result.Version, _lastBatch!.Value, staged.RowCount);
    }

    private async Task<long> ReadLastBatchAsync(string sourceKey, CancellationToken cancellationToken)
    {
        Snapshot? snapshot = await _writer.TryGetSnapshotAsync(TablePath, cancellationToken).ConfigureAwait(false);
        return snapshot is not null && snapshot.TransactionVersions.TryGetValue(sourceKey, out long batch) ? batch : 0;
    }

    private MedallionException ConcurrentIngestion(string sourceKey, Exception? inner = null) => new(
        ErrorCode.SourceConcurrentIngestion,
        $"Source '{SourceName}': another process committed to the bronze table '{TablePath}' while this one was writing the same batch of {sourceKey}; nothing of this batch was committed.\nHelp: run one ingestion per source at a time; the next run resumes from what the other committed.",
        inner);

    /// <summary>The domain's configuration: the source key (for people reading the log) and the position.</summary>
    private static string WritePosition(string sourceKey, SourcePosition position)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("source", sourceKey);
            writer.WritePropertyName("position");
            writer.WriteRawValue(position.ToJson());
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private SourcePosition ReadPosition(string configuration)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(configuration);
            return SourcePosition.Parse(document.RootElement.GetProperty("position").GetRawText());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException)
        {
            throw new MedallionException(ErrorCode.SourcePositionInvalid, $"Source '{SourceName}': the metadata domain '{Domain}' of the bronze table '{TablePath}' does not hold a source position: {e.Message}.\nHelp: it is written by Medallion with each bronze commit; if it was edited, restore it or reload the table in full mode.", e);
        }
    }
}
