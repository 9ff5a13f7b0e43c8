using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Azure.Storage.Blobs;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion</c> in a process of its own against the test stores (moto from build/test-setup/moto.sh, Azurite from
/// azurite.sh, the GCS test server this process starts), reached only through the standard variables a shell that talks to the store already has; its working
/// directory and object cache are in a folder of the test's own.
/// </summary>
internal sealed class StoreCli : IDisposable
{
    public const string Bucket = "medallion-cli-tests";
    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public StoreCli() => System.IO.Directory.CreateDirectory(Path.Combine(Directory, "cwd"));

    public static string S3Endpoint { get; } = Environment.GetEnvironmentVariable("MEDALLION_TEST_S3_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:55900";

    public static string BlobEndpoint { get; } = Environment.GetEnvironmentVariable("MEDALLION_TEST_AZURE_BLOB_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:55910/devstoreaccount1";

    /// <summary>The test's folder: <c>cwd</c> (the processes' working directory) and <c>cache</c> (their object cache) are in it.</summary>
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "medallion-cli-store-" + Guid.NewGuid().ToString("N"));

    /// <summary>Azurite's connection string, with its blob service at <paramref name="blobEndpoint"/> (Azurite's own when null).</summary>
    public static string AzuriteConnectionString(string? blobEndpoint = null) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteKey};BlobEndpoint={blobEndpoint ?? BlobEndpoint};";

    /// <summary>The GCS test server of this test process, shared by its tests.</summary>
    public static GcsTestServer Gcs => GcsTestServer.SharedAsync().GetAwaiter().GetResult();

    /// <summary>The server of a store kind (<c>s3</c>, <c>az</c>, <c>gs</c>), for a proxy to stand in front of.</summary>
    public static Uri Server(string kind) => kind switch
    {
        "s3" => new(S3Endpoint),
        "gs" => Gcs.Endpoint,
        _ => new(new Uri(BlobEndpoint).GetLeftPart(UriPartial.Authority)),
    };

    /// <summary>The standard variables of a store kind, reaching its server at <paramref name="server"/> (a proxy's address) when given.</summary>
    public static Dictionary<string, string> Variables(string kind, Uri? server = null) => kind switch
    {
        "s3" => new() { ["AWS_ACCESS_KEY_ID"] = "testing", ["AWS_SECRET_ACCESS_KEY"] = "testing", ["AWS_REGION"] = "us-east-1", ["AWS_ENDPOINT_URL_S3"] = server?.ToString() ?? S3Endpoint },
        "gs" => new() { ["STORAGE_EMULATOR_HOST"] = server?.GetLeftPart(UriPartial.Authority) ?? Gcs.EmulatorHost },
        _ => new() { ["AZURE_STORAGE_CONNECTION_STRING"] = AzuriteConnectionString(server is null ? null : server.GetLeftPart(UriPartial.Authority) + new Uri(BlobEndpoint).AbsolutePath) },
    };

    /// <summary>A fresh table URI on a store kind, its bucket or container created.</summary>
    public static async Task<string> NewTableAsync(string kind)
    {
        string name = "t-" + Guid.NewGuid().ToString("N");
        if (kind == "s3")
        {
            await CreateS3BucketAsync(Bucket);
            return $"s3://{Bucket}/{name}";
        }

        if (kind == "gs")
        {
            Gcs.CreateBucket(Bucket);
            return $"gs://{Bucket}/{name}";
        }

        await new BlobContainerClient(AzuriteConnectionString(), Bucket).CreateIfNotExistsAsync();
        return $"az://{Bucket}/{name}";
    }

    /// <summary>
    /// A fresh bucket on moto, for a test that writes thousands of objects: moto lists a bucket by walking every key in it,
    /// so in the shared bucket each listing of such a test would also walk every other test's keys, and its own as they pile up.
    /// Its URI; <see cref="DeleteS3BucketAsync"/> removes it.
    /// </summary>
    public static async Task<string> NewS3BucketAsync()
    {
        string bucket = "medallion-test-" + Guid.NewGuid().ToString("N");
        await CreateS3BucketAsync(bucket);
        return $"s3://{bucket}";
    }

    /// <summary>Removes a bucket of <see cref="NewS3BucketAsync"/> and every object in it, so that moto does not keep them for the tests after.</summary>
    public static async Task DeleteS3BucketAsync(string uri)
    {
        string bucket = new Uri(uri).Host;
        using AmazonS3Client s3 = S3Client();
        var listing = new Amazon.S3.Model.ListObjectsV2Request { BucketName = bucket };
        Amazon.S3.Model.ListObjectsV2Response page;
        do
        {
            page = await s3.ListObjectsV2Async(listing);
            if (page.S3Objects is { Count: > 0 } objects)
            {
                await s3.DeleteObjectsAsync(new Amazon.S3.Model.DeleteObjectsRequest { BucketName = bucket, Objects = [.. objects.Select(o => new Amazon.S3.Model.KeyVersion { Key = o.Key })] });
            }

            listing.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);

        await s3.DeleteBucketAsync(bucket);
    }

    private static AmazonS3Client S3Client() =>
        new(new BasicAWSCredentials("testing", "testing"), new AmazonS3Config { ServiceURL = S3Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    private static async Task CreateS3BucketAsync(string bucket)
    {
        using AmazonS3Client s3 = S3Client();
        try
        {
            await s3.PutBucketAsync(bucket);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }

    /// <summary>The keys below a store URI, read from the server directly.</summary>
    public static async Task<List<string>> ListAsync(string kind, string uri)
    {
        string path = uri[(uri.IndexOf('/', uri.IndexOf("://", StringComparison.Ordinal) + 3) + 1)..];
        var keys = new List<string>();
        if (kind == "s3")
        {
            using AmazonS3Client s3 = S3Client();
            keys.AddRange((await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = Bucket, Prefix = path })).S3Objects.Select(o => o.Key));
        }
        else if (kind == "gs")
        {
            keys.AddRange(Gcs.ObjectNames(Bucket, path));
        }
        else
        {
            await foreach (Azure.Storage.Blobs.Models.BlobItem blob in new BlobContainerClient(AzuriteConnectionString(), Bucket).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, path, CancellationToken.None))
            {
                keys.Add(blob.Name);
            }
        }

        return keys;
    }

    /// <summary>The keys of the S3 multipart uploads begun and neither completed nor aborted below a store URI, asked of moto directly.</summary>
    public static async Task<List<string>> OpenUploadsAsync(string uri)
    {
        string path = uri[(uri.IndexOf('/', uri.IndexOf("://", StringComparison.Ordinal) + 3) + 1)..];
        using AmazonS3Client s3 = S3Client();
        var uploads = await s3.ListMultipartUploadsAsync(new Amazon.S3.Model.ListMultipartUploadsRequest { BucketName = Bucket, Prefix = path });
        return [.. (uploads.MultipartUploads ?? []).Select(u => u.Key)];
    }

    /// <summary>Runs <c>medallion</c> with the store's standard variables.</summary>
    public Task<(int Exit, string Output, string Error)> RunAsync(string kind, params string[] args) => RunAsync(Variables(kind), args);

    /// <summary>Runs <c>medallion</c> and fails the test with its error output unless it exits 0; returns its output.</summary>
    public async Task<string> RunOkAsync(string kind, params string[] args)
    {
        (int exit, string output, string error) = await RunAsync(kind, args);
        Assert.True(exit == 0, $"medallion {string.Join(' ', args)}: exit {exit}: {error}");
        return output;
    }

    /// <summary>
    /// Runs <c>medallion</c> with <paramref name="variables"/> and none of the stores' other standard variables, the cache in
    /// this test's folder unless the variables say <c>MEDALLION_CACHE_DIR</c>.
    /// </summary>
    public async Task<(int Exit, string Output, string Error)> RunAsync(Dictionary<string, string> variables, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = Path.Combine(Directory, "cwd"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "medallion.dll"));
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k.StartsWith("AZURE_", StringComparison.Ordinal)
            || k.StartsWith("GOOGLE_", StringComparison.Ordinal) || k == "STORAGE_EMULATOR_HOST").ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["MEDALLION_CACHE_DIR"] = Path.Combine(Directory, "cache");
        foreach ((string name, string value) in variables)
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start.WithoutDiagnosticFiles())!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await error);
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
