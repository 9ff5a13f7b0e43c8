using System;
using System.Collections.Generic;

namespace Medallion.Ingestion.Kafka;

/// <summary>What a Kafka source reads and how: the cluster, the consumer group, the topics, the payload format.</summary>
public sealed record KafkaSourceOptions
{
    /// <summary>The source's name, as messages and logs call it.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// The bronze table's name (e.g. <c>bronze.orders</c>): part of the Delta <c>txn</c> application id of each
    /// topic-partition (<see cref="KafkaIngestion.ApplicationId"/>), so two sources reading one topic into two tables
    /// keep apart positions.
    /// </summary>
    public required string Target { get; init; }

    /// <summary>The brokers to start from, <c>host:port</c> separated by commas.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>The consumer group: consumers of one group share a topic's partitions, and it receives the committed offsets for monitoring.</summary>
    public required string GroupId { get; init; }

    /// <summary>Topic names, or patterns starting with <c>^</c> (regular expressions, matched as librdkafka matches them).</summary>
    public required IReadOnlyList<string> Topics { get; init; }

    /// <summary>How message values become rows.</summary>
    public KafkaPayloadFormat Format { get; init; } = KafkaPayloadFormat.Json;

    /// <summary>
    /// More client properties, as librdkafka names them: <c>security.protocol</c>, <c>sasl.mechanism</c>,
    /// <c>sasl.username</c>, <c>sasl.password</c>, <c>ssl.ca.location</c>, ... Values may be secrets: never logged.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>A batch is committed when it holds this many messages (default 100,000).</summary>
    public int MaxBatchMessages { get; init; } = 100_000;

    /// <summary>A batch is committed when its messages hold this many bytes (default 64 MiB), which bounds memory.</summary>
    public long MaxBatchBytes { get; init; } = 64L << 20;

    /// <summary>A batch is committed at the latest this long after its first message arrived (default 1 s).</summary>
    public TimeSpan MaxBatchDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the brokers may stay unreachable, or a run that stops when caught up may wait for partitions, before the
    /// run fails (default 60 s).
    /// </summary>
    public TimeSpan UnavailableTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
