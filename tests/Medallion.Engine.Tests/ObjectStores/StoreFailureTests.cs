using System.Text.RegularExpressions;
using Medallion.Engine.Tests.Writing;
using Medallion.Engine.WriterHost;

namespace Medallion.Engine.Tests.ObjectStores;

/// <summary>Failures of the store itself during a write: a clear error naming the store and the operation, and nothing committed.</summary>
public sealed class StoreFailureTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task The_s3_server_stopping_during_a_data_file_upload_fails_the_write_naming_the_upload_and_commits_nothing()
    {
        using var proxy = new StoreProxy(new Uri(TestObjectStores.S3Endpoint), ".parquet HTTP/1.1");
        await StopDuringUploadAsync("s3", proxy, new Dictionary<string, string> { ["AWS_ENDPOINT_URL_S3"] = proxy.Endpoint.ToString() });
    }

    [Fact]
    public async Task The_azure_server_stopping_during_a_data_file_upload_fails_the_write_naming_the_upload_and_commits_nothing()
    {
        var azurite = new Uri(TestObjectStores.AzureBlobEndpoint);
        using var proxy = new StoreProxy(new Uri(azurite.GetLeftPart(UriPartial.Authority)), ".parquet HTTP/1.1");
        string connection = TestObjectStores.AzuriteConnectionString(TestObjectStores.AzuriteKey)
            .Replace(azurite.GetLeftPart(UriPartial.Authority), proxy.Endpoint.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal);
        await StopDuringUploadAsync("az", proxy, new Dictionary<string, string> { ["AZURE_STORAGE_CONNECTION_STRING"] = connection });
    }

    [Fact]
    public async Task The_gcs_server_stopping_during_a_data_file_upload_fails_the_write_naming_the_upload_and_commits_nothing()
    {
        using var proxy = new StoreProxy(TestObjectStores.Gcs.Endpoint, ".parquet HTTP/1.1");
        await StopDuringUploadAsync("gs", proxy, new Dictionary<string, string> { ["STORAGE_EMULATOR_HOST"] = proxy.Endpoint.GetLeftPart(UriPartial.Authority) });
    }

    /// <summary>A writer process appends through <paramref name="proxy"/>, which stops for good at the data file's upload.</summary>
    private async Task StopDuringUploadAsync(string kind, StoreProxy proxy, Dictionary<string, string> environment)
    {
        string uri = await TestObjectStores.NewTableAsync(kind);
        await _f.Writer.CreateTableAsync(uri, CrashWorkload.Table);

        using WriterProcess writer = WriterProcess.StartWith(environment, "append", uri, 1);
        await writer.WaitForExitAsync(TimeSpan.FromMinutes(2));

        Assert.True(proxy.Stopped.Task.IsCompleted);
        Assert.NotEqual(0, writer.ExitCode);
        Assert.Matches(new Regex($@"Could not upload 'part-[^']+\.parquet' in '{Regex.Escape(uri)}': the request to {Regex.Escape(proxy.Endpoint.ToString().TrimEnd('/'))} failed: "), writer.Errors);
        Assert.Equal(0, (await _f.SnapshotAsync(uri)).Version);
        Assert.Empty(await _f.ReadAsync(uri));
    }

    [Fact]
    public async Task A_writer_killed_during_a_multipart_upload_commits_nothing_and_vacuum_aborts_the_upload_it_left()
    {
        string uri = await TestObjectStores.NewTableAsync("s3");
        await _f.Writer.WriteAsync(uri, "SELECT 0::BIGINT AS id, 'first' AS payload");
        // The second part of a data file's upload hangs: the first part is stored, the upload is unfinished.
        using var proxy = new StoreProxy(new Uri(TestObjectStores.S3Endpoint));
        StoreFaultRule held = proxy.Inject(StoreFault.Stall(), "PUT", "partNumber=2");

        using (WriterProcess writer = WriterProcess.StartWith(new Dictionary<string, string> { ["AWS_ENDPOINT_URL_S3"] = proxy.Endpoint.ToString() }, "large", uri, 3_000_000))
        {
            await held.FirstInjected.WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(await writer.KillAsync());
        }

        Assert.NotEmpty(await UnfinishedUploadsAsync(uri));
        Assert.Equal(0, (await _f.SnapshotAsync(uri)).Version);
        Assert.Equal(["0|first"], await _f.ReadAsync(uri));

        DeltaOperationResult vacuum = await _f.Writer.VacuumAsync(uri, retain: TimeSpan.Zero, force: true);

        Assert.Empty(await UnfinishedUploadsAsync(uri));
        Assert.NotEqual("0", vacuum.Metrics["numAbortedUploads"]);
        Assert.Equal(["0|first"], await _f.ReadAsync(uri));
    }

    [Fact]
    public async Task A_writer_killed_during_a_resumable_upload_to_gcs_commits_nothing_leaves_no_object_and_the_next_write_commits()
    {
        string uri = await TestObjectStores.NewTableAsync("gs");
        await _f.Writer.WriteAsync(uri, "SELECT 0::BIGINT AS id, 'first' AS payload");
        // The second chunk of the data file's resumable upload hangs: the first chunk is with the server, the object is not.
        using var proxy = new StoreProxy(TestObjectStores.Gcs.Endpoint);
        StoreFaultRule held = proxy.Inject(StoreFault.Stall(), "PUT", "upload_id=", every: 2);
        var environment = new Dictionary<string, string>
        {
            ["STORAGE_EMULATOR_HOST"] = proxy.Endpoint.GetLeftPart(UriPartial.Authority),
            ["MEDALLION_STORE_MULTIPART_THRESHOLD"] = "1MB",
            ["MEDALLION_STORE_PART_SIZE"] = "256KB",
        };

        using (WriterProcess writer = WriterProcess.StartWith(environment, "large", uri, 200_000))
        {
            await held.FirstInjected.WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(await writer.KillAsync());
        }

        string prefix = uri["gs://".Length..].Split('/', 2)[1] + "/";
        Assert.Single(TestObjectStores.Gcs.ObjectNames(TestObjectStores.Bucket, prefix), n => n.EndsWith(".parquet", StringComparison.Ordinal));
        Assert.Equal(0, (await _f.SnapshotAsync(uri)).Version);
        Assert.Equal(["0|first"], await _f.ReadAsync(uri));

        await _f.Writer.WriteAsync(uri, "SELECT 1::BIGINT AS id, 'second' AS payload");

        Assert.Equal(["0|first", "1|second"], await _f.ReadAsync(uri));
    }

    private static async Task<List<string>> UnfinishedUploadsAsync(string uri)
    {
        string[] parts = uri["s3://".Length..].Split('/', 2);
        using var s3 = new Amazon.S3.AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("testing", "testing"), new Amazon.S3.AmazonS3Config { ServiceURL = TestObjectStores.S3Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        Amazon.S3.Model.ListMultipartUploadsResponse response = await s3.ListMultipartUploadsAsync(new Amazon.S3.Model.ListMultipartUploadsRequest { BucketName = parts[0], Prefix = parts[1] + "/" });
        return (response.MultipartUploads ?? []).Select(u => u.Key).ToList();
    }
}

