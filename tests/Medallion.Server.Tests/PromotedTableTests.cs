using System.Net;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Planning;
using Medallion.Platform;
using Medallion.Platform.Observability;

namespace Medallion.Server.Tests;

/// <summary>
/// What the server says of a table after <c>medallion promote dev</c> and <c>medallion rollback prod</c>: every face
/// (the Unity Catalog API, the table's page data, monitoring, the catalog's records) describes the table prod's pointer
/// names, not the folder the table had before environments.
/// </summary>
public sealed class PromotedTableTests : IAsyncLifetime
{
    /// <summary>silver.orders as dev changes it: a column more, and only the first order.</summary>
    private const string DevOrders = """
        /* ---
        description: Orders, typed.
        expectations:
          - not_null: [order_id]
        --- */
        SELECT CAST(order_id AS BIGINT) AS order_id, lower(email) AS email, CAST(amount AS DECIMAL(10, 2)) AS amount, 'dev' AS stage FROM bronze.orders WHERE order_id = 1
        """;

    private static readonly TableName s_orders = TableName.Parse("silver.orders");

    private ServedProject _served = null!;
    private string _devRun = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        File.WriteAllText(Path.Combine(_served.Directory, "models", "silver", "orders.sql"), DevOrders);
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_served.Directory);
        ApplyResult applied = await ProjectPlanner.ApplyAsync(environment, new ApplyOptions { Plan = new PlanOptions { Environment = "dev" } });
        Assert.True(applied.Succeeded);
        _devRun = applied.Run!.RunId;
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    private async Task PromoteAsync()
    {
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_served.Directory);
        await ProjectPlanner.PromoteAsync(environment, "dev", "prod");
    }

    private async Task RollbackAsync()
    {
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_served.Directory);
        await ProjectPlanner.RollbackAsync(environment, "prod");
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using HttpResponseMessage response = await _served.GetAsync(path, ServedProject.Basic("ana", ServedProject.OperatorPassword));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<string> StorageLocationAsync() =>
        (await GetJsonAsync("/api/2.1/unity-catalog/tables/shop.silver.orders")).GetProperty("storage_location").GetString()!;

    [Fact]
    public async Task The_unity_catalog_api_gives_the_promoted_tables_location_and_after_a_rollback_the_earlier_one()
    {
        Assert.EndsWith("/silver/orders", (await StorageLocationAsync()).TrimEnd('/'), StringComparison.Ordinal);

        await PromoteAsync();
        Assert.Contains("/silver/_versions/orders/", await StorageLocationAsync(), StringComparison.Ordinal);

        await RollbackAsync();
        Assert.EndsWith("/silver/orders", (await StorageLocationAsync()).TrimEnd('/'), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_promoted_tables_page_shows_its_columns_rows_and_versions_built_by_the_dev_run()
    {
        await PromoteAsync();

        JsonElement table = await GetJsonAsync("/api/tables/silver.orders");

        Assert.Equal(["order_id", "email", "amount", "stage"], table.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(1, table.GetProperty("summary").GetProperty("rows").GetInt64());
        Assert.Equal([_devRun], table.GetProperty("recent_versions").EnumerateArray().Select(v => v.GetProperty("run_id").GetString()));
    }

    [Fact]
    public async Task After_a_rollback_the_tables_page_shows_prods_earlier_table_again()
    {
        await PromoteAsync();
        await RollbackAsync();

        JsonElement table = await GetJsonAsync("/api/tables/silver.orders");

        Assert.Equal(["order_id", "email", "amount"], table.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(2, table.GetProperty("summary").GetProperty("rows").GetInt64());
        Assert.Equal([_served.FirstRun.RunId], table.GetProperty("recent_versions").EnumerateArray().Select(v => v.GetProperty("run_id").GetString()));
    }

    [Fact]
    public async Task Monitoring_observes_the_promoted_table()
    {
        await PromoteAsync();

        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_served.Directory);
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(environment);
        TableObservation observed = Assert.Single(await lakehouse.ObserveAsync(s_orders, DateTimeOffset.UtcNow));

        Assert.Equal(1, observed.TotalRows);
        Assert.Contains("stage", observed.Columns.Select(c => c.Column));
    }

    [Fact]
    public async Task The_catalogs_columns_and_history_of_prods_table_follow_a_promotion_and_a_rollback()
    {
        Assert.DoesNotContain("stage", (await _served.Catalog.Tables.GetColumnsAsync(s_orders)).Select(c => c.Name));

        await PromoteAsync();
        List<CatalogColumn> promoted = await _served.Catalog.Tables.GetColumnsAsync(s_orders);
        Assert.Equal(["order_id", "email", "amount", "stage"], promoted.Select(c => c.Name));
        // The column docs the catalog kept stay with the columns that kept their names.
        Assert.Equal("pii", promoted.Single(c => c.Name == "email").Classification);
        Assert.Equal([_devRun], (await _served.Catalog.Tables.GetTableHistoryAsync(s_orders)).Select(v => v.RunId));

        await RollbackAsync();
        Assert.Equal(["order_id", "email", "amount"], (await _served.Catalog.Tables.GetColumnsAsync(s_orders)).Select(c => c.Name));
        Assert.Equal([_served.FirstRun.RunId], (await _served.Catalog.Tables.GetTableHistoryAsync(s_orders)).Select(v => v.RunId));
    }
}
