namespace Medallion.Engine.Tests.Writing;

/// <summary>
/// What a writer killed mid-operation leaves behind: data files nobody committed, and a half-written commit in a hidden
/// temporary file. Readers must not see either, a retried idempotent write must add its rows once, and VACUUM must
/// remove the orphans.
/// </summary>
public sealed class CrashLeftoverTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Leftovers_of_a_killed_writer_are_invisible_and_a_retry_commits_once()
    {
        string path = _f.TablePath();
        var batch = new DeltaWriteOptions { ApplicationId = "ingest", ApplicationVersion = 1 };
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id");

        // The killed attempt: its data file was written, its commit only as a partial temporary file.
        File.Copy(Directory.GetFiles(path, "*.parquet")[0], Path.Combine(path, "part-00000-orphan-c000.snappy.parquet"));
        await File.WriteAllTextAsync(Path.Combine(path, "_delta_log", ".00000000000000000001.json.0123456789abcdef.medallion-tmp"), "{\"commitInfo\":{\"timest");

        Assert.Equal(0, (await _f.SnapshotAsync(path)).Version);
        Assert.Equal(["1"], await _f.ReadAsync(path));

        DeltaOperationResult retry = await _f.Writer.WriteAsync(path, "SELECT 2 AS id", batch);
        DeltaOperationResult again = await _f.Writer.WriteAsync(path, "SELECT 2 AS id", batch);
        Assert.True(retry.Committed);
        Assert.False(again.Committed);
        Assert.Equal(["1", "2"], await _f.ReadAsync(path));

        DeltaOperationResult vacuum = await _f.Writer.VacuumAsync(path, TimeSpan.Zero, force: true);
        Assert.Equal(["part-00000-orphan-c000.snappy.parquet"], vacuum.Paths);
        Assert.Equal(["1", "2"], await _f.ReadAsync(path));
    }
}
