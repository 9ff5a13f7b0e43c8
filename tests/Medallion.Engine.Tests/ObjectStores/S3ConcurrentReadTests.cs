using Medallion.Engine.Sessions;
using Medallion.Engine.Tests.Writing;

namespace Medallion.Engine.Tests.ObjectStores;

/// <summary>
/// Loading tables on S3 with a proxy in front of moto that holds one request: what does not depend on the held answer
/// is asked for while it is unanswered. A log of many commits since its checkpoint costs about one request's wait per
/// eight commits, and a query of several tables waits for the slowest table, not the sum of them.
/// </summary>
public sealed class S3ConcurrentReadTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task A_snapshot_asks_for_the_next_commits_while_one_is_still_being_read()
    {
        await TestObjectStores.EnsureEnvironmentAsync();
        string table = $"s3://{TestObjectStores.Bucket}/read-ahead-{Guid.NewGuid():N}/t";
        for (int i = 0; i < 10; i++)
        {
            await _f.Writer.WriteAsync(table, $"SELECT {i} AS id");
        }

        // The newest commit is read first; hold it, and the reads behind it must go out anyway.
        using var proxy = new StoreProxy(new Uri(TestObjectStores.S3Endpoint));
        StoreFaultRule held = proxy.Inject(StoreFault.Stall(), "GET", "_delta_log/00000000000000000009\\.json");
        using var cancel = new CancellationTokenSource();
        Task<Delta.Snapshots.Snapshot> load = _f.Open(table, TestObjectStores.Through(proxy, table)).GetSnapshotAsync(cancellationToken: cancel.Token);

        await held.FirstInjected.WaitAsync(TimeSpan.FromSeconds(30));
        string[] behind = [.. Enumerable.Range(2, 7).Select(v => $"_delta_log/{v:D20}.json")];
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!behind.All(key => proxy.Requests.Any(r => r.Contains(key, StringComparison.Ordinal))) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.All(behind, key => Assert.Contains(proxy.Requests, r => r.Contains(key, StringComparison.Ordinal)));
        Assert.False(load.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => load);
    }

    [Fact]
    public async Task A_query_of_two_tables_loads_the_second_while_the_first_is_still_loading()
    {
        await TestObjectStores.EnsureEnvironmentAsync();
        string lake = $"s3://{TestObjectStores.Bucket}/two-tables-{Guid.NewGuid():N}";
        await _f.Writer.WriteAsync($"{lake}/ns/first", "SELECT 1 AS id");
        await _f.Writer.WriteAsync($"{lake}/ns/second", "SELECT 2 AS id");
        using var proxy = new StoreProxy(new Uri(TestObjectStores.S3Endpoint));
        StoreFaultRule held = proxy.Inject(StoreFault.Stall(), "GET", "/ns/first/_delta_log/_last_checkpoint");
        await using LakehouseSession session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(lake, stores: TestObjectStores.Through(proxy, lake)), lazy: true);
        using var cancel = new CancellationTokenSource();

        Task<string> bind = session.BindAsync("SELECT * FROM ns.first, ns.second", cancel.Token);

        await held.FirstInjected.WaitAsync(TimeSpan.FromSeconds(30));
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!proxy.Requests.Any(r => r.Contains("/ns/second/_delta_log/", StringComparison.Ordinal) && !r.Contains("list-type", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Contains(proxy.Requests, r => r.Contains("/ns/second/_delta_log/", StringComparison.Ordinal) && !r.Contains("list-type", StringComparison.Ordinal));
        Assert.False(bind.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bind);
    }
}
