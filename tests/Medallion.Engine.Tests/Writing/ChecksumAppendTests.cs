using System.Text.Json;
using Medallion.Delta.Snapshots;
using Medallion.Engine.Tests.ObjectStores;

namespace Medallion.Engine.Tests.Writing;

/// <summary>
/// A writer that <see cref="DeltaWriter.AppendsFromVersionChecksums"/> (the audit's): each commit leaves its version's checksum,
/// and an append starts from the newest one instead of the checkpoint and the commits after it.
/// </summary>
public sealed class ChecksumAppendTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    private DeltaWriter ChecksumWriter(StorageResolver? stores = null) =>
        new(_f.Connection) { AppendsFromVersionChecksums = true, Stores = stores ?? StorageResolver.Default };

    private static (long Files, long Bytes) ChecksumTotals(string table, long version)
    {
        using JsonDocument crc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(table, "_delta_log", $"{version:D20}.crc")));
        return (crc.RootElement.GetProperty("numFiles").GetInt64(), crc.RootElement.GetProperty("tableSizeBytes").GetInt64());
    }

    private async Task<(long Files, long Bytes)> SnapshotTotalsAsync(string table)
    {
        Snapshot snapshot = await _f.SnapshotAsync(table);
        return (snapshot.Files.Count, snapshot.SizeBytes);
    }

    [Fact]
    public async Task Each_commit_of_a_writer_that_appends_from_checksums_leaves_the_checksum_of_its_version()
    {
        string table = _f.TablePath();
        DeltaWriter writer = ChecksumWriter();

        for (int i = 0; i < 3; i++)
        {
            await writer.WriteAsync(table, $"SELECT {i} AS id");
        }

        Assert.Equal(await SnapshotTotalsAsync(table), ChecksumTotals(table, 2));
        Assert.True(File.Exists(Path.Combine(table, "_delta_log", $"{0:D20}.crc")));
    }

    [Fact]
    public async Task An_append_after_another_writers_delete_carries_the_checksum_over_the_commits_without_one()
    {
        string table = _f.TablePath();
        await ChecksumWriter().WriteAsync(table, "SELECT * FROM range(10) AS t(id)");
        // An ordinary writer's delete leaves no checksum: the next append applies its commit to the checksum before it.
        await _f.Writer.DeleteAsync(table, "id < 5");

        DeltaOperationResult appended = await ChecksumWriter().WriteAsync(table, "SELECT 10 AS id");

        Assert.Equal(2, appended.Version);
        Assert.Equal(await SnapshotTotalsAsync(table), ChecksumTotals(table, 2));
        Assert.Equal(6, (await _f.ReadAsync(table)).Count);
    }

    [Fact]
    public async Task An_application_version_committed_before_the_newest_checksum_is_not_written_again()
    {
        string table = _f.TablePath();
        var once = new DeltaWriteOptions { ApplicationId = "loader", ApplicationVersion = 3 };
        await ChecksumWriter().WriteAsync(table, "SELECT 1 AS id", once);
        await ChecksumWriter().WriteAsync(table, "SELECT 2 AS id");

        DeltaOperationResult again = await ChecksumWriter().WriteAsync(table, "SELECT 1 AS id", once);

        Assert.False(again.Committed);
        Assert.Equal(["1", "2"], await _f.ReadAsync(table));
    }

    [Fact]
    public async Task An_overwrite_by_a_writer_that_appends_from_checksums_replaces_every_file()
    {
        string table = _f.TablePath();
        DeltaWriter writer = ChecksumWriter();
        await writer.WriteAsync(table, "SELECT 1 AS id");
        await writer.WriteAsync(table, "SELECT 2 AS id");

        await writer.WriteAsync(table, "SELECT 3 AS id", new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite });

        Assert.Equal(["3"], await _f.ReadAsync(table));
        Assert.Equal((1L, (await _f.SnapshotAsync(table)).SizeBytes), ChecksumTotals(table, 2));
    }

    [Fact]
    public async Task An_append_on_s3_reads_the_newest_checksum_and_no_commit_or_checkpoint()
    {
        await TestObjectStores.EnsureEnvironmentAsync();
        string table = $"s3://{TestObjectStores.Bucket}/checksum-append-{Guid.NewGuid():N}/t";
        // Versions 0 to 12: a checkpoint at 10, and commits 11 and 12 after it that a full load would read.
        for (int i = 0; i < 13; i++)
        {
            await ChecksumWriter().WriteAsync(table, $"SELECT {i} AS id");
        }

        using var proxy = new StoreProxy(new Uri(TestObjectStores.S3Endpoint));
        DeltaOperationResult appended = await ChecksumWriter(TestObjectStores.Through(proxy, table)).WriteAsync(table, "SELECT 13 AS id");

        Assert.Equal(13, appended.Version);
        List<string> logReads = [.. proxy.Requests.Where(r => r.StartsWith("GET ", StringComparison.Ordinal) && !r.Contains('?', StringComparison.Ordinal) && r.Contains("_delta_log/0", StringComparison.Ordinal))];
        Assert.Equal([$"_delta_log/{12:D20}.crc"], logReads.Select(r => r.Split(' ')[1][(r.Split(' ')[1].IndexOf("_delta_log/", StringComparison.Ordinal))..]));
        Assert.Contains(proxy.Requests, r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains($"_delta_log/{13:D20}.crc", StringComparison.Ordinal));
    }
}
