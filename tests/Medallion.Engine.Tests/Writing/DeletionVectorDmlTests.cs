using System.Text.Json;
using Medallion.Delta.ChangeDataFeed;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;

namespace Medallion.Engine.Tests.Writing;

public sealed class DeletionVectorDmlTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static readonly Dictionary<string, string> s_dvOn = new() { ["delta.enableDeletionVectors"] = "true" };

    /// <summary>Ids 0..5 in two partitions (a: 0-2, b: 3-5), one file each, deletion vectors on.</summary>
    private async Task<string> TableAsync(Dictionary<string, string>? properties = null)
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT i AS id, CASE WHEN i < 3 THEN 'a' ELSE 'b' END AS p, i * 10 AS v FROM range(6) t(i)",
            new DeltaWriteOptions { PartitionBy = ["p"], Properties = properties ?? s_dvOn });
        return path;
    }

    private int DataFileCount(string path) =>
        Directory.EnumerateFiles(path, "*.parquet", SearchOption.AllDirectories).Count(f => !f.Contains("_delta_log", StringComparison.Ordinal));

    private static JsonElement[] Actions(string[] lines, string kind) =>
        lines.Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.TryGetProperty(kind, out _)).Select(e => e.GetProperty(kind).Clone()).ToArray();

    [Fact]
    public async Task Creating_a_table_with_deletion_vectors_writes_reader_3_writer_7_with_the_feature()
    {
        string path = await TableAsync();

        Snapshot s = await _f.SnapshotAsync(path);

        Assert.Equal(3, s.Protocol.MinReaderVersion);
        Assert.Equal(7, s.Protocol.MinWriterVersion);
        Assert.Contains("deletionVectors", s.Protocol.ReaderFeatures!);
        Assert.Contains("deletionVectors", s.Protocol.WriterFeatures!);
    }

    [Fact]
    public async Task Delete_marks_rows_in_a_deletion_vector_and_writes_no_data_file()
    {
        string path = await TableAsync();
        int filesBefore = DataFileCount(path);

        DeltaOperationResult result = await _f.Writer.DeleteAsync(path, "id = 1 OR id = 2");

        Assert.Equal(2, result.RowsAffected);
        Assert.Equal(0, result.FilesAdded);
        Assert.Equal(filesBefore, DataFileCount(path));
        Assert.Equal(["0|a|0", "3|b|30", "4|b|40", "5|b|50"], await _f.ReadAsync(path));
        JsonElement add = Assert.Single(Actions(_f.LogLines(path, 1), "add"));
        JsonElement dv = add.GetProperty("deletionVector");
        Assert.Equal("u", dv.GetProperty("storageType").GetString());
        Assert.Equal(2, dv.GetProperty("cardinality").GetInt64());
        Assert.Equal(1, dv.GetProperty("offset").GetInt32());
        JsonElement stats = JsonDocument.Parse(add.GetProperty("stats").GetString()!).RootElement;
        Assert.Equal(3, stats.GetProperty("numRecords").GetInt64());
        Assert.False(stats.GetProperty("tightBounds").GetBoolean());
        JsonElement remove = Assert.Single(Actions(_f.LogLines(path, 1), "remove"));
        Assert.Equal(add.GetProperty("path").GetString(), remove.GetProperty("path").GetString());
        Assert.Single(Directory.GetFiles(path, "deletion_vector_*.bin"));
        Assert.Equal("1", result.Metrics["numDeletionVectorsAdded"]);
    }

    [Fact]
    public async Task A_second_delete_unions_the_files_existing_deletion_vector()
    {
        string path = await TableAsync();
        await _f.Writer.DeleteAsync(path, "id = 3");

        DeltaOperationResult result = await _f.Writer.DeleteAsync(path, "id = 5");

        Assert.Equal(1, result.RowsAffected);
        Assert.Equal("1", result.Metrics["numDeletionVectorsUpdated"]);
        Assert.Equal(["0|a|0", "1|a|10", "2|a|20", "4|b|40"], await _f.ReadAsync(path));
        ScanFile b = (await _f.Open(path).PlanScanAsync(await _f.SnapshotAsync(path))).Files.Single(f => Equals(f.PartitionValues["p"], "b"));
        Assert.Equal([0L, 2L], b.DeletedRowIndexes);
        Assert.Equal(2, b.DeletedRecordCount);
        JsonElement remove = Assert.Single(Actions(_f.LogLines(path, 2), "remove"));
        Assert.Equal(1, remove.GetProperty("deletionVector").GetProperty("cardinality").GetInt64());
    }

    [Fact]
    public async Task Deleting_the_last_live_rows_of_a_file_removes_it_without_a_deletion_vector()
    {
        string path = await TableAsync();
        await _f.Writer.DeleteAsync(path, "id = 0");

        DeltaOperationResult result = await _f.Writer.DeleteAsync(path, "p = 'a'");

        Assert.Equal(1, result.FilesRemoved);
        Assert.Equal(2, result.RowsAffected);
        Assert.Empty(Actions(_f.LogLines(path, 2), "add"));
        Assert.Equal(["3|b|30", "4|b|40", "5|b|50"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Update_writes_only_the_updated_rows_and_marks_their_old_versions_deleted()
    {
        string path = await TableAsync();

        DeltaOperationResult result = await _f.Writer.UpdateAsync(path, "v = v + 1", "id IN (1, 4)");

        Assert.Equal(2, result.RowsAffected);
        Assert.Equal("0", result.Metrics["numCopiedRows"]);
        Assert.Equal(["0|a|0", "1|a|11", "2|a|20", "3|b|30", "4|b|41", "5|b|50"], await _f.ReadAsync(path));
        JsonElement[] adds = Actions(_f.LogLines(path, 1), "add");
        Assert.Equal(2, adds.Count(a => a.TryGetProperty("deletionVector", out _)));
        Assert.Equal(2, adds.Count(a => !a.TryGetProperty("deletionVector", out _)));
    }

    [Fact]
    public async Task Merge_with_deletion_vectors_gives_the_same_rows_as_a_copy_on_write_merge()
    {
        string withDv = await TableAsync();
        string withoutDv = _f.TablePath("plain");
        await _f.Writer.WriteAsync(withoutDv, "SELECT i AS id, CASE WHEN i < 3 THEN 'a' ELSE 'b' END AS p, i * 10 AS v FROM range(6) t(i)", new DeltaWriteOptions { PartitionBy = ["p"] });
        var merge = new DeltaMergeOptions("SELECT * FROM (VALUES (1, 'a', 111), (4, 'b', 444), (9, 'b', 999)) s(id, p, v)", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
        };

        DeltaOperationResult result = await _f.Writer.MergeAsync(withDv, merge);
        await _f.Writer.MergeAsync(withoutDv, merge);

        Assert.Equal(await _f.ReadAsync(withoutDv), await _f.ReadAsync(withDv));
        Assert.Equal(["0|a|0", "1|a|111", "2|a|20", "3|b|30", "4|b|444", "5|b|50", "9|b|999"], await _f.ReadAsync(withDv));
        Assert.Equal("2", result.Metrics["numTargetRowsUpdated"]);
        Assert.Equal("0", result.Metrics["numTargetRowsCopied"]);
        Assert.Equal("2", result.Metrics["numDeletionVectorsAdded"]);
    }

    [Fact]
    public async Task Merge_deleting_matched_and_unmatched_by_source_rows_uses_deletion_vectors()
    {
        string path = await TableAsync();

        DeltaOperationResult result = await _f.Writer.MergeAsync(path, new DeltaMergeOptions("SELECT * FROM (VALUES (1), (4), (5)) s(id)", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Delete,
            WhenNotMatchedBySourceDelete = true,
        });

        Assert.Equal("6", result.Metrics["numTargetRowsDeleted"]);
        Assert.Empty(await _f.ReadAsync(path));
        Assert.Equal(2, result.FilesRemoved);
    }

    [Fact]
    public async Task Optimize_purges_deletion_vectors_by_rewriting_their_files()
    {
        string path = await TableAsync();
        await _f.Writer.DeleteAsync(path, "id IN (0, 5)");

        DeltaOperationResult result = await _f.Writer.OptimizeAsync(path);

        Assert.Equal(2, result.FilesRemoved);
        Snapshot s = await _f.SnapshotAsync(path);
        Assert.All(s.Files, f => Assert.False(f.HasDeletionVector));
        Assert.Equal(["1|a|10", "2|a|20", "3|b|30", "4|b|40"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Deletion_vectors_survive_a_checkpoint()
    {
        string path = await TableAsync();
        await _f.Writer.DeleteAsync(path, "id = 2");

        await _f.Writer.CheckpointAsync(path);
        File.Delete(Path.Combine(path, "_delta_log", "00000000000000000001.json"));
        File.Delete(Path.Combine(path, "_delta_log", "00000000000000000000.json"));

        Assert.Equal(["0|a|0", "1|a|10", "3|b|30", "4|b|40", "5|b|50"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Change_feed_of_a_deletion_vector_delete_lists_exactly_the_deleted_rows()
    {
        string path = await TableAsync(new Dictionary<string, string> { ["delta.enableDeletionVectors"] = "true", ["delta.enableChangeDataFeed"] = "true" });

        await _f.Writer.DeleteAsync(path, "id = 4");

        ChangeFeedPlan plan = await _f.Open(path).PlanChangesAsync(1, 1);
        ChangeFile file = Assert.Single(plan.Files);
        Assert.True(file.IsChangeDataFile);
        Assert.Equal(["4|40|delete"], _f.Query($"SELECT id, v, _change_type FROM read_parquet('{LocalMirror.Of(_f.Open(path).Store).PathOf(file)}', hive_partitioning = false)"));
    }

    [Fact]
    public async Task Without_the_property_dml_still_rewrites_files()
    {
        string path = await TableAsync(new Dictionary<string, string>());

        await _f.Writer.DeleteAsync(path, "id = 1");

        Assert.Empty(Directory.GetFiles(path, "deletion_vector_*.bin"));
        Assert.DoesNotContain(_f.LogLines(path, 1), l => l.Contains("deletionVector", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deletion_vector_table_read_through_sql_sees_only_live_rows_after_many_deletes()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT i AS id FROM range(100000) t(i)", new DeltaWriteOptions { Properties = s_dvOn });

        await _f.Writer.DeleteAsync(path, "id % 3 = 0");
        await _f.Writer.DeleteAsync(path, "id BETWEEN 10000 AND 59999");
        await _f.Writer.UpdateAsync(path, "id = -id", "id % 7 = 0");

        Assert.Equal([_f.Query("SELECT count(*) || '|' || sum(CASE WHEN i % 7 = 0 THEN -i ELSE i END) FROM range(100000) t(i) WHERE i % 3 <> 0 AND i NOT BETWEEN 10000 AND 59999")[0]],
            await _f.ReadAsync(path, columns: "count(*) || '|' || sum(id)"));
    }
}
