using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Medallion.Storage.Gcs;

namespace Medallion.Storage.Tests;

/// <summary>
/// The store contract on the GCS JSON API test server (tests/Medallion.TestSupport/Gcs), reached as an emulator
/// through <c>STORAGE_EMULATOR_HOST</c>, and what only the GCS store does.
/// </summary>
public sealed class GcsObjectStoreTests : RemoteObjectStoreContractTests, IDisposable
{
    public const string Bucket = "medallion-tests";

    private readonly TempDirectory _cache = new();
    private readonly GcsTestServer _server;
    private readonly GcsObjectStore _store;

    public GcsObjectStoreTests()
    {
        _server = GcsTestServer.SharedAsync().GetAwaiter().GetResult();
        _server.CreateBucket(Bucket);
        _store = NewStore(_server);
    }

    protected override IObjectStore Store => _store;

    public void Dispose() => _cache.Dispose();

    private GcsObjectStore NewStore(GcsTestServer server, Func<Dictionary<string, string>, Dictionary<string, string>>? change = null, string bucket = Bucket)
    {
        var settings = new Dictionary<string, string> { [GcsStoreOptions.EmulatorHostSettingName] = server.EmulatorHost };
        return new GcsObjectStore(GcsStoreOptions.FromUri($"gs://{bucket}/t-{Guid.NewGuid():N}", (change is null ? settings : change(settings)).GetValueOrDefault), new ObjectCache(_cache.Path));
    }

    [Fact]
    public async Task A_commit_is_one_create_only_upload_request()
    {
        int before = _server.Requests.Count;

        Assert.True(await Store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Bytes("{}")));

