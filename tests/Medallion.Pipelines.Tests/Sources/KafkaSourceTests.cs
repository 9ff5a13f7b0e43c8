using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Ingestion.Kafka;
using Medallion.Ingestion.Tests.Kafka;
using Medallion.Pipelines.Sources;

namespace Medallion.Pipelines.Tests.Sources;

/// <summary>Kafka sources written in a project: read from sources/*.yml and a kafka connection, run into bronze against librdkafka's mock cluster.</summary>
public sealed class KafkaSourceTests : IDisposable
{
    private readonly TestProject _project = new();

    public void Dispose() => _project.Dispose();

    private void Connection(string settings) =>
        _project.Write("medallion.yml", "name: shop\nstorage: lake\nconnections:\n  events:\n    type: kafka\n" + settings);

    [Fact]
    public async Task A_kafka_source_takes_its_brokers_group_and_client_settings_from_its_connection()
    {
        Connection("    bootstrap_servers: broker1:9092,broker2:9092\n    security_protocol: SASL_SSL\n    sasl_username: ${KAFKA_USER}\n");
        _project.Write("sources/events.yml", "sources:\n  - name: orders_events\n    connection: events\n    topics: [shop.orders, shop.refunds]\n    format: debezium\n");

        MedallionProject project = await _project.LoadAsync(name => name == "KAFKA_USER" ? "medallion" : null);

        KafkaSourceDefinition source = Assert.Single(project.KafkaSources);
        Assert.Equal((new Catalog.TableName("bronze", "orders_events"), KafkaPayloadFormat.Debezium), (source.Target, source.Format));
        KafkaSourceOptions options = KafkaSourceLoader.Options(project, source);
        Assert.Equal(("broker1:9092,broker2:9092", "medallion-shop", "bronze.orders_events"), (options.BootstrapServers, options.GroupId, options.Target));
        Assert.Equal(["shop.orders", "shop.refunds"], options.Topics);
        Assert.Equal(new Dictionary<string, string> { ["security.protocol"] = "SASL_SSL", ["sasl.username"] = "medallion" }, options.Settings);
    }

    [Fact]
    public async Task A_source_with_topics_on_a_database_connection_is_refused_at_its_connection()
    {
        _project.Write("medallion.yml", "name: shop\nconnections:\n  events:\n    type: postgres\n    host: localhost\n");
        _project.Write("sources/events.yml", "sources:\n  - name: orders_events\n    connection: events\n    topic: shop.orders\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());

        Assert.Equal(ErrorCode.ProjectFileInvalid, error.Code);
        Assert.Equal("sources/events.yml:3:17: connection 'events' has type 'postgres' (at medallion.yml:3:3), but a source with topics reads Kafka. Expected a connection of type kafka.", error.Message);
    }

    [Fact]
    public async Task A_topic_pattern_without_a_leading_caret_is_refused_with_the_fixed_pattern()
    {
        Connection("    bootstrap_servers: localhost:9092\n");
        _project.Write("sources/events.yml", "sources:\n  - name: shop_events\n    connection: events\n    topic_pattern: shop\\..*\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());

        Assert.Equal("sources/events.yml:4:20: 'topic_pattern' must start with '^' (it is a regular expression over topic names), but found 'shop\\..*'. Expected e.g. 'topic_pattern: ^shop\\..*'.", error.Message);
    }

    [Fact]
    public async Task A_kafka_source_of_the_project_lands_its_topic_in_its_bronze_table()
    {
        using var cluster = new KafkaMockCluster();
        cluster.CreateTopic("shop.orders", 2);
        cluster.Produce("shop.orders", 0, "1", "{\"id\": 1, \"total\": 9.5}");
        cluster.Produce("shop.orders", 1, "2", "{\"id\": 2, \"total\": 12.0}");
        cluster.Flush();
        Connection($"    bootstrap_servers: {cluster.BootstrapServers}\n    session_timeout_ms: 4000\n");
        _project.Write("sources/events.yml", "sources:\n  - name: orders_events\n    connection: events\n    topic: shop.orders\n");
        MedallionProject project = await _project.LoadAsync();
        using var database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();

        KafkaIngestionResult result = await KafkaSourceLoader.RunAsync(project, project.KafkaSources[0], connection, continuous: false);

        Assert.Equal((2L, (long?)0), (result.Rows, result.LastVersion));
        Snapshot snapshot = (await new DeltaWriter(connection).TryGetSnapshotAsync(Path.Combine(_project.Directory, "lake", "bronze", "orders_events")))!;
        Assert.Equal(1L, snapshot.TransactionVersions["kafka:bronze.orders_events:shop.orders:0"]);
        Assert.Equal(1L, snapshot.TransactionVersions["kafka:bronze.orders_events:shop.orders:1"]);
    }
}
