using System;
using Microsoft.Extensions.Logging;

namespace Medallion.Ingestion.Internal;

/// <summary>The log messages of the ingestion layer (event ids 8000-8999, like the error codes).</summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 8101, Level = LogLevel.Warning, Message = "Source {Source}: connecting to {Server} failed ({Error}); attempt {Attempt} in {Delay}")]
    public static partial void ConnectRetry(ILogger logger, string source, string server, int attempt, TimeSpan delay, string? error);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Debug, Message = "Source {Source}: reading table {Table} ({Mode}) with {Sql}")]
    public static partial void Reading(ILogger logger, string source, string table, IngestionMode mode, string sql);

    [LoggerMessage(EventId = 8103, Level = LogLevel.Debug, Message = "Source {Source}: batch {Batch} of table {Table} staged, {Rows} rows")]
    public static partial void BatchStaged(ILogger logger, string source, string table, long batch, long rows);

    [LoggerMessage(EventId = 8104, Level = LogLevel.Warning, Message = "Source {Source}: an update of table {Table} left a TOASTed value unchanged, which logical replication does not send; it lands as NULL and is named in _unchanged_toast (set REPLICA IDENTITY FULL to receive it)")]
    public static partial void UnchangedToast(ILogger logger, string source, string table);

    [LoggerMessage(EventId = 8105, Level = LogLevel.Information, Message = "Source {Source}: committed version {Version} of {Table}, batch {Batch}, {Rows} rows")]
    public static partial void BronzeCommitted(ILogger logger, string source, string table, long version, long batch, long rows);

    [LoggerMessage(EventId = 8106, Level = LogLevel.Warning, Message = "Source {Source}: table {Table} has REPLICA IDENTITY {Identity}, so deletes carry only the key columns (the other columns land as NULL), updates carry a before-image only when they change the key, and unchanged TOASTed values cannot be filled in; run ALTER TABLE {Table} REPLICA IDENTITY FULL for full rows")]
    public static partial void ReplicaIdentityNotFull(ILogger logger, string source, string table, string identity);

    [LoggerMessage(EventId = 8107, Level = LogLevel.Debug, Message = "Source {Source}: the change stream of {Table} is drained at {Lsn}; the server last reported {ServerLsn}")]
    public static partial void StreamDrained(ILogger logger, string source, string table, NpgsqlTypes.NpgsqlLogSequenceNumber lsn, NpgsqlTypes.NpgsqlLogSequenceNumber serverLsn);

    [LoggerMessage(EventId = 8108, Level = LogLevel.Information, Message = "Source {Source}: table {Table} gained column(s) {Columns} while streaming; the batch ends at {Lsn} and the stream restarts with them")]
    public static partial void StreamRestarted(ILogger logger, string source, string table, System.Collections.Generic.IReadOnlyList<string> columns, NpgsqlTypes.NpgsqlLogSequenceNumber lsn);

    [LoggerMessage(EventId = 8109, Level = LogLevel.Warning, Message = "Source {Source}: column {Column} of table {Table} has type {Type}, which Medallion does not know; it lands in bronze as the text the server prints for it")]
    public static partial void TypeKeptAsText(ILogger logger, string source, string table, string column, string type);

    [LoggerMessage(EventId = 8110, Level = LogLevel.Debug, Message = "Source {Source}: reading the binlog of {Server} for {Table} from {File} at {Position}")]
    public static partial void BinlogStarted(ILogger logger, string source, string server, string table, string file, ulong position);

    [LoggerMessage(EventId = 8111, Level = LogLevel.Debug, Message = "Source {Source}: the binlog stream of {Table} is drained at {File} {Position}, having reached {ReachedFile} {ReachedPosition}")]
    public static partial void BinlogDrained(ILogger logger, string source, string table, string file, ulong position, string reachedFile, ulong reachedPosition);

    [LoggerMessage(EventId = 8120, Level = LogLevel.Warning, Message = "Source {Source}: GET {Url} failed ({Error}); attempt {Attempt} in {Delay}")]
    public static partial void HttpRetry(ILogger logger, string source, string url, string error, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 8121, Level = LogLevel.Debug, Message = "Source {Source}: page {Page} from {Url}, {Records} records")]
    public static partial void HttpPage(ILogger logger, string source, string url, int page, int records);

    [LoggerMessage(EventId = 8122, Level = LogLevel.Information, Message = "Debezium endpoint {Endpoint}: committed {Events} events to {Table}, version {Version}")]
    public static partial void DebeziumCommitted(ILogger logger, string endpoint, int events, string table, long? version);

    [LoggerMessage(EventId = 8123, Level = LogLevel.Warning, Message = "Debezium endpoint {Endpoint}: refused a request: {Problem}")]
    public static partial void DebeziumRefused(ILogger logger, string endpoint, string problem);

    [LoggerMessage(EventId = 8130, Level = LogLevel.Information, Message = "Kafka source {Source}: committed version {Version} of {Table}, {Messages} messages, {Rows} rows, offsets {Offsets}")]
    public static partial void KafkaCommitted(ILogger logger, string source, string table, long version, long messages, long rows, string offsets);

    [LoggerMessage(EventId = 8131, Level = LogLevel.Debug, Message = "Kafka source {Source}: assigned {Partitions}")]
    public static partial void KafkaAssigned(ILogger logger, string source, string partitions);

    [LoggerMessage(EventId = 8132, Level = LogLevel.Information, Message = "Kafka source {Source}: revoked {Partitions}; {Dropped} messages read but not committed are left to their next owner")]
    public static partial void KafkaRevoked(ILogger logger, string source, string partitions, int dropped);

    [LoggerMessage(EventId = 8133, Level = LogLevel.Warning, Message = "Kafka source {Source}: {Topic}[{Partition}] was committed by another consumer up to offset {Offset}; the {Dropped} messages this one read of it are dropped and it reads on from there")]
    public static partial void KafkaStale(ILogger logger, string source, string topic, int partition, long? offset, int dropped);

    [LoggerMessage(EventId = 8134, Level = LogLevel.Warning, Message = "Kafka source {Source}: the commit of a batch to {Table} conflicted with another writer (attempt {Attempt}): {Error}")]
    public static partial void KafkaCommitRetry(ILogger logger, string source, string table, int attempt, string error);

    [LoggerMessage(EventId = 8135, Level = LogLevel.Warning, Message = "Kafka source {Source}: committing offsets to the consumer group failed ({Error}); bronze holds them, monitoring sees them with the next commit")]
    public static partial void KafkaGroupCommitFailed(ILogger logger, string source, string error);

    [LoggerMessage(EventId = 8136, Level = LogLevel.Warning, Message = "Kafka source {Source}: client error {Code}: {Reason}")]
    public static partial void KafkaClientError(ILogger logger, string source, string code, string reason);

    [LoggerMessage(EventId = 8137, Level = LogLevel.Debug, Message = "Kafka source {Source}: librdkafka {Facility}: {Message}")]
    public static partial void KafkaClientLog(ILogger logger, string source, string facility, string message);

    [LoggerMessage(EventId = 8138, Level = LogLevel.Warning, Message = "Kafka source {Source}: no partition was assigned to this consumer for {Waited}; the run ends with nothing read (more consumers than partitions, or no matching topic)")]
    public static partial void KafkaNothingAssigned(ILogger logger, string source, TimeSpan waited);

    [LoggerMessage(EventId = 8139, Level = LogLevel.Information, Message = "Source {Source}, table {Table}: the server had not flushed its WAL to {Inserted} (inserted when the pass began) after {Waited}, only to {Flushed}; changes committed past it wait for the next pass")]
    public static partial void WalNotFlushed(ILogger logger, string source, string table, NpgsqlTypes.NpgsqlLogSequenceNumber inserted, NpgsqlTypes.NpgsqlLogSequenceNumber flushed, TimeSpan waited);

    [LoggerMessage(EventId = 8140, Level = LogLevel.Debug, Message = "Source {Source}: the change stream of {Table} kept open since the last pass is closed, since {Reason}; the pass opens a new one from the slot")]
    public static partial void KeptStreamClosed(ILogger logger, string source, string table, string reason);
}
