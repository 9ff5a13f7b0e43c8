using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;

namespace Medallion.Delta.Tests;

/// <summary>Version checksums (<c>_delta_log/n.crc</c>) and the snapshots without files that appends load from them.</summary>
public sealed class VersionChecksumTests : IDisposable
{
    private static readonly Dictionary<string, string> s_none = [];
    private readonly TempTable _table = new();

    public void Dispose() => _table.Dispose();

    /// <summary>What a snapshot without files knows: version, application versions, domains, table properties and file totals.</summary>
    private static string Head(Snapshot s) =>
        $"v{s.Version} txn=[{string.Join(",", s.TransactionVersions.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + p.Value))}] "
        + $"domains=[{string.Join(",", s.DomainMetadata.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value))}] "
        + $"properties=[{string.Join(",", s.Metadata.Configuration.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value))}] "
        + $"totals={s.Totals}";

    private async Task WriteChecksumOfLatestAsync()
    {
        DeltaTable table = _table.Open();
        Assert.True(await table.WriteVersionChecksumAsync(await table.GetSnapshotAsync()));
    }

    private static AddFile NewFile(string path) =>
        new(path, new Dictionary<string, string?> { ["p"] = "a" }, 25, 1, true, """{"numRecords":1}""", new Dictionary<string, string?>(), null, null, null);

    [Fact]
    public async Task A_snapshot_without_files_is_loaded_from_the_newest_checksum_without_reading_the_commits_before_it()
    {
        _table.WithCommits(4).Commit(4, TempTable.Add("p=a/f4.parquet"), """{"txn":{"appId":"app","version":7}}""");
        await WriteChecksumOfLatestAsync();
        for (int v = 0; v <= 4; v++)
        {
            // A load that read any commit would fail on it.
            File.WriteAllText(_table.LogPath(TempTable.CommitName(v)), "not a commit\n");
        }

        Snapshot head = await _table.Open().GetLatestSnapshotWithoutFilesAsync();

        Assert.False(head.HasFiles);
        Assert.Equal("v4 txn=[app:7] domains=[] properties=[] totals=FileTotals { Count = 5, Bytes = 50 }", Head(head));
        Assert.Equal(["id", "p"], head.Schema.Fields.Select(f => f.Name));
    }

    [Fact]
    public async Task The_commits_after_the_newest_checksum_are_applied_to_the_snapshot_without_files()
    {
        _table.WithCommits(2);
        await WriteChecksumOfLatestAsync();
        _table.Commit(2, """{"txn":{"appId":"app","version":5}}""", """{"domainMetadata":{"domain":"d","configuration":"one","removed":false}}""", TempTable.Add("p=a/x.parquet"))
            .Commit(3, TempTable.Metadata.Replace("\"configuration\":{}", "\"configuration\":{\"delta.appendOnly\":\"true\"}", StringComparison.Ordinal),
                """{"remove":{"path":"p=a/f0.parquet","deletionTimestamp":2,"dataChange":true,"size":10}}""", """{"domainMetadata":{"domain":"e","configuration":"two","removed":false}}""")
            .Commit(4, """{"domainMetadata":{"domain":"d","configuration":"","removed":true}}""");
        DeltaTable table = _table.Open();

        Snapshot head = await table.GetLatestSnapshotWithoutFilesAsync();

        Assert.Equal(Head(await table.GetSnapshotAsync()), Head(head));
        Assert.Equal("v4 txn=[app:5] domains=[e=two] properties=[delta.appendOnly=true] totals=FileTotals { Count = 2, Bytes = 20 }", Head(head));
    }

    [Fact]
    public async Task A_remove_without_its_size_leaves_the_file_totals_of_the_snapshot_without_files_unknown()
    {
        _table.WithCommits(2);
        await WriteChecksumOfLatestAsync();
        _table.Commit(2, TempTable.Remove("p=a/f0.parquet"));
        DeltaTable table = _table.Open();

        Snapshot head = await table.GetLatestSnapshotWithoutFilesAsync();

        Assert.Null(head.Totals);
        Assert.False(await table.WriteVersionChecksumAsync(head));
    }

    [Fact]
    public async Task Without_a_checksum_the_load_without_files_reads_the_whole_snapshot()
    {
        _table.WithCommits(3);

        Snapshot snapshot = await _table.Open().GetLatestSnapshotWithoutFilesAsync();

        Assert.True(snapshot.HasFiles);
        Assert.Equal(3, snapshot.Files.Count);
    }

    [Fact]
    public async Task An_unreadable_checksum_is_passed_over_for_the_checkpoint_and_commits()
    {
        _table.WithCommits(3);
        File.WriteAllText(_table.LogPath("00000000000000000002.crc"), "{\"tableSizeBytes\":");

        Snapshot snapshot = await _table.Open().GetLatestSnapshotWithoutFilesAsync();

        Assert.True(snapshot.HasFiles);
        Assert.Equal(2, snapshot.Version);
    }

    [Fact]
    public async Task A_checksum_that_leaves_out_the_application_versions_is_not_loaded_from()
    {
        // Other writers may omit the optional setTransactions: such a checksum cannot say an application version is absent.
        _table.WithCommits(2).Commit(2, """{"txn":{"appId":"app","version":3}}""");
        File.WriteAllText(_table.LogPath("00000000000000000002.crc"),
            "{\"tableSizeBytes\":20,\"numFiles\":2,\"numMetadata\":1,\"numProtocol\":1," + "\"metadata\":" + MetadataObject() + ",\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}");

        Snapshot snapshot = await _table.Open().GetLatestSnapshotWithoutFilesAsync();

        Assert.True(snapshot.HasFiles);
        Assert.Equal(3, snapshot.TransactionVersions["app"]);
    }

