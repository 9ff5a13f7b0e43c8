using System.Collections.Generic;
using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>metaData</c> action: table id, schema, partition columns and table properties.</summary>
/// <param name="Id">The table's unique id.</param>
/// <param name="Name">The user-facing name, if any.</param>
/// <param name="Description">The description, if any.</param>
/// <param name="FormatProvider">The data file format; always <c>parquet</c>.</param>
/// <param name="SchemaString">The schema as Delta schema JSON.</param>
/// <param name="PartitionColumns">The logical names of the partition columns, in order.</param>
/// <param name="Configuration">Table properties such as <c>delta.columnMapping.mode</c>.</param>
/// <param name="CreatedTime">When the table was created (ms since the epoch), if known.</param>
public sealed record Metadata(
    string Id,
    string? Name,
    string? Description,
    string FormatProvider,
    string SchemaString,
    IReadOnlyList<string> PartitionColumns,
    IReadOnlyDictionary<string, string?> Configuration,
    long? CreatedTime)
{
    internal static Metadata Parse(JsonElement e)
    {
        string provider = "parquet";
        if (e.TryGet("format", out JsonElement format))
        {
            provider = format.String("provider") ?? provider;
        }

        return new Metadata(
            e.RequiredString("id"),
            e.String("name"),
            e.String("description"),
            provider,
            e.RequiredString("schemaString"),
            e.StringList("partitionColumns") ?? [],
            e.StringMap("configuration"),
            e.Long("createdTime"));
    }
}
