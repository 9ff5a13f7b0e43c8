namespace Medallion.Pipelines.Tests.ObjectStores;

/// <summary>
/// Each project opens its tables through stores of its own (<see cref="MedallionProject.Stores"/>): two projects in one
/// process (a server's reload, tests side by side) never take each other's storage options or cache.
/// </summary>
public sealed class ProjectStoresTests
{
    [Fact]
    public async Task Two_projects_in_one_process_keep_their_own_storage_options_and_cache()
    {
        await ObjectStoreProjectTests.ServersReady;
        using var proxy = new StoreProxy(new Uri(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3")!));
        string prefixOfA = $"a-{Guid.NewGuid():N}", prefixOfB = $"b-{Guid.NewGuid():N}";
        using var proxied = new TestProject($"name: a\nstorage: s3://medallion-pipeline-tests/{prefixOfA}\nstorage_options:\n  AWS_ENDPOINT_URL_S3: {proxy.Endpoint}\ncache:\n  path: .cache\n");
        using var direct = new TestProject($"name: b\nstorage: s3://medallion-pipeline-tests/{prefixOfB}\n");
        MedallionProject a = await proxied.LoadAsync();
        MedallionProject b = await direct.LoadAsync();

        await b.Stores.OpenStore(b.Resolve(b.Storage)).PutAsync("probe", "b"u8.ToArray());
        await a.Stores.OpenStore(a.Resolve(a.Storage)).PutAsync("probe", "a"u8.ToArray());

        Assert.Contains(proxy.Requests, r => r.Contains($"PUT /medallion-pipeline-tests/{prefixOfA}/probe", StringComparison.Ordinal));
        Assert.DoesNotContain(proxy.Requests, r => r.Contains(prefixOfB, StringComparison.Ordinal));
        Assert.Equal(Path.Combine(proxied.Directory, ".cache"), a.Stores.Cache.Directory);
        Assert.NotEqual(a.Stores.Cache.Directory, b.Stores.Cache.Directory);
    }
}
