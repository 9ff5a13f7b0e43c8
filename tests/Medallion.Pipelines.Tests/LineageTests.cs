using Medallion.Catalog;

namespace Medallion.Pipelines.Tests;

public sealed class LineageTests : IDisposable
{
    private static readonly TableName s_bronze = new("bronze", "orders");
    private static readonly TableName s_silver = new("silver", "orders");
    private static readonly TableName s_gold = new("gold", "revenue");

    private readonly TestProject _project = new();

    public LineageTests() => _project.WithSources("orders")
        .Write("models/silver/orders.sql", "SELECT id, amount * 1.0 AS amount, status FROM bronze.orders")
        .Write("models/gold/revenue.sql", "SELECT status, sum(amount) AS revenue, count(id) AS orders FROM silver.orders GROUP BY status");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task Table_lineage_follows_both_directions_transitively()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        IReadOnlyList<LineageEdge> edges = graph.GetLineage(s_silver);

        Assert.Equal([new LineageEdge(s_bronze, null, s_silver, null), new LineageEdge(s_silver, null, s_gold, null)], edges);
    }

    [Fact]
    public async Task Upstream_column_lineage_reaches_the_source_column()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        IReadOnlyList<LineageEdge> edges = graph.GetLineage(s_gold, "revenue", LineageDirection.Upstream);

        Assert.Equal([new LineageEdge(s_silver, "amount", s_gold, "revenue"), new LineageEdge(s_bronze, "amount", s_silver, "amount")], edges);
    }

    [Fact]
    public async Task Downstream_column_lineage_reaches_every_column_computed_from_it()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        IReadOnlyList<LineageEdge> edges = graph.GetLineage(s_bronze, "id", LineageDirection.Downstream);

        Assert.Equal([new LineageEdge(s_bronze, "id", s_silver, "id"), new LineageEdge(s_silver, "id", s_gold, "orders")], edges);
    }

    [Fact]
    public async Task Copies_of_a_column_are_the_columns_passing_it_through_unchanged_upstream_and_downstream()
    {
        _project.Write("models/gold/by_order.sql", "SELECT CAST(id AS VARCHAR) AS order_id, count(*) AS n FROM silver.orders GROUP BY id");
        ModelGraph graph = await _project.BuildGraphAsync();

        IReadOnlyList<ColumnReference> copies = graph.GetCopies(s_silver, "id");
        IReadOnlyList<ColumnReference> computed = graph.GetCopies(s_silver, "amount");

        Assert.Equal([new ColumnReference(s_bronze, "id"), new ColumnReference(new TableName("gold", "by_order"), "order_id")], copies);
        Assert.Empty(computed);
    }

    [Fact]
    public async Task Lineage_of_an_unknown_table_suggests_the_closest_table()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        MedallionException error = Assert.Throws<MedallionException>(() => graph.GetLineage(new TableName("gold", "revenu")));

        Assert.Equal("The project has no table gold.revenu. Did you mean 'gold.revenue'?\nHelp: list the project's tables with their models under models/ and sources under sources/.", error.Message);
    }

    [Fact]
    public async Task Lineage_of_an_unknown_column_lists_the_model_columns()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        MedallionException error = Assert.Throws<MedallionException>(() => graph.GetLineage(s_gold, "revenu"));

        Assert.Equal("Model gold.revenue has no output column 'revenu'. Did you mean 'revenue'? Its columns: status, revenue, orders.", error.Message);
    }
}
