using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;

namespace Medallion.Delta.Iceberg;

/// <summary>
/// Iceberg table metadata, format version 2 (Iceberg spec, "Table Metadata"): one unpartitioned spec and no sort order,
/// every schema the table has had (a new one when the Delta schema changed), the snapshots with the new one current on
/// <c>main</c>, the snapshot and metadata logs, and the properties naming the Delta version converted.
/// </summary>
internal static class MetadataJson
{
    /// <summary>What one metadata file is made of.</summary>
    /// <param name="Snapshot">The Delta snapshot converted.</param>
    /// <param name="CommittedAt">When its version was committed, as readers of the log see it.</param>
    /// <param name="Root">The table's root URI.</param>
    /// <param name="PreviousLocation">The previous metadata file's location; null for the first.</param>
    /// <param name="Previous">What the previous metadata held.</param>
    /// <param name="Plan">The new snapshot's entries and counts.</param>
    /// <param name="ManifestList">The new snapshot's manifest list; null when the files did not change and no snapshot is added.</param>
    /// <param name="NowMs">The conversion's time.</param>
    public sealed record Input(Snapshot Snapshot, DateTimeOffset CommittedAt, string Root, string? PreviousLocation, PreviousState Previous, ConversionPlan Plan, string? ManifestList, long NowMs);

    /// <summary>A schema as Iceberg's JSON (with its id), as the metadata file and a manifest's <c>schema</c> hold it.</summary>
    public static string SchemaJson(int schemaId, IcebergSchema schema) =>
        $"{{\"type\":\"struct\",\"schema-id\":{schemaId.ToString(CultureInfo.InvariantCulture)},\"fields\":{schema.FieldsJson}}}";

