using System;
using System.Collections.Generic;
using System.Text.Json;

namespace Medallion.Delta.Iceberg;

/// <summary>What a conversion carries over from the newest Iceberg metadata: ids, sequence numbers, schemas and logs.</summary>
internal sealed class PreviousState
{
    private static readonly System.Text.RegularExpressions.Regex s_spacedDecimal = new(@"decimal\((\d+),\s+(\d+)\)", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private readonly Dictionary<string, int> _schemaIds = new(StringComparer.Ordinal);

    private PreviousState(JsonElement? root)
    {
        Root = root;
    }

    /// <summary>The previous metadata's root; null for a table's first conversion.</summary>
    public JsonElement? Root { get; }

    public long LastSequenceNumber { get; private set; }

    public long? CurrentSnapshotId { get; private set; }

    /// <summary>The manifest list of the current snapshot; null without one.</summary>
    public string? CurrentManifestList { get; private set; }

    public HashSet<long> SnapshotIds { get; } = [];

    public int NextSchemaId { get; private set; }

    public int LastColumnId { get; private set; }

    public string? TableUuid { get; private set; }

    public long LastUpdatedMs { get; private set; }

    /// <summary>The id of a previous schema whose fields are <paramref name="fieldsJson"/>; null when none is.</summary>
    public int? SchemaIdOf(string fieldsJson) => _schemaIds.TryGetValue(fieldsJson, out int id) ? id : null;

    /// <summary>The previous metadata's array <paramref name="name"/>, or nothing.</summary>
    public IEnumerable<JsonElement> Array(string name)
    {
        if (Root is { } root && root.TryGetProperty(name, out JsonElement array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in array.EnumerateArray())
            {
                yield return item;
            }
        }
    }

    public static PreviousState Of(JsonElement? root)
    {
        var state = new PreviousState(root);
        if (root is not { } r)
        {
            return state;
        }

        state.LastSequenceNumber = Long(r, "last-sequence-number") ?? 0;
        state.LastColumnId = (int)(Long(r, "last-column-id") ?? 0);
        state.LastUpdatedMs = Long(r, "last-updated-ms") ?? 0;
        state.TableUuid = r.TryGetProperty("table-uuid", out JsonElement uuid) && uuid.ValueKind == JsonValueKind.String ? uuid.GetString() : null;
        state.CurrentSnapshotId = Long(r, "current-snapshot-id") is long current and >= 0 ? current : null;
        foreach (JsonElement schema in state.Array("schemas"))
        {
            int id = (int)(Long(schema, "schema-id") ?? 0);
            state.NextSchemaId = Math.Max(state.NextSchemaId, id + 1);
            if (schema.TryGetProperty("fields", out JsonElement fields))
            {
                state._schemaIds.TryAdd(Canonical(fields), id);
            }
        }

        foreach (JsonElement snapshot in state.Array("snapshots"))
        {
            long id = Long(snapshot, "snapshot-id") ?? 0;
            state.SnapshotIds.Add(id);
            if (id == state.CurrentSnapshotId && snapshot.TryGetProperty("manifest-list", out JsonElement list) && list.ValueKind == JsonValueKind.String)
            {
                state.CurrentManifestList = list.GetString();
            }
        }

        return state;
    }

    /// <summary>
    /// A previous schema's fields as <see cref="IcebergSchema.FieldsJson"/> writes them: compact (a metadata file copies
    /// earlier schemas indented) and with decimals as <c>decimal(P,S)</c> (earlier files wrote <c>decimal(P, S)</c>).
    /// </summary>
    private static string Canonical(JsonElement fields)
    {
        using var buffer = new System.IO.MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            fields.WriteTo(json);
        }

        return s_spacedDecimal.Replace(System.Text.Encoding.UTF8.GetString(buffer.ToArray()), "decimal($1,$2)");
    }

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : null;
}
