using System.Text.Json;
using Medallion.Delta.Actions;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;

namespace Medallion.Delta.Tests.Transactions;

public sealed class TransactionTests : IDisposable
{
    private static readonly Dictionary<string, string> s_none = [];
    private readonly TempTable _table = new();

    public void Dispose() => _table.Dispose();

    private static AddFile NewFile(string path, string partition = "a") =>
        new(path, new Dictionary<string, string?> { ["p"] = partition }, 10, 1, true, """{"numRecords":1}""", new Dictionary<string, string?>(), null, null, null);

    private async Task<Snapshot> LatestAsync() => await _table.Open().GetSnapshotAsync();

    /// <summary>A caller's commit policy (as the engine's writer has): while another writer took the version, rebase and try again.</summary>
    private static async Task<CommitResult> CommitRebasingAsync(Transaction tx, string operation)
    {
        CommitResult result = await tx.CommitAsync(operation, s_none, s_none, CancellationToken.None);
        while (result.Outcome == CommitOutcome.Conflicted)
        {
            await tx.RebaseAsync(CancellationToken.None);
            result = await tx.CommitAsync(operation, s_none, s_none, CancellationToken.None);
        }

        return result;
    }

    /// <summary>Two blind appends that read the same version, committed one after the other: the second goes after the first.</summary>
    private async Task<(CommitResult First, CommitResult Second)> TwoAppendsFromOneVersionAsync()
    {
        _table.WithCommits(1);
        Snapshot read = await LatestAsync();
        var first = new Transaction(_table.Open(), read);
        first.Add(NewFile("p=a/x.parquet"));
        var second = new Transaction(_table.Open(), read);
        second.Add(NewFile("p=a/y.parquet"));
        CommitResult a = await CommitRebasingAsync(first, "WRITE");
        return (a, await CommitRebasingAsync(second, "WRITE"));
    }

    [Fact]
    public async Task Concurrent_blind_appends_both_commit_one_after_the_other()
    {
        (CommitResult a, CommitResult b) = await TwoAppendsFromOneVersionAsync();

        Assert.Equal(1, a.Version);
        Assert.Equal(2, b.Version);
        Assert.Equal(2, b.Attempts);
        Assert.Equal(3, (await LatestAsync()).Files.Count);
    }

    [Fact]
    public async Task A_commit_that_lost_its_version_returns_conflicted_and_commits_after_a_rebase()
    {
        _table.WithCommits(1);
        Snapshot read = await LatestAsync();
        var first = new Transaction(_table.Open(), read);
        first.Add(NewFile("p=a/x.parquet"));
        var second = new Transaction(_table.Open(), read);
        second.Add(NewFile("p=a/y.parquet"));
        await CommitRebasingAsync(first, "WRITE");

        CommitResult lost = await second.CommitAsync("WRITE", s_none, s_none, CancellationToken.None);

        Assert.Equal((CommitOutcome.Conflicted, 1L, 1), (lost.Outcome, lost.Version, lost.Attempts));
        Assert.Equal(2, (await LatestAsync()).Files.Count);
        await Assert.ThrowsAsync<InvalidOperationException>(() => second.CommitAsync("WRITE", s_none, s_none, CancellationToken.None));
        Assert.True(await second.RebaseAsync(CancellationToken.None));
        Assert.Equal(2, second.NextVersion);
        CommitResult committed = await second.CommitAsync("WRITE", s_none, s_none, CancellationToken.None);
        Assert.Equal((CommitOutcome.Committed, 2L, 2), (committed.Outcome, committed.Version, committed.Attempts));
    }

    [Fact]
    public async Task A_transient_failure_of_the_committer_is_returned_as_retryable_and_leaves_the_table_unchanged()
    {
        _table.WithCommits(1);
        var failure = new MedallionException(ErrorCode.StorageIoFailed, "the store did not answer", isTransient: true);
        var failing = new Transaction(new DeltaTable(_table.Open().Store) { Committer = new FailingCommitter(failure) }, await LatestAsync());
        failing.Add(NewFile("p=a/x.parquet"));

        CommitResult result = await failing.CommitAsync("WRITE", s_none, s_none, CancellationToken.None);

        Assert.Equal((CommitOutcome.Retryable, 1L), (result.Outcome, result.Version));
        Assert.Same(failure, result.Error);
        Assert.Equal(0, (await LatestAsync()).Version);
    }

