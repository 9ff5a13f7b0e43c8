using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Avro.File;
using Avro.Generic;

namespace Medallion.Engine.Tests.UniForm;

/// <summary>
/// Reads a table's Iceberg metadata as an Iceberg reader would, from the Iceberg spec (format version 2) alone: the
/// newest <c>metadata/v&lt;N&gt;.metadata.json</c>, its current snapshot's manifest list, and the manifests' entries
/// (Avro, read by field name with Apache.Avro), with sequence numbers inherited from the manifest where an entry has none.
/// A metadata file that breaks one of <see cref="IcebergMetadataRules"/> is refused, as an Iceberg reader would.
/// </summary>
internal sealed class IcebergReader
{
    private IcebergReader(string metadataPath, JsonDocument metadata, List<IcebergEntry> entries, List<IcebergManifest> manifests)
    {
        MetadataPath = metadataPath;
        Metadata = metadata.RootElement;
        Entries = entries;
        Manifests = manifests;
    }

    public string MetadataPath { get; }

    public JsonElement Metadata { get; }

    /// <summary>Every entry of the current snapshot's manifests, deleted ones included.</summary>
    public List<IcebergEntry> Entries { get; }

    public List<IcebergManifest> Manifests { get; }

    /// <summary>The data files a reader of the current snapshot reads.</summary>
    public List<IcebergEntry> LiveFiles => [.. Entries.Where(e => e.Status != 2)];

    public string Property(string name) => Metadata.GetProperty("properties").GetProperty(name).GetString()!;

    /// <summary>The current schema's top-level fields: name to (id, type, required).</summary>
    public Dictionary<string, (int Id, string Type, bool Required)> Fields
    {
        get
        {
            int current = Metadata.GetProperty("current-schema-id").GetInt32();
            JsonElement schema = Metadata.GetProperty("schemas").EnumerateArray().Single(s => s.GetProperty("schema-id").GetInt32() == current);
            return schema.GetProperty("fields").EnumerateArray().ToDictionary(
                f => f.GetProperty("name").GetString()!,
                f => (f.GetProperty("id").GetInt32(), f.GetProperty("type").ValueKind == JsonValueKind.String ? f.GetProperty("type").GetString()! : "struct", f.GetProperty("required").GetBoolean()));
        }
    }

    public JsonElement CurrentSnapshot
    {
        get
        {
            long id = Metadata.GetProperty("current-snapshot-id").GetInt64();
            return Metadata.GetProperty("snapshots").EnumerateArray().Single(s => s.GetProperty("snapshot-id").GetInt64() == id);
        }
    }

    /// <summary>The metadata files of the table at <paramref name="tableDirectory"/>, by their number.</summary>
    public static SortedDictionary<long, string> MetadataFiles(string tableDirectory)
    {
        var files = new SortedDictionary<long, string>();
        string folder = Path.Combine(tableDirectory, "metadata");
        if (!Directory.Exists(folder))
        {
            return files;
        }

        foreach (string path in Directory.GetFiles(folder, "v*.metadata.json"))
        {
            string name = Path.GetFileName(path);
            // v<N>.metadata.json, as the spec's file-system tables name them; Add throws on a number written twice.
            files.Add(long.Parse(name[1..^".metadata.json".Length], CultureInfo.InvariantCulture), path);
        }

        return files;
    }

