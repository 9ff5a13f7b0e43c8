using System.Collections.Concurrent;
using Medallion.Delta.Snapshots;
using Medallion.Engine.Tests.Writing;
using Medallion.Ingestion.Kafka;

namespace Medallion.Ingestion.Tests.Kafka;

/// <summary>Kafka topics into bronze, against librdkafka's mock cluster (real brokers on loopback).</summary>
public sealed class KafkaIngestionTests : IDisposable
{
    private const string Topic = "shop.orders";

    /// <summary>
    /// The mock coordinator waits a session timeout (less a second) for the members of a group to rejoin after one left
    /// or died, even when none is left; 45 s by default, so the tests use short sessions.
    /// </summary>
    internal static readonly Dictionary<string, string> s_shortSessions = new() { ["session.timeout.ms"] = "4000", ["heartbeat.interval.ms"] = "800" };
    private readonly KafkaMockCluster _cluster = new();
    private readonly DuckDbTarget _target = new();
    private readonly BronzeTable _bronze;

    public KafkaIngestionTests() => _bronze = new BronzeTable(_target, "orders_events");

    public void Dispose()
    {
        _bronze.Dispose();
        _target.Dispose();
        _cluster.Dispose();
    }

    private KafkaSourceOptions Options(KafkaPayloadFormat format = KafkaPayloadFormat.Json, string group = "medallion") => new()
    {
        Name = "orders_events",
        Target = "bronze.orders_events",
        BootstrapServers = _cluster.BootstrapServers,
        GroupId = group,
        Topics = [Topic],
        Format = format,
        MaxBatchDelay = TimeSpan.FromMilliseconds(200),
        UnavailableTimeout = TimeSpan.FromSeconds(20),
        Settings = s_shortSessions,
    };

    private readonly RecordingLog _log = new();

    private Task<KafkaIngestionResult> RunOnceAsync(KafkaSourceOptions? options = null, DuckDbTarget? target = null) =>
        new KafkaIngestion(new Engine.DeltaWriter((target ?? _target).Connection), _bronze.Path, options ?? Options(), _log).RunAsync(untilCaughtUp: true);

    /// <summary>Produces <c>{"id": n, "item": "item n"}</c> for each id, round-robin over the partitions, keyed "k&lt;id&gt;".</summary>
    private void ProduceOrders(int partitions, IEnumerable<int> ids)
    {
        foreach (int id in ids)
        {
            _cluster.Produce(Topic, id % partitions, "k" + id, $"{{\"id\": {id}, \"item\": \"item {id}\"}}");
        }

        _cluster.Flush();
    }

    private async Task<List<string>> RowsAsync(string columns, string orderBy = "_partition, _offset")
    {
        await _bronze.ViewAsync();
        return _target.Column<string>($"SELECT concat_ws('|', {columns}) FROM bronze ORDER BY {orderBy}");
    }

