namespace Medallion.Engine.Tests.Writing;

public sealed class MaintenanceTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    private async Task<string> SmallFilesAsync(int count)
    {
        string path = _f.TablePath();
        for (int i = 0; i < count; i++)
        {
            await _f.Writer.WriteAsync(path, $"SELECT {i} AS id, 'p{i % 2}' AS p", new DeltaWriteOptions { PartitionBy = ["p"] });
        }

        return path;
    }

    [Fact]
    public async Task Forgetting_history_before_a_version_keeps_it_readable_from_its_checkpoint_and_removes_the_older_log_and_change_data()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, v long")
        {
            Properties = new Dictionary<string, string> { ["delta.enableChangeDataFeed"] = "true" },
        });
        await _f.Writer.WriteAsync(path, "SELECT i AS id, i AS v FROM range(4) t(i)");
        await _f.Writer.UpdateAsync(path, "v = v + 100", "id = 1");
        DeltaOperationResult kept = await _f.Writer.WriteAsync(path, "SELECT 9 AS id, 9 AS v");
        string[] changeData = Directory.GetFiles(Path.Combine(path, "_change_data"), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(changeData);

        await _f.Writer.ForgetHistoryBeforeAsync(path, kept.Version);

        Assert.Equal(["0|0", "1|101", "2|2", "3|3", "9|9"], await _f.ReadAsync(path));
        Assert.Equal(kept.Version, (await _f.SnapshotAsync(path, kept.Version)).Version);
        MedallionException gone = await Assert.ThrowsAsync<MedallionException>(() => _f.SnapshotAsync(path, 0));
        Assert.Equal(ErrorCode.DeltaVersionNotFound, gone.Code);
        Assert.Contains($"the log starts at version {kept.Version}", gone.Message, StringComparison.Ordinal);
        Assert.All(changeData, f => Assert.False(File.Exists(f), f));
        Assert.Equal([kept.Version], Directory.GetFiles(Path.Combine(path, "_delta_log"), "*.json").Select(f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Optimize_packs_small_files_per_partition_without_changing_rows()
    {
        string path = await SmallFilesAsync(6);
        List<string> before = await _f.ReadAsync(path);

        DeltaOperationResult result = await _f.Writer.OptimizeAsync(path);

        Assert.Equal(6, result.FilesRemoved);
        Assert.Equal(2, result.FilesAdded);
        Assert.Equal(before, await _f.ReadAsync(path));
        Assert.Equal(2, (await _f.SnapshotAsync(path)).Files.Count);
        string[] lines = _f.LogLines(path, result.Version);
        Assert.All(lines.Where(l => l.StartsWith("{\"add\"", StringComparison.Ordinal) || l.StartsWith("{\"remove\"", StringComparison.Ordinal)),
            l => Assert.Contains("\"dataChange\":false", l, StringComparison.Ordinal));
    }

    private async Task<string> AutoCompactedTableAsync(string autoCompact, int appends)
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, p string")
        {
            PartitionBy = ["p"],
            Properties = new Dictionary<string, string> { [DeltaWriter.AutoCompactProperty] = autoCompact },
        });
        for (int i = 0; i < appends; i++)
        {
            await _f.Writer.WriteAsync(path, $"SELECT {i} AS id, 'p' AS p");
        }

        return path;
    }

    [Fact]
    public async Task Maintenance_compacts_a_table_of_sixty_small_appends_that_opted_in_without_changing_rows()
    {
        string path = await AutoCompactedTableAsync("true", 60);
        List<string> before = await _f.ReadAsync(path);

        TableMaintenance done = await _f.Writer.MaintainAsync(path);

        Assert.Equal(60, done.FilesCompacted);
        Assert.Single((await _f.SnapshotAsync(path)).Files);
        Assert.Equal(before, await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Maintenance_leaves_a_table_under_fifty_small_files_alone()
    {
        string path = await AutoCompactedTableAsync("true", 49);

        TableMaintenance done = await _f.Writer.MaintainAsync(path);

        Assert.Equal(0, done.FilesCompacted);
        Assert.Equal(49, (await _f.SnapshotAsync(path)).Files.Count);
    }

    [Fact]
    public async Task Maintenance_does_not_compact_a_table_whose_auto_compaction_is_off()
    {
        string path = await AutoCompactedTableAsync("false", 60);

        await _f.Writer.MaintainAsync(path);

        Assert.Equal(60, (await _f.SnapshotAsync(path)).Files.Count);
    }

    [Fact]
    public async Task Optimize_zorder_by_two_columns_writes_rows_along_the_morton_curve_of_their_ranks()
    {
        string path = _f.TablePath();
        // Values far apart and of different types: the curve follows their ranks (0..7), not their magnitudes.
        await _f.Writer.WriteAsync(path, "SELECT x * 1000 AS x, 'k' || y AS y FROM range(8) a(x), range(8) b(y) ORDER BY random()");

        DeltaOperationResult result = await _f.Writer.OptimizeAsync(path, ["x", "y"]);

        Assert.True(result.Committed);
        string file = Path.Combine(path, Assert.Single((await _f.SnapshotAsync(path)).Files).Path);
        List<string> physical = _f.Query($"SELECT lpad(file_row_number::VARCHAR, 3, '0') || '|' || (x // 1000) || '|' || y[2:] FROM read_parquet('{file}', file_row_number = true)");
        var expected = new List<string>();
        for (int z = 0; z < 64; z++)
        {
            // De-interleave: x takes the odd bits of the key, y the even ones.
            int x = ((z >> 1) & 1) | (((z >> 3) & 1) << 1) | (((z >> 5) & 1) << 2);
            int y = (z & 1) | (((z >> 2) & 1) << 1) | (((z >> 4) & 1) << 2);
            expected.Add($"{z:D3}|{x}|{y}");
        }

        Assert.Equal(expected, physical);
        Assert.Contains("\"zOrderBy\":\"[\\\"x\\\",\\\"y\\\"]\"", _f.LogLines(path, result.Version)[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Vacuum_refuses_a_retention_below_the_tables_unless_forced_and_dry_run_deletes_nothing()
    {
        string path = await SmallFilesAsync(2);
        await _f.Writer.WriteAsync(path, "SELECT 9 AS id, 'p0' AS p", new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite });

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.VacuumAsync(path, TimeSpan.Zero));
        Assert.Equal(ErrorCode.DeltaRetentionTooShort, error.Code);

        DeltaOperationResult dry = await _f.Writer.VacuumAsync(path, TimeSpan.Zero, dryRun: true, force: true);
        Assert.Equal(2, dry.Paths.Count);
        Assert.All(dry.Paths, p => Assert.True(File.Exists(Path.Combine(path, p))));

        DeltaOperationResult real = await _f.Writer.VacuumAsync(path, TimeSpan.Zero, force: true);
        Assert.Equal(2, real.FilesRemoved);
        Assert.All(real.Paths, p => Assert.False(File.Exists(Path.Combine(path, p))));
        Assert.Equal(["9|p0"], await _f.ReadAsync(path));
    }

    [Fact]
    public async Task Vacuum_keeps_files_within_the_retention()
    {
        string path = await SmallFilesAsync(1);
        await _f.Writer.DeleteAsync(path, null);

        DeltaOperationResult result = await _f.Writer.VacuumAsync(path);

        Assert.Empty(result.Paths);
    }

    [Fact]
    public async Task Vacuum_removes_a_commit_temp_file_a_killed_writer_left_in_the_log_once_it_is_past_the_retention()
    {
        string path = await SmallFilesAsync(1);
        string abandoned = Path.Combine(path, "_delta_log", ".00000000000000000001.json.0123456789abcdef.medallion-tmp");
        string fresh = Path.Combine(path, "_delta_log", ".00000000000000000001.json.fedcba9876543210.medallion-tmp");
        await File.WriteAllTextAsync(abandoned, "{\"commitInfo\":{\"timest");
        await File.WriteAllTextAsync(fresh, "{\"commitInfo\":{\"timest");
        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddDays(-8));

        DeltaOperationResult result = await _f.Writer.VacuumAsync(path);

        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(fresh));
        Assert.Equal("1", result.Metrics["numAbortedUploads"]);
    }

    [Fact]
    public async Task Vacuum_with_a_forced_zero_retention_leaves_a_temp_file_younger_than_an_hour_to_its_writer()
    {
        string path = await SmallFilesAsync(1);
        string writing = Path.Combine(path, "_delta_log", ".00000000000000000001.json.0123456789abcdef.medallion-tmp");
        await File.WriteAllTextAsync(writing, "{\"commitInfo\":{\"timest");
        File.SetLastWriteTimeUtc(writing, DateTime.UtcNow.AddMinutes(-30));

        await _f.Writer.VacuumAsync(path, TimeSpan.Zero, force: true);

        Assert.True(File.Exists(writing));
    }

    [Fact]
    public async Task Maintenance_vacuums_per_each_tables_own_file_retention()
    {
        string past = await SmallFilesAsync(1);
        string within = _f.TablePath("within");
        await _f.Writer.CreateTableAsync(within, new DeltaTableDefinition("id int, p varchar")
        {
            Properties = new Dictionary<string, string> { ["delta.deletedFileRetentionDuration"] = "interval 30 days" },
        });
        await _f.Writer.WriteAsync(within, "SELECT 0 AS id, 'p0' AS p");
        string[] pastFiles = DataFiles(past), withinFiles = DataFiles(within);
        foreach (string path in new[] { past, within })
        {
            await _f.Writer.WriteAsync(path, "SELECT 9 AS id, 'p0' AS p", new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite });
        }

        foreach (string file in pastFiles.Concat(withinFiles))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-8));
        }

        TableMaintenance vacuumed = await _f.Writer.MaintainAsync(past);
        TableMaintenance kept = await _f.Writer.MaintainAsync(within);

        Assert.Equal(pastFiles.Length, vacuumed.DataFilesDeleted);
        Assert.All(pastFiles, f => Assert.False(File.Exists(f), f));
        Assert.Equal(0, kept.DataFilesDeleted);
        Assert.All(withinFiles, f => Assert.True(File.Exists(f), f));
        Assert.Equal(["9|p0"], await _f.ReadAsync(past));
    }

    [Fact]
    public async Task Maintenance_writes_the_checkpoint_a_writer_failed_to_write_and_then_removes_the_expired_log()
    {
        string path = await SmallFilesAsync(11);
        string log = Path.Combine(path, "_delta_log");
        File.Delete(Path.Combine(log, "00000000000000000010.checkpoint.parquet"));
        File.Delete(Path.Combine(log, "_last_checkpoint"));
        foreach (string commit in Directory.GetFiles(log, "*.json"))
        {
            File.SetLastWriteTimeUtc(commit, DateTime.UtcNow.AddDays(-31));
        }

        TableMaintenance done = await _f.Writer.MaintainAsync(path);

        Assert.Equal(10L, done.CheckpointVersion);
        Assert.Equal(10, done.LogFilesDeleted);
        Assert.True(File.Exists(Path.Combine(log, "00000000000000000010.checkpoint.parquet")));
        Assert.Equal(11, (await _f.ReadAsync(path)).Count);
        Assert.True((await _f.Writer.MaintainAsync(path)).Idle);
    }

    private static string[] DataFiles(string table) =>
        Directory.GetFiles(table, "*.parquet", SearchOption.AllDirectories).Where(f => !f.Contains("_delta_log", StringComparison.Ordinal)).ToArray();

    [Fact]
    public async Task Restore_brings_back_an_old_version_as_a_new_commit()
    {
        string path = await SmallFilesAsync(2);
        await _f.Writer.DeleteAsync(path, "id = 0");
        await _f.Writer.WriteAsync(path, "SELECT 5 AS id, 'p1' AS p");

        DeltaOperationResult result = await _f.Writer.RestoreAsync(path, version: 1);

        Assert.Equal(4, result.Version);
        Assert.Equal(await _f.ReadAsync(path, version: 1), await _f.ReadAsync(path));
        Assert.Equal("RESTORE", (await _f.SnapshotAsync(path)).CommitInfo!.Operation);
    }

    [Fact]
    public async Task Restore_to_a_vacuumed_version_is_refused()
    {
        string path = await SmallFilesAsync(1);
        await _f.Writer.WriteAsync(path, "SELECT 9 AS id, 'p0' AS p", new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite });
        await _f.Writer.VacuumAsync(path, TimeSpan.Zero, force: true);

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.RestoreAsync(path, version: 0));

        Assert.Equal(ErrorCode.DeltaOperationNotAllowed, error.Code);
        Assert.Contains("deleted by VACUUM", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adding_a_constraint_checks_existing_rows_and_raises_the_protocol()
    {
        string path = await SmallFilesAsync(2);

        var error = await Assert.ThrowsAsync<MedallionException>(() => _f.Writer.SetPropertiesAsync(path, new Dictionary<string, string> { ["delta.constraints.pos"] = "id > 0" }));
        Assert.Equal(ErrorCode.DeltaConstraintViolation, error.Code);

        await _f.Writer.SetPropertiesAsync(path, new Dictionary<string, string> { ["delta.constraints.small"] = "id < 100", ["delta.enableChangeDataFeed"] = "true" });
        var s = await _f.SnapshotAsync(path);
        Assert.Equal(4, s.Protocol.MinWriterVersion);
        Assert.Equal("id < 100", s.Metadata.Configuration["delta.constraints.small"]);

        await _f.Writer.SetPropertiesAsync(path, new Dictionary<string, string>(), ["delta.constraints.small"]);
        Assert.False((await _f.SnapshotAsync(path)).Metadata.Configuration.ContainsKey("delta.constraints.small"));
    }

    [Fact]
    public async Task Explicit_checkpoint_is_written_for_the_newest_version()
    {
        string path = await SmallFilesAsync(3);

        DeltaOperationResult result = await _f.Writer.CheckpointAsync(path);

        Assert.Equal(2, result.CheckpointVersion);
        Assert.True(File.Exists(Path.Combine(path, "_delta_log", "00000000000000000002.checkpoint.parquet")));
        Assert.Equal(3, (await _f.ReadAsync(path)).Count);
    }
}