        string request = Assert.Single(_server.Requests.Skip(before));
        Assert.StartsWith($"POST /upload/storage/v1/b/{Bucket}/o?uploadType=media&name=", request, StringComparison.Ordinal);
        Assert.EndsWith("&ifGenerationMatch=0", request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_above_the_single_upload_limit_goes_as_a_resumable_upload_in_chunks_and_reads_back_whole()
    {
        GcsObjectStore store = NewStore(_server, s => new(s) { ["MEDALLION_STORE_MULTIPART_THRESHOLD"] = "1MB", ["MEDALLION_STORE_PART_SIZE"] = "256KB" });
        byte[] content = new byte[(3 << 20) + 123];
        new Random(7).NextBytes(content);
        string path = store.GetLocalPath("data/big.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, content);
        int before = _server.Requests.Count;

        await store.PublishLocalAsync(["data/big.parquet"]);
        List<string> upload = [.. _server.Requests.Skip(before)];
        File.Delete(path);
        await store.FetchToLocalAsync(["data/big.parquet"]);

        Assert.Contains("uploadType=resumable", upload[0], StringComparison.Ordinal);
        Assert.True(upload.Count(r => r.StartsWith("PUT /upload/", StringComparison.Ordinal)) >= 12, string.Join('\n', upload));
        Assert.Equal(content, await store.ReadAllAsync("data/big.parquet"));
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_range_is_read_in_one_request()
    {
        await Store.PutAsync("data/part-0.parquet", Bytes("0123456789PAR1"));
        int before = _server.Requests.Count;

        byte[] footer = await Store.ReadRangeAsync("data/part-0.parquet", 10, 4);

        Assert.Equal("PAR1", System.Text.Encoding.UTF8.GetString(footer));
        Assert.Single(_server.Requests.Skip(before));
    }

    [Fact]
    public async Task A_range_past_the_end_fails_with_the_size_of_the_object()
    {
        await Store.PutAsync("data/short.parquet", Bytes("0123456789"));

        var past = await Assert.ThrowsAsync<MedallionException>(() => Store.ReadRangeAsync("data/short.parquet", 20, 4));
        var across = await Assert.ThrowsAsync<MedallionException>(() => Store.ReadRangeAsync("data/short.parquet", 8, 4));

        Assert.Equal($"Cannot read bytes 20..24 of 'data/short.parquet' in '{Store.Location}': the object has only 10 bytes.", past.Message);
        Assert.Equal($"Cannot read bytes 8..12 of 'data/short.parquet' in '{Store.Location}': the object has only 10 bytes.", across.Message);
    }

    [Fact]
    public async Task A_missing_bucket_fails_naming_the_bucket()
    {
        GcsObjectStore store = NewStore(_server, bucket: "no-such-bucket");

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.GetInfoAsync("_delta_log/_last_checkpoint"));

        Assert.Equal(ErrorCode.StorageContainerNotFound, e.Code);
        Assert.Equal($"Could not read '_delta_log/_last_checkpoint' in '{store.Location}': the bucket 'no-such-bucket' does not exist.\nHelp: create the bucket, or check its name and the project.", e.Message);
    }

    [Fact]
    public async Task A_missing_bucket_is_not_taken_for_a_missing_object_when_listing()
    {
        GcsObjectStore store = NewStore(_server, bucket: "no-such-bucket");

        var e = await Assert.ThrowsAsync<MedallionException>(async () => await store.ListAsync("_delta_log/").ToListAsync());

        Assert.Equal(ErrorCode.StorageContainerNotFound, e.Code);
    }

    [Fact]
    public async Task A_service_account_key_file_named_by_google_application_credentials_signs_in_and_its_token_is_sent()
    {
        using RSA key = RSA.Create(2048);
        await using GcsTestServer server = await GcsTestServer.StartAsync(new GcsTestServerOptions { ServiceAccountKey = key });
        server.CreateBucket(Bucket);
        string file = Path.Combine(_cache.Path, "key.json");
        await File.WriteAllTextAsync(file, server.ServiceAccountJson());
        GcsObjectStore store = NewStore(server, s => new(s) { ["GOOGLE_APPLICATION_CREDENTIALS"] = file });

        Assert.True(await store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Bytes("{}")));
        Assert.Equal("{}", System.Text.Encoding.UTF8.GetString(await store.ReadAllAsync("_delta_log/00000000000000000000.json")));
        Assert.Empty(server.Violations);
    }

    [Fact]
    public async Task A_key_the_service_does_not_know_fails_with_access_denied_and_no_secret_in_the_message()
    {
        using RSA known = RSA.Create(2048);
        using RSA other = RSA.Create(2048);
        await using GcsTestServer server = await GcsTestServer.StartAsync(new GcsTestServerOptions { ServiceAccountKey = known });
        server.CreateBucket(Bucket);
        await using GcsTestServer forger = await GcsTestServer.StartAsync(new GcsTestServerOptions { ServiceAccountKey = other });
        // The forger's key file, pointed at the real server's token endpoint.
        string json = forger.ServiceAccountJson().Replace(forger.Endpoint.ToString(), server.Endpoint.ToString(), StringComparison.Ordinal);
        GcsObjectStore store = NewStore(server, s => new(s) { ["GOOGLE_SERVICE_ACCOUNT_KEY"] = json });

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Bytes("{}")));

