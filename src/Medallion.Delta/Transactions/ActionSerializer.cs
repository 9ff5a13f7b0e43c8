using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using Medallion.Delta.Actions;

namespace Medallion.Delta.Transactions;

/// <summary>
/// Writes actions as the newline-delimited JSON of a commit file (PROTOCOL.md "Delta Log Entries"): one action
/// per line, each line an object with a single key naming the action. Optional fields that are unset are left
/// out rather than written as <c>null</c>, except partition values, where <c>null</c> is a null partition.
/// </summary>
public static class ActionSerializer
{
    /// <summary>
    /// Log JSON keeps text readable as Spark's writer does: <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c>, <c>'</c> and non-ASCII
    /// stay as they are (the default encoder would write <c>\u003C</c>, which is valid but unlike every other engine's logs).
    /// Quotes, backslashes and control characters are still escaped, so the JSON stays valid.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Serializes the actions of one commit, each line ending in <c>\n</c>.</summary>
    internal static byte[] Serialize(IEnumerable<DeltaAction> actions)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        foreach (DeltaAction action in actions)
        {
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                Write(writer, action);
            }

            buffer.Write("\n"u8);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One action as a single JSON line without the newline.</summary>
    internal static string SerializeLine(DeltaAction action)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, action);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter w, DeltaAction action)
    {
        w.WriteStartObject();
        switch (action)
        {
            case CommitInfoAction c:
                w.WritePropertyName("commitInfo");
                c.CommitInfo.Raw.WriteTo(w);
                break;
            case ProtocolAction p:
                w.WritePropertyName("protocol");
                WriteProtocol(w, p.Protocol);
                break;
            case MetadataAction m:
                w.WritePropertyName("metaData");
                WriteMetadata(w, m.Metadata);
                break;
            case AddFile a:
                w.WritePropertyName("add");
                WriteAdd(w, a);
                break;
            case RemoveFile r:
                w.WritePropertyName("remove");
                WriteRemove(w, r);
                break;
            case Txn t:
                w.WriteStartObject("txn");
                w.WriteString("appId", t.AppId);
                w.WriteNumber("version", t.Version);
                if (t.LastUpdated is long lu)
                {
                    w.WriteNumber("lastUpdated", lu);
                }

                w.WriteEndObject();
                break;
            case AddCdcFile c:
                w.WriteStartObject("cdc");
                w.WriteString("path", c.Path);
                WriteStringMap(w, "partitionValues", c.PartitionValues);
                w.WriteNumber("size", c.Size);
                w.WriteBoolean("dataChange", c.DataChange);
                w.WriteEndObject();
                break;
            case DomainMetadata d:
                w.WriteStartObject("domainMetadata");
                w.WriteString("domain", d.Domain);
                w.WriteString("configuration", d.Configuration);
                w.WriteBoolean("removed", d.Removed);
                w.WriteEndObject();
                break;
            default:
                throw new InvalidOperationException($"{action.GetType().Name} actions are not written by this writer.");
        }

        w.WriteEndObject();
    }

    internal static void WriteProtocol(Utf8JsonWriter w, Protocol p)
    {
        w.WriteStartObject();
        w.WriteNumber("minReaderVersion", p.MinReaderVersion);
        w.WriteNumber("minWriterVersion", p.MinWriterVersion);
        // Feature lists exist only at reader version 3 / writer version 7 (PROTOCOL.md "Protocol Evolution").
        if (p.MinReaderVersion == 3)
        {
            WriteStringList(w, "readerFeatures", p.ReaderFeatures ?? []);
        }

        if (p.MinWriterVersion == 7)
        {
            WriteStringList(w, "writerFeatures", p.WriterFeatures ?? []);
        }

        w.WriteEndObject();
    }

    internal static void WriteMetadata(Utf8JsonWriter w, Metadata m)
    {
        w.WriteStartObject();
        w.WriteString("id", m.Id);
        if (m.Name is not null)
        {
            w.WriteString("name", m.Name);
        }

        if (m.Description is not null)
        {
            w.WriteString("description", m.Description);
        }

        w.WriteStartObject("format");
        w.WriteString("provider", m.FormatProvider);
        w.WriteStartObject("options");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteString("schemaString", m.SchemaString);
        WriteStringList(w, "partitionColumns", m.PartitionColumns);
        WriteStringMap(w, "configuration", m.Configuration);
        if (m.CreatedTime is long created)
        {
            w.WriteNumber("createdTime", created);
        }

        w.WriteEndObject();
    }

    private static void WriteAdd(Utf8JsonWriter w, AddFile a)
    {
        w.WriteStartObject();
        w.WriteString("path", a.Path);
        WriteStringMap(w, "partitionValues", a.PartitionValues);
        w.WriteNumber("size", a.Size);
        w.WriteNumber("modificationTime", a.ModificationTime);
        w.WriteBoolean("dataChange", a.DataChange);
        if (a.Stats is not null)
        {
            // stats is a JSON document carried as a string (PROTOCOL.md "Per-file Statistics").
            w.WriteString("stats", a.Stats);
        }

        if (a.Tags.Count > 0)
        {
            WriteStringMap(w, "tags", a.Tags);
        }

        if (a.DeletionVector is { } dv)
        {
            w.WritePropertyName("deletionVector");
            WriteDeletionVector(w, dv);
        }

        if (a.BaseRowId is long baseRowId)
        {
            w.WriteNumber("baseRowId", baseRowId);
        }

        if (a.DefaultRowCommitVersion is long rcv)
        {
            w.WriteNumber("defaultRowCommitVersion", rcv);
        }

        w.WriteEndObject();
    }

    private static void WriteRemove(Utf8JsonWriter w, RemoveFile r)
    {
        w.WriteStartObject();
        w.WriteString("path", r.Path);
        if (r.DeletionTimestamp is long ts)
        {
            w.WriteNumber("deletionTimestamp", ts);
        }

        w.WriteBoolean("dataChange", r.DataChange);
        if (r.ExtendedFileMetadata is bool ext)
        {
            w.WriteBoolean("extendedFileMetadata", ext);
            if (ext)
            {
                WriteStringMap(w, "partitionValues", r.PartitionValues);
                if (r.Size is long size)
                {
                    w.WriteNumber("size", size);
                }
            }
        }

        if (r.Stats is not null)
        {
            w.WriteString("stats", r.Stats);
        }

        if (r.DeletionVector is { } dv)
        {
            w.WritePropertyName("deletionVector");
            WriteDeletionVector(w, dv);
        }

        w.WriteEndObject();
    }

    internal static void WriteDeletionVector(Utf8JsonWriter w, DeletionVectorDescriptor dv)
    {
        w.WriteStartObject();
        w.WriteString("storageType", dv.StorageType);
        w.WriteString("pathOrInlineDv", dv.PathOrInlineDv);
        if (dv.Offset is int offset)
        {
            w.WriteNumber("offset", offset);
        }

        w.WriteNumber("sizeInBytes", dv.SizeInBytes);
        w.WriteNumber("cardinality", dv.Cardinality);
        w.WriteEndObject();
    }

    private static void WriteStringMap(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string?> map)
    {
        w.WriteStartObject(name);
        foreach ((string key, string? value) in map)
        {
            if (value is null)
            {
                w.WriteNull(key);
            }
            else
            {
                w.WriteString(key, value);
            }
        }

        w.WriteEndObject();
    }

    private static void WriteStringList(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (string v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    /// <summary>Encodes a path relative to the table root as the URI the log stores: each segment percent-encoded once.</summary>
    public static string EncodePath(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        string[] segments = relativePath.Split('/');
        for (int i = 0; i < segments.Length; i++)
        {
            // '=' stays readable as in Spark's logs (col=value folders); decoding once gives the same path either way.
            segments[i] = Uri.EscapeDataString(segments[i]).Replace("%3D", "=", StringComparison.Ordinal);
        }

        return string.Join('/', segments);
    }

    /// <summary>Re-parses a JSON object written by <paramref name="write"/> into a detached element.</summary>
    internal static JsonElement BuildObject(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }
}
