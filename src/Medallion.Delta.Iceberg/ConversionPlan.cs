using System;
using System.Collections.Generic;
using System.Text.Json;
using Avro;
using Avro.Generic;
using Medallion.Delta.Scans;

namespace Medallion.Delta.Iceberg;

/// <summary>
/// The manifest entries of one Iceberg snapshot made from a Delta snapshot, and the counts its manifest list and summary
/// report: each Delta file is added (new since the previous Iceberg snapshot) or existing (kept, with the ids and
/// sequence numbers it was added with), and each file of the previous snapshot the Delta snapshot no longer has is deleted.
/// </summary>
internal sealed class ConversionPlan
{
    private static readonly RecordSchema s_dataFile = (RecordSchema)ManifestSchemas.ManifestEntry["data_file"].Schema;
    private static readonly RecordSchema s_partition = (RecordSchema)s_dataFile["partition"].Schema;
    private static readonly RecordSchema s_countEntry = MapEntry("value_counts");
    private static readonly RecordSchema s_nullCountEntry = MapEntry("null_value_counts");
    private static readonly RecordSchema s_lowerEntry = MapEntry("lower_bounds");
    private static readonly RecordSchema s_upperEntry = MapEntry("upper_bounds");

    private readonly string _location;
    private long _minSequence = long.MaxValue;

    public ConversionPlan(long snapshotId, long sequenceNumber, int schemaId, IcebergSchema schema, string location)
    {
        SnapshotId = snapshotId;
        SequenceNumber = sequenceNumber;
        SchemaId = schemaId;
        Schema = schema;
        _location = location;
    }

    public long SnapshotId { get; }

    public long SequenceNumber { get; }

    public int SchemaId { get; }

    public IcebergSchema Schema { get; }

    public List<GenericRecord> Entries { get; } = [];

    public int AddedFiles { get; private set; }

    public int ExistingFiles { get; private set; }

    public int DeletedFiles { get; private set; }

    public long AddedRows { get; private set; }

    public long ExistingRows { get; private set; }

    public long DeletedRows { get; private set; }

    public long AddedBytes { get; private set; }

    public long ExistingBytes { get; private set; }

    public long DeletedBytes { get; private set; }

    /// <summary>Whether the files differ from the previous Iceberg snapshot's.</summary>
    public bool Changed => AddedFiles > 0 || DeletedFiles > 0;

    /// <summary>Adds a file of the Delta snapshot: existing when <paramref name="known"/> had it (and it is taken out), else added.</summary>
    public void Add(ScanFile file, string path, Dictionary<string, KnownFile> known)
    {
        if (file.HasDeletionVector)
        {
            throw Failed($"the data file '{file.Path}' has a deletion vector, which Iceberg v2 readers would not apply");
        }

        FileStatistics stats = FileStatistics.TryParse(file.Add.Stats) is { NumRecords: not null } parsed
            ? parsed
            : throw Failed($"the data file '{file.Path}' has no numRecords statistic, which IcebergCompatV2 requires of every file");
        long rows = stats.NumRecords!.Value;
        GenericRecord dataFile = DataFile(path, rows, file.SizeBytes, stats);
        var entry = new GenericRecord(ManifestSchemas.ManifestEntry);
        entry.Add("data_file", dataFile);
        if (known.Remove(path, out KnownFile? kept))
        {
            entry.Add("status", ManifestStatus.Existing);
            entry.Add("snapshot_id", kept.SnapshotId);
            entry.Add("sequence_number", kept.SequenceNumber);
            entry.Add("file_sequence_number", kept.FileSequenceNumber);
            _minSequence = Math.Min(_minSequence, kept.SequenceNumber);
            (ExistingFiles, ExistingRows, ExistingBytes) = (ExistingFiles + 1, ExistingRows + rows, ExistingBytes + file.SizeBytes);
        }
        else
        {
            // Null sequence numbers: an added file inherits the manifest's (Iceberg spec, "Sequence Number Inheritance").
            entry.Add("status", ManifestStatus.Added);
            entry.Add("snapshot_id", SnapshotId);
            entry.Add("sequence_number", null);
            entry.Add("file_sequence_number", null);
            _minSequence = Math.Min(_minSequence, SequenceNumber);
            (AddedFiles, AddedRows, AddedBytes) = (AddedFiles + 1, AddedRows + rows, AddedBytes + file.SizeBytes);
        }

        Entries.Add(entry);
    }

