using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Confluent.Kafka;
using Medallion.Engine;
using Medallion.Ingestion.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Ingestion.Kafka;

/// <summary>
/// Reads Kafka topics into a bronze Delta table: messages are gathered into batches, and each batch becomes visible in
/// one Delta commit that also records, per topic-partition, the next offset to read as a <c>txn</c> action
/// (application id <see cref="ApplicationId"/>, version = offset).
/// </summary>
/// <remarks>
/// <para>
/// The Delta log is the only position that counts: a partition assigned to this consumer starts at the offset its
/// <c>txn</c> holds (from the beginning when none), whatever the group has committed, so a process killed at any
/// moment has either committed a batch with its offsets or left only invisible data files, and no message is lost or
/// written twice. After each Delta commit the offsets are also stored for the consumer group (committed by the client
/// in the background and when it closes), so lag monitors see progress; a failure there is only logged.
/// </para>
/// <para>
/// Consumers of one group may write one table together (each owns some partitions). A batch is committed only when
/// the table still holds, for each of its partitions, the offset this consumer started the batch from (a compare-and-set
/// on the <c>txn</c> versions; concurrent commits that advance them conflict): when another consumer took a partition
/// over and committed it meanwhile, this consumer's messages of it are dropped and it reads on from that consumer's
/// offset. On a rebalance, the messages of revoked partitions not yet committed are dropped; the next owner reads them
/// again from the log's offset.
/// </para>
/// <para>
/// Bronze rows carry <c>_topic</c>, <c>_partition</c>, <c>_offset</c>, <c>_timestamp</c> (the message's timestamp),
/// <c>_key</c> and <c>_ingested_at</c>; see <see cref="KafkaPayloadFormat"/> for the rest. A JSON or Debezium message
/// that cannot be read lands as a row with its text in <c>_raw_value</c> and the problem in <c>_parse_error</c>.
/// Memory is bounded by one batch (<see cref="KafkaSourceOptions.MaxBatchBytes"/>). Not thread-safe: one run at a time.
/// </para>
/// </remarks>
public sealed partial class KafkaIngestion
{
    private readonly DeltaWriter _writer;
    private readonly KafkaSourceOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<TopicPartition, long?> _expected = [];
    private readonly Dictionary<string, long> _known = new(StringComparer.Ordinal);
    private readonly HashSet<TopicPartition> _atEnd = [];
    private readonly List<ConsumeResult<byte[]?, byte[]?>> _buffer = [];
    private long _bufferBytes;
    private Error? _fatal;
    private long _unavailableSinceTicks;

    /// <summary>Creates an ingestion of <paramref name="options"/>' topics into the table at <paramref name="tablePath"/>.</summary>
    /// <param name="writer">The Delta writer; its DuckDB connection stages the batches.</param>
    /// <param name="tablePath">The bronze table's root directory (created by the first commit).</param>
    /// <param name="options">The cluster, group, topics and format.</param>
    /// <param name="loggerFactory">Where commits, rebalances and client errors are logged.</param>
    public KafkaIngestion(DeltaWriter writer, string tablePath, KafkaSourceOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentException.ThrowIfNullOrEmpty(tablePath);
        ArgumentNullException.ThrowIfNull(options);
        _writer = writer;
        TablePath = Path.GetFullPath(tablePath);
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<KafkaIngestion>();
    }

    /// <summary>The bronze table's root directory.</summary>
    public string TablePath { get; }

    /// <summary>The Delta <c>txn</c> application id that holds the next offset of one topic-partition of a target table.</summary>
    public static string ApplicationId(string target, string topic, int partition)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        return $"kafka:{target}:{topic}:{partition.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// Consumes and commits batches until <paramref name="cancellationToken"/> is cancelled, or, with
    /// <paramref name="untilCaughtUp"/>, until every assigned partition has been read to its end (the batch in hand is
    /// then committed and the run returns).
    /// </summary>
    /// <param name="untilCaughtUp">Stop once caught up (one run of a pipeline's source step) instead of streaming on.</param>
    /// <param name="progress">Told of each commit as it happens.</param>
    /// <param name="cancellationToken">Stops the run: it then throws <see cref="OperationCanceledException"/>, and the batch in hand is not committed.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.KafkaConfigurationInvalid"/> when the client refuses a setting;
    /// <see cref="ErrorCode.KafkaConsumeFailed"/> on a fatal client error (authentication, authorization, a missing topic);
    /// <see cref="ErrorCode.SourceUnavailable"/> when no broker answered for <see cref="KafkaSourceOptions.UnavailableTimeout"/>;
    /// the Delta writer's errors when a batch cannot be written. What was committed before stays committed.
    /// </exception>
    public Task<KafkaIngestionResult> RunAsync(bool untilCaughtUp, IProgress<KafkaCommit>? progress = null, CancellationToken cancellationToken = default) =>
        // The client's Consume blocks (for at most a poll interval at a time), so the loop gets a thread of its own.
        Task.Run(() => LoopAsync(untilCaughtUp, progress, cancellationToken), cancellationToken);

