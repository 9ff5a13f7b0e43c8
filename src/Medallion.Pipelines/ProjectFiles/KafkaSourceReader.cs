using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using Medallion.Ingestion.Kafka;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.ProjectFiles;

/// <summary>
/// Reads a Kafka source of a sources file (an entry with <c>topic</c>, <c>topics</c> or <c>topic_pattern</c>):
/// <code>
/// - name: orders_events
///   connection: events                  # a connection of type kafka in medallion.yml
///   topic: shop.orders                  # or topics: [a, b], or topic_pattern: '^shop\..*'
///   format: debezium                    # json (default), debezium or raw
///   target: bronze.orders_events        # default bronze.&lt;name&gt;
/// </code>
/// </summary>
internal static class KafkaSourceReader
{
    private static readonly string[] s_keys = ["name", "description", "connection", "topic", "topics", "topic_pattern", "format", "target"];
    private static readonly string[] s_topicKeys = ["topic", "topics", "topic_pattern"];
    private static readonly string[] s_formats = ["json", "debezium", "raw"];

    public static bool IsKafkaSource(YamlNode item) =>
        item is YamlMappingNode map && map.Children.Keys.Any(k => k is YamlScalarNode { Value: "topic" or "topics" or "topic_pattern" });

    public static KafkaSourceDefinition Read(YamlFile file, YamlNode item, IReadOnlyDictionary<string, ConnectionDefinition> connections)
    {
        YamlMap source = file.Map(item, "a Kafka source", s_keys);
        string connectionName = source.RequiredString("connection", "a Kafka source", "events");
        if (!connections.TryGetValue(connectionName, out ConnectionDefinition? connection))
        {
            throw file.Error(source.Value("connection")!, $"no connection is named '{connectionName}' in {ProjectLoader.ProjectFileName}.{NameSuggester.DidYouMean(connectionName, connections.Keys.ToList())} Expected one of: {(connections.Count == 0 ? "(none defined; add one under 'connections:')" : string.Join(", ", connections.Keys))}.");
        }

        if (!string.Equals(connection.Type, "kafka", System.StringComparison.OrdinalIgnoreCase))
        {
            throw file.Error(source.Value("connection")!, $"connection '{connectionName}' has type '{connection.Type}' (at {connection.Location}), but a source with topics reads Kafka. Expected a connection of type kafka.");
        }

        if (!connection.Settings.ContainsKey("bootstrap_servers"))
        {
            throw new MedallionException(ErrorCode.ProjectFileInvalid,
                $"{connection.Location}: kafka connection '{connectionName}' has no 'bootstrap_servers'. Expected e.g. 'bootstrap_servers: broker1:9092,broker2:9092'.", location: connection.Location);
        }

        string[] given = s_topicKeys.Where(source.Has).ToArray();
        if (given.Length > 1)
        {
            throw file.Error(item, $"this Kafka source has both '{given[0]}' and '{given[1]}'. Expected one of 'topic', 'topics' or 'topic_pattern'.");
        }

        List<string> topics = given[0] switch
        {
            "topic" => [source.RequiredString("topic", "a Kafka source", "shop.orders")],
            "topics" => source.Strings("topics").ToList(),
            _ => [Pattern(file, source)],
        };
        if (topics.Count == 0 || topics.Exists(string.IsNullOrWhiteSpace))
        {
            throw file.Error(source.Value(given[0])!, $"'{given[0]}' names no topic. Expected e.g. 'topics: [shop.orders, shop.customers]'.");
        }

        KafkaPayloadFormat format = (source.Choice("format", s_formats) ?? "json") switch
        {
            "debezium" => KafkaPayloadFormat.Debezium,
            "raw" => KafkaPayloadFormat.Raw,
            _ => KafkaPayloadFormat.Json,
        };
        (string name, TableName target) = SourceTarget.Read(file, source, item, "this Kafka source", "orders_events");
        return new KafkaSourceDefinition(name, target, connection, topics, format, source.String("description"), file.Location(item));
    }

    /// <summary>librdkafka takes a subscription starting with '^' as a regular expression, so the pattern must start with one.</summary>
    private static string Pattern(YamlFile file, YamlMap source)
    {
        string pattern = source.RequiredString("topic_pattern", "a Kafka source", "^shop\\..*");
        return pattern.StartsWith('^') ? pattern : throw file.Error(source.Value("topic_pattern")!, $"'topic_pattern' must start with '^' (it is a regular expression over topic names), but found '{pattern}'. Expected e.g. 'topic_pattern: ^{pattern}'.");
    }
}