    /// <summary>Adds the files of the previous snapshot that the Delta snapshot no longer has, as deleted by this snapshot.</summary>
    public void AddDeleted(Dictionary<string, KnownFile> gone)
    {
        foreach ((string path, KnownFile file) in gone)
        {
            var entry = new GenericRecord(ManifestSchemas.ManifestEntry);
            entry.Add("status", ManifestStatus.Deleted);
            entry.Add("snapshot_id", SnapshotId);
            entry.Add("sequence_number", file.SequenceNumber);
            entry.Add("file_sequence_number", file.FileSequenceNumber);
            entry.Add("data_file", DataFile(path, file.RecordCount, file.SizeBytes, null));
            Entries.Add(entry);
            (DeletedFiles, DeletedRows, DeletedBytes) = (DeletedFiles + 1, DeletedRows + file.RecordCount, DeletedBytes + file.SizeBytes);
        }
    }

    /// <summary>The manifest list's entry for the manifest of <see cref="Entries"/>.</summary>
    public GenericRecord ManifestFile(string path, long length)
    {
        var record = new GenericRecord(ManifestSchemas.ManifestFile);
        record.Add("manifest_path", path);
        record.Add("manifest_length", length);
        record.Add("partition_spec_id", 0);
        record.Add("content", 0);
        record.Add("sequence_number", SequenceNumber);
        record.Add("min_sequence_number", _minSequence == long.MaxValue ? SequenceNumber : _minSequence);
        record.Add("added_snapshot_id", SnapshotId);
        record.Add("added_files_count", AddedFiles);
        record.Add("existing_files_count", ExistingFiles);
        record.Add("deleted_files_count", DeletedFiles);
        record.Add("added_rows_count", AddedRows);
        record.Add("existing_rows_count", ExistingRows);
        record.Add("deleted_rows_count", DeletedRows);
        record.Add("partitions", Array.Empty<object>());
        record.Add("key_metadata", null);
        return record;
    }

    private GenericRecord DataFile(string path, long rows, long size, FileStatistics? stats)
    {
        var record = new GenericRecord(s_dataFile);
        record.Add("content", 0);
        record.Add("file_path", path);
        record.Add("file_format", "PARQUET");
        record.Add("partition", new GenericRecord(s_partition));
        record.Add("record_count", rows);
        record.Add("file_size_in_bytes", size);
        record.Add("column_sizes", null);
        record.Add("nan_value_counts", null);
        record.Add("key_metadata", null);
        record.Add("split_offsets", null);
        record.Add("equality_ids", null);
        record.Add("sort_order_id", null);
        if (stats is null)
        {
            record.Add("value_counts", null);
            record.Add("null_value_counts", null);
            record.Add("lower_bounds", null);
            record.Add("upper_bounds", null);
            return record;
        }

        List<object> values = [], nulls = [], lower = [], upper = [];
        foreach (IcebergLeaf leaf in Schema.Leaves)
        {
            // Every row has a value or a null in each column: Iceberg's value counts include nulls.
            values.Add(Pair(s_countEntry, leaf.Id, rows));
            if (Find(stats.NullCount, leaf.PhysicalPath) is { ValueKind: JsonValueKind.Number } nullCount && nullCount.TryGetInt64(out long n))
            {
                nulls.Add(Pair(s_nullCountEntry, leaf.Id, n));
            }

            if (!stats.TightBounds)
            {
                continue;
            }

            if (Find(stats.MinValues, leaf.PhysicalPath) is { } min && SingleValue.Serialize(min, leaf.Type, upper: false) is { } minBytes)
            {
                lower.Add(Pair(s_lowerEntry, leaf.Id, minBytes));
            }

            if (Find(stats.MaxValues, leaf.PhysicalPath) is { } max && SingleValue.Serialize(max, leaf.Type, upper: true) is { } maxBytes)
            {
                upper.Add(Pair(s_upperEntry, leaf.Id, maxBytes));
            }
        }

        record.Add("value_counts", values.ToArray());
        record.Add("null_value_counts", nulls.ToArray());
        record.Add("lower_bounds", lower.ToArray());
        record.Add("upper_bounds", upper.ToArray());
        return record;
    }

    private static GenericRecord Pair(RecordSchema schema, int key, object value)
    {
        var pair = new GenericRecord(schema);
        pair.Add("key", key);
        pair.Add("value", value);
        return pair;
    }

    private static JsonElement? Find(JsonElement values, IReadOnlyList<string> path)
    {
        JsonElement current = values;
        foreach (string name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return null;
            }
        }

        return current.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : current;
    }

    private static RecordSchema MapEntry(string field) =>
        (RecordSchema)((ArraySchema)((UnionSchema)s_dataFile[field].Schema).Schemas[1]).ItemSchema;

    private MedallionException Failed(string what) =>
        new(ErrorCode.UniFormConversionFailed, $"The Iceberg metadata of the Delta table at '{_location}' cannot be written: {what}.\nHelp: the Delta commit stands; rewrite the file (OPTIMIZE or a full refresh) and the next commit converts again.");
}