    private async Task<KafkaIngestionResult> LoopAsync(bool untilCaughtUp, IProgress<KafkaCommit>? progress, CancellationToken cancellationToken)
    {
        await RefreshKnownAsync(cancellationToken).ConfigureAwait(false);
        using IConsumer<byte[]?, byte[]?> consumer = Build();
        var totals = new Totals();
        var batchStarted = Stopwatch.StartNew();
        var idle = Stopwatch.StartNew();
        try
        {
            consumer.Subscribe(_options.Topics);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ThrowIfFatal();
                ConsumeResult<byte[]?, byte[]?>? message = Consume(consumer);
                if (message is not null)
                {
                    idle.Restart();
                    Interlocked.Exchange(ref _unavailableSinceTicks, 0);
                    if (message.IsPartitionEOF)
                    {
                        _atEnd.Add(message.TopicPartition);
                    }
                    else
                    {
                        if (_buffer.Count == 0)
                        {
                            batchStarted.Restart();
                        }

                        _atEnd.Remove(message.TopicPartition);
                        _buffer.Add(message);
                        _bufferBytes += (message.Message.Value?.Length ?? 0) + (message.Message.Key?.Length ?? 0) + 64;
                    }
                }

                bool caughtUp = untilCaughtUp && (message is null || message.IsPartitionEOF) && IsCaughtUp(consumer);
                if (_buffer.Count >= _options.MaxBatchMessages || _bufferBytes >= _options.MaxBatchBytes
                    || (_buffer.Count > 0 && (caughtUp || batchStarted.Elapsed >= _options.MaxBatchDelay)))
                {
                    await FlushAsync(consumer, totals, progress, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (caughtUp && _buffer.Count == 0)
                {
                    break;
                }

                // The idle clock first: the assignment is a round trip to the client's main thread, far too dear per message.
                if (untilCaughtUp && idle.Elapsed >= _options.UnavailableTimeout && consumer.Assignment.Count == 0)
                {
                    LogMessages.KafkaNothingAssigned(_logger, _options.Name, idle.Elapsed);
                    break;
                }
            }
        }
        finally
        {
            _buffer.Clear();
            _bufferBytes = 0;
            try
            {
                // Leaves the group at once (others take the partitions over without waiting for a session timeout) and
                // commits the offsets stored after our Delta commits.
                consumer.Close();
            }
            catch (KafkaException e)
            {
                LogMessages.KafkaGroupCommitFailed(_logger, _options.Name, e.Error.Reason);
            }
        }

        return new KafkaIngestionResult(totals.Messages, totals.Rows, totals.Commits, totals.LastVersion);
    }

    private IConsumer<byte[]?, byte[]?> Build()
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = _options.BootstrapServers,
            GroupId = _options.GroupId,
            // Offsets are stored only after the Delta commit that holds them; the client commits stored ones.
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            EnablePartitionEof = true,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            // Eager rebalancing: a rebalance revokes every partition, so a batch never mixes owners' partitions.
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.Range,
        };
        foreach ((string key, string value) in _options.Settings)
        {
            config.Set(key, value);
        }

