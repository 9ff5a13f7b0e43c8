using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.IO;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.DuckDb;
using Medallion.Engine.Tests.ObjectStores;
using Medallion.Storage;

namespace Medallion.Engine.Tests;

/// <summary>
/// The same checks with each case's table uploaded to S3 (moto) and to Azure Blob Storage (Azurite) first and read
/// through the object store and its local cache: the results must be those read from disk, known failures included.
/// </summary>
public sealed partial class DeltaConformanceTests
{
    private static readonly string[] s_storeKinds = ["s3", "az", "gs"];

    // One upload per case for the whole run: a case has several checks.
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> s_uploaded = new(StringComparer.Ordinal);

    public static IEnumerable<object[]> StoredParquetChecks() =>
        from kind in s_storeKinds from check in ParquetChecks() select (object[])[kind, .. check];

    public static IEnumerable<object[]> StoredErrorChecks() =>
        from kind in s_storeKinds from check in ErrorChecks() select (object[])[kind, .. check];

    [Theory]
    [MemberData(nameof(StoredParquetChecks))]
    public async Task Snapshot_rows_read_from_an_object_store_equal_the_expected_parquet_rows(string kind, string caseName, long version, string parquetDir)
    {
        string uri = await UploadedAsync(kind, caseName);
        await RunAsync($"{caseName}/snapshot_reads_parquet@{version}",
            () => CompareAsync(caseName, version, parquetDir, connection => Task.FromResult(StorageResolver.Default.OpenTable(uri, connection))));
    }

    [Theory]
    [MemberData(nameof(StoredErrorChecks))]
    public async Task Loading_a_broken_or_unsupported_table_from_an_object_store_fails_with_a_medallion_error(string kind, string caseName)
    {
        string uri = await UploadedAsync(kind, caseName);
        using var connection = new DuckDbConnection();
        connection.Open();
        DeltaTable table = StorageResolver.Default.OpenTable(uri, connection);

        var e = await Assert.ThrowsAsync<MedallionException>(async () => await table.PlanLocalScanAsync(await table.GetSnapshotAsync()));

        output.WriteLine($"{caseName} ({kind}): {e.CodeText} {e.Message}");
    }

    private static Task<string> UploadedAsync(string kind, string caseName) =>
        s_uploaded.GetOrAdd(kind + ":" + caseName, _ => new Lazy<Task<string>>(() => UploadAsync(kind, caseName))).Value;

    /// <summary>Puts every file of the case's table, with its relative path as the key, under a new table URI of the store kind.</summary>
    private static async Task<string> UploadAsync(string kind, string caseName)
    {
        string uri = await TestObjectStores.NewTableAsync(kind);
        IObjectStore store = StorageResolver.Default.OpenStore(uri);
        string root = ConformanceTables.TablePath(caseName);
        foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            await store.PutAsync(Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'), await File.ReadAllBytesAsync(file));
        }

        return uri;
    }
}
