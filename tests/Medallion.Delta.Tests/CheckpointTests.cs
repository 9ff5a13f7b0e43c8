using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Delta.Snapshots;

namespace Medallion.Delta.Tests;

public sealed class CheckpointTests
{
    private const string CheckpointKey = "_delta_log/00000000000000000002.checkpoint.parquet";

    private static FakeParquetHandler CheckpointWithFiles(params string[] paths)
    {
        var rows = new[] { TempTable.Protocol1, TempTable.Metadata }
            .Concat(paths.Select(p => TempTable.Add(p)))
            .Select(r => r[..^1] + ",\"remove\":null}")
            .ToArray();
        return new FakeParquetHandler().With(CheckpointKey, rows);
    }

    [Fact]
    public async Task Snapshot_starts_from_the_last_checkpoint_and_replays_only_later_commits()
    {
        using var t = new TempTable();
        t.Commit(2, TempTable.Add("p=a/cp.parquet")).Commit(3, TempTable.Add("p=a/after.parquet"));
        File.WriteAllText(t.LogPath("00000000000000000002.checkpoint.parquet"), "parquet bytes");
        File.WriteAllText(t.LogPath("_last_checkpoint"), """{"version":2,"size":3}""");
        FakeParquetHandler parquet = CheckpointWithFiles("p=a/cp.parquet", "p=a/old.parquet");

        Snapshot s = await t.Open(parquet).GetSnapshotAsync();

        Assert.Equal(3, s.Version);
        Assert.Equal(["p=a/after.parquet", "p=a/cp.parquet", "p=a/old.parquet"], s.Files.Select(f => f.Path).Order(System.StringComparer.Ordinal));
        Assert.Equal([CheckpointKey], parquet.ReadKeys);
    }

    [Fact]
    public async Task A_remove_after_the_checkpoint_hides_the_checkpointed_file()
    {
        using var t = new TempTable();
        t.Commit(2, TempTable.Add("p=a/cp.parquet")).Commit(3, TempTable.Remove("p=a/old.parquet"));
        File.WriteAllText(t.LogPath("00000000000000000002.checkpoint.parquet"), "parquet bytes");

        Snapshot s = await t.Open(CheckpointWithFiles("p=a/cp.parquet", "p=a/old.parquet")).GetSnapshotAsync();

        Assert.Equal(["p=a/cp.parquet"], s.Files.Select(f => f.Path));
    }

    [Fact]
    public async Task A_v2_json_checkpoint_reads_the_file_actions_of_its_sidecars()
    {
        var parquet = new FakeParquetHandler()
            .With("_delta_log/_sidecars/00000000000000000002.checkpoint.0000000001.0000000002.bd1885fd-6ec0-4370-b0f5-43b5162fd4de.parquet", TempTable.Add("a.parquet", null))
            .With("_delta_log/_sidecars/00000000000000000002.checkpoint.0000000002.0000000002.0a8d73ee-aa83-49d0-9583-c99db75b89b2.parquet", TempTable.Add("b.parquet", null));

        Snapshot s = await Conformance.Open("golden-v2-checkpoint-json", parquet).GetSnapshotAsync();

        Assert.Equal(2, s.Version);
        Assert.Equal(2, parquet.ReadKeys.Count);
        Assert.Contains(s.Files, f => f.Path == "a.parquet");
        Assert.Contains(s.Files, f => f.Path == "b.parquet");
    }
}