        try
        {
            return new ConsumerBuilder<byte[]?, byte[]?>(config)
                .SetErrorHandler((_, error) => OnError(error))
                .SetLogHandler((_, message) => LogMessages.KafkaClientLog(_logger, _options.Name, message.Facility, message.Message))
                .SetPartitionsAssignedHandler((_, partitions) => Assigned(partitions))
                .SetPartitionsRevokedHandler((_, partitions) => Revoked(partitions.Select(p => p.TopicPartition)))
                .SetPartitionsLostHandler((_, partitions) => Revoked(partitions.Select(p => p.TopicPartition)))
                .Build();
        }
        catch (Exception e) when (e is ArgumentException or KafkaException or InvalidOperationException)
        {
            throw new MedallionException(ErrorCode.KafkaConfigurationInvalid,
                $"Kafka source '{_options.Name}': the client refused its settings: {e.Message}\nHelp: check the kafka connection's settings (names as librdkafka spells them, e.g. security.protocol, sasl.mechanism); nothing was read.", e);
        }
    }

    private ConsumeResult<byte[]?, byte[]?>? Consume(IConsumer<byte[]?, byte[]?> consumer)
    {
        try
        {
            return consumer.Consume(TimeSpan.FromMilliseconds(100));
        }
        catch (ConsumeException e) when (e.Error.Code == ErrorCode_UnknownTopic)
        {
            throw new MedallionException(ErrorCode.KafkaConsumeFailed,
                $"Kafka source '{_options.Name}': {e.Error.Reason}.\nHelp: check the topic names ({string.Join(", ", _options.Topics)}) and that the login may read them; nothing more was read.", e);
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            LogMessages.KafkaClientError(_logger, _options.Name, e.Error.Code.ToString(), e.Error.Reason);
            return null;
        }
        catch (ConsumeException e)
        {
            _fatal = e.Error;
            ThrowIfFatal();
            throw;
        }
    }

    private const Confluent.Kafka.ErrorCode ErrorCode_UnknownTopic = Confluent.Kafka.ErrorCode.UnknownTopicOrPart;

    private void OnError(Error error)
    {
        if (error.IsFatal || error.Code is Confluent.Kafka.ErrorCode.Local_Authentication or Confluent.Kafka.ErrorCode.SaslAuthenticationFailed
            or Confluent.Kafka.ErrorCode.TopicAuthorizationFailed or Confluent.Kafka.ErrorCode.GroupAuthorizationFailed)
        {
            _fatal = error;
            return;
        }

        if (error.Code == Confluent.Kafka.ErrorCode.Local_AllBrokersDown)
        {
            Interlocked.CompareExchange(ref _unavailableSinceTicks, Stopwatch.GetTimestamp(), 0);
        }

        LogMessages.KafkaClientError(_logger, _options.Name, error.Code.ToString(), error.Reason);
    }

    private void ThrowIfFatal()
    {
        if (_fatal is { } error)
        {
            throw new MedallionException(ErrorCode.KafkaConsumeFailed,
                $"Kafka source '{_options.Name}' (brokers {_options.BootstrapServers}, group '{_options.GroupId}'): {error.Reason} ({error.Code}).\nHelp: check the connection's credentials and that the login may read the topics and join the group; what was committed stays committed.");
        }

        long since = Interlocked.Read(ref _unavailableSinceTicks);
        if (since != 0 && Stopwatch.GetElapsedTime(since) >= _options.UnavailableTimeout)
        {
            throw new MedallionException(ErrorCode.SourceUnavailable,
                $"Kafka source '{_options.Name}': no broker of {_options.BootstrapServers} answered for {_options.UnavailableTimeout.TotalSeconds:0} s.\nHelp: check that the brokers are up and reachable from this machine; the next run resumes from the last commit.");
        }
    }

    /// <summary>Every assigned partition has been read to its end (and the client is not between assignments).</summary>
    private bool IsCaughtUp(IConsumer<byte[]?, byte[]?> consumer)
    {
        List<TopicPartition> assigned = consumer.Assignment;
        return assigned.Count > 0 && assigned.TrueForAll(_atEnd.Contains);
    }

    /// <summary>Starts each assigned partition at the offset the Delta log holds for it (the beginning when none).</summary>
    private IEnumerable<TopicPartitionOffset> Assigned(List<TopicPartition> partitions)
    {
        // A partition reached by another consumer in between is found when this consumer's batch is committed.
        var offsets = new List<TopicPartitionOffset>(partitions.Count);
        foreach (TopicPartition p in partitions)
        {
            long? committed = _known.TryGetValue(ApplicationId(_options.Target, p.Topic, p.Partition.Value), out long o) ? o : null;
            _expected[p] = committed;
            _atEnd.Remove(p);
            offsets.Add(new TopicPartitionOffset(p, committed is long at ? new Offset(at) : Offset.Beginning));
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            string assigned = string.Join(", ", offsets.Select(o => $"{o.Topic}[{o.Partition.Value}]@{o.Offset}"));
            LogMessages.KafkaAssigned(_logger, _options.Name, assigned);
        }
        return offsets;
    }

    /// <summary>Drops what was read of partitions this consumer no longer owns: their next owner reads it from the log's offset.</summary>
    private void Revoked(IEnumerable<TopicPartition> partitions)
    {
        var revoked = new HashSet<TopicPartition>(partitions);
        int dropped = _buffer.RemoveAll(m => revoked.Contains(m.TopicPartition));
        _bufferBytes = _buffer.Count == 0 ? 0 : _bufferBytes;
        foreach (TopicPartition p in revoked)
        {
            _expected.Remove(p);
            _atEnd.Remove(p);
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            string names = string.Join(", ", revoked.Select(p => $"{p.Topic}[{p.Partition.Value}]"));
            LogMessages.KafkaRevoked(_logger, _options.Name, names, dropped);
        }
    }

    private async Task RefreshKnownAsync(CancellationToken cancellationToken)
    {
        if (await _writer.TryGetSnapshotAsync(TablePath, cancellationToken).ConfigureAwait(false) is { } snapshot)
        {
            foreach ((string appId, long version) in snapshot.TransactionVersions)
            {
                _known[appId] = version;
            }

            foreach (Delta.Schema.StructField field in snapshot.Schema.Fields)
            {
                if (field.Type is Delta.Schema.PrimitiveType or Delta.Schema.DecimalType)
                {
                    _payloadColumns.Remember(field.Name, DuckDbTypes.ToDuckDb(field.Type));
                }
            }
        }
    }

    /// <summary>Counts of a run.</summary>
    private sealed class Totals
    {
        public long Messages;
        public long Rows;
        public long Commits;
        public long? LastVersion;
    }
}
