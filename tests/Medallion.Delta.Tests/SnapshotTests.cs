using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;

namespace Medallion.Delta.Tests;

public sealed class SnapshotTests
{
    [Fact]
    public async Task Snapshot_keeps_a_file_that_was_removed_and_added_again_with_the_newest_add()
    {
        Snapshot s = await Conformance.Open("golden-delete-re-add-same-file-different-transactions").GetSnapshotAsync();

        Assert.Equal(3, s.Version);
        Assert.Equal(["bar", "foo"], s.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700000000000), s.Files.Single(f => f.Path == "foo").ModificationTime);
    }

    [Fact]
    public async Task Snapshot_matches_a_remove_to_its_add_by_the_decoded_path()
    {
        Snapshot s = await Conformance.Open("golden-log-replay-special-characters-a").GetSnapshotAsync();

        Assert.Equal(1, s.Version);
        Assert.Empty(s.Files);
    }

    [Fact]
    public async Task Snapshot_percent_decodes_file_paths_once()
    {
        Snapshot s = await Conformance.Open("golden-log-replay-special-characters-b").GetSnapshotAsync();

        Assert.Equal("special p@#h", Assert.Single(s.Files).Path);
    }

    [Fact]
    public async Task Snapshot_keeps_the_newest_transaction_version_per_application()
    {
        Snapshot s = await Conformance.Open("golden-deltalog-getChanges").GetSnapshotAsync();

        Assert.Equal(3, s.TransactionVersions["fakeAppId"]);
        Assert.False(s.TransactionVersions.ContainsKey("nonExistentAppId"));
        Assert.Empty(s.Files);
    }

    [Fact]
    public async Task Snapshot_takes_the_newest_protocol_and_metadata()
    {
        Snapshot s = await Conformance.Open("golden-log-replay-latest-metadata-protocol").GetSnapshotAsync();

        Assert.Equal(3, s.Protocol.MinReaderVersion);
        Assert.Equal(2, s.Version);
    }

    [Fact]
    public async Task Snapshot_at_a_version_ignores_later_commits()
    {
        Snapshot s = await Conformance.Open("golden-delete-re-add-same-file-different-transactions").GetSnapshotAsync(1);

        Assert.Equal(1, s.Version);
        Assert.Empty(s.Files);
    }

    [Fact]
    public async Task Snapshot_counts_records_from_stats_minus_deleted_rows()
    {
        Snapshot s = await Conformance.Open("spark-table-with-dv-small").GetSnapshotAsync(1);

        Assert.Equal(8, s.RecordCount);
    }

    [Fact]
    public async Task Snapshot_fails_naming_the_missing_commit_file_when_the_log_has_a_gap()
    {
        DeltaTable table = Conformance.Open("golden-versions-not-contiguous");

        var e = await Assert.ThrowsAsync<MedallionException>(() => table.GetSnapshotAsync());

        Assert.Equal(ErrorCode.DeltaLogGap, e.Code);
        Assert.Equal(
            $"The log of the Delta table at '{table.Location}' has a gap: commit file '_delta_log/00000000000000000001.json' is missing (needed for version 2).\nHelp: the table was damaged or is being copied; restore the missing file, or read a version before 1.",
            e.Message);
    }

    [Fact]
    public async Task Snapshot_refuses_a_reader_version_newer_than_three()
    {
        DeltaTable table = Conformance.Open("golden-deltalog-invalid-protocol-version");

        var e = await Assert.ThrowsAsync<MedallionException>(() => table.GetSnapshotAsync());

        Assert.Equal(ErrorCode.DeltaUnsupportedReaderFeature, e.Code);
        Assert.StartsWith($"The Delta table at '{table.Location}' needs reader protocol version 99; this reader supports versions 1 to 3.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snapshot_refuses_an_unknown_reader_feature_naming_it_and_the_table()
    {
        using var t = new TempTable();
        t.Commit(0, """{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors","quantumSharding"],"writerFeatures":[]}}""", TempTable.Metadata);

        var e = await Assert.ThrowsAsync<MedallionException>(() => t.Open().GetSnapshotAsync());

        Assert.Equal(ErrorCode.DeltaUnsupportedReaderFeature, e.Code);
        Assert.Equal(
            $"The Delta table at '{t.Path}' uses the reader feature 'quantumSharding', which this reader does not support (supported: columnMapping, deletionVectors, timestampNtz, typeWidening, typeWidening-preview, v2Checkpoint, vacuumProtocolCheck).\nHelp: upgrade Medallion, or read the table with a client that supports 'quantumSharding'.",
            e.Message);
    }

    [Theory]
    [InlineData("golden-deltalog-state-reconstruction-without-protocol", "protocol")]
    [InlineData("golden-deltalog-state-reconstruction-without-metadata", "metaData")]
    public async Task Snapshot_fails_when_the_log_has_no_protocol_or_no_metadata(string caseName, string missing)
    {
        DeltaTable table = Conformance.Open(caseName);

        var e = await Assert.ThrowsAsync<MedallionException>(() => table.GetSnapshotAsync());

        Assert.Equal(ErrorCode.DeltaMissingProtocolOrMetadata, e.Code);
        Assert.Contains($"found no '{missing}' action", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snapshot_of_a_directory_without_a_delta_log_reports_table_not_found()
    {
        DeltaTable table = Conformance.Open("golden-no-delta-log-folder");

        var e = await Assert.ThrowsAsync<MedallionException>(() => table.GetSnapshotAsync());

        Assert.Equal(ErrorCode.DeltaTableNotFound, e.Code);
        Assert.Equal($"No Delta table at '{table.Location}': '_delta_log' has no commit files.\nHelp: check the path; a Delta table has a '_delta_log' folder with files such as 00000000000000000000.json.", e.Message);
    }

    [Fact]
    public async Task Snapshot_fails_naming_the_file_and_line_of_a_corrupt_commit()
    {
        using var t = new TempTable();
        t.WithCommits(2).Commit(2, TempTable.Add("p=a/x.parquet"), "{\"add\": {\"path\": ");

        var e = await Assert.ThrowsAsync<MedallionException>(() => t.Open().GetSnapshotAsync());

        Assert.Equal(ErrorCode.DeltaCorruptLogFile, e.Code);
        Assert.StartsWith($"Log file '_delta_log/00000000000000000002.json' of the Delta table at '{t.Path}' is corrupt at line 2:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snapshot_ignores_unknown_actions_and_unknown_fields()
    {
        using var t = new TempTable();
        t.Commit(0, TempTable.Protocol1, TempTable.Metadata, """{"add":{"path":"p=a/f.parquet","partitionValues":{"p":"a"},"size":1,"modificationTime":1,"dataChange":true,"futureField":{"x":1}}}""", """{"hologram":{"beam":true}}""");

        Snapshot s = await t.Open().GetSnapshotAsync();

        Assert.Equal("p=a/f.parquet", Assert.Single(s.Files).Path);
    }

    [Fact]
    public async Task Snapshot_at_a_version_after_the_newest_fails_naming_the_newest()
    {
        using var t = new TempTable();
        t.WithCommits(3);

        var e = await Assert.ThrowsAsync<MedallionException>(() => t.Open().GetSnapshotAsync(7));

        Assert.Equal(ErrorCode.DeltaVersionNotFound, e.Code);
        Assert.Equal($"Version 7 of the Delta table at '{t.Path}' does not exist; the newest version is 2.", e.Message);
    }

    [Fact]
    public async Task Snapshot_of_a_version_whose_commits_were_cleaned_up_fails_with_version_not_found()
    {
        using var t = new TempTable();
        t.WithCommits(4);
        File.Delete(t.LogPath(TempTable.CommitName(0)));
        File.Delete(t.LogPath(TempTable.CommitName(1)));

        var e = await Assert.ThrowsAsync<MedallionException>(() => t.Open().GetSnapshotAsync(3));

        Assert.Equal(ErrorCode.DeltaVersionNotFound, e.Code);
        Assert.StartsWith($"Version 3 of the Delta table at '{t.Path}' cannot be reconstructed: the log starts at version 2 and has no checkpoint at or before version 3.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snapshot_falls_back_to_listing_when_last_checkpoint_is_corrupt()
    {
        using var t = new TempTable();
        t.WithCommits(3);
        File.WriteAllText(t.LogPath("_last_checkpoint"), "{not json");

        Snapshot s = await t.Open().GetSnapshotAsync();

        Assert.Equal(2, s.Version);
        Assert.Equal(3, s.Files.Count);
    }

    [Fact]
    public async Task Snapshot_ignores_a_multi_part_checkpoint_with_a_missing_part()
    {
        using var t = new TempTable();
        t.WithCommits(3);
        File.WriteAllText(t.LogPath("00000000000000000002.checkpoint.0000000001.0000000002.parquet"), "x");
        var parquet = new FakeParquetHandler();

        Snapshot s = await t.Open(parquet).GetSnapshotAsync();

        Assert.Equal(3, s.Files.Count);
        Assert.Empty(parquet.ReadKeys);
    }

    [Fact]
    public async Task Snapshot_with_a_parquet_checkpoint_and_no_parquet_reader_fails_naming_the_checkpoint()
    {
        DeltaTable table = Conformance.Open("golden-checkpoint");

        var e = await Assert.ThrowsAsync<MedallionException>(() => table.GetSnapshotAsync());

        Assert.Equal(ErrorCode.DeltaParquetReaderMissing, e.Code);
        Assert.Equal($"Reading the Delta table at '{table.Location}' needs the Parquet checkpoint '_delta_log/00000000000000000010.checkpoint.parquet', but no Parquet reader was configured.\nHelp: open the table through the engine, which provides one.", e.Message);
    }

    [Fact]
    public async Task Snapshot_load_with_a_cancelled_token_throws_operation_cancelled()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Conformance.Open("drs-simple_table").GetSnapshotAsync(null, cts.Token));
    }

    [Fact]
    public async Task Snapshot_exposes_typed_partition_values_by_logical_name_under_column_mapping()
    {
        Snapshot s = await Conformance.Open("golden-data-reader-timestamp_ntz-name-mode").GetSnapshotAsync();

        Assert.Contains(s.Files, f => f.PartitionValues["tsNtzPartition"] is DateTime { Kind: DateTimeKind.Unspecified } d && d == new DateTime(2021, 11, 18, 2, 30, 0, 123).AddTicks(4560));
        Assert.Contains(s.Files, f => f.PartitionValues["tsNtzPartition"] is null);
    }
}
