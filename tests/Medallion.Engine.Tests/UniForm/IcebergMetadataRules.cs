using System.Text.Json;

namespace Medallion.Engine.Tests.UniForm;

/// <summary>
/// The rules an Iceberg reader holds a v2 table metadata file to beyond its JSON shape (the spec's "Table Metadata
/// Fields" and the reference implementation's checks when it parses and builds table metadata): ids that must name
/// something listed, high-water marks that must cover every id assigned, the reserved unsorted order, the main branch
/// agreeing with the current snapshot, and logs in time order. A reader refuses metadata that breaks one, so
/// <see cref="IcebergReader"/> checks every file it reads against them.
/// </summary>
internal static class IcebergMetadataRules
{
    /// <summary>A partition field id is assigned from 1000 on, so an unpartitioned table's high-water mark is 999.</summary>
    private const int UnpartitionedLastPartitionId = 999;

    /// <summary>How far out of order two log entries may be: commits from machines whose clocks differ a little.</summary>
    private const long ClockSkewMs = 60_000;

    /// <summary>Properties the table's own fields carry, which a table's properties may not repeat.</summary>
    private static readonly string[] ReservedProperties =
    [
        "format-version", "uuid", "snapshot-count", "current-snapshot-id", "current-snapshot-summary",
        "current-snapshot-timestamp-ms", "current-schema", "default-partition-spec", "default-sort-order",
    ];

    private static readonly string[] Operations = ["append", "replace", "overwrite", "delete"];

