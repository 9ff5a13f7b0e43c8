using Amazon.Runtime;
using Amazon.S3;
using Azure.Storage.Blobs;
using Medallion.Storage;

namespace Medallion.Engine.Tests.ObjectStores;

/// <summary>
/// The test servers, moto_server (build/test-setup/moto.sh), Azurite (build/test-setup/azurite.sh) and the GCS test
/// server this process starts, reached the way a user reaches S3, Azure and GCS: through the standard environment
/// variables only, which writer processes the tests start inherit. The object cache is a folder of this test run, not the user's.
/// </summary>
internal static class TestObjectStores
{
    public const string Bucket = "medallion-engine-tests";
    public const string Container = "medallion-engine-tests";
    public const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Lazy<Task> s_ready = new(PrepareAsync);

    public static string S3Endpoint { get; } = Environment.GetEnvironmentVariable("MEDALLION_TEST_S3_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:55900";

    public static string AzureBlobEndpoint { get; } = Environment.GetEnvironmentVariable("MEDALLION_TEST_AZURE_BLOB_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:55910/devstoreaccount1";

    public static string AzuriteConnectionString(string key) => $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint={AzureBlobEndpoint};";

    private const string CachePrefix = "medallion-engine-cache-";

    /// <summary>
    /// The object cache of this test process (a few hundred MB after a run), removed when the process exits; the
    /// folders of test processes that were killed before their exit are removed when the next one starts.
    /// </summary>
    public static string CacheDirectory { get; } = CreateCacheDirectory();

    private static string CreateCacheDirectory()
    {
        foreach (string folder in Directory.EnumerateDirectories(Path.GetTempPath(), CachePrefix + "*"))
        {
            if (int.TryParse(Path.GetFileName(folder)[CachePrefix.Length..], out int pid) && !IsRunning(pid))
            {
                TryDelete(folder);
            }
        }

        string directory = Path.Combine(Path.GetTempPath(), CachePrefix + Environment.ProcessId);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(directory);
        return directory;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache folder left behind is only disk space; the next run tries again.
        }
    }

    /// <summary>A resolver whose S3 stores under <paramref name="root"/> go through <paramref name="proxy"/> (as a project's <c>storage_options</c> would send them).</summary>
    public static StorageResolver Through(StoreProxy proxy, string root) =>
        new(settings: new Dictionary<string, IReadOnlyDictionary<string, string>> { [root] = new Dictionary<string, string> { ["AWS_ENDPOINT_URL_S3"] = proxy.Endpoint.ToString() } });

    /// <summary>Sets the standard variables to the test servers and creates the bucket and the container.</summary>
    public static Task EnsureEnvironmentAsync() => s_ready.Value;

    /// <summary>The GCS test server of this test process (started by <see cref="EnsureEnvironmentAsync"/>).</summary>
    public static GcsTestServer Gcs => GcsTestServer.SharedAsync().GetAwaiter().GetResult();

    /// <summary>A fresh table URI on a store kind ("s3", "az" or "gs"), the environment set up for it.</summary>
    public static async Task<string> NewTableAsync(string kind)
    {
        await s_ready.Value;
        string name = "t-" + Guid.NewGuid().ToString("N");
        return kind switch
        {
            "s3" => $"s3://{Bucket}/{name}",
            "az" => $"az://{Container}/{name}",
            "gs" => $"gs://{Bucket}/{name}",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private static async Task PrepareAsync()
    {
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "testing");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "testing");
        Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", S3Endpoint);
        Environment.SetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING", AzuriteConnectionString(AzuriteKey));
        GcsTestServer gcs = await GcsTestServer.SharedAsync();
        gcs.CreateBucket(Bucket);
        Environment.SetEnvironmentVariable("STORAGE_EMULATOR_HOST", gcs.EmulatorHost);
        Environment.SetEnvironmentVariable("MEDALLION_CACHE_DIR", CacheDirectory);
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("testing", "testing"), new AmazonS3Config { ServiceURL = S3Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        try
        {
            await s3.PutBucketAsync(Bucket);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }

        await new BlobContainerClient(AzuriteConnectionString(AzuriteKey), Container).CreateIfNotExistsAsync();
    }
}