    [Fact]
    public async Task A_checksum_records_what_the_protocol_requires_of_its_version()
    {
        _table.WithCommits(3).Commit(3, """{"txn":{"appId":"app","version":2}}""", """{"domainMetadata":{"domain":"d","configuration":"one","removed":false}}""");

        await WriteChecksumOfLatestAsync();

        using JsonDocument crc = JsonDocument.Parse(File.ReadAllBytes(_table.LogPath("00000000000000000003.crc")));
        JsonElement root = crc.RootElement;
        Assert.Equal((30L, 3L, 1, 1), (root.GetProperty("tableSizeBytes").GetInt64(), root.GetProperty("numFiles").GetInt64(), root.GetProperty("numMetadata").GetInt32(), root.GetProperty("numProtocol").GetInt32()));
        Assert.Equal("t", root.GetProperty("metadata").GetProperty("id").GetString());
        Assert.Equal(2, root.GetProperty("protocol").GetProperty("minWriterVersion").GetInt32());
        Assert.Equal("""[{"appId":"app","version":2}]""", root.GetProperty("setTransactions").GetRawText());
        Assert.Equal("""[{"domain":"d","configuration":"one","removed":false}]""", root.GetProperty("domainMetadata").GetRawText());
    }

    [Fact]
    public async Task A_checksum_is_never_overwritten()
    {
        _table.WithCommits(2);
        File.WriteAllText(_table.LogPath("00000000000000000001.crc"), "written first");
        DeltaTable table = _table.Open();

        Assert.False(await table.WriteVersionChecksumAsync(await table.GetSnapshotAsync()));
        Assert.Equal("written first", File.ReadAllText(_table.LogPath("00000000000000000001.crc")));
    }

    [Fact]
    public async Task The_files_of_a_snapshot_without_files_cannot_be_read()
    {
        _table.WithCommits(2);
        await WriteChecksumOfLatestAsync();

        Snapshot head = await _table.Open().GetLatestSnapshotWithoutFilesAsync();

        var error = Assert.Throws<InvalidOperationException>(() => head.Files);
        Assert.Contains("(version 1) was loaded without its file list", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_checksum_alone_does_not_make_a_table()
    {
        Assert.False(DeltaTable.IsVersionFile("_delta_log/00000000000000000000.crc"));
        Assert.True(DeltaTable.IsVersionFile("_delta_log/00000000000000000000.json"));
    }

    [Fact]
    public async Task A_blind_append_to_a_snapshot_without_files_gives_the_next_one_whose_checksum_matches_a_full_load()
    {
        _table.WithCommits(2);
        await WriteChecksumOfLatestAsync();
        DeltaTable table = _table.Open();
        var tx = new Transaction(table, await table.GetLatestSnapshotWithoutFilesAsync());
        tx.Add(NewFile("p=a/new.parquet"));
        tx.SetApplicationTransaction("app", 1);

        CommitResult result = await tx.CommitAsync("WRITE", s_none, s_none, CancellationToken.None);

        Assert.Equal((CommitOutcome.Committed, 2L), (result.Outcome, result.Version));
        Assert.False(result.Snapshot!.HasFiles);
        Assert.True(await table.WriteVersionChecksumAsync(result.Snapshot));
        Snapshot full = await table.GetSnapshotAsync();
        Assert.Equal(Head(full), Head(result.Snapshot));
        Assert.Equal(Head(full), Head(await table.GetLatestSnapshotWithoutFilesAsync()));
    }

    [Fact]
    public async Task Updating_a_snapshot_without_files_over_newer_commits_keeps_it_without_files()
    {
        _table.WithCommits(2);
        await WriteChecksumOfLatestAsync();
        DeltaTable table = _table.Open();
        Snapshot head = await table.GetLatestSnapshotWithoutFilesAsync();
        _table.Commit(2, TempTable.Add("p=a/x.parquet"), """{"txn":{"appId":"app","version":9}}""");

        Snapshot updated = await table.UpdateSnapshotAsync(head);

        Assert.False(updated.HasFiles);
        Assert.Equal(Head(await table.GetSnapshotAsync()), Head(updated));
    }

    [Fact]
    public async Task Expired_checksums_are_cleaned_up_with_the_commits_of_their_versions()
    {
        _table.WithCommits(4);
        File.WriteAllText(_table.LogPath("00000000000000000002.checkpoint.parquet"), "a checkpoint");
        foreach (int version in new[] { 0, 1, 2 })
        {
            File.WriteAllText(_table.LogPath($"{version:D20}.crc"), "{}");
        }

        foreach (string file in Directory.GetFiles(Path.Combine(_table.Path, "_delta_log")))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-60));
        }

        DeltaTable table = _table.Open();
        Metadata metadata = (await table.GetSnapshotAsync(1)).Metadata;

        await Checkpoints.CheckpointWriter.CleanupExpiredLogsAsync(table.Store, metadata, DateTimeOffset.UtcNow);

        Assert.Equal(["00000000000000000002.checkpoint.parquet", "00000000000000000002.crc", "00000000000000000002.json", "00000000000000000003.json"],
            Directory.GetFiles(Path.Combine(_table.Path, "_delta_log")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private static string MetadataObject()
    {
        using JsonDocument line = JsonDocument.Parse(TempTable.Metadata);
        return line.RootElement.GetProperty("metaData").GetRawText();
    }
}
