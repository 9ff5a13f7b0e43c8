using System.Globalization;
using System.Text.Json;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Engine.Tests.Writing;

namespace Medallion.Engine.Tests.UniForm;

/// <summary>
/// Delta UniForm: each commit to a table with <c>delta.universalFormat.enabledFormats = iceberg</c> also writes Iceberg
/// metadata, which a reader written from the Iceberg spec reads back as the same files, record counts, column ids and
/// bounds as the Delta snapshot.
/// </summary>
public sealed class UniFormTests : IDisposable
{
    private const string Schema = "id long NOT NULL, name string, amount decimal(10,2), day date, ts timestamp";

    private static readonly Dictionary<string, string> s_uniform = new()
    {
        ["delta.universalFormat.enabledFormats"] = "iceberg",
        ["delta.enableIcebergCompatV2"] = "true",
    };

    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    private async Task<string> CreateAsync(string name = "t")
    {
        string path = _f.TablePath(name);
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition(Schema) { Properties = s_uniform });
        return path;
    }

    private static string Rows(int from, int to) =>
        $"SELECT i::BIGINT AS id, 'n' || i AS name, (i * 1.25)::DECIMAL(10,2) AS amount, DATE '2026-01-01' + i::INT AS day, " +
        $"TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_microseconds(i * 1000001) AS ts FROM range({from}, {to}) r(i)";

    [Fact]
    public async Task Creating_a_uniform_table_turns_on_column_mapping_and_the_iceberg_compat_v2_writer_feature()
    {
        string path = await CreateAsync();

        Snapshot snapshot = await _f.SnapshotAsync(path);
        Assert.Equal("name", snapshot.Metadata.Configuration["delta.columnMapping.mode"]);
        Assert.Contains("icebergCompatV2", snapshot.Protocol.WriterFeatures!);
        Assert.Contains("columnMapping", snapshot.Protocol.WriterFeatures!);
        Assert.Equal(7, snapshot.Protocol.MinWriterVersion);
    }

    [Fact]
    public async Task An_append_writes_iceberg_metadata_with_the_delta_snapshots_files_record_counts_and_column_ids()
    {
        string path = await CreateAsync();
        DeltaOperationResult result = await _f.Writer.WriteAsync(path, Rows(0, 10));

        Assert.Empty(result.Warnings);
        IcebergReader iceberg = IcebergReader.Read(path);
        await AssertSameAsDeltaAsync(path, iceberg);
        Assert.Equal("1", iceberg.Property("converted_delta_version"));
        Assert.Equal("append", iceberg.CurrentSnapshot.GetProperty("summary").GetProperty("operation").GetString());
        Assert.Equal("10", iceberg.CurrentSnapshot.GetProperty("summary").GetProperty("total-records").GetString());
        Assert.All(iceberg.LiveFiles, f => Assert.Equal(1, f.Status));
        Assert.Equal(2, iceberg.Metadata.GetProperty("format-version").GetInt32());
    }

    [Fact]
    public async Task The_converted_delta_timestamp_is_the_commit_time_of_the_converted_version()
    {
        string path = await CreateAsync();
        await _f.Writer.WriteAsync(path, Rows(0, 3));

        Snapshot snapshot = await _f.SnapshotAsync(path);
        IcebergReader iceberg = IcebergReader.Read(path);
        Assert.Equal(snapshot.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), iceberg.Property("converted_delta_timestamp"));
    }

    [Fact]
    public async Task The_lower_and_upper_bounds_and_null_counts_are_the_delta_statistics_in_icebergs_binary_form()
    {
        string path = await CreateAsync();
        await _f.Writer.WriteAsync(path, Rows(1, 8) + " UNION ALL SELECT 100, NULL, NULL, NULL, NULL");

        IcebergReader iceberg = IcebergReader.Read(path);
        IcebergEntry file = Assert.Single(iceberg.LiveFiles);
        Dictionary<string, (int Id, string Type, bool Required)> fields = iceberg.Fields;
        Assert.Equal("1", IcebergReader.Decode(file.Lower[fields["id"].Id], "long"));
        Assert.Equal("100", IcebergReader.Decode(file.Upper[fields["id"].Id], "long"));
        Assert.Equal("n1", IcebergReader.Decode(file.Lower[fields["name"].Id], "string"));
        Assert.Equal("n7", IcebergReader.Decode(file.Upper[fields["name"].Id], "string"));
        Assert.Equal(1.25m, decimal.Parse(IcebergReader.Decode(file.Lower[fields["amount"].Id], "decimal(10, 2)"), CultureInfo.InvariantCulture));
        Assert.Equal(8.75m, decimal.Parse(IcebergReader.Decode(file.Upper[fields["amount"].Id], "decimal(10, 2)"), CultureInfo.InvariantCulture));
        Assert.Equal("2026-01-02", IcebergReader.Decode(file.Lower[fields["day"].Id], "date"));
        Assert.Equal("2026-01-08", IcebergReader.Decode(file.Upper[fields["day"].Id], "date"));
        Assert.Equal("2026-01-01T00:00:01.000001Z", IcebergReader.Decode(file.Lower[fields["ts"].Id], "timestamptz"));
        Assert.Equal("2026-01-01T00:00:07.000007Z", IcebergReader.Decode(file.Upper[fields["ts"].Id], "timestamptz"));
        Assert.Equal(0, file.NullCounts[fields["id"].Id]);
        Assert.Equal(1, file.NullCounts[fields["name"].Id]);
        Assert.All(fields.Values, f => Assert.Equal(8, file.ValueCounts[f.Id]));
    }

    [Fact]
    public async Task The_schema_gives_each_column_its_column_mapping_id_its_name_an_iceberg_type_and_required_for_not_null()
    {
        string path = await CreateAsync();
        await _f.Writer.WriteAsync(path, Rows(0, 2));

        Dictionary<string, (int Id, string Type, bool Required)> fields = IcebergReader.Read(path).Fields;
        Assert.Equal(["id", "name", "amount", "day", "ts"], fields.Keys);
        Assert.Equal(["long", "string", "decimal(10,2)", "date", "timestamptz"], fields.Values.Select(f => f.Type));
        Assert.Equal([true, false, false, false, false], fields.Values.Select(f => f.Required));
        StructType schema = (await _f.SnapshotAsync(path)).Schema;
        Assert.Equal(schema.Fields.Select(f => f.ColumnId!.Value), fields.Values.Select(f => f.Id));
    }

    [Fact]
    public async Task The_parquet_files_carry_the_iceberg_field_ids_so_an_iceberg_reader_finds_columns_by_id()
    {
        string path = await CreateAsync();
        await _f.Writer.WriteAsync(path, Rows(0, 5));

        IcebergReader iceberg = IcebergReader.Read(path);
        string parquet = IcebergReader.LocalPath(Assert.Single(iceberg.LiveFiles).FilePath);
        List<string> ids = _f.Query($"SELECT field_id FROM parquet_schema('{parquet}') WHERE field_id IS NOT NULL");
        Assert.Equal(iceberg.Fields.Values.Select(f => f.Id.ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal), ids);
    }

    [Fact]
    public async Task The_manifests_carry_the_field_ids_of_the_iceberg_spec_and_int_keyed_maps_as_logical_maps()
    {
        string path = await CreateAsync();
        await _f.Writer.WriteAsync(path, Rows(0, 5));

        IcebergReader iceberg = IcebergReader.Read(path);
        using JsonDocument schema = JsonDocument.Parse(Assert.Single(iceberg.LiveFiles).AvroSchema);
        JsonElement dataFile = schema.RootElement.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "data_file");
        Assert.Equal(2, dataFile.GetProperty("field-id").GetInt32());
        Dictionary<string, int> ids = dataFile.GetProperty("type").GetProperty("fields").EnumerateArray()
            .ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("field-id").GetInt32());
        Assert.Equal(100, ids["file_path"]);
        Assert.Equal(101, ids["file_format"]);
        Assert.Equal(103, ids["record_count"]);
        Assert.Equal(104, ids["file_size_in_bytes"]);
        Assert.Equal(109, ids["value_counts"]);
        Assert.Equal(110, ids["null_value_counts"]);
        Assert.Equal(125, ids["lower_bounds"]);
        Assert.Equal(128, ids["upper_bounds"]);
        Assert.Equal(134, ids["content"]);
        JsonElement lower = dataFile.GetProperty("type").GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "lower_bounds");
        Assert.Equal("map", lower.GetProperty("type")[1].GetProperty("logicalType").GetString());
    }

    [Fact]
    public async Task An_overwrite_marks_the_replaced_files_deleted_and_the_new_ones_added()
    {
        string path = await CreateAsync();
        await _f.Writer.WriteAsync(path, Rows(0, 10));
        IcebergReader before = IcebergReader.Read(path);
        await _f.Writer.WriteAsync(path, Rows(50, 53), new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite });

        IcebergReader iceberg = IcebergReader.Read(path);
        await AssertSameAsDeltaAsync(path, iceberg);
        IcebergEntry deleted = Assert.Single(iceberg.Entries, e => e.Status == 2);
        Assert.Equal(Assert.Single(before.LiveFiles).FilePath, deleted.FilePath);
        Assert.Equal("overwrite", iceberg.CurrentSnapshot.GetProperty("summary").GetProperty("operation").GetString());
        Assert.Equal("3", iceberg.CurrentSnapshot.GetProperty("summary").GetProperty("total-records").GetString());
        Assert.Equal(before.CurrentSnapshot.GetProperty("snapshot-id").GetInt64(), iceberg.CurrentSnapshot.GetProperty("parent-snapshot-id").GetInt64());
    }

    [Fact]
    public async Task A_merge_keeps_untouched_files_as_existing_with_the_snapshot_and_sequence_number_that_added_them()
    {
        string path = await CreateAsync();
        await _f.Writer.WriteAsync(path, Rows(0, 5));
        await _f.Writer.WriteAsync(path, Rows(100, 105));
        IcebergReader before = IcebergReader.Read(path);
        IcebergEntry untouched = before.LiveFiles.Single(f => IcebergReader.Decode(f.Lower[before.Fields["id"].Id], "long") == "0");

        await _f.Writer.MergeAsync(path, new DeltaMergeOptions(
            "SELECT 101::BIGINT AS id, 'changed' AS name, 1.00::DECIMAL(10,2) AS amount, DATE '2026-02-01' AS day, TIMESTAMPTZ '2026-02-01 00:00:00+00' AS ts", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
        });

        IcebergReader iceberg = IcebergReader.Read(path);
        await AssertSameAsDeltaAsync(path, iceberg);
        IcebergEntry kept = Assert.Single(iceberg.Entries, e => e.FilePath == untouched.FilePath);
        Assert.Equal(0, kept.Status);
        Assert.Equal(untouched.SnapshotId, kept.SnapshotId);
        Assert.Equal(untouched.SequenceNumber, kept.SequenceNumber);
        Assert.Contains(iceberg.Entries, e => e.Status == 2);
        Assert.Contains(iceberg.Entries, e => e.Status == 1);
        Assert.Equal(10, iceberg.LiveFiles.Sum(f => f.RecordCount));
    }

    [Fact]
    public async Task An_added_column_gets_a_new_iceberg_schema_with_its_column_mapping_id_and_the_old_schema_is_kept()
    {
        string path = await CreateAsync();
        await _f.Writer.WriteAsync(path, Rows(0, 3));
        await _f.Writer.WriteAsync(path, $"SELECT *, 'red' AS color FROM ({Rows(3, 6)})", new DeltaWriteOptions { MergeSchema = true });

        IcebergReader iceberg = IcebergReader.Read(path);
        await AssertSameAsDeltaAsync(path, iceberg);
        StructType schema = (await _f.SnapshotAsync(path)).Schema;
        Assert.Equal(schema.Find("color")!.ColumnId, iceberg.Fields["color"].Id);
        Assert.Equal(2, iceberg.Metadata.GetProperty("schemas").GetArrayLength());
        Assert.Equal(1, iceberg.Metadata.GetProperty("current-schema-id").GetInt32());
        Assert.Equal(iceberg.Fields["color"].Id, iceberg.Metadata.GetProperty("last-column-id").GetInt32());
        IcebergEntry newer = iceberg.LiveFiles.Single(f => f.Lower.ContainsKey(iceberg.Fields["color"].Id));
        Assert.Equal("red", IcebergReader.Decode(newer.Lower[iceberg.Fields["color"].Id], "string"));
    }

    [Fact]
    public async Task Conversions_of_an_unchanged_schema_keep_one_iceberg_schema()
    {
        string path = await CreateAsync();
        await _f.Writer.WriteAsync(path, Rows(0, 3));
        await _f.Writer.WriteAsync(path, Rows(3, 6));
        await _f.Writer.WriteAsync(path, Rows(6, 9));

        IcebergReader iceberg = IcebergReader.Read(path);
        Assert.Equal(1, iceberg.Metadata.GetProperty("schemas").GetArrayLength());
        Assert.Equal(0, iceberg.Metadata.GetProperty("current-schema-id").GetInt32());
    }

    [Fact]
    public async Task A_decimal_column_has_the_specs_canonical_type_string()
    {
        string path = await CreateAsync();

        // Iceberg spec, Appendix C: "decimal(<P>,<S>)" is the canonical form (readers also accept spaces).
        Assert.Equal("decimal(10,2)", IcebergReader.Read(path).Fields["amount"].Type);
    }

    [Fact]
    public async Task Each_conversion_writes_the_next_metadata_file_and_logs_the_previous_one()
    {
        string path = await CreateAsync();
        await _f.Writer.WriteAsync(path, Rows(0, 3));
        await _f.Writer.WriteAsync(path, Rows(3, 6));

        SortedDictionary<long, string> files = IcebergReader.MetadataFiles(path);
        Assert.Equal([1L, 2L, 3L], files.Keys);
        IcebergReader iceberg = IcebergReader.Read(path);
        Assert.Equal(
            [new Uri(files[1]).AbsoluteUri, new Uri(files[2]).AbsoluteUri],
            iceberg.Metadata.GetProperty("metadata-log").EnumerateArray().Select(e => e.GetProperty("metadata-file").GetString()));
        Assert.Equal(2, iceberg.Metadata.GetProperty("snapshots").GetArrayLength());
        Assert.Equal(2, iceberg.Metadata.GetProperty("last-sequence-number").GetInt64());
    }

    [Fact]
    public async Task Uniform_with_deletion_vectors_is_refused_with_MDL4101_and_no_table_is_created()
    {
        var properties = new Dictionary<string, string>(s_uniform) { ["delta.enableDeletionVectors"] = "true" };
        string path = _f.TablePath();

        var e = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.CreateTableAsync(path, new DeltaTableDefinition(Schema) { Properties = properties }));

        Assert.Equal(ErrorCode.UniFormConfigurationInvalid, e.Code);
        Assert.Equal(
            $"UniForm cannot be enabled on the Delta table at '{path}': IcebergCompatV2 and deletion vectors (delta.enableDeletionVectors = true) cannot both be enabled: Iceberg readers would see deleted rows.\nHelp: remove delta.enableDeletionVectors, or UniForm.",
            e.Message);
        Assert.False(Directory.Exists(Path.Combine(path, "_delta_log")));
    }

    [Fact]
    public async Task Uniform_without_iceberg_compat_v2_is_refused_with_MDL4101()
    {
        var properties = new Dictionary<string, string> { ["delta.universalFormat.enabledFormats"] = "iceberg" };

        var e = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.CreateTableAsync(_f.TablePath(), new DeltaTableDefinition(Schema) { Properties = properties }));

        Assert.Equal(ErrorCode.UniFormConfigurationInvalid, e.Code);
        Assert.Contains("delta.universalFormat.enabledFormats = iceberg needs delta.enableIcebergCompatV2 = true", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Turning_on_deletion_vectors_on_a_uniform_table_is_refused_and_the_table_keeps_its_version()
    {
        string path = await CreateAsync();

        var e = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.SetPropertiesAsync(path, new Dictionary<string, string> { ["delta.enableDeletionVectors"] = "true" }));

        Assert.Equal(ErrorCode.UniFormConfigurationInvalid, e.Code);
        Assert.Equal(0, (await _f.SnapshotAsync(path)).Version);
    }

    [Fact]
    public async Task A_failed_conversion_leaves_the_delta_commit_in_place_and_the_next_commit_catches_up()
    {
        string path = await CreateAsync();
        await BlockMetadataAsync(path);

        DeltaOperationResult failed = await _f.Writer.WriteAsync(path, Rows(0, 4));

        Assert.True(failed.Committed);
        Assert.Equal(1, failed.Version);
        Assert.StartsWith("Version 1 was committed, but its Iceberg metadata (UniForm) could not be written: ", Assert.Single(failed.Warnings), StringComparison.Ordinal);
        Assert.Equal(4, (await _f.ReadAsync(path)).Count);

        File.Delete(Path.Combine(path, "metadata"));
        DeltaOperationResult next = await _f.Writer.WriteAsync(path, Rows(4, 6));

        Assert.Empty(next.Warnings);
        IcebergReader iceberg = IcebergReader.Read(path);
        Assert.Equal("2", iceberg.Property("converted_delta_version"));
        await AssertSameAsDeltaAsync(path, iceberg);
    }

    [Fact]
    public async Task The_catch_up_converts_the_newest_version_once_and_then_has_nothing_to_do()
    {
        string path = await CreateAsync();
        await BlockMetadataAsync(path);
        await _f.Writer.WriteAsync(path, Rows(0, 4));
        File.Delete(Path.Combine(path, "metadata"));

        (Delta.Iceberg.IcebergMetadataFile first, bool written) = await _f.Writer.ConvertToIcebergAsync(path);
        (Delta.Iceberg.IcebergMetadataFile second, bool again) = await _f.Writer.ConvertToIcebergAsync(path);

        Assert.True(written);
        Assert.Equal(1, first.ConvertedDeltaVersion);
        Assert.False(again);
        Assert.Equal(first.Key, second.Key);
        await AssertSameAsDeltaAsync(path, IcebergReader.Read(path));
    }

    [Fact]
    public async Task A_staged_write_to_a_column_mapped_table_reads_its_added_rows_under_their_logical_names_before_the_commit()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, point STRUCT(x INT, y INT)") { Properties = s_uniform });

        await using DeltaStagedWrite staged = await _f.Writer.BeginWriteAsync(path, new DeltaWriteOptions());
        await staged.AddAsync("SELECT 7::BIGINT AS id, {'x': 1, 'y': 2}::STRUCT(x INT, y INT) AS point");

        Assert.Equal(["7|1|2"], _f.Query($"SELECT id, point.x, point.y FROM ({staged.AddedRowsSql()})"));
    }

    [Fact]
    public async Task A_struct_column_becomes_an_iceberg_struct_whose_fields_keep_their_column_mapping_ids()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, point STRUCT(x INT, y INT)") { Properties = s_uniform });
        await _f.Writer.WriteAsync(path, "SELECT 7::BIGINT AS id, {'x': 1, 'y': 2}::STRUCT(x INT, y INT) AS point");

        IcebergReader iceberg = IcebergReader.Read(path);
        await AssertSameAsDeltaAsync(path, iceberg);
        int schemaId = iceberg.Metadata.GetProperty("current-schema-id").GetInt32();
        JsonElement point = iceberg.Metadata.GetProperty("schemas").EnumerateArray().Single(s => s.GetProperty("schema-id").GetInt32() == schemaId)
            .GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "point");
        var deltaPoint = (StructType)(await _f.SnapshotAsync(path)).Schema.Find("point")!.Type;
        Assert.Equal("struct", point.GetProperty("type").GetProperty("type").GetString());
        Assert.Equal(
            deltaPoint.Fields.Select(f => (f.Name, f.ColumnId!.Value)),
            point.GetProperty("type").GetProperty("fields").EnumerateArray().Select(f => (f.GetProperty("name").GetString()!, f.GetProperty("id").GetInt32())));
        Assert.Equal(deltaPoint.Fields.Max(f => f.ColumnId!.Value), iceberg.Metadata.GetProperty("last-column-id").GetInt32());
    }

    [Fact]
    public async Task A_plain_delta_table_writes_no_iceberg_metadata()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, Rows(0, 3));

        Assert.False(Directory.Exists(Path.Combine(path, "metadata")));
        var e = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.ConvertToIcebergAsync(path));
        Assert.Equal(ErrorCode.UniFormConfigurationInvalid, e.Code);
    }

    /// <summary>
    /// Puts a file where the new table's metadata folder is (its first metadata file removed): every write of Iceberg
    /// metadata then fails, as a store refusing it would, until the file is deleted.
    /// </summary>
    private static async Task BlockMetadataAsync(string path)
    {
        File.Delete(IcebergReader.MetadataFiles(path).Values.Single());
        Directory.Delete(Path.Combine(path, "metadata"));
        await File.WriteAllTextAsync(Path.Combine(path, "metadata"), "in the way");
    }

    /// <summary>The Iceberg snapshot reads the Delta snapshot's files with their record counts, and bounds equal to its statistics.</summary>
    private async Task AssertSameAsDeltaAsync(string path, IcebergReader iceberg)
    {
        Snapshot snapshot = await _f.SnapshotAsync(path);
        Assert.Equal(snapshot.Version.ToString(CultureInfo.InvariantCulture), iceberg.Property("converted_delta_version"));
        string root = new Uri(path).AbsoluteUri;
        Dictionary<string, ScanFile> delta = snapshot.Files.ToDictionary(f => root + "/" + f.Path);
        Assert.Equal(delta.Keys.Order(StringComparer.Ordinal), iceberg.LiveFiles.Select(f => f.FilePath).Order(StringComparer.Ordinal));
        Dictionary<string, (int Id, string Type, bool Required)> fields = iceberg.Fields;
        foreach (IcebergEntry file in iceberg.LiveFiles)
        {
            ScanFile deltaFile = delta[file.FilePath];
            FileStatistics stats = deltaFile.Stats!;
            Assert.Equal("PARQUET", file.Format);
            Assert.Equal(stats.NumRecords, file.RecordCount);
            Assert.Equal(deltaFile.SizeBytes, file.SizeBytes);
            foreach (StructField column in snapshot.Schema.Fields)
            {
                (int id, string type, _) = fields[column.Name];
                Assert.Equal(column.ColumnId, id);
                if (column.Type is StructType)
                {
                    // A struct has no bounds of its own; Delta keeps its fields' statistics nested under it.
                    continue;
                }

                string physical = column.GetPhysicalName(snapshot.ColumnMappingMode);
                AssertBound(stats.MinValues, physical, file.Lower, id, type);
                AssertBound(stats.MaxValues, physical, file.Upper, id, type);
                if (stats.NullCount.TryGetProperty(physical, out JsonElement nulls))
                {
                    Assert.Equal(nulls.GetInt64(), file.NullCounts[id]);
                }
            }
        }
    }

    private static void AssertBound(JsonElement deltaValues, string physical, Dictionary<int, byte[]> bounds, int id, string type)
    {
        if (!deltaValues.TryGetProperty(physical, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            Assert.False(bounds.ContainsKey(id));
            return;
        }

        string decoded = IcebergReader.Decode(bounds[id], type);
        if (value.ValueKind == JsonValueKind.Number)
        {
            Assert.Equal(value.GetDecimal(), decimal.Parse(decoded, CultureInfo.InvariantCulture));
        }
        else if (type == "timestamptz")
        {
            Assert.Equal(DateTime.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal), DateTime.Parse(decoded, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal));
        }
        else
        {
            Assert.Equal(value.GetString(), decoded);
        }
    }
}