        Assert.Equal(ErrorCode.StorageAccessDenied, e.Code);
        Assert.StartsWith($"Could not write '_delta_log/00000000000000000000.json' in '{store.Location}': ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", e.Message, StringComparison.Ordinal);
        Assert.Empty(server.ObjectNames(Bucket, store.Location[(store.Location.LastIndexOf('/') + 1)..]));
    }

    [Fact]
    public async Task Credentials_that_are_not_a_credentials_file_are_refused_naming_the_setting()
    {
        GcsObjectStore store = NewStore(_server, s => new(s) { ["GOOGLE_SERVICE_ACCOUNT_KEY"] = "{\"private_key\": \"not a key\"}" });

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.GetInfoAsync("_delta_log/_last_checkpoint"));

        Assert.Equal(ErrorCode.StorageConfigurationInvalid, e.Code);
        Assert.StartsWith($"No Google credentials for '{store.Location}': GOOGLE_SERVICE_ACCOUNT_KEY is not the content of a Google credentials file.", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not a key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_naming_the_store_the_operation_and_the_endpoint()
    {
        GcsObjectStore store = NewStore(_server, s => new(s) { [GcsStoreOptions.EmulatorHostSettingName] = "127.0.0.1:9", ["MEDALLION_STORE_TIMEOUT"] = "2s" });

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Bytes("{}")));

        Assert.Equal(ErrorCode.StorageIoFailed, e.Code);
        Assert.StartsWith($"Could not write '_delta_log/00000000000000000000.json' in '{store.Location}': the request to http://127.0.0.1:9 failed: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gs_uri_names_the_bucket_and_the_prefix_and_a_gcs_uri_is_the_same()
    {
        GcsStoreOptions gs = GcsStoreOptions.FromUri("gs://lake/sales/orders/", _ => null);
        GcsStoreOptions gcs = GcsStoreOptions.FromUri("gcs://lake/sales/orders", _ => null);

        Assert.Equal(("lake", "sales/orders", "gs://lake/sales/orders", null, false), (gs.Bucket, gs.Prefix, gs.Location, gs.Endpoint, gs.Anonymous));
        Assert.Equal((gs.Bucket, gs.Prefix), (gcs.Bucket, gcs.Prefix));
    }

    [Fact]
    public void An_emulator_host_without_a_scheme_is_reached_over_http_without_credentials()
    {
        GcsStoreOptions options = GcsStoreOptions.FromUri("gs://lake/orders", new Dictionary<string, string> { ["STORAGE_EMULATOR_HOST"] = "localhost:4443" }.GetValueOrDefault);

        Assert.Equal((new Uri("http://localhost:4443/"), true), (options.Endpoint, options.Anonymous));
    }

    [Fact]
    public void A_gs_uri_without_a_bucket_is_refused()
    {
        var e = Assert.Throws<MedallionException>(() => GcsStoreOptions.FromUri("gs:///orders", _ => null));

        Assert.Equal(ErrorCode.StorageUnsupportedLocation, e.Code);
        Assert.Equal("The table location 'gs:///orders' is not a valid Google Cloud Storage URI.\nHelp: write gs://bucket/path/to/table.", e.Message);
    }

    [Fact]
    public void A_part_size_that_is_not_a_multiple_of_256_kib_is_refused()
    {
        var e = Assert.Throws<MedallionException>(() => GcsStoreOptions.FromUri("gs://lake/orders", new Dictionary<string, string> { ["MEDALLION_STORE_PART_SIZE"] = "1000KB" }.GetValueOrDefault));

        Assert.Equal(ErrorCode.StorageConfigurationInvalid, e.Code);
        Assert.StartsWith("MEDALLION_STORE_PART_SIZE for 'gs://lake/orders' cannot be '1000KB': Google Cloud Storage takes the chunks of an upload in multiples of 256 KiB.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_store_makes_no_request_the_test_server_finds_outside_the_protocol()
    {
        await Store.PutAsync("a/1.json", Bytes("x"));
        await Store.PutIfAbsentAsync("a/2.json", Bytes("x"));
        await Store.PutIfAbsentAsync("a/2.json", Bytes("y"));
        await Store.ListAsync("a/", "a/1.json", 1).ToListAsync();
        await Store.ListFoldersAsync(string.Empty).ToListAsync();
        await Store.ReadRangeAsync("a/1.json", 0, 1);
        await Store.GetInfoAsync("a/none.json");
        await Store.DeleteAsync("a/1.json");
        await Store.DeleteAsync("a/1.json");

        Assert.DoesNotContain(_server.Violations, v => v.Contains(_store.Location[(_store.Location.LastIndexOf('/') + 1)..], StringComparison.Ordinal));
    }
}
