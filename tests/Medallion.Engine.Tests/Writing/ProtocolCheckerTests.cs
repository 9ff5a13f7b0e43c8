using System.Globalization;
using System.Text.Json;

namespace Medallion.Engine.Tests.Writing;

/// <summary>
/// Checks every commit our writer produces against PROTOCOL.md: one single-key action object per line, commitInfo
/// first, required fields with the right JSON types, stats as a JSON string, partition values as strings (or null) for
/// exactly the partition columns, and paths that, decoded once, name existing files.
/// </summary>
public sealed class ProtocolCheckerTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_commit_of_a_busy_table_follows_the_protocol(bool deletionVectors)
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long NOT NULL, d date, ts timestamp, s string, x double")
        {
            PartitionBy = ["d", "s"],
            Properties = new Dictionary<string, string>
            {
                ["delta.enableChangeDataFeed"] = "true",
                ["delta.checkpointInterval"] = "4",
                ["delta.enableDeletionVectors"] = deletionVectors ? "true" : "false",
            },
        });
        await _f.Writer.WriteAsync(path, "SELECT i AS id, DATE '2024-01-01' + (i % 3)::INTEGER AS d, TIMESTAMPTZ '2024-01-01 10:00:00+00' + INTERVAL (i) MINUTE AS ts, CASE WHEN i % 4 = 0 THEN NULL ELSE 'k ' || (i % 2) END AS s, i / 3.0 AS x FROM range(12) t(i)");
        await _f.Writer.UpdateAsync(path, "x = x + 1", "id < 3");
        await _f.Writer.DeleteAsync(path, "id = 5");
        await _f.Writer.MergeAsync(path, new DeltaMergeOptions("SELECT 100 AS id, DATE '2024-02-01' AS d, TIMESTAMPTZ '2024-02-01 00:00:00+00' AS ts, 'z/%' AS s, 1.0 AS x", "target.id = source.id") { WhenNotMatchedInsert = true });
        await _f.Writer.OptimizeAsync(path);

        long last = (await _f.SnapshotAsync(path)).Version;
        for (long v = 0; v <= last; v++)
        {
            CheckCommit(path, v, partitionColumns: ["d", "s"]);
        }

        Assert.True(File.Exists(Path.Combine(path, "_delta_log", "00000000000000000004.checkpoint.parquet")));
        Assert.Equal(deletionVectors, Directory.GetFiles(path, "deletion_vector_*.bin").Length > 0);
    }

    private void CheckCommit(string table, long version, string[] partitionColumns)
    {
        string[] lines = _f.LogLines(table, version);
        Assert.NotEmpty(lines);
        for (int i = 0; i < lines.Length; i++)
        {
            using JsonDocument doc = JsonDocument.Parse(lines[i]);
            JsonElement root = doc.RootElement;
            Assert.Equal(JsonValueKind.Object, root.ValueKind);
            JsonProperty action = Assert.Single(root.EnumerateObject());
            if (i == 0)
            {
                Assert.Equal("commitInfo", action.Name);
            }

            JsonElement a = action.Value;
            string where = $"version {version} line {i + 1}: {lines[i]}";
            switch (action.Name)
            {
                case "commitInfo":
                    Assert.Equal(JsonValueKind.Number, a.GetProperty("timestamp").ValueKind);
                    Assert.Equal(JsonValueKind.String, a.GetProperty("operation").ValueKind);
                    Assert.Equal(JsonValueKind.Object, a.GetProperty("operationParameters").ValueKind);
                    Assert.All(a.GetProperty("operationMetrics").EnumerateObject(), m => Assert.Equal(JsonValueKind.String, m.Value.ValueKind));
                    break;
                case "protocol":
                    Assert.True(a.GetProperty("minReaderVersion").GetInt32() >= 1, where);
                    Assert.True(a.GetProperty("minWriterVersion").GetInt32() >= 1, where);
                    break;
                case "metaData":
                    Assert.False(string.IsNullOrEmpty(a.GetProperty("id").GetString()), where);
                    Assert.Equal("parquet", a.GetProperty("format").GetProperty("provider").GetString());
                    using (JsonDocument.Parse(a.GetProperty("schemaString").GetString()!))
                    {
                    }

                    Assert.Equal(partitionColumns, a.GetProperty("partitionColumns").EnumerateArray().Select(e => e.GetString()!).ToArray());
                    Assert.All(a.GetProperty("configuration").EnumerateObject(), c => Assert.Equal(JsonValueKind.String, c.Value.ValueKind));
                    break;
                case "add":
                    CheckPath(table, a, where);
                    CheckPartitionValues(a, partitionColumns, where);
                    Assert.True(a.GetProperty("size").GetInt64() > 0, where);
                    Assert.Equal(JsonValueKind.Number, a.GetProperty("modificationTime").ValueKind);
                    Assert.True(a.GetProperty("dataChange").ValueKind is JsonValueKind.True or JsonValueKind.False, where);
                    Assert.Equal(JsonValueKind.String, a.GetProperty("stats").ValueKind);
                    if (a.TryGetProperty("deletionVector", out JsonElement dv))
                    {
                        CheckDeletionVector(table, dv, where);
                    }

                    using (JsonDocument stats = JsonDocument.Parse(a.GetProperty("stats").GetString()!))
                    {
                        Assert.True(stats.RootElement.GetProperty("numRecords").GetInt64() > 0, where);
                        foreach (string key in new[] { "minValues", "maxValues", "nullCount" })
                        {
                            foreach (JsonProperty column in stats.RootElement.GetProperty(key).EnumerateObject())
                            {
                                Assert.DoesNotContain(column.Name, partitionColumns);
                            }
                        }
                    }

                    break;
                case "remove":
                    Assert.False(string.IsNullOrEmpty(a.GetProperty("path").GetString()), where);
                    Assert.Equal(JsonValueKind.Number, a.GetProperty("deletionTimestamp").ValueKind);
                    Assert.True(a.GetProperty("dataChange").ValueKind is JsonValueKind.True or JsonValueKind.False, where);
                    CheckPartitionValues(a, partitionColumns, where);
                    break;
                case "cdc":
                    CheckPath(table, a, where);
                    CheckPartitionValues(a, partitionColumns, where);
                    Assert.StartsWith("_change_data/", a.GetProperty("path").GetString(), StringComparison.Ordinal);
                    Assert.False(a.GetProperty("dataChange").GetBoolean(), where);
                    break;
                case "txn":
                    Assert.Equal(JsonValueKind.String, a.GetProperty("appId").ValueKind);
                    Assert.Equal(JsonValueKind.Number, a.GetProperty("version").ValueKind);
                    break;
                default:
                    Assert.Fail($"unexpected action '{action.Name}' at {where}");
                    break;
            }
        }
    }

    /// <summary>PROTOCOL.md "Deletion Vector Descriptor Schema" and "Deletion Vector File Storage Format".</summary>
    private static void CheckDeletionVector(string table, JsonElement dv, string where)
    {
        Assert.Equal("u", dv.GetProperty("storageType").GetString());
        string encoded = dv.GetProperty("pathOrInlineDv").GetString()!;
        Assert.Equal(20, encoded.Length);
        int offset = dv.GetProperty("offset").GetInt32();
        int size = dv.GetProperty("sizeInBytes").GetInt32();
        Assert.True(dv.GetProperty("cardinality").GetInt64() > 0, where);
        string key = Medallion.Delta.DeletionVectors.DeletionVectorReader.ResolveKey(new Medallion.Storage.LocalObjectStore(table), Medallion.Delta.Actions.DeletionVectorDescriptor.Parse(dv));
        Assert.Matches("^deletion_vector_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.bin$", key);
        byte[] bytes = File.ReadAllBytes(Path.Combine(table, key));
        Assert.Equal(1, bytes[0]);
        Assert.True(bytes.Length >= offset + size + 8, where);
        Assert.Equal(size, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset)));
        Assert.Equal(1681511377, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset + 4)));
    }

    private static void CheckPath(string table, JsonElement action, string where)
    {
        string encoded = action.GetProperty("path").GetString()!;
        Assert.False(Uri.IsWellFormedUriString(encoded, UriKind.Absolute), where);
        Assert.DoesNotContain(' ', encoded);
        string decoded = Uri.UnescapeDataString(encoded);
        Assert.True(File.Exists(Path.Combine(table, decoded)), $"'{decoded}' does not exist ({where})");
    }

    private static void CheckPartitionValues(JsonElement action, string[] partitionColumns, string where)
    {
        JsonElement values = action.GetProperty("partitionValues");
        Assert.Equal(partitionColumns.Order(StringComparer.Ordinal), values.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (JsonProperty p in values.EnumerateObject())
        {
            Assert.True(p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null, where);
            if (p.Name == "d" && p.Value.ValueKind == JsonValueKind.String)
            {
                Assert.True(DateOnly.TryParseExact(p.Value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _), where);
            }
        }
    }
}
