using Medallion.Catalog;
using Medallion.Pipelines;

namespace Medallion.Platform.Tests;

/// <summary>The browsing operations of <see cref="Lakehouse"/> on a project the real runner built twice.</summary>
public sealed class LakehouseTests(ShopProject shop) : IClassFixture<ShopProject>
{
    private static readonly TableName s_bronzeOrders = new("bronze", "orders");
    private static readonly TableName s_silverOrders = new("silver", "orders");
    private static readonly TableName s_revenue = new("gold", "revenue");

    [Fact]
    public async Task Tables_are_listed_in_layer_order_with_their_rows_versions_and_the_docs_of_the_project_files()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);

        IReadOnlyList<TableSummary> tables = await lakehouse.ListTablesAsync();

        Assert.Equal(["bronze.orders", "silver.orders", "silver.orders_quarantine", "gold.revenue"], tables.Select(t => t.Name.ToString()));
        Assert.Equal([TableKind.Source, TableKind.Model, TableKind.Quarantine, TableKind.Model], tables.Select(t => t.Kind));
        Assert.Equal([4L, 3L], tables.Take(2).Select(t => t.Rows!.Value));
        Assert.Equal([1L, 1L], tables.Take(2).Select(t => t.Version!.Value));
        TableSummary silver = tables[1];
        Assert.Equal(("sales-team", "Orders, typed and cleaned."), (silver.Owner, silver.Description));
        Assert.Equal(["sales"], silver.Tags);
        Assert.Equal(Path.Combine(shop.Directory, "lake", "silver", "orders"), silver.Location);
    }

    [Fact]
    public async Task Tables_of_one_namespace_leave_the_others_out()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);

        IReadOnlyList<TableSummary> tables = await lakehouse.ListTablesAsync("SILVER");

        Assert.Equal(["silver.orders", "silver.orders_quarantine"], tables.Select(t => t.Name.ToString()));
    }

    [Fact]
    public async Task Describe_documents_the_model_columns_from_the_model_and_the_bronze_system_columns_from_their_one_definition()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);

        TableDetails silver = await lakehouse.DescribeTableAsync(s_silverOrders);
        TableDetails bronze = await lakehouse.DescribeTableAsync(s_bronzeOrders);

        Assert.Equal(["order_id", "email", "amount"], silver.Columns.Select(c => c.Name));
        ColumnInfo email = silver.Columns[1];
        Assert.Equal(("VARCHAR", "Buyer e-mail, lower-cased.", "pii"), (email.DataType, email.Description, email.Classification));
        Assert.Equal([s_bronzeOrders], silver.Upstream);
        Assert.Equal([s_revenue], silver.Downstream);
        Assert.Equal(shop.SecondRun.RunId, silver.LastRun?.RunId);
        Assert.Equal([("not_null(order_id)", true), ("amount_positive", false)], silver.Quality.Select(q => (q.Rule, q.Passed)).OrderBy(q => q.Passed ? 0 : 1));
        ColumnInfo sourceFile = bronze.Columns.Single(c => c.Name == SystemColumns.SourceFile);
        Assert.Equal("The file the row was loaded from, relative to the project.", sourceFile.Description);
    }

    [Fact]
    public async Task History_lists_versions_newest_first_with_the_run_that_committed_each()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);

        IReadOnlyList<TableVersionInfo> history = await lakehouse.GetTableHistoryAsync(s_bronzeOrders, 10);

        Assert.Equal([(1L, 4L, shop.SecondRun.RunId), (0L, 3L, shop.FirstRun.RunId)], history.Select(v => (v.Version, v.Rows!.Value, v.RunId!)));
    }

    [Fact]
    public async Task History_of_a_table_that_was_never_written_is_refused_with_the_location_it_looked_at()
    {
        using var project = new Pipelines.Tests.TestProject("name: fresh\nstorage: lake\n").Write("models/gold/later.sql", "SELECT 1 AS one\n");
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(project.Directory);

        var error = await Assert.ThrowsAsync<MedallionException>(() => lakehouse.GetTableHistoryAsync(new TableName("gold", "later"), 5));

        Assert.Equal(ErrorCode.DeltaTableNotFound, error.Code);
        Assert.Equal(
            $"Table gold.later has no versions yet: nothing has been written to {Path.Combine(project.Directory, "lake", "gold", "later")}.\nHelp: run the model that builds it, or load its source.",
            error.Message);
    }

    [Fact]
    public async Task Runs_are_listed_newest_first_with_their_models_counted_by_outcome()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);

        IReadOnlyList<RunSummary> runs = await lakehouse.ListRunsAsync(10);

        Assert.Equal([shop.SecondRun.RunId, shop.FirstRun.RunId], runs.Select(r => r.Run.Id));
        Assert.All(runs, r => Assert.Equal((RunStatus.Succeeded, 3, 0, 0), (r.Run.Status, r.Succeeded, r.Failed, r.Skipped)));
    }

    [Fact]
    public async Task Runs_can_be_filtered_by_status_and_paged()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);

        IReadOnlyList<RunSummary> olderSucceeded = await lakehouse.ListRunsAsync(1, RunStatus.Succeeded, offset: 1);
        IReadOnlyList<RunSummary> failed = await lakehouse.ListRunsAsync(10, RunStatus.Failed);

        Assert.Equal([shop.FirstRun.RunId], olderSucceeded.Select(r => r.Run.Id));
        Assert.Empty(failed);
    }

    [Fact]
    public async Task A_run_found_by_a_prefix_of_its_id_comes_with_its_models_and_quality_results()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);

        RunDetails run = await lakehouse.GetRunAsync(shop.FirstRun.RunId[..30]);

        Assert.Equal(shop.FirstRun.RunId, run.Run.Id);
        Assert.Equal(["bronze.orders", "gold.revenue", "silver.orders"], run.Models.Select(m => m.Model.ToString()).Order(StringComparer.Ordinal));
        Assert.All(run.Models, m => Assert.Equal(RunStatus.Succeeded, m.Status));
        Assert.Contains(run.Quality, q => q.Rule == "amount_positive" && !q.Passed && q.FailingRows == 1);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public async Task A_run_id_the_catalog_does_not_know_is_refused_naming_it()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);

        var error = await Assert.ThrowsAsync<MedallionException>(() => lakehouse.GetRunAsync("no-such-run"));

        Assert.Equal(ErrorCode.CatalogObjectNotFound, error.Code);
        Assert.Equal("The catalog has no run 'no-such-run'.\nHelp: check the id against the recent runs.", error.Message);
    }

    [Fact]
    public async Task A_bare_table_name_resolves_to_the_one_namespace_that_has_it()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);

        Assert.Equal(s_revenue, lakehouse.ResolveTable(" revenue "));
    }

    [Fact]
    public async Task A_misspelt_table_is_refused_with_the_closest_names()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);

        var error = Assert.Throws<MedallionException>(() => lakehouse.ResolveTable("silver.ordres"));

        Assert.Equal(ErrorCode.CatalogObjectNotFound, error.Code);
        Assert.Equal("The project has no table silver.ordres. Did you mean silver.orders?\nHelp: check the name against the project's tables.", error.Message);
    }

    [Fact]
    public async Task Column_lineage_follows_a_gold_column_back_to_bronze()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(shop.Directory);

        IReadOnlyList<LineageEdge> edges = await lakehouse.GetLineageAsync(s_revenue, "revenue", LineageDirection.Upstream);

        Assert.Equal(
            ["bronze.orders.amount -> silver.orders.amount", "silver.orders.amount -> gold.revenue.revenue"],
            edges.Select(e => $"{e.Upstream}.{e.UpstreamColumn} -> {e.Downstream}.{e.DownstreamColumn}").Order(StringComparer.Ordinal));
    }
}
