using Medallion.Engine.Sessions;
using Medallion.Engine.Tests.Writing;

namespace Medallion.Engine.Tests.ObjectStores;

/// <summary>
/// Finding the tables of a lake on S3, with the requests counted by a proxy in front of moto: the lake's folders are
/// listed, never the data files and log entries of its tables (a table with a long history has tens of thousands).
/// </summary>
public sealed class S3LakeListingTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task A_lake_on_s3_is_listed_by_its_folders_without_listing_any_table_s_files_or_log()
    {
        await TestObjectStores.EnsureEnvironmentAsync();
        string lake = $"s3://{TestObjectStores.Bucket}/lake-{Guid.NewGuid():N}";
        foreach (string table in new[] { "silver/orders", "silver/customers", "bronze/orders" })
        {
            await _f.Writer.WriteAsync($"{lake}/{table}", "SELECT i AS id FROM range(3) t(i)");
            await _f.Writer.WriteAsync($"{lake}/{table}", "SELECT 3 AS id");
        }

        // A folder that holds files but no table.
        await _f.Writer.WriteAsync($"{lake}/bronze/orders", "SELECT 4 AS id");
        await StorageResolver.Default.OpenStore(lake).PutAsync("bronze/notes/readme.txt", "not a table"u8.ToArray());
        using var proxy = new StoreProxy(new Uri(TestObjectStores.S3Endpoint));
        IReadOnlyList<LakehouseTable> tables = await new DirectoryTableLocator(lake, stores: TestObjectStores.Through(proxy, lake)).ListAsync();

        Assert.Equal(["bronze.orders", "silver.customers", "silver.orders"], tables.Select(t => t.QualifiedName));
        // Folders by delimiter (the root, then each namespace), then at most one page of each table's log.
        Assert.All(proxy.Requests, r => Assert.True(r.Contains("delimiter=", StringComparison.Ordinal) || r.Contains("_delta_log", StringComparison.Ordinal), r));
        Assert.Equal(1 + 2 + 4, proxy.Requests.Count);
    }

    [Fact]
    public async Task A_table_is_found_by_the_first_keys_of_its_log_not_a_page_of_them()
    {
        await TestObjectStores.EnsureEnvironmentAsync();
        string lake = $"s3://{TestObjectStores.Bucket}/first-{Guid.NewGuid():N}";
        for (int i = 0; i < 12; i++)
        {
            await _f.Writer.WriteAsync($"{lake}/silver/orders", $"SELECT {i} AS id");
        }

        using var proxy = new StoreProxy(new Uri(TestObjectStores.S3Endpoint));
        LakehouseTable? table = await new DirectoryTableLocator(lake, stores: TestObjectStores.Through(proxy, lake)).FindAsync("silver", "orders");

        Assert.NotNull(table);
        Assert.Equal($"GET /{TestObjectStores.Bucket}/?list-type=2&max-keys=10&prefix={lake[($"s3://{TestObjectStores.Bucket}/").Length..]}%2Fsilver%2Forders%2F_delta_log%2F HTTP/1.1", Assert.Single(proxy.Requests));
    }

    [Fact]
    public async Task A_table_whose_log_starts_with_other_files_than_versions_is_still_found()
    {
        await TestObjectStores.EnsureEnvironmentAsync();
        string lake = $"s3://{TestObjectStores.Bucket}/tmpfirst-{Guid.NewGuid():N}";
        await _f.Writer.WriteAsync($"{lake}/silver/orders", "SELECT 1 AS id");
        Medallion.Storage.IObjectStore table = StorageResolver.Default.OpenStore($"{lake}/silver/orders");
        for (int i = 0; i < 10; i++)
        {
            // Leftovers of writers that stage a commit under a temporary name sort before the version files ('.' < '0').
            await table.PutAsync($"_delta_log/.{i:D20}.json.tmp", "{}"u8.ToArray());
        }

        Assert.NotNull(await new DirectoryTableLocator(lake).FindAsync("silver", "orders"));
        Assert.Null(await new DirectoryTableLocator(lake).FindAsync("silver", "customers"));
    }

    [Fact]
    public async Task A_query_looks_for_the_tables_it_names_where_they_are_without_listing_the_lake()
    {
        await TestObjectStores.EnsureEnvironmentAsync();
        string lake = $"s3://{TestObjectStores.Bucket}/direct-{Guid.NewGuid():N}";
        await _f.Writer.WriteAsync($"{lake}/silver/orders", "SELECT i AS id FROM range(3) t(i)");
        await _f.Writer.WriteAsync($"{lake}/gold/revenue", "SELECT 1 AS id");
        using var proxy = new StoreProxy(new Uri(TestObjectStores.S3Endpoint));
        await using LakehouseSession session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(lake, stores: TestObjectStores.Through(proxy, lake)), lazy: true);

        await using (Medallion.DuckDb.DuckDbDataReader reader = await session.ExecuteReaderAsync("SELECT count(*) FROM silver.orders"))
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(3L, reader.GetInt64(0));
        }

        // Each request is of silver/orders itself: no folder listing of the lake, nothing of gold.
        Assert.DoesNotContain(proxy.Requests, r => r.Contains("delimiter=", StringComparison.Ordinal));
        Assert.All(proxy.Requests, r => Assert.Contains("silver%2Forders%2F", r.Replace("/silver/orders/", "silver%2Forders%2F", StringComparison.Ordinal), StringComparison.Ordinal));
    }
}
