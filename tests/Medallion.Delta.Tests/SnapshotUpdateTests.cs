using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Delta.Snapshots;

namespace Medallion.Delta.Tests;

public sealed class SnapshotUpdateTests
{
    /// <summary>A snapshot's version, live files, application versions and domains, for comparing two ways of reaching one state.</summary>
    internal static string State(Snapshot s) =>
        $"v{s.Version} files=[{string.Join(",", s.Files.Select(f => f.Path).Order(StringComparer.Ordinal))}] "
        + $"txn=[{string.Join(",", s.TransactionVersions.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + p.Value))}] "
        + $"domains=[{string.Join(",", s.DomainMetadata.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value))}]";

    [Fact]
    public async Task Updating_a_snapshot_over_newer_commits_gives_the_state_a_full_load_gives()
    {
        using var t = new TempTable();
        t.WithCommits(3).Commit(3, """{"txn":{"appId":"app","version":4}}""", """{"domainMetadata":{"domain":"d","configuration":"one","removed":false}}""");
        DeltaTable table = t.Open();
        Snapshot old = await table.GetSnapshotAsync();
        t.Commit(4, TempTable.Remove("p=a/f1.parquet"), TempTable.Add("p=a/f9.parquet"), """{"txn":{"appId":"app","version":5}}""")
            .Commit(5, TempTable.Add("p=a/f1.parquet"), TempTable.Remove("p=a/f9.parquet"), """{"domainMetadata":{"domain":"d","configuration":"","removed":true}}""");

        Snapshot updated = await table.UpdateSnapshotAsync(old);

        Assert.Equal(State(await table.GetSnapshotAsync()), State(updated));
        Assert.Equal("v5 files=[p=a/f0.parquet,p=a/f1.parquet,p=a/f2.parquet] txn=[app:5] domains=[]", State(updated));
    }

    [Fact]
    public async Task An_updated_snapshot_carries_the_tombstones_of_both_the_old_state_and_the_new_commits()
    {
        using var t = new TempTable();
        t.WithCommits(2).Commit(2, TempTable.Remove("p=a/f0.parquet"));
        DeltaTable table = t.Open();
        Snapshot old = await table.GetSnapshotAsync();
        t.Commit(3, TempTable.Remove("p=a/f1.parquet"));

        Snapshot updated = await table.UpdateSnapshotAsync(old);

        var tombstones = (await updated.LoadTombstonesAsync(table.Parquet, default)).Select(r => r.Path).Order(StringComparer.Ordinal);
        Assert.Equal(["p=a/f0.parquet", "p=a/f1.parquet"], tombstones);
        Assert.Empty(updated.Files);
    }

    [Fact]
    public async Task Updating_a_snapshot_of_the_newest_version_returns_it_unchanged()
    {
        using var t = new TempTable();
        DeltaTable table = t.WithCommits(2).Open();
        Snapshot old = await table.GetSnapshotAsync();

        Assert.Same(old, await table.UpdateSnapshotAsync(old));
    }

    [Fact]
    public async Task A_newer_commit_that_changes_the_metadata_is_read_by_a_full_load()
    {
        using var t = new TempTable();
        DeltaTable table = t.WithCommits(2).Open();
        Snapshot old = await table.GetSnapshotAsync();
        t.Commit(2, TempTable.Metadata.Replace("\"configuration\":{}", "\"configuration\":{\"delta.appendOnly\":\"true\"}", StringComparison.Ordinal));

        Snapshot updated = await table.UpdateSnapshotAsync(old);

        Assert.Equal("true", updated.Metadata.Configuration["delta.appendOnly"]);
        Assert.Equal(2, updated.Files.Count);
    }

    [Fact]
    public async Task A_table_replaced_under_a_snapshot_is_loaded_again_rather_than_advanced()
    {
        using var t = new TempTable();
        DeltaTable table = t.WithCommits(2).Open();
        Snapshot old = await table.GetSnapshotAsync();
        // Same version numbers, different content: the old snapshot's commit file is no longer the one it was built from.
        Directory.Delete(Path.Combine(t.Path, "_delta_log"), recursive: true);
        Directory.CreateDirectory(Path.Combine(t.Path, "_delta_log"));
        t.Commit(0, TempTable.Protocol1, TempTable.Metadata, TempTable.Add("p=a/g0.parquet"))
            .Commit(1, TempTable.Add("p=a/g1.parquet"), TempTable.Add("p=a/g2.parquet"))
            .Commit(2, TempTable.Add("p=a/g3.parquet"));

        Snapshot updated = await table.UpdateSnapshotAsync(old);

        Assert.Equal(["p=a/g0.parquet", "p=a/g1.parquet", "p=a/g2.parquet", "p=a/g3.parquet"], updated.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Updating_the_snapshot_a_commit_built_of_itself_takes_the_commit_files_listed_time()
    {
        using var t = new TempTable();
        DeltaTable table = t.WithCommits(2).Open();
        var tx = new Medallion.Delta.Transactions.Transaction(table, await table.GetSnapshotAsync());
        tx.SetApplicationTransaction("app", 1);
        Snapshot own = (await tx.CommitAsync("WRITE", new Dictionary<string, string>(), new Dictionary<string, string>())).Snapshot!;

        Snapshot updated = await table.UpdateSnapshotAsync(own);

        Snapshot loaded = await table.GetSnapshotAsync();
        Assert.Equal(State(loaded), State(updated));
        Assert.Equal(loaded.Timestamp, updated.Timestamp);
    }
}