    public static byte[] Write(Input input)
    {
        PreviousState previous = input.Previous;
        ConversionPlan plan = input.Plan;
        long? current = input.ManifestList is null ? previous.CurrentSnapshotId : plan.SnapshotId;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("format-version", 2);
            json.WriteString("table-uuid", previous.TableUuid ?? TableUuid(input.Snapshot.Metadata.Id));
            json.WriteString("location", input.Root);
            json.WriteNumber("last-sequence-number", input.ManifestList is null ? previous.LastSequenceNumber : plan.SequenceNumber);
            long lastUpdatedMs = Math.Max(input.NowMs, previous.LastUpdatedMs);
            json.WriteNumber("last-updated-ms", lastUpdatedMs);
            int maxColumnId = WriterFeatures.IntProperty(input.Snapshot.Metadata.Configuration, "delta.columnMapping.maxColumnId", 0);
            json.WriteNumber("last-column-id", Math.Max(Math.Max(previous.LastColumnId, plan.Schema.MaxFieldId), maxColumnId));
            json.WriteNumber("current-schema-id", plan.SchemaId);
            json.WriteStartArray("schemas");
            foreach (JsonElement schema in previous.Array("schemas"))
            {
                schema.WriteTo(json);
            }

            if (previous.SchemaIdOf(plan.Schema.FieldsJson) is null)
            {
                json.WriteRawValue(SchemaJson(plan.SchemaId, plan.Schema));
            }

            json.WriteEndArray();
            json.WriteNumber("default-spec-id", 0);
            json.WriteStartArray("partition-specs");
            json.WriteRawValue("{\"spec-id\":0,\"fields\":[]}");
            json.WriteEndArray();
            // Partition field ids start at 1000 (Iceberg spec, "Partition Specs"); an unpartitioned table has used none.
            json.WriteNumber("last-partition-id", 999);
            json.WriteNumber("default-sort-order-id", 0);
            json.WriteStartArray("sort-orders");
            json.WriteRawValue("{\"order-id\":0,\"fields\":[]}");
            json.WriteEndArray();
            json.WriteStartObject("properties");
            json.WriteString("converted_delta_version", input.Snapshot.Version.ToString(CultureInfo.InvariantCulture));
            json.WriteString("converted_delta_timestamp", input.CommittedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            json.WriteEndObject();
            if (current is long currentId)
            {
                json.WriteNumber("current-snapshot-id", currentId);
                json.WriteStartObject("refs");
                json.WriteStartObject("main");
                json.WriteNumber("snapshot-id", currentId);
                json.WriteString("type", "branch");
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteStartArray("snapshots");
            foreach (JsonElement snapshot in previous.Array("snapshots"))
            {
                snapshot.WriteTo(json);
            }

            if (input.ManifestList is { } list)
            {
                WriteSnapshot(json, input, list);
            }

            json.WriteEndArray();
            json.WriteStartArray("snapshot-log");
            foreach (JsonElement entry in previous.Array("snapshot-log"))
            {
                entry.WriteTo(json);
            }

            if (input.ManifestList is not null)
            {
                // The spec: each entry has "the last-updated-ms and the new current-snapshot-id".
                json.WriteStartObject();
                json.WriteNumber("timestamp-ms", lastUpdatedMs);
                json.WriteNumber("snapshot-id", plan.SnapshotId);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteMetadataLog(json, input);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteSnapshot(Utf8JsonWriter json, Input input, string manifestList)
    {
        ConversionPlan plan = input.Plan;
        json.WriteStartObject();
        json.WriteNumber("sequence-number", plan.SequenceNumber);
        json.WriteNumber("snapshot-id", plan.SnapshotId);
        if (input.Previous.CurrentSnapshotId is long parent)
        {
            json.WriteNumber("parent-snapshot-id", parent);
        }

        json.WriteNumber("timestamp-ms", input.NowMs);
        json.WriteStartObject("summary");
        string operation = plan.DeletedFiles == 0 ? "append" : plan.AddedFiles == 0 ? "delete" : "overwrite";
        json.WriteString("operation", operation);
        var inv = CultureInfo.InvariantCulture;
        json.WriteString("added-data-files", plan.AddedFiles.ToString(inv));
        json.WriteString("deleted-data-files", plan.DeletedFiles.ToString(inv));
        json.WriteString("added-records", plan.AddedRows.ToString(inv));
        json.WriteString("deleted-records", plan.DeletedRows.ToString(inv));
        json.WriteString("added-files-size", plan.AddedBytes.ToString(inv));
        json.WriteString("removed-files-size", plan.DeletedBytes.ToString(inv));
        json.WriteString("total-data-files", (plan.AddedFiles + plan.ExistingFiles).ToString(inv));
        json.WriteString("total-records", (plan.AddedRows + plan.ExistingRows).ToString(inv));
        json.WriteString("total-files-size", (plan.AddedBytes + plan.ExistingBytes).ToString(inv));
        json.WriteString("total-delete-files", "0");
        json.WriteString("total-position-deletes", "0");
        json.WriteString("total-equality-deletes", "0");
        json.WriteString("delta-version", input.Snapshot.Version.ToString(inv));
        json.WriteEndObject();
        json.WriteString("manifest-list", manifestList);
        json.WriteNumber("schema-id", plan.SchemaId);
        json.WriteEndObject();
    }

    /// <summary>The previous metadata files, oldest first, the newest previous one last; at most the last 100 (Iceberg's default of write.metadata.previous-versions-max).</summary>
    private static void WriteMetadataLog(Utf8JsonWriter json, Input input)
    {
        var entries = new List<JsonElement>(input.Previous.Array("metadata-log"));
        int keep = input.PreviousLocation is null ? 100 : 99;
        json.WriteStartArray("metadata-log");
        for (int i = Math.Max(0, entries.Count - keep); i < entries.Count; i++)
        {
            entries[i].WriteTo(json);
        }

        if (input.PreviousLocation is { } location)
        {
            json.WriteStartObject();
            json.WriteNumber("timestamp-ms", input.Previous.LastUpdatedMs);
            json.WriteString("metadata-file", location);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>The Delta table id as the Iceberg table's uuid (it is a UUID when Spark or Medallion wrote it); a UUID made from it otherwise.</summary>
    private static string TableUuid(string deltaId)
    {
        if (Guid.TryParse(deltaId, out Guid id))
        {
            return id.ToString();
        }

        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(deltaId), hash);
        return new Guid(hash[..16], bigEndian: true).ToString();
    }
}
