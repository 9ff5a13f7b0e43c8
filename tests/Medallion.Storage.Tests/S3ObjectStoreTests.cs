using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using Medallion.Storage.S3;
using Microsoft.Extensions.Logging;

namespace Medallion.Storage.Tests;

/// <summary>The store contract on moto_server (started by build/test-setup/moto.sh), and what only the S3 store does.</summary>
public sealed class S3ObjectStoreTests : RemoteObjectStoreContractTests, IDisposable
{
    private readonly TempDirectory _cache = new();
    private readonly S3ObjectStore _store;

    public S3ObjectStoreTests() => _store = Moto.NewStore(_cache.Path);

    protected override IObjectStore Store => _store;

    public void Dispose() => _cache.Dispose();

    [Fact]
    public void The_location_is_the_s3_uri_of_the_bucket_prefix()
    {
        Assert.Matches("^s3://medallion-tests/t-[0-9a-f]{32}$", _store.Location);
    }

    [Fact]
    public async Task Stores_of_one_service_and_credentials_send_their_requests_over_one_kept_alive_connection()
    {
        // moto closes every connection after its answer, so a keep-alive server of our own stands in for the service:
        // it answers every request with an empty listing and tells connections apart by the client's port.
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        using var server = new System.Net.HttpListener();
        server.Prefixes.Add($"http://127.0.0.1:{port}/");
        server.Start();
        var clientPorts = new List<int>();
        Task serving = Task.Run(async () =>
        {
            byte[] empty = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>lake</Name><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>");
            for (int i = 0; i < 4; i++)
            {
                System.Net.HttpListenerContext context = await server.GetContextAsync();
                clientPorts.Add(context.Request.RemoteEndPoint.Port);
                context.Response.ContentType = "application/xml";
                context.Response.ContentLength64 = empty.Length;
                await context.Response.OutputStream.WriteAsync(empty);
                context.Response.Close();
            }
        });
        S3ObjectStore Open(string prefix) => new(new S3StoreOptions { Bucket = "lake", Prefix = prefix, Endpoint = new Uri($"http://127.0.0.1:{port}"), AccessKeyId = "testing", SecretAccessKey = "testing" }, new ObjectCache(_cache.Path));

        // Four tables' stores, as a run opens one per table it touches.
        foreach (string table in new[] { "silver/orders", "silver/customers", "gold/revenue", "silver/orders" })
        {
            await foreach (ObjectInfo unused in Open(table).ListAsync("_delta_log/"))
            {
            }
        }

        await serving;
        Assert.Single(clientPorts.Distinct());
    }

    [Fact]
    public void The_local_root_is_a_folder_of_the_cache_named_by_the_location()
    {
        Assert.Equal(new ObjectCache(_cache.Path).FolderFor(_store.Location), _store.LocalRoot);
        Assert.StartsWith(_cache.Path + Path.DirectorySeparatorChar, _store.LocalRoot, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_above_the_multipart_threshold_is_uploaded_in_parts_and_reads_back_whole()
    {
        var store = Moto.NewStore(_cache.Path, o => o with { MultipartThresholdBytes = 6 << 20, PartSizeBytes = 5 << 20 });
        byte[] content = new byte[13 << 20];
        new Random(7).NextBytes(content);
        string path = store.GetLocalPath("data/big.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, content);

        await store.PublishLocalAsync(["data/big.parquet"]);

        Assert.Equal(content, await store.ReadAllAsync("data/big.parquet"));
        using AmazonS3Client client = Moto.Client();
        ListMultipartUploadsResponse pending = await client.ListMultipartUploadsAsync(Moto.Bucket);
        Assert.DoesNotContain(pending.MultipartUploads ?? [], u => u.Key.StartsWith(store.Location["s3://medallion-tests/".Length..], StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2 << 20)]
    [InlineData((5 << 20) + 3)]
    public async Task An_object_of_any_size_is_fetched_into_the_cache_whole_in_ranges_of_the_part_size(int length)
    {
        var store = Moto.NewStore(_cache.Path, o => o with { PartSizeBytes = 1 << 20 });
        byte[] content = new byte[length];
        new Random(length).NextBytes(content);
        await store.PutAsync("data/ranged.parquet", content);

        await store.FetchToLocalAsync(["data/ranged.parquet"]);

        Assert.Equal(content, await File.ReadAllBytesAsync(store.GetLocalPath("data/ranged.parquet")));
    }

    [Fact]
    public async Task A_missing_bucket_fails_naming_the_bucket()
    {
        var store = Moto.NewStore(_cache.Path, o => o with { Bucket = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] });

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.ReadAllAsync("_delta_log/00000000000000000000.json"));

        Assert.Equal(ErrorCode.StorageContainerNotFound, e.Code);
        Assert.Equal($"Could not read '_delta_log/00000000000000000000.json' in '{store.Location}': the bucket '{store.Location[5..store.Location.IndexOf('/', 5)]}' does not exist.\nHelp: create the bucket, or check the bucket name and the endpoint (AWS_ENDPOINT_URL_S3).", e.Message);
    }

    [Fact]
    public async Task A_failed_request_is_logged_as_a_warning_naming_the_operation_the_key_and_the_store()
    {
        var log = new RecordingLog();
        var store = Moto.NewStore(_cache.Path, o => o with { Bucket = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] }, log: log);

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.ReadAllAsync("_delta_log/00000000000000000000.json"));

        LoggedEvent failure = Assert.Single(log.Events);
        Assert.Equal((LogLevel.Warning, 15001), (failure.Level, failure.EventId));
        Assert.Equal($"Request to read '_delta_log/00000000000000000000.json' in {store.Location} failed after the client's retries (StorageContainerNotFound, transient: False)", failure.Message);
        Assert.Same(e, failure.Exception);
    }

