using System.Text.Json;

namespace Medallion.Engine.Tests.Writing;

public sealed class DmlTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    private async Task<string> PartitionedTableAsync()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT i AS id, CASE WHEN i < 3 THEN 'a' ELSE 'b' END AS p, i * 10 AS v FROM range(6) t(i)", new DeltaWriteOptions { PartitionBy = ["p"] });
        return path;
    }

    [Fact]
    public async Task Update_sets_a_timestamp_column_from_a_timestamp_without_zone_read_as_utc()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS at_utc");
        _f.Query("SET TimeZone = 'America/New_York'");

        await _f.Writer.UpdateAsync(path, "at_utc = TIMESTAMP '2026-01-02 10:30:00'", "id = 1");

        _f.Query("SET TimeZone = 'UTC'");
        Assert.Equal(["1|01/02/2026 10:30:00"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Update_refuses_a_value_its_column_does_not_take_and_leaves_the_table_unchanged()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, CAST(7 AS INTEGER) AS v");

        var e = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.UpdateAsync(path, "v = 'x' || id", "id = 1"));

        Assert.Equal(ErrorCode.DeltaInvalidWriteArgument, e.Code);
        Assert.Equal($"Cannot write the Delta table at '{path}': UPDATE assigns values their columns do not take: 'v': the table has integer, the value has string (VARCHAR).\nHelp: cast the values to the columns' types in the assignments.", e.Message);
        Assert.Equal(0, (await _f.SnapshotAsync(path)).Version);
    }

    [Fact]
    public async Task Update_out_of_a_columns_range_names_the_partition_and_first_column_of_the_row_and_leaves_the_table_unchanged()
    {
        string path = await PartitionedTableAsync();
        await _f.Writer.UpdateAsync(path, "v = v + 0.4", null);

        var e = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.UpdateAsync(path, "v = v * 1e18", "id = 4"));

        Assert.Equal(ErrorCode.DeltaValueOutOfRange, e.Code);
        Assert.StartsWith($"The value 4e+19 does not fit column 'v' (long) of the Delta table at '{path}' in the row p = b, id = 4.", e.Message, StringComparison.Ordinal);
        Assert.Equal(["0|a|0", "1|a|10", "2|a|20", "3|b|30", "4|b|40", "5|b|50"], await _f.ReadAsync(path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Update_whose_short_arithmetic_passes_the_columns_range_fails_with_the_store_assignment_error_and_leaves_the_table_unchanged(bool deletionVectors)
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, v short")
        {
            Properties = new Dictionary<string, string> { ["delta.enableDeletionVectors"] = deletionVectors ? "true" : "false" },
        });
        await _f.Writer.WriteAsync(path, "SELECT * FROM (VALUES (1, 7), (2, 32767)) t(id, v)");

        var e = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.UpdateAsync(path, "v = v + 1", "id = 2"));

        Assert.Equal(ErrorCode.DeltaValueOutOfRange, e.Code);
        Assert.StartsWith($"The value 32768 does not fit column 'v' (short) of the Delta table at '{path}' in the row id = 2.", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await _f.SnapshotAsync(path)).Version);
        Assert.Equal(["1|7", "2|32767"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Delete_rewrites_only_the_files_holding_matching_rows()
    {
        string path = await PartitionedTableAsync();

        DeltaOperationResult result = await _f.Writer.DeleteAsync(path, "id = 1");

        Assert.Equal(1, result.Version);
        Assert.Equal(1, result.FilesRemoved);
        Assert.Equal(1, result.FilesAdded);
        Assert.Equal(1, result.RowsAffected);
        Assert.Equal("2", result.Metrics["numCopiedRows"]);
        Assert.Equal(["0|a|0", "2|a|20", "3|b|30", "4|b|40", "5|b|50"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Delete_of_a_whole_partition_only_removes_files()
    {
        string path = await PartitionedTableAsync();

        DeltaOperationResult result = await _f.Writer.DeleteAsync(path, "p = 'b'");

        Assert.Equal(1, result.FilesRemoved);
        Assert.Equal(0, result.FilesAdded);
        Assert.Equal(3, result.RowsAffected);
        Assert.Equal(["0|a|0", "1|a|10", "2|a|20"], await _f.ReadAsync(path));
        string[] lines = _f.LogLines(path, 1);
        Assert.Contains(lines, l => l.StartsWith("{\"remove\"", StringComparison.Ordinal) && l.Contains("\"extendedFileMetadata\":true", StringComparison.Ordinal) && l.Contains("\"deletionTimestamp\":", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Commit_info_keeps_comparison_operators_and_non_ascii_text_readable()
    {
        string path = await PartitionedTableAsync();

        await _f.Writer.DeleteAsync(path, "id < 1 AND p <> 'é&'");

        string commitInfo = _f.LogLines(path, 1)[0];
        Assert.Contains("\"predicate\":\"[\\\"id < 1 AND p <> 'é&'\\\"]\"", commitInfo, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u00", commitInfo, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_matching_nothing_commits_nothing()
    {
        string path = await PartitionedTableAsync();

        DeltaOperationResult result = await _f.Writer.DeleteAsync(path, "id > 100");

        Assert.False(result.Committed);
        Assert.Equal(0, (await _f.SnapshotAsync(path)).Version);
    }

    [Fact]
    public async Task Update_sets_columns_of_matching_rows_only()
    {
        string path = await PartitionedTableAsync();

        DeltaOperationResult result = await _f.Writer.UpdateAsync(path, "v = v + 1", "target.id >= 4");

        Assert.Equal(2, result.RowsAffected);
        Assert.Equal(1, result.FilesRemoved);
        Assert.Equal(["0|a|0", "1|a|10", "2|a|20", "3|b|30", "4|b|41", "5|b|51"], await _f.ReadAsync(path));
        using JsonDocument info = JsonDocument.Parse(_f.LogLines(path, 1)[0]);
        Assert.Equal("UPDATE", info.RootElement.GetProperty("commitInfo").GetProperty("operation").GetString());
    }

    [Fact]
    public async Task Update_that_breaks_a_constraint_is_refused()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, v long")
        {
            Properties = new Dictionary<string, string> { ["delta.constraints.v_small"] = "v < 100" },
        });
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, 5 AS v");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.UpdateAsync(path, "v = 500", null));

        Assert.Equal(ErrorCode.DeltaConstraintViolation, error.Code);
        Assert.Equal(["1|5"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Update_of_an_unknown_column_names_it()
    {
        string path = await PartitionedTableAsync();

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.UpdateAsync(path, "nope = 1", null));

        Assert.Equal(ErrorCode.DeltaInvalidWriteArgument, error.Code);
        Assert.Contains("'nope', which is not a column of the table", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Merge_updates_matched_inserts_unmatched_and_deletes_unmatched_by_source()
    {
        string path = await PartitionedTableAsync();

        DeltaOperationResult result = await _f.Writer.MergeAsync(path, new DeltaMergeOptions(
            "SELECT * FROM (VALUES (1, 'a', 111), (4, 'b', 444), (9, 'b', 999)) s(id, p, v)", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
            WhenNotMatchedBySourceDelete = true,
        });

        Assert.Equal(["1|a|111", "4|b|444", "9|b|999"], await _f.ReadAsync(path));
        Assert.Equal("1", result.Metrics["numTargetRowsInserted"]);
        Assert.Equal("2", result.Metrics["numTargetRowsUpdated"]);
        Assert.Equal("4", result.Metrics["numTargetRowsDeleted"]);
    }

    [Fact]
    public async Task Merge_with_matched_delete_rewrites_only_touched_files()
    {
        string path = await PartitionedTableAsync();

        DeltaOperationResult result = await _f.Writer.MergeAsync(path, new DeltaMergeOptions("SELECT 5 AS id", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Delete,
        });

        Assert.Equal(1, result.FilesRemoved);
        Assert.Equal(["0|a|0", "1|a|10", "2|a|20", "3|b|30", "4|b|40"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Merge_reads_and_rewrites_only_the_files_whose_key_statistics_overlap_the_source_keys()
    {
        string path = _f.TablePath();
        for (int c = 0; c < 4; c++)
        {
            await _f.Writer.WriteAsync(path, $"SELECT i AS id, i * 10 AS v FROM range({c * 100}, {(c + 1) * 100}) t(i)");
        }

        DeltaOperationResult result = await _f.Writer.MergeAsync(path, new DeltaMergeOptions("SELECT * FROM (VALUES (150, -1), (160, -2), (1000, 7)) s(id, v)", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
        });

        Assert.Equal(1, result.FilesRemoved);
        Assert.Equal(("1", "2", "98"), (result.Metrics["numTargetRowsInserted"], result.Metrics["numTargetRowsUpdated"], result.Metrics["numTargetRowsCopied"]));
        List<string> rows = await _f.ReadAsync(path);
        Assert.Equal(401, rows.Count);
        Assert.Contains("150|-1", rows);
        Assert.Contains("160|-2", rows);
        Assert.Contains("1000|7", rows);
        Assert.Contains("399|3990", rows);
    }

    [Fact]
    public async Task Merge_with_delete_when_deletes_matched_rows_whose_source_row_matches_and_never_inserts_them()
    {
        string path = await PartitionedTableAsync();

        DeltaOperationResult result = await _f.Writer.MergeAsync(path, new DeltaMergeOptions(
            "SELECT * FROM (VALUES (1, 'a', 111, 'u'), (2, 'a', 0, 'd'), (8, 'b', 0, 'd'), (9, 'b', 999, 'u')) s(id, p, v, op)", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
            DeleteWhen = "op = 'd'",
        });

        Assert.Equal(["0|a|0", "1|a|111", "3|b|30", "4|b|40", "5|b|50", "9|b|999"], await _f.ReadAsync(path));
        Assert.Equal(("1", "1", "1"), (result.Metrics["numTargetRowsInserted"], result.Metrics["numTargetRowsUpdated"], result.Metrics["numTargetRowsDeleted"]));
    }

    [Fact]
    public async Task Merge_insert_only_is_an_upsert_of_new_keys()
    {
        string path = await PartitionedTableAsync();

        DeltaOperationResult result = await _f.Writer.MergeAsync(path, new DeltaMergeOptions("SELECT * FROM (VALUES (0, 'a', -1), (7, 'a', 70)) s(id, p, v)", "target.id = source.id")
        {
            WhenNotMatchedInsert = true,
        });

        Assert.Equal(0, result.FilesRemoved);
        Assert.Equal(["0|a|0", "1|a|10", "2|a|20", "3|b|30", "4|b|40", "5|b|50", "7|a|70"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Merge_updates_every_target_row_a_source_row_matches_and_still_inserts_the_unmatched_source_row()
    {
        string path = await PartitionedTableAsync();

        DeltaOperationResult result = await _f.Writer.MergeAsync(path, new DeltaMergeOptions("SELECT * FROM (VALUES ('a', -1), ('c', 99)) s(p, v)", "target.p = source.p")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
        });

        Assert.Equal(("1", "3"), (result.Metrics["numTargetRowsInserted"], result.Metrics["numTargetRowsUpdated"]));
        Assert.Equal(["0|a|-1", "1|a|-1", "2|a|-1", "3|b|30", "4|b|40", "5|b|50", "∅|c|99"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Merge_whose_every_source_row_matches_rewrites_the_touched_files_and_inserts_nothing()
    {
        string path = await PartitionedTableAsync();

        DeltaOperationResult result = await _f.Writer.MergeAsync(path, new DeltaMergeOptions("SELECT * FROM (VALUES (1, 'a', -1), (4, 'b', -4)) s(id, p, v)", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
        });

        Assert.Equal((2, 2), (result.FilesRemoved, result.FilesAdded));
        Assert.Equal(("0", "2"), (result.Metrics["numTargetRowsInserted"], result.Metrics["numTargetRowsUpdated"]));
        Assert.Equal(["0|a|0", "1|a|-1", "2|a|20", "3|b|30", "4|b|-4", "5|b|50"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Merge_reads_a_source_table_in_place_and_leaves_it_as_it_was()
    {
        string path = await PartitionedTableAsync();
        _f.Query("CREATE TEMP TABLE changes AS SELECT * FROM (VALUES (1, 'a', -1), (9, 'b', 90)) s(id, p, v)");

        DeltaOperationResult result = await _f.Writer.MergeAsync(path, new DeltaMergeOptions("changes", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
            SourceIsTable = true,
        });

        Assert.Equal(("1", "1"), (result.Metrics["numTargetRowsUpdated"], result.Metrics["numTargetRowsInserted"]));
        Assert.Equal(["0|a|0", "1|a|-1", "2|a|20", "3|b|30", "4|b|40", "5|b|50", "9|b|90"], await _f.ReadAsync(path));
        Assert.Equal(["1|a|-1", "9|b|90"], _f.Query("SELECT concat_ws('|', id, p, v) FROM changes ORDER BY id"));
        Assert.Equal(["changes"], _f.Query("SELECT table_name FROM duckdb_tables() WHERE temporary"));
    }

    [Fact]
    public async Task Merge_deleting_unmatched_target_rows_keeps_a_row_matched_by_several_source_rows_once()
    {
        string path = await PartitionedTableAsync();

        DeltaOperationResult result = await _f.Writer.MergeAsync(path, new DeltaMergeOptions("SELECT * FROM (VALUES (1), (1), (4)) s(id)", "target.id = source.id")
        {
            WhenNotMatchedBySourceDelete = true,
        });

        Assert.Equal(("4", "2"), (result.Metrics["numTargetRowsDeleted"], result.Metrics["numTargetRowsCopied"]));
        Assert.Equal(["1|a|10", "4|b|40"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Merge_refuses_several_source_rows_matching_one_target_row()
    {
        string path = await PartitionedTableAsync();

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.MergeAsync(path,
            new DeltaMergeOptions("SELECT * FROM (VALUES (1, 'a', 1), (1, 'a', 2)) s(id, p, v)", "target.id = source.id") { WhenMatched = DeltaMergeMatchedAction.Update }));

        Assert.Equal(ErrorCode.DeltaInvalidWriteArgument, error.Code);
        Assert.Contains("matched by more than one source row", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await _f.SnapshotAsync(path)).Version);
    }

    [Fact]
    public async Task Delete_on_an_append_only_table_is_refused()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id", new DeltaWriteOptions { Properties = new Dictionary<string, string> { ["delta.appendOnly"] = "true" } });

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.DeleteAsync(path, "id = 1"));

        Assert.Equal(ErrorCode.DeltaOperationNotAllowed, error.Code);
        Assert.Contains("append-only", error.Message, StringComparison.Ordinal);
    }
}
