using System.Collections.Generic;
using Medallion.Catalog;
using Medallion.Ingestion.Kafka;

namespace Medallion.Pipelines;

/// <summary>
/// A Kafka source from <c>sources/*.yml</c> (an entry with <c>topic</c>, <c>topics</c> or <c>topic_pattern</c>): the
/// messages of its topics land in one bronze table, each partition's offset kept in the table's Delta log.
/// </summary>
/// <param name="Name">The source's name.</param>
/// <param name="Target">The bronze table the messages land in.</param>
/// <param name="Connection">The <c>kafka</c> connection of <c>medallion.yml</c>: <c>bootstrap_servers</c>, <c>group_id</c>, and client settings.</param>
/// <param name="Topics">Topic names, or one pattern starting with <c>^</c>.</param>
/// <param name="Format">How message values become rows.</param>
/// <param name="Description">What the source holds.</param>
/// <param name="Location">Where the source is defined.</param>
public sealed record KafkaSourceDefinition(
    string Name, TableName Target, ConnectionDefinition Connection, IReadOnlyList<string> Topics, KafkaPayloadFormat Format, string? Description, SourceLocation Location);