    [Fact]
    public async Task A_missing_object_is_an_answer_and_is_not_logged()
    {
        var log = new RecordingLog();
        var store = Moto.NewStore(_cache.Path, log: log);

        Assert.Null(await ((IObjectStore)store).TryReadAllAsync("_last_checkpoint"));
        await Assert.ThrowsAsync<MedallionException>(() => store.ReadAllAsync("_delta_log/00000000000000000000.json"));

        Assert.Empty(log.Events);
    }

    [Fact]
    public async Task A_missing_bucket_is_not_taken_for_a_missing_object_by_get_info()
    {
        var store = Moto.NewStore(_cache.Path, o => o with { Bucket = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] });

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.GetInfoAsync("_last_checkpoint"));

        Assert.Equal(ErrorCode.StorageContainerNotFound, e.Code);
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_naming_the_store_the_operation_and_the_endpoint()
    {
        var store = Moto.NewStore(_cache.Path, o => o with { Endpoint = new Uri("http://127.0.0.1:9") });

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Bytes("{}")));

        Assert.Equal(ErrorCode.StorageIoFailed, e.Code);
        Assert.StartsWith($"Could not write '_delta_log/00000000000000000000.json' in '{store.Location}': the request to http://127.0.0.1:9 failed: ", e.Message, StringComparison.Ordinal);
        Assert.True(e.IsTransient);
    }

    [Fact]
    public async Task Warming_up_a_store_whose_endpoint_is_unreachable_ends_without_an_error()
    {
        var store = Moto.NewStore(_cache.Path, o => o with { Endpoint = new Uri("http://127.0.0.1:9") });

        await store.WarmUpAsync();

        // The request that needs the store is the one that reports it.
        await Assert.ThrowsAsync<MedallionException>(() => store.ReadAllAsync("_delta_log/00000000000000000000.json"));
    }

    [Fact]
    public async Task Warming_up_a_store_whose_bucket_is_missing_ends_without_an_error()
    {
        var store = Moto.NewStore(_cache.Path, o => o with { Bucket = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] });

        await store.WarmUpAsync();

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.ReadAllAsync("_delta_log/00000000000000000000.json"));
        Assert.Equal(ErrorCode.StorageContainerNotFound, e.Code);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000", true)]
    [InlineData("http://localhost:9000", true)]
    [InlineData("http://[::1]:9000", true)]
    [InlineData("https://minio.example.com", false)]
    public void Path_style_is_chosen_for_an_ip_or_localhost_endpoint(string endpoint, bool pathStyle)
    {
        var options = S3StoreOptions.FromUri("s3://b/t", name => name == "AWS_ENDPOINT_URL_S3" ? endpoint : null);

        Assert.Equal(pathStyle, options.UsesPathStyle);
    }

    [Fact]
    public void Options_come_from_the_standard_variables_with_the_s3_endpoint_before_the_general_one()
    {
        var env = new System.Collections.Generic.Dictionary<string, string>
        {
            ["AWS_REGION"] = "eu-west-3",
            ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1",
            ["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:2",
        };

        S3StoreOptions options = S3StoreOptions.FromUri("s3://lake/sales/orders/", env.GetValueOrDefault);

        Assert.Equal(("lake", "sales/orders", "eu-west-3", "http://127.0.0.1:2/"), (options.Bucket, options.Prefix, options.Region, options.Endpoint?.ToString()));
        Assert.Equal("s3://lake/sales/orders", options.Location);
    }

    [Fact]
    public void An_endpoint_that_is_not_a_url_is_refused_naming_the_variables()
    {
        var e = Assert.Throws<MedallionException>(() => S3StoreOptions.FromUri("s3://b/t", name => name == "AWS_ENDPOINT_URL" ? "minio:9000" : null));

        Assert.Equal(ErrorCode.StorageConfigurationInvalid, e.Code);
        Assert.Equal("The S3 endpoint 'minio:9000' (from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL) is not an http:// or https:// URL.\nHelp: set it to the service's address, e.g. http://127.0.0.1:9000.", e.Message);
    }

    [Fact]
    public async Task Without_conditional_writes_a_commit_is_refused_and_nothing_is_written()
    {
        var store = Moto.NewStore(_cache.Path, o => o with { ConditionalPut = false });

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Bytes("{}")));

        Assert.Equal(ErrorCode.StorageConditionalWritesUnsupported, e.Code);
        Assert.Equal($"Cannot commit '_delta_log/00000000000000000000.json' to '{store.Location}' safely: conditional writes are turned off for it (MEDALLION_S3_CONDITIONAL_PUT=false), so two writers could take the same version and one commit would be lost.\nHelp: use a store that supports If-None-Match on PutObject; or, if only one process ever writes to this table, set MEDALLION_S3_CONDITIONAL_PUT=false and MEDALLION_SINGLE_WRITER=true.", e.Message);
        Assert.Null(await store.GetInfoAsync("_delta_log/00000000000000000000.json"));
        Assert.False(store.SupportsConditionalPut);
    }

    [Fact]
    public async Task Without_conditional_writes_a_single_writer_commits_and_does_not_overwrite_a_version()
    {
        var store = Moto.NewStore(_cache.Path, o => o with { ConditionalPut = false, SingleWriter = true });

        Assert.True(await store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Bytes("first")));
        Assert.False(await store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Bytes("second")));
        Assert.Equal("first", Encoding.UTF8.GetString(await store.ReadAllAsync("_delta_log/00000000000000000000.json")));
    }

    [Fact]
    public void The_single_writer_opt_in_reads_medallion_s_variable_and_delta_rs_s()
    {
        Assert.True(S3StoreOptions.FromUri("s3://b/t", n => n == "MEDALLION_SINGLE_WRITER" ? "true" : null).SingleWriter);
        Assert.True(S3StoreOptions.FromUri("s3://b/t", n => n == "AWS_S3_ALLOW_UNSAFE_RENAME" ? "true" : null).SingleWriter);
        Assert.False(S3StoreOptions.FromUri("s3://b/t", n => n == "MEDALLION_S3_CONDITIONAL_PUT" ? "false" : null).ConditionalPut);
        Assert.Equal((true, false), (S3StoreOptions.FromUri("s3://b/t", _ => null).ConditionalPut, S3StoreOptions.FromUri("s3://b/t", _ => null).SingleWriter));
    }

    [Fact]
    public void The_request_timeout_is_medallion_store_timeout_and_a_value_that_is_not_a_duration_is_refused_naming_it()
    {
        var e = Assert.Throws<MedallionException>(() => S3StoreOptions.FromUri("s3://b/t", n => n == "MEDALLION_STORE_TIMEOUT" ? "soon" : null));

        Assert.Equal(TimeSpan.FromSeconds(30), S3StoreOptions.FromUri("s3://b/t", n => n == "MEDALLION_STORE_TIMEOUT" ? "30s" : null).RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(100), S3StoreOptions.FromUri("s3://b/t", _ => null).RequestTimeout);
        Assert.Equal(ErrorCode.StorageConfigurationInvalid, e.Code);
        Assert.Equal("The request timeout 'soon' for 's3://b/t' (from MEDALLION_STORE_TIMEOUT) is not a positive duration.\nHelp: write one such as 30s or 2m.", e.Message);
    }

    [Fact]
    public void The_multipart_threshold_and_part_size_are_the_store_part_settings_and_a_part_below_s3s_minimum_is_refused_naming_it()
    {
        var settings = new Dictionary<string, string> { ["MEDALLION_STORE_MULTIPART_THRESHOLD"] = "5MB", ["MEDALLION_STORE_PART_SIZE"] = "6 MB" };
        var e = Assert.Throws<MedallionException>(() => S3StoreOptions.FromUri("s3://b/t", n => n == "MEDALLION_STORE_PART_SIZE" ? "1MB" : null));

        S3StoreOptions options = S3StoreOptions.FromUri("s3://b/t", settings.GetValueOrDefault);
        Assert.Equal((5L << 20, 6L << 20), (options.MultipartThresholdBytes, options.PartSizeBytes));
        Assert.Equal((64L << 20, 16L << 20), (S3StoreOptions.FromUri("s3://b/t", _ => null).MultipartThresholdBytes, S3StoreOptions.FromUri("s3://b/t", _ => null).PartSizeBytes));
        Assert.Equal(ErrorCode.StorageConfigurationInvalid, e.Code);
        Assert.Equal("MEDALLION_STORE_PART_SIZE for 's3://b/t' cannot be '1MB': S3 takes 5 MiB to 5 GiB.\nHelp: write a size in that range, e.g. 8MB.", e.Message);
    }
}
