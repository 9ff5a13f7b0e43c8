using System;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.S3;
using Medallion.Storage.S3;

namespace Medallion.Storage.Tests;

/// <summary>The moto_server the S3 tests use (build/test-setup/moto.sh), found through MEDALLION_TEST_S3_ENDPOINT.</summary>
internal static class Moto
{
    public const string Bucket = "medallion-tests";
    private static readonly Lazy<Task> s_bucket = new(CreateBucketAsync);

    public static Uri Endpoint { get; } = new(Environment.GetEnvironmentVariable("MEDALLION_TEST_S3_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:55900");

    /// <summary>A store on a fresh prefix of the test bucket (moto takes any credentials), cached in <paramref name="cacheDirectory"/> up to <paramref name="maxCacheBytes"/>, logging to <paramref name="log"/>.</summary>
    public static S3ObjectStore NewStore(string cacheDirectory, Func<S3StoreOptions, S3StoreOptions>? change = null, long maxCacheBytes = ObjectCache.DefaultMaxSizeBytes, RecordingLog? log = null)
    {
        s_bucket.Value.GetAwaiter().GetResult();
        var options = new S3StoreOptions
        {
            Bucket = Bucket,
            Prefix = "t-" + Guid.NewGuid().ToString("N"),
            Endpoint = Endpoint,
            AccessKeyId = "testing",
            SecretAccessKey = "testing",
        };
        return new S3ObjectStore(change is null ? options : change(options), new ObjectCache(cacheDirectory, maxCacheBytes), log);
    }

    public static AmazonS3Client Client() => new(new BasicAWSCredentials("testing", "testing"), new AmazonS3Config { ServiceURL = Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    private static async Task CreateBucketAsync()
    {
        using AmazonS3Client client = Client();
        try
        {
            await client.PutBucketAsync(Bucket);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }
}
