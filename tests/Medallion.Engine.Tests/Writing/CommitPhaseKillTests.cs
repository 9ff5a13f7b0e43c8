using Medallion.Engine.WriterHost;

namespace Medallion.Engine.Tests.Writing;

/// <summary>
/// SIGKILLs a writer process at each phase of a Delta commit, exactly there (a <see cref="CrashPoint"/> armed through
/// its environment, or the moment its data file appears): readers then see the old version or the new one, never part
/// of one, whatever the checkpoint's state; a retry of the same batch (its <c>txn</c>) adds its rows once; the table
/// takes the next write.
/// </summary>
public sealed class CommitPhaseKillTests : IDisposable
{
    // CrashWorkload's table checkpoints every 5 commits: the killed append is version 5, the first due a checkpoint.
    private const int KilledStep = 5;
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Theory]
    // Data files written, the commit file not yet tried.
    [InlineData("delta.commit.before-put", false, false, false)]
    // The commit file's bytes written and synced under a temporary name, not yet linked into place.
    [InlineData("store.put-if-absent.before-link", false, false, false)]
    // The commit file linked into place, its temporary name not yet removed.
    [InlineData("store.put-if-absent.after-link", true, false, false)]
    // Committed, the checkpoint the version is due not begun.
    [InlineData("delta.committed.before-checkpoint", true, false, false)]
    // The checkpoint's Parquet file written under a temporary name, not yet renamed into place.
    [InlineData("store.put.before-rename", true, false, false)]
    // The checkpoint in place, the _last_checkpoint hint not written.
    [InlineData("delta.checkpoint.before-hint", true, true, false)]
    // The hint written under a temporary name, not yet renamed into place.
    [InlineData("store.put.before-rename@2", true, true, false)]
    public async Task A_writer_killed_at_a_phase_of_a_commit_leaves_the_old_or_the_new_version_whole_and_its_retry_adds_the_batch_once(
        string point, bool committed, bool checkpointInPlace, bool hintInPlace)
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, CrashWorkload.Table);
        var rows = new Dictionary<long, long>();
        for (int step = 1; step < KilledStep; step++)
        {
            await CrashWorkload.RunAsync(_f.Writer, "append", path, step);
            rows = CrashWorkload.Apply("append", step, rows);
        }

        List<string> before = CrashWorkload.Render(rows);
        Dictionary<long, long> after = CrashWorkload.Apply("append", KilledStep, rows);

        using (WriterProcess p = WriterProcess.StartWith(new Dictionary<string, string> { [CrashPoint.EnvironmentVariable] = point }, "append", path, KilledStep))
        {
            await p.WaitForExitAsync(TimeSpan.FromMinutes(2));
            Assert.True(p.ExitCode == 137 && !p.Done, $"the writer was to die by SIGKILL at {point}, but exited with {p.ExitCode} ({string.Join(" / ", p.Lines)}): {p.Errors}");
        }

        string log = Path.Combine(path, "_delta_log");
        Assert.Equal(KilledStep - (committed ? 0 : 1), (await _f.SnapshotAsync(path)).Version);
        Assert.Equal(committed ? CrashWorkload.Render(after) : before, await _f.ReadAsync(path));
        Assert.Equal(checkpointInPlace, File.Exists(Path.Combine(log, $"{KilledStep:D20}.checkpoint.parquet")));
        Assert.Equal(hintInPlace, File.Exists(Path.Combine(log, "_last_checkpoint")));
        Assert.All(Directory.EnumerateFiles(log, "*.json"), f => Assert.True(new FileInfo(f).Length > 0, $"{f} is empty"));

        DeltaOperationResult retry = await CrashWorkload.RunAsync(new DeltaWriter(_f.Connection), "append", path, KilledStep);

        Assert.Equal((KilledStep, !committed), (retry.Version, retry.Committed));
        Assert.Equal(CrashWorkload.Render(after), await _f.ReadAsync(path));

        DeltaOperationResult next = await CrashWorkload.RunAsync(new DeltaWriter(_f.Connection), "append", path, KilledStep + 1);

        Assert.Equal((KilledStep + 1, true), (next.Version, next.Committed));
        Assert.Equal(CrashWorkload.Render(CrashWorkload.Apply("append", KilledStep + 1, after)), await _f.ReadAsync(path));
        Assert.Equal(CrashWorkload.Render(after), await _f.ReadAsync(path, KilledStep));
    }

    [Fact]
    public async Task A_writer_killed_while_its_data_file_is_being_written_commits_nothing_and_vacuum_removes_the_partial_file()
    {
        string path = _f.TablePath();
        await _f.Writer.WriteAsync(path, "SELECT 0::BIGINT AS id, 'first' AS payload");
        string[] before = Directory.GetFiles(path, "*.parquet");

        using (WriterProcess p = WriterProcess.Start("large-killed-mid-file", path, 2_000_000))
        {
            await p.WaitForExitAsync(TimeSpan.FromMinutes(3));
            Assert.True(p.ExitCode == 137 && !p.Done, $"the writer was to die by SIGKILL while writing its data file, but exited with {p.ExitCode} ({string.Join(" / ", p.Lines)}): {p.Errors}");
        }

        string partial = Assert.Single(Directory.GetFiles(path, "*.parquet").Except(before));
        Assert.False(HasParquetFooter(partial), $"{partial} is a whole Parquet file: the kill landed after DuckDB finished it");
        Assert.Equal(0, (await _f.SnapshotAsync(path)).Version);
        Assert.Equal(["0|first"], await _f.ReadAsync(path));

        DeltaOperationResult next = await _f.Writer.WriteAsync(path, "SELECT 1::BIGINT AS id, 'second' AS payload");
        await _f.Writer.VacuumAsync(path, TimeSpan.Zero, force: true);

        Assert.Equal(1, next.Version);
        Assert.False(File.Exists(partial));
        Assert.Equal(["0|first", "1|second"], await _f.ReadAsync(path));
    }

    /// <summary>Whether the file ends with Parquet's closing magic, written last, after the footer.</summary>
    private static bool HasParquetFooter(string file)
    {
        using FileStream stream = File.OpenRead(file);
        if (stream.Length < 8)
        {
            return false;
        }

        stream.Seek(-4, SeekOrigin.End);
        byte[] magic = new byte[4];
        stream.ReadExactly(magic);
        return magic.AsSpan().SequenceEqual("PAR1"u8);
    }
}