    /// <summary>Every id exactly once: the rows' ids in order, and no (partition, offset) twice.</summary>
    private async Task AssertEachOrderOnceAsync(int count)
    {
        await _bronze.ViewAsync();
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), _target.Column<long>("SELECT id FROM bronze ORDER BY id"));
        Assert.Equal(count, Convert.ToInt64(_target.Scalar("SELECT count(DISTINCT (_partition, _offset)) FROM bronze")));
    }

    [Fact]
    public async Task Json_messages_of_several_partitions_land_with_their_topic_partition_offset_and_key_in_one_commit()
    {
        _cluster.CreateTopic(Topic, 3);
        ProduceOrders(3, Enumerable.Range(1, 6));

        KafkaIngestionResult result = await RunOnceAsync();

        Assert.Equal((6L, 6L, 1L, (long?)0), (result.Messages, result.Rows, result.Commits, result.LastVersion));
        Assert.Equal(
            ["3|item 3|shop.orders|0|0|k3", "6|item 6|shop.orders|0|1|k6", "1|item 1|shop.orders|1|0|k1", "4|item 4|shop.orders|1|1|k4", "2|item 2|shop.orders|2|0|k2", "5|item 5|shop.orders|2|1|k5"],
            await RowsAsync("id, item, _topic, _partition, _offset, _key"));
        Assert.Equal(0L, Convert.ToInt64(_target.Scalar("SELECT count(*) FROM bronze WHERE _timestamp IS NULL OR _ingested_at IS NULL OR _parse_error IS NOT NULL")));
    }

    [Fact]
    public async Task Each_partitions_next_offset_is_a_txn_of_the_same_commit_as_its_rows()
    {
        _cluster.CreateTopic(Topic, 3);
        ProduceOrders(3, Enumerable.Range(1, 7));

        await RunOnceAsync();

        Snapshot snapshot = await _bronze.SnapshotAsync();
        Assert.Equal(0, snapshot.Version);
        Assert.Equal(
            [("kafka:bronze.orders_events:shop.orders:0", 2L), ("kafka:bronze.orders_events:shop.orders:1", 3L), ("kafka:bronze.orders_events:shop.orders:2", 2L)],
            snapshot.TransactionVersions.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, t.Value)));
    }

    [Fact]
    public async Task A_later_run_reads_only_the_messages_after_the_offsets_in_the_delta_log()
    {
        _cluster.CreateTopic(Topic, 2);
        ProduceOrders(2, Enumerable.Range(1, 4));
        await RunOnceAsync();
        ProduceOrders(2, Enumerable.Range(5, 3));

        KafkaIngestionResult second = await RunOnceAsync();

        Assert.Equal((3L, (long?)1), (second.Messages, second.LastVersion));
        await AssertEachOrderOnceAsync(7);
    }

    [Fact]
    public async Task A_run_with_nothing_new_commits_nothing()
    {
        _cluster.CreateTopic(Topic, 2);
        ProduceOrders(2, Enumerable.Range(1, 4));
        await RunOnceAsync();

        KafkaIngestionResult again = await RunOnceAsync();

        Assert.Equal((0L, 0L, (long?)null), (again.Messages, again.Commits, again.LastVersion));
        Assert.Equal(0, (await _bronze.SnapshotAsync()).Version);
    }

    [Fact]
    public async Task Offsets_are_committed_to_the_consumer_group_after_the_delta_commit()
    {
        _cluster.CreateTopic(Topic, 3);
        ProduceOrders(3, Enumerable.Range(1, 7));

        await RunOnceAsync();

        Assert.Equal(new Dictionary<int, long> { [0] = 2, [1] = 3, [2] = 2 }, _cluster.CommittedOffsets("medallion", Topic, 3));
    }

    [Fact]
    public async Task The_delta_log_and_not_the_consumer_groups_offsets_decides_where_reading_starts()
    {
        _cluster.CreateTopic(Topic, 1);
        ProduceOrders(1, Enumerable.Range(1, 5));
        // Another client of the same group committed offset 4, past messages bronze never got.
        using (var other = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig { BootstrapServers = _cluster.BootstrapServers, GroupId = "medallion" }).Build())
        {
            other.Commit([new Confluent.Kafka.TopicPartitionOffset(Topic, 0, 4)]);
        }

        KafkaIngestionResult result = await RunOnceAsync();

        Assert.Equal(5L, result.Messages);
        await AssertEachOrderOnceAsync(5);
    }

    [Fact]
    public async Task A_message_that_is_not_a_json_object_is_kept_with_its_text_and_the_problem()
    {
        _cluster.CreateTopic(Topic, 1);
        _cluster.Produce(Topic, 0, "a", "{\"id\": 1, \"item\": \"pen\"}");
        _cluster.Produce(Topic, 0, "b", "{\"id\": 2, \"item\"");
        _cluster.Produce(Topic, 0, "c", "[1, 2]");
        _cluster.Flush();

        KafkaIngestionResult result = await RunOnceAsync();

        Assert.Equal(3L, result.Rows);
        Assert.Equal(
            ["0|1|pen|-|-", "1|-|-|{\"id\": 2, \"item\"|malformed JSON at byte 17: Expected a value, but instead reached end of data", "2|-|-|[1, 2]|not a JSON object: the value holds an array"],
            await RowsAsync("_offset, coalesce(CAST(id AS VARCHAR), '-'), coalesce(item, '-'), coalesce(_raw_value, '-'), coalesce(_parse_error, '-')"));
    }

    [Fact]
    public async Task Json_fields_are_typed_over_every_message_of_the_batch_and_nested_or_mixed_ones_land_as_text()
    {
        _cluster.CreateTopic(Topic, 1);
        _cluster.Produce(Topic, 0, "a", """{"id": 1, "day": "2026-11-23", "ts": "2026-11-23T12:00:00Z", "amount": 2, "big": 1, "paid": true, "tags": [1, 2], "note": "x", "Note": null, "_offset": 99, "later": null}""");
        _cluster.Produce(Topic, 0, "b", """{"id": -2, "day": "2026-11-24", "ts": "2026-11-23 12:00:01.5", "amount": 2.5, "big": 18446744073709551615, "paid": false, "tags": {"a": 1}, "NOTE": "y", "mixed": 1}""");
        _cluster.Produce(Topic, 0, "c", """{"id": 3, "ts": "2026-11-23T12:00:02+02:00", "mixed": "one", "later": 7}""");
        _cluster.Flush();

        await RunOnceAsync();

        await _bronze.ViewAsync();
        Assert.Equal(
            ["id|BIGINT", "day|DATE", "ts|VARCHAR", "amount|DOUBLE", "big|DECIMAL(20,0)", "paid|BOOLEAN", "tags|VARCHAR", "note|VARCHAR", "later|BIGINT", "mixed|VARCHAR"],
            _target.Column<string>("SELECT column_name || '|' || column_type FROM (DESCRIBE bronze) WHERE column_name NOT LIKE '\\_%' ESCAPE '\\'"));
        Assert.Equal(
            ["0|1|2026-11-23|2026-11-23T12:00:00Z|2.0|1|true|[1,2]|x|-|-", "1|-2|2026-11-24|2026-11-23 12:00:01.5|2.5|18446744073709551615|false|{\"a\":1}|y|-|1", "2|3|-|2026-11-23T12:00:02+02:00|-|-|-|-|-|7|one"],
            await RowsAsync("_offset, id, coalesce(CAST(day AS VARCHAR), '-'), ts, coalesce(CAST(amount AS VARCHAR), '-'), coalesce(CAST(big AS VARCHAR), '-'), coalesce(CAST(paid AS VARCHAR), '-'), coalesce(tags, '-'), coalesce(note, '-'), coalesce(CAST(later AS VARCHAR), '-'), coalesce(mixed, '-')"));
    }

    [Fact]
    public async Task Json_text_fields_holding_only_timestamps_land_as_timestamps()
    {
        _cluster.CreateTopic(Topic, 1);
        _cluster.Produce(Topic, 0, "a", """{"id": 1, "ts": "2026-11-23T12:00:00Z"}""");
        _cluster.Produce(Topic, 0, "b", """{"id": 2, "ts": "2026-11-23 12:00:01.5"}""");
        _cluster.Flush();

        await RunOnceAsync();

        await _bronze.ViewAsync();
        Assert.Equal("TIMESTAMP", _target.Scalar("SELECT column_type FROM (DESCRIBE bronze) WHERE column_name = 'ts'"));
        Assert.Equal(["2026-11-23 12:00:00", "2026-11-23 12:00:01.5"], await RowsAsync("CAST(ts AS VARCHAR)"));
    }

    [Fact]
    public async Task Debezium_events_land_with_the_change_columns_and_before_image_and_tombstones_land_nothing()
    {
        _cluster.CreateTopic(Topic, 1);
        _cluster.Produce(Topic, 0, "{\"id\":7}", """{"schema":{"type":"struct"},"payload":{"before":null,"after":{"id":7,"status":"new"},"op":"c","source":{"lsn":100,"txId":5,"ts_ms":1767261600000}}}""");
        _cluster.Produce(Topic, 0, "{\"id\":7}", """{"before":{"id":7,"status":"new"},"after":{"id":7,"status":"paid"},"op":"u","source":{"lsn":200,"txId":6,"ts_ms":1767261601000}}""");
        _cluster.Produce(Topic, 0, "{\"id\":7}", """{"before":{"id":7,"status":"paid"},"after":null,"op":"d","source":{"lsn":300,"txId":7,"ts_ms":1767261602000}}""");
        _cluster.Produce(Topic, 0, "{\"id\":7}", null);
        _cluster.Produce(Topic, 0, "{\"id\":8}", """{"op":"x"}""");
        _cluster.Flush();

        KafkaIngestionResult result = await RunOnceAsync(Options(KafkaPayloadFormat.Debezium));

        Assert.Equal((5L, 4L), (result.Messages, result.Rows));
        Assert.Equal(
            [
                "0|insert|100|0|2026-01-01 10:00:00+00|5|7|new|-|{\"id\":7}|-",
                "1|update|200|1|2026-01-01 10:00:01+00|6|7|paid|new|{\"id\":7}|-",
                "2|delete|300|2|2026-01-01 10:00:02+00|7|7|paid|paid|{\"id\":7}|-",
                "4|-|-|-|-|-|-|-|-|{\"id\":8}|'op' is \"x\", not one of c, u, d, r, t",
            ],
            await RowsAsync("_offset, coalesce(_op, '-'), coalesce(CAST(_lsn AS VARCHAR), '-'), coalesce(CAST(_seq AS VARCHAR), '-'), coalesce(CAST(_commit_ts AS VARCHAR), '-'), coalesce(CAST(_txid AS VARCHAR), '-'), coalesce(CAST(id AS VARCHAR), '-'), coalesce(status, '-'), coalesce(_before_status, '-'), _key, coalesce(_parse_error, '-')"));
    }

    [Fact]
    public async Task Raw_messages_keep_their_key_and_value_bytes()
    {
        _cluster.CreateTopic(Topic, 1);
        _cluster.ProduceBytes(Topic, 0, [0xFF, 0x00], [0x01, 0x02, 0x03]);
        _cluster.ProduceBytes(Topic, 0, null, [0xC3, 0x28]);
        _cluster.Flush();

        await RunOnceAsync(Options(KafkaPayloadFormat.Raw));

        Assert.Equal(["0|ff00|010203", "1|-|c328"], await RowsAsync("_offset, coalesce(lower(hex(_key)), '-'), lower(hex(_value))"));
    }

    [Fact]
    public async Task Fetch_and_offset_commit_errors_of_the_brokers_are_retried_and_every_message_lands_once()
    {
        _cluster.CreateTopic(Topic, 3);
        ProduceOrders(3, Enumerable.Range(1, 30));
        // Fetch (API key 1) and OffsetCommit (API key 8) requests answered with retriable errors first.
        _cluster.PushRequestErrors(1, Confluent.Kafka.ErrorCode.NotLeaderForPartition, Confluent.Kafka.ErrorCode.RequestTimedOut, Confluent.Kafka.ErrorCode.NotLeaderForPartition);
        _cluster.PushRequestErrors(8, Confluent.Kafka.ErrorCode.NotCoordinatorForGroup, Confluent.Kafka.ErrorCode.RequestTimedOut);

        KafkaIngestionResult result = await RunOnceAsync();

        Assert.Equal(30L, result.Messages);
        await AssertEachOrderOnceAsync(30);
    }

    [Fact]
    public async Task Two_consumer_groups_writing_one_table_still_land_each_message_once()
    {
        _cluster.CreateTopic(Topic, 4);
        ProduceOrders(4, Enumerable.Range(1, 400));
        using var second = new DuckDbTarget();

        KafkaIngestionResult[] results = await Task.WhenAll(
            RunOnceAsync(Options() with { GroupId = "a", MaxBatchMessages = 25 }),
            RunOnceAsync(Options() with { GroupId = "b", MaxBatchMessages = 25 }, second));

        Assert.Equal(400L, results.Sum(r => r.Messages));
        await AssertEachOrderOnceAsync(400);
    }

    [Fact]
    public async Task A_second_consumer_of_the_group_takes_partitions_over_and_each_message_lands_once()
    {
        _cluster.CreateTopic(Topic, 4);
        ProduceOrders(4, Enumerable.Range(1, 200));
        using var secondTarget = new DuckDbTarget();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var commitsOfA = new ConcurrentQueue<KafkaCommit>();
        var commitsOfB = new ConcurrentQueue<KafkaCommit>();
        KafkaSourceOptions options = Options() with { MaxBatchMessages = 20 };
        Task a = new KafkaIngestion(new Engine.DeltaWriter(_target.Connection), _bronze.Path, options, _log)
            .RunAsync(untilCaughtUp: false, new Recorder(commitsOfA), stop.Token);
        await WaitForAsync(() => !commitsOfA.IsEmpty, stop.Token);

        Task b = new KafkaIngestion(new Engine.DeltaWriter(secondTarget.Connection), _bronze.Path, options, _log)
            .RunAsync(untilCaughtUp: false, new Recorder(commitsOfB), stop.Token);
        // A may have read the first 200 before B joins, so B commits only once the rebalance gave it partitions with new messages.
        await WaitForAsync(() => _log.Lines.Any(l => l.Contains(": revoked ", StringComparison.Ordinal)), stop.Token);
        ProduceOrders(4, Enumerable.Range(201, 200));
        await WaitForAsync(() => !commitsOfB.IsEmpty && commitsOfA.Sum(c => c.Messages) + commitsOfB.Sum(c => c.Messages) >= 400, stop.Token);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);

        Assert.Equal(400L, commitsOfA.Sum(c => c.Messages) + commitsOfB.Sum(c => c.Messages));
        Assert.Equal(2, commitsOfB.SelectMany(c => c.Offsets.Keys).Distinct().Count());
        Assert.Contains(_log.Lines, l => l.StartsWith("Information: Kafka source orders_events: revoked shop.orders[0], shop.orders[1], shop.orders[2], shop.orders[3];", StringComparison.Ordinal));
        await AssertEachOrderOnceAsync(400);
    }

    [Fact]
    public async Task A_consumer_killed_while_consuming_is_resumed_from_the_delta_log_without_loss_or_repeat()
    {
        _cluster.CreateTopic(Topic, 3);
        ProduceOrders(3, Enumerable.Range(1, 3000));
        using (WriterProcess consumer = WriterProcess.Start("kafka", _bronze.Path, "bronze.orders_events", _cluster.BootstrapServers, Topic, "medallion"))
        {
            await consumer.Ready.WaitAsync(TimeSpan.FromSeconds(60));
            await WaitForAsync(() => consumer.Lines.Count(l => l.StartsWith("committed", StringComparison.Ordinal)) >= 3, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
            Assert.True(await consumer.KillAsync(), "the consumer finished before it was killed: " + consumer.Errors);
        }

        long before = Convert.ToInt64((await _bronze.SnapshotAsync()).Version);
        KafkaIngestionResult rest = await RunOnceAsync();

        Assert.True(before >= 2, $"the killed consumer committed only up to version {before}");
        Assert.True(rest.Messages is > 0 and < 3000, $"the restart read {rest.Messages} messages");
        await AssertEachOrderOnceAsync(3000);
    }

    [Fact]
    public async Task A_client_setting_the_client_refuses_fails_naming_the_source_before_reading()
    {
        _cluster.CreateTopic(Topic, 1);

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() =>
            RunOnceAsync(Options() with { Settings = new Dictionary<string, string>(s_shortSessions) { ["security.protocol"] = "carrier-pigeon" } }));

        Assert.Equal(ErrorCode.KafkaConfigurationInvalid, error.Code);
        Assert.StartsWith("Kafka source 'orders_events': the client refused its settings: ", error.Message);
        Assert.EndsWith("\nHelp: check the kafka connection's settings (names as librdkafka spells them, e.g. security.protocol, sasl.mechanism); nothing was read.", error.Message);
        Assert.Null(await _bronze.Writer.TryGetSnapshotAsync(_bronze.Path));
    }

    private static async Task WaitForAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(50, cancellationToken);
        }
    }

    private sealed class Recorder(ConcurrentQueue<KafkaCommit> commits) : IProgress<KafkaCommit>
    {
        public void Report(KafkaCommit value) => commits.Enqueue(value);
    }
}
