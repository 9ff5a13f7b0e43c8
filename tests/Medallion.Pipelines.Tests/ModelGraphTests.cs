using Medallion.Catalog;

namespace Medallion.Pipelines.Tests;

public sealed class ModelGraphTests : IDisposable
{
    private readonly TestProject _project = new();

    public ModelGraphTests()
    {
        _project.WithSources("orders", "customers")
            .Write("models/silver/orders.sql", "/* ---\ntags: [sales]\n--- */\nSELECT * FROM bronze.orders")
            .Write("models/silver/customers.sql", "/* ---\ntags: [crm]\n--- */\nSELECT * FROM bronze.customers")
            .Write("models/gold/revenue.sql", "/* ---\ntags: [sales, daily]\n--- */\nSELECT * FROM silver.orders o JOIN silver.customers c USING (customer_id)")
            .Write("models/gold/top_customers.sql", "SELECT * FROM gold.revenue");
    }

    public void Dispose() => _project.Dispose();

    private static string[] Names(IEnumerable<TableName> tables) => tables.Select(t => t.ToString()).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Models_are_ordered_after_everything_they_read()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        List<string> order = graph.Models.Select(m => m.Name.ToString()).ToList();
        Assert.True(order.IndexOf("silver.orders") < order.IndexOf("gold.revenue"));
        Assert.True(order.IndexOf("silver.customers") < order.IndexOf("gold.revenue"));
        Assert.True(order.IndexOf("gold.revenue") < order.IndexOf("gold.top_customers"));
    }

    [Fact]
    public async Task Layers_group_models_that_can_run_in_parallel()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        IReadOnlyList<IReadOnlyList<ModelDefinition>> layers = graph.GetLayers();

        Assert.Equal(
            [["silver.customers", "silver.orders"], ["gold.revenue"], ["gold.top_customers"]],
            layers.Select(l => Names(l.Select(m => m.Name))));
    }

    [Fact]
    public async Task Layers_of_a_selection_treat_unselected_upstream_models_as_done()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        IReadOnlyList<IReadOnlyList<ModelDefinition>> layers = graph.GetLayers(graph.Select("gold.*"));

        Assert.Equal([["gold.revenue"], ["gold.top_customers"]], layers.Select(l => Names(l.Select(m => m.Name))));
    }

    [Fact]
    public async Task Upstream_and_downstream_neighbours_include_sources()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        Assert.Equal(["bronze.orders"], Names(graph.GetUpstream(new TableName("silver", "orders"))));
        Assert.Equal(["silver.orders"], Names(graph.GetDownstream(new TableName("bronze", "orders"))));
    }

    [Theory]
    [InlineData(null, new[] { "gold.revenue", "gold.top_customers", "silver.customers", "silver.orders" })]
    [InlineData("silver.orders", new[] { "silver.orders" })]
    [InlineData("customers", new[] { "silver.customers" })]
    [InlineData("orders+", new[] { "gold.revenue", "gold.top_customers", "silver.orders" })]
    [InlineData("tag:sales", new[] { "gold.revenue", "silver.orders" })]
    [InlineData("+gold.revenue", new[] { "gold.revenue", "silver.customers", "silver.orders" })]
    [InlineData("silver.orders+", new[] { "gold.revenue", "gold.top_customers", "silver.orders" })]
    [InlineData("bronze.customers+", new[] { "gold.revenue", "gold.top_customers", "silver.customers" })]
    [InlineData("silver.*", new[] { "silver.customers", "silver.orders" })]
    [InlineData("tag:sales,gold.*", new[] { "gold.revenue" })]
    [InlineData("silver.customers gold.top_customers", new[] { "gold.top_customers", "silver.customers" })]
    public async Task Selection_follows_dbt_syntax(string? expression, string[] expected)
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        Assert.Equal(expected, Names(graph.Select(expression)));
    }

    [Fact]
    public async Task Selecting_an_unknown_model_suggests_the_closest_name()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        MedallionException error = Assert.Throws<MedallionException>(() => graph.Select("silver.order+"));

        Assert.Equal(ErrorCode.ModelSelectionInvalid, error.Code);
        Assert.Equal(
            "Selection 'silver.order+': no model or source is named 'silver.order'. Did you mean silver.orders?\nHelp: select with model names (silver.orders), namespaces (silver.*), tags (tag:daily), and + for upstream/downstream.",
            error.Message);
    }

    [Fact]
    public async Task A_selection_among_visible_tables_walks_through_hidden_ones_but_answers_only_the_visible()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        IReadOnlySet<TableName> selected = graph.SelectAmong("+gold.top_customers", t => t.Name != "customers");

        Assert.Equal(["bronze.orders", "gold.revenue", "gold.top_customers", "silver.orders"], Names(selected));
    }

    [Fact]
    public async Task Selecting_an_ambiguous_bare_name_asks_for_the_namespace()
    {
        _project.Write("models/gold/orders.sql", "SELECT * FROM silver.orders");
        ModelGraph graph = await _project.BuildGraphAsync();

        MedallionException error = Assert.Throws<MedallionException>(() => graph.Select("orders"));

        Assert.StartsWith("Selection 'orders': 'orders' is ambiguous: gold.orders, silver.orders. Write it as namespace.name.", error.Message);
    }

    [Fact]
    public async Task Selecting_an_unknown_tag_suggests_a_close_tag()
    {
        ModelGraph graph = await _project.BuildGraphAsync();

        MedallionException error = Assert.Throws<MedallionException>(() => graph.Select("tag:dialy"));

        Assert.StartsWith("Selection 'tag:dialy': no model has the tag 'dialy'. Did you mean 'daily'?", error.Message);
    }

    [Fact]
    public async Task A_cycle_is_refused_naming_every_model_in_it()
    {
        _project.Write("models/silver/orders.sql", "SELECT *\nFROM gold.top_customers");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _project.BuildGraphAsync());

        Assert.Equal(ErrorCode.ModelCycle, error.Code);
        Assert.Equal(
            "models/gold/revenue.sql:4:15: models depend on each other in a cycle: gold.revenue -> silver.orders -> gold.top_customers -> gold.revenue.\nHelp: a model cannot read itself, directly or through others; break the cycle by removing one of these references.",
            error.Message);
    }

    [Fact]
    public async Task A_model_reading_itself_is_a_cycle()
    {
        _project.Write("models/gold/top_customers.sql", "SELECT * FROM gold.top_customers");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _project.BuildGraphAsync());

        Assert.StartsWith("models/gold/top_customers.sql:1:15: models depend on each other in a cycle: gold.top_customers -> gold.top_customers.", error.Message);
    }
}