    /// <summary>A committer whose every request fails, as a store that is down does.</summary>
    private sealed class FailingCommitter(MedallionException failure) : ICommitter
    {
        public Task<CommitResponse> CommitAsync(DeltaTable table, long version, ReadOnlyMemory<byte> actions, CancellationToken cancellationToken) =>
            Task.FromException<CommitResponse>(failure);
    }

    [Fact]
    public async Task Commit_fails_with_conflict_when_a_concurrent_writer_removed_the_same_file()
    {
        _table.WithCommits(1);
        Snapshot read = await LatestAsync();
        ScanFile file = read.Files[0];
        var winner = new Transaction(_table.Open(), read);
        winner.Remove(file);
        var loser = new Transaction(_table.Open(), read);
        loser.Remove(file);
        await CommitRebasingAsync(winner, "DELETE");

        var error = await Assert.ThrowsAsync<MedallionException>(() => CommitRebasingAsync(loser, "UPDATE"));

        Assert.Equal(ErrorCode.DeltaConcurrentModification, error.Code);
        Assert.True(error.IsTransient);
        Assert.Contains("conflicts with version 1 (DELETE)", error.Message, StringComparison.Ordinal);
        Assert.Contains("it removed file 'p=a/f0.parquet', which this UPDATE also removes", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await LatestAsync()).Version);
    }

    [Fact]
    public async Task Commit_fails_when_a_concurrent_non_blind_write_added_files_in_a_partition_it_read()
    {
        _table.WithCommits(1);
        Snapshot read = await LatestAsync();
        var winner = new Transaction(_table.Open(), read);
        winner.Remove(read.Files[0]);
        winner.Add(NewFile("p=a/rewritten.parquet"));
        var loser = new Transaction(_table.Open(), read);
        loser.Reads.AddPredicate(ScanPredicate.Equal("p", "a"));
        loser.Add(NewFile("p=a/z.parquet"));
        await CommitRebasingAsync(winner, "UPDATE");

        var error = await Assert.ThrowsAsync<MedallionException>(() => CommitRebasingAsync(loser, "MERGE"));

        Assert.Equal(ErrorCode.DeltaConcurrentModification, error.Code);
        Assert.Contains("conflicts with version 1 (UPDATE)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_another_partition_does_not_conflict_with_a_concurrent_change()
    {
        _table.WithCommits(1);
        Snapshot read = await LatestAsync();
        var winner = new Transaction(_table.Open(), read);
        winner.Remove(read.Files[0]);
        winner.Add(NewFile("p=a/rewritten.parquet"));
        var other = new Transaction(_table.Open(), read);
        other.Reads.AddPredicate(ScanPredicate.Equal("p", "b"));
        other.Add(NewFile("p=b/new.parquet", "b"));
        await CommitRebasingAsync(winner, "UPDATE");

        CommitResult result = await CommitRebasingAsync(other, "MERGE");

        Assert.Equal(2, result.Version);
    }

    [Theory]
    [InlineData(DeltaIsolationLevel.WriteSerializable, true)]
    [InlineData(DeltaIsolationLevel.Serializable, false)]
    public async Task Concurrent_blind_append_conflicts_with_a_read_only_under_serializable(DeltaIsolationLevel isolation, bool commits)
    {
        _table.WithCommits(1);
        Snapshot read = await LatestAsync();
        var append = new Transaction(_table.Open(), read);
        append.Add(NewFile("p=a/appended.parquet"));
        var reader = new Transaction(_table.Open(), read, isolation);
        reader.Reads.AddWholeTable();
        reader.Add(NewFile("p=a/derived.parquet"));
        await CommitRebasingAsync(append, "WRITE");

        if (commits)
        {
            Assert.Equal(2, (await CommitRebasingAsync(reader, "MERGE")).Version);
        }
        else
        {
            var error = await Assert.ThrowsAsync<MedallionException>(() => CommitRebasingAsync(reader, "MERGE"));
            Assert.Contains("it added file 'p=a/appended.parquet'", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_writer_that_lost_to_its_own_application_version_does_nothing()
    {
        _table.WithCommits(1);
        Snapshot read = await LatestAsync();
        var first = new Transaction(_table.Open(), read);
        first.SetApplicationTransaction("loader", 5);
        first.Add(NewFile("p=a/x.parquet"));
        var retry = new Transaction(_table.Open(), read);
        retry.SetApplicationTransaction("loader", 5);
        retry.Add(NewFile("p=a/x2.parquet"));
        await CommitRebasingAsync(first, "WRITE");

        CommitResult result = await CommitRebasingAsync(retry, "WRITE");

        Assert.False(result.Committed);
        Assert.Equal(1, result.Version);
        Assert.Equal(2, (await LatestAsync()).Files.Count);
    }

    [Fact]
    public async Task A_commit_records_one_txn_action_per_application_id()
    {
        _table.WithCommits(1);
        var tx = new Transaction(_table.Open(), await LatestAsync());
        tx.SetApplicationTransaction("kafka:p0", 10);
        tx.SetApplicationTransaction("kafka:p1", 4);
        tx.SetApplicationTransaction("kafka:p0", 12);
        tx.Add(NewFile("p=a/x.parquet"));

        await CommitRebasingAsync(tx, "WRITE");

        Snapshot after = await LatestAsync();
        Assert.Equal(12, after.TransactionVersions["kafka:p0"]);
        Assert.Equal(4, after.TransactionVersions["kafka:p1"]);
    }

    [Fact]
    public async Task A_concurrent_commit_that_advanced_only_some_of_the_application_ids_conflicts_naming_the_id()
    {
        _table.WithCommits(1);
        Snapshot read = await LatestAsync();
        var winner = new Transaction(_table.Open(), read);
        winner.SetApplicationTransaction("kafka:p0", 7);
        winner.Add(NewFile("p=a/x.parquet"));
        var loser = new Transaction(_table.Open(), read);
        loser.SetApplicationTransaction("kafka:p0", 9);
        loser.SetApplicationTransaction("kafka:p1", 3);
        loser.Add(NewFile("p=a/y.parquet"));
        await CommitRebasingAsync(winner, "WRITE");

        var error = await Assert.ThrowsAsync<MedallionException>(() => CommitRebasingAsync(loser, "WRITE"));

        Assert.Equal(ErrorCode.DeltaConcurrentModification, error.Code);
        Assert.Contains("conflicts with version 1 (WRITE), committed concurrently: it recorded application transaction 'kafka:p0' at version 7, which this WRITE records at version 9.", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await LatestAsync()).Version);
    }

    [Fact]
    public async Task A_commit_whose_application_ids_a_concurrent_commit_all_reached_does_nothing()
    {
        _table.WithCommits(1);
        Snapshot read = await LatestAsync();
        var winner = new Transaction(_table.Open(), read);
        winner.SetApplicationTransaction("kafka:p0", 9);
        winner.SetApplicationTransaction("kafka:p1", 5);
        winner.Add(NewFile("p=a/x.parquet"));
        var retry = new Transaction(_table.Open(), read);
        retry.SetApplicationTransaction("kafka:p0", 9);
        retry.SetApplicationTransaction("kafka:p1", 3);
        retry.Add(NewFile("p=a/y.parquet"));
        await CommitRebasingAsync(winner, "WRITE");

        CommitResult result = await CommitRebasingAsync(retry, "WRITE");

        Assert.False(result.Committed);
        Assert.Equal(2, (await LatestAsync()).Files.Count);
    }

    [Fact]
    public async Task Concurrent_writers_of_the_same_metadata_domain_conflict_naming_it()
    {
        _table.WithCommits(1);
        var upgrade = new Transaction(_table.Open(), await LatestAsync());
        upgrade.Add(new DomainMetadata("medallion.files", "[]", false));
        await CommitRebasingAsync(upgrade, "WRITE");
        Snapshot read = await LatestAsync();
        var winner = new Transaction(_table.Open(), read);
        winner.Add(NewFile("p=a/x.parquet"));
        winner.Add(new DomainMetadata("medallion.files", """["x.csv"]""", false));
        var loser = new Transaction(_table.Open(), read);
        loser.Add(NewFile("p=a/y.parquet"));
        loser.Add(new DomainMetadata("medallion.files", """["y.csv"]""", false));
        await CommitRebasingAsync(winner, "WRITE");

        var error = await Assert.ThrowsAsync<MedallionException>(() => CommitRebasingAsync(loser, "WRITE"));

        Assert.Equal(ErrorCode.DeltaConcurrentModification, error.Code);
        Assert.Contains("it changed the metadata domain 'medallion.files'", error.Message, StringComparison.Ordinal);
        Assert.Equal("""["x.csv"]""", (await LatestAsync()).DomainMetadata["medallion.files"]);
    }

    [Fact]
    public async Task Concurrent_writers_of_different_metadata_domains_both_commit()
    {
        _table.WithCommits(1);
        var upgrade = new Transaction(_table.Open(), await LatestAsync());
        upgrade.Add(new DomainMetadata("medallion.a", "0", false));
        await CommitRebasingAsync(upgrade, "WRITE");
        Snapshot read = await LatestAsync();
        var first = new Transaction(_table.Open(), read);
        first.Add(NewFile("p=a/x.parquet"));
        first.Add(new DomainMetadata("medallion.a", "1", false));
        var second = new Transaction(_table.Open(), read);
        second.Add(NewFile("p=a/y.parquet"));
        second.Add(new DomainMetadata("medallion.b", "1", false));

        await CommitRebasingAsync(first, "WRITE");
        CommitResult b = await CommitRebasingAsync(second, "WRITE");

        Snapshot latest = await LatestAsync();
        Assert.Equal(3, b.Version);
        Assert.Equal("1", latest.DomainMetadata["medallion.a"]);
        Assert.Equal("1", latest.DomainMetadata["medallion.b"]);
    }

    [Fact]
    public async Task Metadata_change_by_a_concurrent_writer_conflicts()
    {
        _table.WithCommits(1);
        Snapshot read = await LatestAsync();
        var winner = new Transaction(_table.Open(), read);
        winner.UpdateMetadata(read.Metadata with { Description = "changed" });
        var loser = new Transaction(_table.Open(), read);
        loser.Add(NewFile("p=a/x.parquet"));
        await CommitRebasingAsync(winner, "SET TBLPROPERTIES");

        var error = await Assert.ThrowsAsync<MedallionException>(() => CommitRebasingAsync(loser, "WRITE"));

        Assert.Contains("it changed the table metadata", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writing_a_table_with_an_unsupported_writer_feature_is_refused_naming_it()
    {
        _table.Commit(0, """{"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["rowTracking"]}}""", TempTable.Metadata);
        Snapshot read = await LatestAsync();

        var error = Assert.Throws<MedallionException>(() => new Transaction(_table.Open(), read));

        Assert.Equal(ErrorCode.DeltaUnsupportedWriterFeature, error.Code);
        Assert.Contains("uses the writer feature 'rowTracking'", error.Message, StringComparison.Ordinal);
        Assert.Contains(_table.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commit_file_has_one_action_per_line_with_commit_info_first()
    {
        _table.WithCommits(1);
        var tx = new Transaction(_table.Open(), await LatestAsync());
        tx.SetApplicationTransaction("app", 1);
        tx.Add(NewFile("p=a/x y.parquet"));
        await tx.CommitAsync("WRITE", new Dictionary<string, string> { ["mode"] = "Append" }, new Dictionary<string, string> { ["numFiles"] = "1" }, CancellationToken.None);

        string[] lines = File.ReadAllText(_table.LogPath(TempTable.CommitName(1))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("{\"commitInfo\":{", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("{\"txn\":{\"appId\":\"app\",\"version\":1,\"lastUpdated\":", lines[1], StringComparison.Ordinal);
        Assert.Equal("""{"add":{"path":"p=a/x y.parquet","partitionValues":{"p":"a"},"size":10,"modificationTime":1,"dataChange":true,"stats":"{\"numRecords\":1}"}}""", lines[2]);
        using JsonDocument info = JsonDocument.Parse(lines[0]);
        Assert.Equal("Append", info.RootElement.GetProperty("commitInfo").GetProperty("operationParameters").GetProperty("mode").GetString());
    }

    [Fact]
    public async Task A_commit_carries_the_snapshot_a_load_of_its_version_gives()
    {
        _table.WithCommits(2);
        Snapshot read = await LatestAsync();
        var tx = new Transaction(_table.Open(), read);
        tx.Remove(read.Files[0]);
        tx.Add(NewFile("p=b/new.parquet", "b"));
        tx.SetApplicationTransaction("loader", 7);

        CommitResult result = await CommitRebasingAsync(tx, "WRITE");

        Assert.NotNull(result.Snapshot);
        Assert.Equal(SnapshotUpdateTests.State(await LatestAsync()), SnapshotUpdateTests.State(result.Snapshot));
        Assert.Equal((await LatestAsync()).RecordCount, result.Snapshot.RecordCount);
    }

    [Fact]
    public async Task A_commit_that_had_to_go_after_another_writers_carries_no_snapshot_of_its_own()
    {
        (_, CommitResult late) = await TwoAppendsFromOneVersionAsync();

        Assert.Equal(2, late.Version);
        Assert.Null(late.Snapshot);
    }
}