    public static IcebergReader Read(string tableDirectory)
    {
        string metadataPath = MetadataFiles(tableDirectory).Last().Value;
        var metadata = JsonDocument.Parse(File.ReadAllText(metadataPath));
        var entries = new List<IcebergEntry>();
        var manifests = new List<IcebergManifest>();
        JsonElement root = metadata.RootElement;
        List<string> violations = IcebergMetadataRules.Violations(root);
        if (violations.Count > 0)
        {
            throw new InvalidDataException($"{metadataPath} breaks the Iceberg spec: {string.Join("; ", violations)}");
        }

        if (!root.TryGetProperty("current-snapshot-id", out JsonElement currentId) || currentId.GetInt64() < 0)
        {
            return new IcebergReader(metadataPath, metadata, entries, manifests);
        }

        JsonElement snapshot = root.GetProperty("snapshots").EnumerateArray().Single(s => s.GetProperty("snapshot-id").GetInt64() == currentId.GetInt64());
        foreach (GenericRecord manifest in ReadAvro(LocalPath(snapshot.GetProperty("manifest-list").GetString()!), out _))
        {
            var info = new IcebergManifest(
                (string)manifest["manifest_path"], (long)manifest["sequence_number"], (long)manifest["added_snapshot_id"],
                (int)manifest["added_files_count"], (int)manifest["existing_files_count"], (int)manifest["deleted_files_count"],
                (long)manifest["added_rows_count"], (long)manifest["existing_rows_count"], (long)manifest["deleted_rows_count"], (int)manifest["content"]);
            manifests.Add(info);
            foreach (GenericRecord entry in ReadAvro(LocalPath(info.Path), out string avroSchema))
            {
                var file = (GenericRecord)entry["data_file"];
                entries.Add(new IcebergEntry(
                    (int)entry["status"],
                    entry["snapshot_id"] as long? ?? info.AddedSnapshotId,
                    entry["sequence_number"] as long? ?? info.SequenceNumber,
                    (string)file["file_path"],
                    (string)file["file_format"],
                    (long)file["record_count"],
                    (long)file["file_size_in_bytes"],
                    IntMap<long>(file["value_counts"]),
                    IntMap<long>(file["null_value_counts"]),
                    IntMap<byte[]>(file["lower_bounds"]),
                    IntMap<byte[]>(file["upper_bounds"]),
                    avroSchema));
            }
        }

        return new IcebergReader(metadataPath, metadata, entries, manifests);
    }

    /// <summary>The records of an Avro container and the writer's schema text from its header.</summary>
    public static List<GenericRecord> ReadAvro(string path, out string schemaText)
    {
        using IFileReader<GenericRecord> reader = DataFileReader<GenericRecord>.OpenReader(path);
        schemaText = reader.GetMetaString("avro.schema");
        return [.. reader.NextEntries];
    }

    public static string LocalPath(string location) => new Uri(location).LocalPath;

    /// <summary>An Iceberg int-keyed map: an Avro array of key/value records (absent when null).</summary>
    private static Dictionary<int, T> IntMap<T>(object? value) =>
        value is null ? [] : ((object[])value).Cast<GenericRecord>().ToDictionary(r => (int)r["key"], r => (T)r["value"]);

    /// <summary>A bound in Iceberg's single-value serialization (spec Appendix D) as the value Delta statistics write in JSON.</summary>
    public static string Decode(byte[] bytes, string icebergType) => icebergType switch
    {
        "int" => BinaryPrimitives.ReadInt32LittleEndian(bytes).ToString(CultureInfo.InvariantCulture),
        "long" => BinaryPrimitives.ReadInt64LittleEndian(bytes).ToString(CultureInfo.InvariantCulture),
        "double" => BinaryPrimitives.ReadDoubleLittleEndian(bytes).ToString("R", CultureInfo.InvariantCulture),
        "float" => BinaryPrimitives.ReadSingleLittleEndian(bytes).ToString("R", CultureInfo.InvariantCulture),
        "string" => Encoding.UTF8.GetString(bytes),
        "date" => DateOnly.FromDayNumber(new DateOnly(1970, 1, 1).DayNumber + BinaryPrimitives.ReadInt32LittleEndian(bytes)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        "timestamptz" => DateTime.UnixEpoch.AddTicks(BinaryPrimitives.ReadInt64LittleEndian(bytes) * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        _ when icebergType.StartsWith("decimal(", StringComparison.Ordinal) => Decimal(bytes, icebergType),
        _ => throw new NotSupportedException(icebergType),
    };

    private static string Decimal(byte[] bytes, string type)
    {
        int scale = int.Parse(type[(type.IndexOf(',', StringComparison.Ordinal) + 1)..^1].Trim(), CultureInfo.InvariantCulture);
        var unscaled = new BigInteger(bytes, isUnsigned: false, isBigEndian: true);
        return ((decimal)unscaled / (decimal)BigInteger.Pow(10, scale)).ToString(CultureInfo.InvariantCulture);
    }
}

internal sealed record IcebergManifest(string Path, long SequenceNumber, long AddedSnapshotId, int AddedFiles, int ExistingFiles, int DeletedFiles, long AddedRows, long ExistingRows, long DeletedRows, int Content);

internal sealed record IcebergEntry(
    int Status, long SnapshotId, long SequenceNumber, string FilePath, string Format, long RecordCount, long SizeBytes,
    Dictionary<int, long> ValueCounts, Dictionary<int, long> NullCounts, Dictionary<int, byte[]> Lower, Dictionary<int, byte[]> Upper, string AvroSchema);
