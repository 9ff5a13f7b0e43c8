using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using Medallion.Storage;

namespace Medallion.Delta.Tests;

public sealed class TimeTravelTests
{
    private static DeltaTable SimpleTableWithMtimes(TempDirectory dir)
    {
        ConformanceTables.CopyTo("drs-simple_table", dir.Path);
        long[] mtimes = [1588398451, 1588484851, 1588571251, 1588657651, 1588744051];
        for (int v = 0; v < mtimes.Length; v++)
        {
            File.SetLastWriteTimeUtc(Path.Combine(dir.Path, "_delta_log", TempTable.CommitName(v)), DateTimeOffset.FromUnixTimeSeconds(mtimes[v]).UtcDateTime);
        }

        return new DeltaTable(new LocalObjectStore(dir.Path));
    }

    [Theory]
    [InlineData("2020-05-01T00:47:31-07:00", 0)]
    [InlineData("2020-05-02T22:47:31-07:00", 1)]
    [InlineData("2020-05-25T22:47:31-07:00", 4)]
    public async Task Snapshot_at_a_timestamp_is_the_newest_version_committed_by_then(string timestamp, long version)
    {
        using var dir = new TempDirectory();
        DeltaTable table = SimpleTableWithMtimes(dir);

        Assert.Equal(version, (await table.GetSnapshotAtTimestampAsync(DateTimeOffset.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture))).Version);
    }

    [Fact]
    public async Task Snapshot_at_a_timestamp_before_the_oldest_remaining_commit_of_a_cleaned_log_fails_with_out_of_range()
    {
        using var t = new TempTable();
        t.Commit(2, TempTable.Add("p=a/f.parquet"));
        File.WriteAllText(t.LogPath("00000000000000000002.checkpoint.parquet"), "parquet bytes");
        var parquet = new FakeParquetHandler().With("_delta_log/00000000000000000002.checkpoint.parquet", TempTable.Protocol1, TempTable.Metadata);

        var e = await Assert.ThrowsAsync<MedallionException>(() => t.Open(parquet).GetVersionAtTimestampAsync(new DateTimeOffset(2019, 1, 1, 0, 0, 0, TimeSpan.Zero)));

        Assert.Equal(ErrorCode.DeltaTimestampOutOfRange, e.Code);
    }

    [Fact]
    public async Task Snapshot_at_a_timestamp_uses_in_commit_timestamps_when_enabled()
    {
        using var t = new TempTable();
        string meta = TempTable.Metadata.Replace("\"configuration\":{}", "\"configuration\":{\"delta.enableInCommitTimestamps\":\"true\"}", StringComparison.Ordinal);
        t.Commit(0, """{"commitInfo":{"inCommitTimestamp":1000}}""", """{"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["inCommitTimestamp"]}}""", meta)
         .Commit(1, """{"commitInfo":{"inCommitTimestamp":2000}}""", TempTable.Add("p=a/f.parquet"))
         .Commit(2, """{"commitInfo":{"inCommitTimestamp":3000}}""", TempTable.Add("p=a/g.parquet"));

        var snapshot = await t.Open().GetSnapshotAtTimestampAsync(DateTimeOffset.FromUnixTimeMilliseconds(2500));

        Assert.Equal(1, snapshot.Version);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(2000), snapshot.Timestamp);
    }

    [Fact]
    public async Task History_lists_every_commit_newest_first_with_its_operation()
    {
        var versions = new List<(long, string?)>();
        await foreach (CommitEntry entry in Conformance.Open("drs-simple_table").GetHistoryAsync())
        {
            versions.Add((entry.Version, entry.CommitInfo?.Operation));
        }

        Assert.Equal([4L, 3L, 2L, 1L, 0L], versions.ConvertAll(v => v.Item1));
        Assert.Equal("WRITE", versions[^1].Item2);
    }
}
