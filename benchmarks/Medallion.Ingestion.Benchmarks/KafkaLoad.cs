using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Confluent.Kafka;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Ingestion;
using Medallion.Ingestion.Kafka;
using Medallion.Ingestion.Tests.Kafka;

namespace Medallion.Ingestion.Benchmarks;

/// <summary>
/// Kafka into bronze against a bare consumer of the same topic, in one run: librdkafka's mock cluster holds the
/// messages (JSON orders of about 120 bytes over 12 partitions); each round a bare consumer (a fresh group, every
/// message's value touched) reads the topic to its end, then <see cref="KafkaIngestion"/> reads it into a fresh bronze
/// table (a fresh group, until caught up, commits included). Rounds alternate; medians compared. Target: >= 0.7x.
/// </summary>
internal static class KafkaLoad
{
    private const string Topic = "bench.orders";
    /// <summary>The mock cluster keeps about 5 MB per partition (older messages are dropped, as retention would), so the messages are spread wide.</summary>
    private const int Partitions = 12;

    public static async Task RunAsync(string root, int messages, int rounds)
    {
        using var cluster = new KafkaMockCluster();
        cluster.CreateTopic(Topic, Partitions);
        var produce = Stopwatch.StartNew();
        string[] statuses = ["new", "paid", "shipped", "cancelled"];
        for (int i = 0; i < messages; i++)
        {
            cluster.Produce(Topic, i % Partitions, "order-" + i.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"customer\":\"c{i % 9973}\",\"amount\":{i % 1000 + 0.5},\"status\":\"{statuses[i % 4]}\",\"created_at\":\"2026-11-23T12:{i / 60 % 60:00}:{i % 60:00}Z\"}}"));
        }

        cluster.Flush();
        Console.WriteLine($"Kafka: {messages:N0} JSON messages in {Partitions} partitions produced to the mock cluster in {produce.Elapsed.TotalSeconds:0.0} s; {rounds} rounds, load average {Child.LoadAverage()}");
        var bare = new List<double>();
        var json = new List<double>();
        var raw = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            bare.Add(Bare(cluster.BootstrapServers, messages, round));
            json.Add(await IntoBronzeAsync(root, cluster.BootstrapServers, messages, round, KafkaPayloadFormat.Json));
            raw.Add(await IntoBronzeAsync(root, cluster.BootstrapServers, messages, round, KafkaPayloadFormat.Raw));
            Console.WriteLine($"  round {round + 1}: bare consumer {Rate(messages, bare[^1])}, into bronze (json) {Rate(messages, json[^1])}, into bronze (raw) {Rate(messages, raw[^1])}");
        }

        double b = Median(bare), j = Median(json), r = Median(raw);
        Console.WriteLine($"Kafka medians: bare consumer {Rate(messages, b)}; into bronze json {Rate(messages, j)} = {b / j:0.00}x, raw {Rate(messages, r)} = {b / r:0.00}x of the bare consumer (target >= 0.70x)");
    }

    /// <summary>Reads every message to the end of each partition, touching each value; seconds taken.</summary>
    private static double Bare(string bootstrap, int messages, int round)
    {
        var clock = Stopwatch.StartNew();
        using IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bare-" + round.ToString(CultureInfo.InvariantCulture),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = true,
        }).Build();
        consumer.Subscribe(Topic);
        long read = 0, bytes = 0;
        var ended = new HashSet<int>();
        while (ended.Count < Partitions)
        {
            ConsumeResult<byte[], byte[]>? m = consumer.Consume(TimeSpan.FromSeconds(1));
            if (m is null)
            {
                continue;
            }

            if (m.IsPartitionEOF)
            {
                ended.Add(m.Partition.Value);
                continue;
            }

            read++;
            bytes += m.Message.Value.Length;
        }

        consumer.Close();
        if (read != messages)
        {
            throw new InvalidOperationException($"the bare consumer read {read} messages, not {messages} (the mock cluster keeps about 5 MB per partition: produce fewer)");
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> IntoBronzeAsync(string root, string bootstrap, int messages, int round, KafkaPayloadFormat format)
    {
        string table = Path.Combine(root, $"bronze-{format}-{round}".ToLowerInvariant());
        using DuckDbDatabase database = DuckDbEngines.Default.OpenIngestion();
        using DuckDbConnection connection = database.CreateConnection();
        var clock = Stopwatch.StartNew();
        KafkaIngestionResult result = await new KafkaIngestion(new DeltaWriter(connection), table, new KafkaSourceOptions
        {
            Name = "orders",
            Target = "bronze.orders",
            BootstrapServers = bootstrap,
            GroupId = $"bronze-{format}-{round}",
            Topics = [Topic],
            Format = format,
        }).RunAsync(untilCaughtUp: true);
        double seconds = clock.Elapsed.TotalSeconds;
        if (result.Messages != messages)
        {
            throw new InvalidOperationException($"the ingestion committed {result.Messages} messages, not {messages}");
        }

        Directory.Delete(table, recursive: true);
        return seconds;
    }

    private static string Rate(int messages, double seconds) => string.Create(CultureInfo.InvariantCulture, $"{messages / seconds:N0} msg/s ({seconds:0.00} s)");

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }
}
