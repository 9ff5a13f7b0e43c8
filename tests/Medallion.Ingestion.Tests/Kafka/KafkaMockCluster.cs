using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace Medallion.Ingestion.Tests.Kafka;

/// <summary>
/// librdkafka's own mock cluster (<c>rdkafka_mock.h</c>): real Kafka-protocol brokers on loopback TCP ports, in this
/// process, with topics, consumer groups and error injection. It lives in an <c>rd_kafka_t</c> handle of its own,
/// created here through the C API of the librdkafka shipped in the librdkafka.redist package.
/// </summary>
public sealed class KafkaMockCluster : IDisposable
{
    private const string Library = "librdkafka";
    private readonly IntPtr _handle;
    private readonly IntPtr _cluster;
    private readonly IProducer<byte[]?, byte[]?> _producer;

    static KafkaMockCluster()
    {
        // The same file Confluent.Kafka loads: librdkafka.so needs libsasl2.so.3, which Debian does not have, so
        // Confluent.Kafka falls back to the build without that dependency; so does this.
        NativeLibrary.SetDllImportResolver(typeof(KafkaMockCluster).Assembly, (name, _, _) =>
        {
            if (name != Library)
            {
                return IntPtr.Zero;
            }

            string folder = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
            foreach (string file in new[] { "librdkafka.so", "centos8-librdkafka.so" })
            {
                if (NativeLibrary.TryLoad(Path.Combine(folder, file), out IntPtr loaded))
                {
                    return loaded;
                }
            }

            return IntPtr.Zero;
        });
    }

    public KafkaMockCluster(int brokers = 3)
    {
        byte[] error = new byte[512];
        _handle = rd_kafka_new(0, rd_kafka_conf_new(), error, (UIntPtr)error.Length);
        if (_handle == IntPtr.Zero)
        {
            throw new InvalidOperationException("rd_kafka_new failed: " + Encoding.UTF8.GetString(error).TrimEnd('\0'));
        }

        _cluster = rd_kafka_mock_cluster_new(_handle, brokers);
        if (_cluster == IntPtr.Zero)
        {
            rd_kafka_destroy(_handle);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }

        BootstrapServers = Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(_cluster))!;
        // A group's first member is answered at once rather than after a broker's usual 3 s wait for more members.
        rd_kafka_mock_group_initial_rebalance_delay_ms(_cluster, 0);
        _producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = BootstrapServers, LingerMs = 5 }).Build();
    }

    /// <summary>The brokers' addresses, <c>127.0.0.1:port</c> separated by commas.</summary>
    public string BootstrapServers { get; }

    public void CreateTopic(string topic, int partitions)
    {
        int error = rd_kafka_mock_topic_create(_cluster, Encoding.UTF8.GetBytes(topic + "\0"), partitions, 1);
        if (error != 0)
        {
            throw new InvalidOperationException($"rd_kafka_mock_topic_create({topic}) failed with {error}");
        }
    }

    /// <summary>Makes the cluster answer the next <paramref name="errors"/>.Length requests of <paramref name="apiKey"/> with these errors.</summary>
    public void PushRequestErrors(short apiKey, params Confluent.Kafka.ErrorCode[] errors)
    {
        int[] codes = errors.Select(e => (int)e).ToArray();
        rd_kafka_mock_push_request_errors_array(_cluster, apiKey, (UIntPtr)codes.Length, codes);
    }

    /// <summary>Produces one message to a given partition and waits for the broker's acknowledgement.</summary>
    public void Produce(string topic, int partition, string? key, string? value) =>
        ProduceBytes(topic, partition, key is null ? null : Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value));

    public void ProduceBytes(string topic, int partition, byte[]? key, byte[]? value)
    {
        _producer.Produce(new TopicPartition(topic, partition), new Message<byte[]?, byte[]?> { Key = key, Value = value });
    }

    /// <summary>Waits until every produced message is acknowledged.</summary>
    public void Flush()
    {
        if (_producer.Flush(TimeSpan.FromSeconds(30)) != 0)
        {
            throw new InvalidOperationException("The mock cluster did not acknowledge every message in 30 s.");
        }
    }

    /// <summary>The offsets the group committed for each partition of the topic (-1001 when none).</summary>
    public Dictionary<int, long> CommittedOffsets(string group, string topic, int partitions)
    {
        using IConsumer<byte[], byte[]> reader = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = group }).Build();
        List<TopicPartitionOffset> committed = reader.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10));
        return committed.ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }

    public void Dispose()
    {
        _producer.Dispose();
        rd_kafka_mock_cluster_destroy(_cluster);
        rd_kafka_destroy(_handle);
    }

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_conf_new();

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, UIntPtr errstrSize);

    [DllImport(Library)]
    private static extern void rd_kafka_destroy(IntPtr rk);

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [DllImport(Library)]
    private static extern void rd_kafka_mock_cluster_destroy(IntPtr cluster);

    [DllImport(Library)]
    private static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

    [DllImport(Library)]
    private static extern int rd_kafka_mock_topic_create(IntPtr cluster, byte[] topic, int partitions, int replicationFactor);

    [DllImport(Library)]
    private static extern void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr cluster, int delayMs);

    [DllImport(Library)]
    private static extern void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, UIntPtr count, int[] errors);
}
