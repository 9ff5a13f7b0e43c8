using Medallion.Catalog;

namespace Medallion.Pipelines.Tests;

public sealed class ProjectCatalogTests : IDisposable
{
    private readonly TestProject _project = new("name: shop\nstorage: lake\n");

    public ProjectCatalogTests() => _project.WithSources("orders")
        .Write("models/silver/orders.sql", "/* ---\ndescription: Clean orders\nowner: data-team\ntags: [sales]\n--- */\nSELECT id, amount FROM bronze.orders");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task Registering_a_project_records_its_tables_docs_and_lineage_in_the_catalog()
    {
        ModelGraph graph = await _project.BuildGraphAsync();
        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_project.Directory));

        await ProjectCatalog.RegisterAsync(graph, catalog);

        var silver = new TableName("silver", "orders");
        var bronze = new TableName("bronze", "orders");
        CatalogTable? table = await catalog.Tables.GetTableAsync(silver);
        Assert.NotNull(table);
        Assert.Equal(Path.Combine(_project.Directory, "lake", "silver", "orders"), table.Location);
        Assert.Equal(("Clean orders", "data-team"), (table.Description, table.Owner));
        Assert.Equal(["sales"], table.Tags);
        Assert.Equal(["bronze.orders", "silver.orders"], (await catalog.Tables.ListTablesAsync()).Select(t => t.Name.ToString()));
        Assert.Equal(
            [new LineageEdge(bronze, null, silver, null), new LineageEdge(bronze, "amount", silver, "amount"), new LineageEdge(bronze, "id", silver, "id")],
            await catalog.Tables.GetUpstreamEdgesAsync(silver));
    }

    [Fact]
    public async Task A_merge_model_registers_its_unique_key_and_an_scd2_model_its_key_with_valid_from()
    {
        _project.Write("models/silver/latest.sql", "/* ---\nmaterialized: merge\nunique_key: id\n--- */\nSELECT id, amount FROM bronze.orders")
            .Write("models/silver/history.sql", "/* ---\nmaterialized: scd2\nunique_key: [id]\n--- */\nSELECT id, amount FROM bronze.orders");
        ModelGraph graph = await _project.BuildGraphAsync();
        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_project.Directory));

        await ProjectCatalog.RegisterAsync(graph, catalog);

        Assert.Equal(["id"], (await catalog.Tables.GetTableAsync(new TableName("silver", "latest")))!.UniqueKey);
        Assert.Equal(["id", "valid_from"], (await catalog.Tables.GetTableAsync(new TableName("silver", "history")))!.UniqueKey);
        Assert.Empty((await catalog.Tables.GetTableAsync(new TableName("silver", "orders")))!.UniqueKey);
    }

    [Fact]
    public async Task Object_store_locations_are_uris_under_the_storage_prefix()
    {
        _project.Write("medallion.yml", "name: shop\nstorage: s3://bucket/lake/\n");
        MedallionProject project = await _project.LoadAsync();

        Assert.Equal("s3://bucket/lake/silver/orders", ProjectCatalog.TableLocation(project, new TableName("Silver", "Orders")));
    }

    [Fact]
    public async Task Loading_with_a_cancelled_token_stops_before_reading_files()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => MedallionProject.LoadAsync(_project.Directory, _ => null, cancelled.Token));
    }
}
