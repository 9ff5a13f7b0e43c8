using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests;

namespace Medallion.Platform.Tests;

/// <summary>
/// A real project, built once per test class: CSV orders loaded into bronze, a documented silver model with a
/// quarantine rule (one negative amount), and a gold model over it, run twice by the real runner (the second run
/// finds a new file).
/// </summary>
public sealed class ShopProject : IAsyncLifetime
{
    private readonly TestProject _files = new TestProject("name: shop\nstorage: lake\n")
        .Write("sources/files.yml", """
            sources:
              - name: orders
                description: Orders exported by the shop.
                format: csv
                path: data/orders/*.csv
                target: bronze.orders
            """)
        .Write("models/silver/orders.sql", """
            /* ---
            description: Orders, typed and cleaned.
            owner: sales-team
            tags: [sales]
            columns:
              order_id:
                description: The shop's order number.
              email:
                description: Buyer e-mail, lower-cased.
                classification: pii
            expectations:
              - not_null: [order_id]
              - expression: amount >= 0
                name: amount_positive
                severity: quarantine
            --- */
            SELECT CAST(order_id AS BIGINT) AS order_id, lower(email) AS email, CAST(amount AS DECIMAL(10, 2)) AS amount FROM bronze.orders
            """)
        .Write("models/gold/revenue.sql", "SELECT sum(amount) AS revenue FROM silver.orders\n")
        .Write("data/orders/1.csv", "order_id,email,amount\n1,A@X.COM,10\n2,B@X.COM,20\n3,C@X.COM,-5\n");

    public string Directory => _files.Directory;

    /// <summary>The first run (bronze, silver and gold built).</summary>
    public RunResult FirstRun { get; private set; } = null!;

    /// <summary>The second run, after a second file arrived.</summary>
    public RunResult SecondRun { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        FirstRun = await RunAsync();
        _files.Write("data/orders/2.csv", "order_id,email,amount\n4,D@X.COM,40\n");
        SecondRun = await RunAsync();
    }

    public Task DisposeAsync()
    {
        // SQLite keeps pooled connections open, which would keep the catalog file from being deleted.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _files.Dispose();
        return Task.CompletedTask;
    }

    private async Task<RunResult> RunAsync()
    {
        RunResult result = await ProjectRunner.RunAsync(await _files.LoadAsync(), new RunOptions());
        Assert.True(result.Succeeded, $"The fixture's run {result.RunId} failed: {string.Join("; ", result.Steps.Select(s => s.Error))}");
        return result;
    }
}
