using System;
using System.Collections.Concurrent;
using System.IO;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.DuckDb;
using Medallion.Engine.Tests.ObjectStores;
using Medallion.Storage;

namespace Medallion.Engine.Tests;

/// <summary>
/// The same checks with each case's table uploaded to S3 (moto) first and read through the object store and its local
/// cache: the results must be those read from disk, known failures included.
/// </summary>
public sealed partial class DeltaConformanceTests
{
    // One upload per case for the whole run: a case has several checks.
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> s_uploaded = new(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(ParquetChecks))]
    public async Task Snapshot_rows_read_from_s3_equal_the_expected_parquet_rows(string caseName, long version, string parquetDir)
    {
        string uri = await UploadedAsync(caseName);
        await RunAsync($"{caseName}/snapshot_reads_parquet@{version}",
            () => CompareAsync(caseName, version, parquetDir, connection => Task.FromResult(StorageResolver.OpenTable(uri, connection))));
    }

    [Theory]
    [MemberData(nameof(ErrorChecks))]
    public async Task Loading_a_broken_or_unsupported_table_from_s3_fails_with_a_medallion_error(string caseName)
    {
        string uri = await UploadedAsync(caseName);
        using var connection = new DuckDbConnection();
        connection.Open();
        DeltaTable table = StorageResolver.OpenTable(uri, connection);

        var e = await Assert.ThrowsAsync<MedallionException>(async () => await table.PlanScanAsync(await table.GetSnapshotAsync()));

        output.WriteLine($"{caseName} (s3): {e.CodeText} {e.Message}");
    }

    private static Task<string> UploadedAsync(string caseName) =>
        s_uploaded.GetOrAdd(caseName, name => new Lazy<Task<string>>(() => UploadAsync(name))).Value;

    /// <summary>Puts every file of the case's table, with its relative path as the key, under a new S3 table URI.</summary>
    private static async Task<string> UploadAsync(string caseName)
    {
        string uri = await TestObjectStores.NewTableAsync("s3");
        IObjectStore store = StorageResolver.OpenStore(uri);
        string root = ConformanceTables.TablePath(caseName);
        foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            await store.PutAsync(Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'), await File.ReadAllBytesAsync(file));
        }

        return uri;
    }
}