    /// <summary>Every rule <paramref name="metadata"/> breaks, each as one sentence; empty when it keeps them all.</summary>
    public static List<string> Violations(JsonElement metadata)
    {
        var violations = new List<string>();
        if (metadata.ValueKind != JsonValueKind.Object)
        {
            return ["the metadata is not a JSON object"];
        }

        if (!metadata.TryGetProperty("format-version", out JsonElement version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != 2)
        {
            violations.Add("format-version is not 2");
        }

        if (!metadata.TryGetProperty("table-uuid", out JsonElement uuid) || !Guid.TryParse(uuid.GetString(), out _))
        {
            violations.Add("table-uuid is not a UUID");
        }

        if (!metadata.TryGetProperty("location", out JsonElement location) || !Uri.TryCreate(location.GetString(), UriKind.Absolute, out _))
        {
            violations.Add("location is not an absolute URI");
        }

        HashSet<int> schemaIds = CheckSchemas(metadata, violations);
        CheckPartitionSpecs(metadata, violations);
        CheckSortOrders(metadata, violations);
        CheckProperties(metadata, violations);
        CheckSnapshots(metadata, schemaIds, violations);
        CheckLog(metadata, "snapshot-log", violations);
        CheckLog(metadata, "metadata-log", violations);
        return violations;
    }

    private static HashSet<int> CheckSchemas(JsonElement metadata, List<string> violations)
    {
        var ids = new HashSet<int>();
        if (!metadata.TryGetProperty("schemas", out JsonElement schemas) || schemas.GetArrayLength() == 0)
        {
            violations.Add("schemas is missing or empty");
            return ids;
        }

        int highestFieldId = 0;
        foreach (JsonElement schema in schemas.EnumerateArray())
        {
            int id = schema.GetProperty("schema-id").GetInt32();
            if (!ids.Add(id))
            {
                violations.Add($"schema-id {id} is listed twice");
            }

            if (!schema.TryGetProperty("type", out JsonElement type) || type.GetString() != "struct")
            {
                violations.Add($"schema {id} is not of type struct");
            }

            highestFieldId = Math.Max(highestFieldId, HighestFieldId(schema));
        }

        int current = metadata.GetProperty("current-schema-id").GetInt32();
        if (!ids.Contains(current))
        {
            violations.Add($"current-schema-id {current} names no schema");
        }

        int lastColumnId = metadata.GetProperty("last-column-id").GetInt32();
        if (lastColumnId < highestFieldId)
        {
            violations.Add($"last-column-id {lastColumnId} is below field id {highestFieldId}");
        }

        return ids;
    }

    /// <summary>The highest field id in a struct, its nested structs, lists' elements and maps' keys and values.</summary>
    private static int HighestFieldId(JsonElement type)
    {
        if (type.ValueKind != JsonValueKind.Object)
        {
            return 0;
        }

        int highest = 0;
        switch (type.GetProperty("type").GetString())
        {
            case "struct":
                foreach (JsonElement field in type.GetProperty("fields").EnumerateArray())
                {
                    highest = Math.Max(highest, Math.Max(field.GetProperty("id").GetInt32(), HighestFieldId(field.GetProperty("type"))));
                }

                break;
            case "list":
                highest = Math.Max(type.GetProperty("element-id").GetInt32(), HighestFieldId(type.GetProperty("element")));
                break;
            case "map":
                highest = Math.Max(
                    Math.Max(type.GetProperty("key-id").GetInt32(), type.GetProperty("value-id").GetInt32()),
                    Math.Max(HighestFieldId(type.GetProperty("key")), HighestFieldId(type.GetProperty("value"))));
                break;
        }

        return highest;
    }

    private static void CheckPartitionSpecs(JsonElement metadata, List<string> violations)
    {
        if (!metadata.TryGetProperty("partition-specs", out JsonElement specs) || specs.GetArrayLength() == 0)
        {
            violations.Add("partition-specs is missing or empty");
            return;
        }

        var ids = new HashSet<int>();
        int highestFieldId = UnpartitionedLastPartitionId;
        foreach (JsonElement spec in specs.EnumerateArray())
        {
            ids.Add(spec.GetProperty("spec-id").GetInt32());
            foreach (JsonElement field in spec.GetProperty("fields").EnumerateArray())
            {
                highestFieldId = Math.Max(highestFieldId, field.GetProperty("field-id").GetInt32());
            }
        }

        int defaultSpec = metadata.GetProperty("default-spec-id").GetInt32();
        if (!ids.Contains(defaultSpec))
        {
            violations.Add($"default-spec-id {defaultSpec} names no partition spec");
        }

        if (!metadata.TryGetProperty("last-partition-id", out JsonElement last) || last.GetInt32() < highestFieldId)
        {
            violations.Add($"last-partition-id is missing or below partition field id {highestFieldId}");
        }
    }

    private static void CheckSortOrders(JsonElement metadata, List<string> violations)
    {
        if (!metadata.TryGetProperty("sort-orders", out JsonElement orders) || orders.GetArrayLength() == 0)
        {
            violations.Add("sort-orders is missing or empty");
            return;
        }

        var ids = new HashSet<int>();
        foreach (JsonElement order in orders.EnumerateArray())
        {
            int id = order.GetProperty("order-id").GetInt32();
            ids.Add(id);
            if (id == 0 && order.GetProperty("fields").GetArrayLength() > 0)
            {
                violations.Add("sort order 0, reserved for the unsorted order, has fields");
            }
        }

        int defaultOrder = metadata.GetProperty("default-sort-order-id").GetInt32();
        if (!ids.Contains(defaultOrder))
        {
            violations.Add($"default-sort-order-id {defaultOrder} names no sort order");
        }
    }

    private static void CheckProperties(JsonElement metadata, List<string> violations)
    {
        if (!metadata.TryGetProperty("properties", out JsonElement properties))
        {
            return;
        }

        foreach (JsonProperty property in properties.EnumerateObject())
        {
            if (ReservedProperties.Contains(property.Name))
            {
                violations.Add($"property {property.Name} is reserved");
            }

            if (property.Value.ValueKind != JsonValueKind.String)
            {
                violations.Add($"property {property.Name} is not a string");
            }
        }
    }

    private static void CheckSnapshots(JsonElement metadata, HashSet<int> schemaIds, List<string> violations)
    {
        long lastSequence = metadata.GetProperty("last-sequence-number").GetInt64();
        var sequenceById = new Dictionary<long, long>();
        JsonElement[] snapshots = metadata.TryGetProperty("snapshots", out JsonElement list) ? [.. list.EnumerateArray()] : [];
        foreach (JsonElement snapshot in snapshots)
        {
            long id = snapshot.GetProperty("snapshot-id").GetInt64();
            long sequence = snapshot.GetProperty("sequence-number").GetInt64();
            if (!sequenceById.TryAdd(id, sequence))
            {
                violations.Add($"snapshot {id} is listed twice");
            }

            if (sequence > lastSequence)
            {
                violations.Add($"snapshot {id}'s sequence number {sequence} is above last-sequence-number {lastSequence}");
            }

            if (snapshot.TryGetProperty("schema-id", out JsonElement schemaId) && !schemaIds.Contains(schemaId.GetInt32()))
            {
                violations.Add($"snapshot {id} names schema {schemaId.GetInt32()}, which is not listed");
            }

            string? operation = snapshot.GetProperty("summary").GetProperty("operation").GetString();
            if (!Operations.Contains(operation))
            {
                violations.Add($"snapshot {id}'s operation '{operation}' is not one of {string.Join(", ", Operations)}");
            }
        }

        foreach (JsonElement snapshot in snapshots)
        {
            // An expired parent is no longer listed; one that is must come before its child.
            if (snapshot.TryGetProperty("parent-snapshot-id", out JsonElement parent)
                && sequenceById.TryGetValue(parent.GetInt64(), out long parentSequence)
                && parentSequence >= snapshot.GetProperty("sequence-number").GetInt64())
            {
                violations.Add($"snapshot {snapshot.GetProperty("snapshot-id").GetInt64()} does not come after its parent {parent.GetInt64()}");
            }
        }

        long current = metadata.TryGetProperty("current-snapshot-id", out JsonElement currentId) && currentId.ValueKind == JsonValueKind.Number ? currentId.GetInt64() : -1;
        if (current >= 0 && !sequenceById.ContainsKey(current))
        {
            violations.Add($"current-snapshot-id {current} names no snapshot");
        }

        if (!metadata.TryGetProperty("refs", out JsonElement refs))
        {
            return;
        }

        foreach (JsonProperty reference in refs.EnumerateObject())
        {
            long target = reference.Value.GetProperty("snapshot-id").GetInt64();
            if (!sequenceById.ContainsKey(target))
            {
                violations.Add($"ref {reference.Name} names snapshot {target}, which is not listed");
            }

            if (reference.Name == "main" && target != current)
            {
                violations.Add($"the main branch is at snapshot {target}, the current snapshot is {current}");
            }
        }
    }

    private static void CheckLog(JsonElement metadata, string name, List<string> violations)
    {
        if (!metadata.TryGetProperty(name, out JsonElement log))
        {
            return;
        }

        long? latest = null;
        foreach (JsonElement entry in log.EnumerateArray())
        {
            long timestamp = entry.GetProperty("timestamp-ms").GetInt64();
            if (timestamp < latest - ClockSkewMs)
            {
                violations.Add($"{name} is not in time order at {timestamp}");
            }

            latest = Math.Max(latest ?? timestamp, timestamp);
        }

        if (metadata.GetProperty("last-updated-ms").GetInt64() < latest - ClockSkewMs)
        {
            violations.Add($"last-updated-ms is before the {name}'s last entry");
        }
    }
}
