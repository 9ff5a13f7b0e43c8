using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Google;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;
using Medallion.Storage.Gcs;

namespace Medallion.Storage.Tests;

/// <summary>A test that runs only against a real bucket: skipped unless <c>MEDALLION_TEST_GCS_BUCKET</c> names one.</summary>
public sealed class LiveGcsFactAttribute : FactAttribute
{
    public const string Variable = "MEDALLION_TEST_GCS_BUCKET";

    public LiveGcsFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"Set {Variable}=gs://bucket/prefix (with Application Default Credentials that may write there) to run against Google Cloud Storage.";
        }
    }
}

/// <summary>
/// The commit primitive and the reads Delta depends on, against a real GCS bucket (<c>MEDALLION_TEST_GCS_BUCKET</c>, reached
/// with Application Default Credentials), each test under a fresh prefix it deletes: what the test server answers as GCS
/// does, checked against GCS itself.
/// </summary>
public sealed class LiveGcsTests : IAsyncLifetime
{
    private readonly TempDirectory _cache = new();
    private GcsObjectStore? _store;

    private GcsObjectStore Store => _store!;

    public Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(LiveGcsFactAttribute.Variable) is { Length: > 0 } root)
        {
            string location = (root.Contains("://", StringComparison.Ordinal) ? root : "gs://" + root).TrimEnd('/') + "/medallion-test-" + Guid.NewGuid().ToString("N");
            _store = new GcsObjectStore(GcsStoreOptions.FromUri(location), new ObjectCache(_cache.Path));
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await foreach (ObjectInfo info in _store.ListAsync(string.Empty))
            {
                await _store.DeleteAsync(info.Key);
            }
        }

        _cache.Dispose();
    }

    [LiveGcsFact]
    public async Task A_token_downscoped_by_Googles_STS_reads_and_lists_its_folder_and_is_refused_a_sibling()
    {
        await Store.PutAsync("table/part-0", new byte[] { 1 });
        await Store.PutAsync("table_v2/part-0", new byte[] { 2 });
        GcsStoreOptions root = GcsStoreOptions.FromUri(Store.Location);
        StorageCredentials issued = await new GcsStoreProvider().IssueCredentialsAsync(Store.Location + "/table", StorageAccess.Read, "live", Environment.GetEnvironmentVariable, CancellationToken.None);
        using StorageClient downscoped = await StorageClient.CreateAsync(GoogleCredential.FromAccessToken(issued.GcpOAuthToken));

        int listed = 0;
        await foreach (Google.Apis.Storage.v1.Data.Object _ in downscoped.ListObjectsAsync(root.Bucket, root.Prefix + "/table/"))
        {
            listed++;
        }

        await downscoped.DownloadObjectAsync(root.Bucket, root.Prefix + "/table/part-0", new MemoryStream());
        GoogleApiException refused = await Assert.ThrowsAsync<GoogleApiException>(() => downscoped.DownloadObjectAsync(root.Bucket, root.Prefix + "/table_v2/part-0", new MemoryStream()));

        Assert.Equal((1, HttpStatusCode.Forbidden), (listed, refused.HttpStatusCode));
    }

    [LiveGcsFact]
    public async Task Of_sixteen_concurrent_create_only_writers_of_one_key_exactly_one_wins()
    {
        bool[] won = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => Store.PutIfAbsentAsync("_delta_log/00000000000000000001.json", Encoding.UTF8.GetBytes("writer " + i)))));

        Assert.Single(won, w => w);
        Assert.Equal("writer " + Array.IndexOf(won, true), Encoding.UTF8.GetString(await Store.ReadAllAsync("_delta_log/00000000000000000001.json")));
    }

    [LiveGcsFact]
    public async Task A_listing_in_pages_after_a_key_gives_the_later_keys_in_order_and_folders_once()
    {
        foreach (string key in new[] { "_delta_log/1.json", "_delta_log/2.json", "_delta_log/3.json", "data/a/1.parquet", "data/b/1.parquet" })
        {
            await Store.PutAsync(key, Encoding.UTF8.GetBytes(key));
        }

        Assert.Equal(["_delta_log/2.json", "_delta_log/3.json"], await Store.ListAsync("_delta_log/", "_delta_log/1.json", 1).Select(i => i.Key).ToListAsync());
        Assert.Equal(["data/a/", "data/b/"], await Store.ListFoldersAsync("data/").ToListAsync());
    }

    [LiveGcsFact]
    public async Task A_range_a_missing_object_and_a_range_past_the_end_are_answered_as_the_contract_says()
    {
        await Store.PutAsync("data/part-0.parquet", Encoding.UTF8.GetBytes("0123456789PAR1"));

        Assert.Equal("PAR1", Encoding.UTF8.GetString(await Store.ReadRangeAsync("data/part-0.parquet", 10, 4)));
        Assert.Null(await Store.GetInfoAsync("data/none.parquet"));
        Assert.Equal(ErrorCode.StorageObjectNotFound, (await Assert.ThrowsAsync<MedallionException>(() => Store.ReadAllAsync("data/none.parquet"))).Code);
        Assert.Equal(ErrorCode.StorageIoFailed, (await Assert.ThrowsAsync<MedallionException>(() => Store.ReadRangeAsync("data/part-0.parquet", 20, 4))).Code);
    }
}
