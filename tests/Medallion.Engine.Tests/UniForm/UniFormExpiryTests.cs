using System.Globalization;
using System.Text.Json;
using Medallion.Engine.Tests.Writing;

namespace Medallion.Engine.Tests.UniForm;

/// <summary>
/// Maintenance expires a UniForm table's Iceberg history as far as its Delta log goes back once log cleanup has removed
/// old versions: their snapshots leave the metadata, and the metadata files and manifests only they used are deleted,
/// while the metadata log names only files that are there.
/// </summary>
public sealed class UniFormExpiryTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Snapshots_of_delta_versions_the_log_no_longer_has_are_expired_with_their_files()
    {
        string path = await AgedTableAsync();

        await _f.Writer.MaintainAsync(path);

        long oldest = OldestLogVersion(path);
        IcebergReader iceberg = IcebergReader.Read(path);
        List<long> versions = [.. iceberg.Metadata.GetProperty("snapshots").EnumerateArray().Select(s => long.Parse(s.GetProperty("summary").GetProperty("delta-version").GetString()!, CultureInfo.InvariantCulture))];
        Assert.Equal(2, oldest);
        Assert.Equal([2L, 3L], versions);
        HashSet<long> ids = [.. iceberg.Metadata.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("snapshot-id").GetInt64())];
        Assert.All(iceberg.Metadata.GetProperty("snapshot-log").EnumerateArray(), e => Assert.Contains(e.GetProperty("snapshot-id").GetInt64(), ids));
    }

    [Fact]
    public async Task After_expiry_the_metadata_log_names_only_files_that_exist_and_every_other_file_is_referenced()
    {
        string path = await AgedTableAsync();

        await _f.Writer.MaintainAsync(path);

        IcebergReader iceberg = IcebergReader.Read(path);
        List<string> logged = [.. iceberg.Metadata.GetProperty("metadata-log").EnumerateArray().Select(e => IcebergReader.LocalPath(e.GetProperty("metadata-file").GetString()!))];
        Assert.All(logged, file => Assert.True(File.Exists(file), file));
        HashSet<string> referenced = [.. logged, iceberg.MetadataPath];
        foreach (JsonElement snapshot in iceberg.Metadata.GetProperty("snapshots").EnumerateArray())
        {
            string list = IcebergReader.LocalPath(snapshot.GetProperty("manifest-list").GetString()!);
            referenced.Add(list);
            referenced.UnionWith(IcebergReader.ReadAvro(list, out _).Select(m => IcebergReader.LocalPath((string)m["manifest_path"])));
        }

        Assert.Equal(referenced.Order(StringComparer.Ordinal), Directory.GetFiles(Path.Combine(path, "metadata")).Order(StringComparer.Ordinal));
        await AssertReadsAsDeltaAsync(path, iceberg);
    }

    [Fact]
    public async Task Maintenance_of_a_table_whose_log_lost_nothing_expires_no_snapshot()
    {
        string path = await UniFormTableAsync();
        string before = IcebergReader.Read(path).MetadataPath;

        await _f.Writer.MaintainAsync(path);

        IcebergReader iceberg = IcebergReader.Read(path);
        Assert.Equal(before, iceberg.MetadataPath);
        Assert.Equal(3, iceberg.Metadata.GetProperty("snapshots").GetArrayLength());
    }

    /// <summary>A UniForm table with a checkpoint at version 2 and three appends (versions 1-3), each converted.</summary>
    private async Task<string> UniFormTableAsync()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long NOT NULL")
        {
            Properties = new Dictionary<string, string>
            {
                ["delta.universalFormat.enabledFormats"] = "iceberg",
                ["delta.enableIcebergCompatV2"] = "true",
                ["delta.checkpointInterval"] = "2",
            },
        });
        for (int i = 0; i < 3; i++)
        {
            await _f.Writer.WriteAsync(path, $"SELECT i::BIGINT AS id FROM range({i * 3}, {(i + 1) * 3}) r(i)");
        }

        return path;
    }

    /// <summary><see cref="UniFormTableAsync"/> with every log and metadata file 40 days old: past the log's 30-day retention.</summary>
    private async Task<string> AgedTableAsync()
    {
        string path = await UniFormTableAsync();
        DateTime old = DateTime.UtcNow.AddDays(-40);
        foreach (string file in Directory.GetFiles(Path.Combine(path, "_delta_log")).Concat(Directory.GetFiles(Path.Combine(path, "metadata"))))
        {
            File.SetLastWriteTimeUtc(file, old);
        }

        return path;
    }

    private static long OldestLogVersion(string path) =>
        Directory.GetFiles(Path.Combine(path, "_delta_log"), "*.json").Select(f => long.Parse(Path.GetFileName(f)[..20], CultureInfo.InvariantCulture)).Min();

    private async Task AssertReadsAsDeltaAsync(string path, IcebergReader iceberg)
    {
        Assert.Equal((await _f.ReadAsync(path)).Count, iceberg.LiveFiles.Sum(f => f.RecordCount));
        Assert.All(iceberg.LiveFiles, f => Assert.True(File.Exists(IcebergReader.LocalPath(f.FilePath)), f.FilePath));
    }
}
