using Medallion.Catalog;

namespace Medallion.Pipelines.Tests;

public sealed class ModelAnalysisTests : IDisposable
{
    private static readonly TableName s_model = new("silver", "m");

    private readonly TestProject _project = new();

    public ModelAnalysisTests() => _project.WithSources("orders", "customers", "items", "payments");

    public void Dispose() => _project.Dispose();

    private async Task<ModelAnalysis> AnalyzeAsync(string sql, IReadOnlyDictionary<TableName, IReadOnlyList<string>>? knownColumns = null)
    {
        _project.Write("models/silver/m.sql", sql);
        return (await _project.BuildGraphAsync(knownColumns)).GetAnalysis(s_model);
    }

    private async Task<MedallionException> AnalysisFailsAsync(string sql)
    {
        _project.Write("models/silver/m.sql", sql);
        return await Assert.ThrowsAsync<MedallionException>(() => _project.BuildGraphAsync());
    }

    private static Dictionary<string, string[]> Lineage(ModelAnalysis analysis) =>
        analysis.Columns.ToDictionary(c => c.Name, c => c.Sources.Select(s => s.ToString()).ToArray());

    [Fact]
    public async Task Dependencies_come_from_joins_subqueries_and_ctes_but_not_from_cte_names()
    {
        ModelAnalysis analysis = await AnalyzeAsync("""
            WITH recent AS (SELECT * FROM bronze.orders WHERE ts > now() - INTERVAL 1 DAY)
            SELECT r.id, c.name
            FROM recent r
            JOIN bronze.customers c ON c.id = r.customer_id
            WHERE r.id IN (SELECT order_id FROM bronze.items)
              AND EXISTS (SELECT 1 FROM (SELECT * FROM bronze.payments) p WHERE p.order_id = r.id)
            """);

        Assert.Equal(["bronze.orders", "bronze.customers", "bronze.items", "bronze.payments"], analysis.Dependencies.Select(d => d.ToString()));
    }

    [Theory]
    [InlineData("SELECT customer_id AS k FROM bronze.orders", true)]
    [InlineData("SELECT CAST(o.customer_id AS BIGINT) AS k FROM bronze.orders o", true)]
    [InlineData("SELECT TRY_CAST(customer_id AS INTEGER)::VARCHAR AS k FROM bronze.orders", true)]
    [InlineData("WITH c AS (SELECT customer_id AS id FROM bronze.orders) SELECT s.id AS k FROM (SELECT * FROM c) s", true)]
    [InlineData("SELECT customer_id AS k FROM bronze.orders UNION ALL SELECT customer_id FROM bronze.payments", true)]
    [InlineData("SELECT customer_id AS k, count(*) AS n FROM bronze.orders GROUP BY customer_id", true)]
    [InlineData("SELECT customer_id + 1000 AS k FROM bronze.orders", false)]
    [InlineData("SELECT coalesce(customer_id, 0) AS k FROM bronze.orders", false)]
    [InlineData("SELECT max(customer_id) AS k FROM bronze.orders", false)]
    [InlineData("SELECT customer_id AS k FROM bronze.orders UNION ALL SELECT customer_id * 2 FROM bronze.payments", false)]
    [InlineData("SELECT o.address.zip AS k FROM bronze.orders o", false)]
    public async Task A_column_passed_through_or_only_cast_is_a_copy_of_its_source_and_a_computed_one_is_not(string sql, bool copy)
    {
        ModelAnalysis analysis = await AnalyzeAsync(sql);

        Assert.Equal(copy, analysis.Columns.Single(c => c.Name == "k").IsCopy);
    }

    [Fact]
    public async Task Pivot_sources_and_subqueries_in_order_by_are_dependencies_too()
    {
        ModelAnalysis analysis = await AnalyzeAsync("SELECT * FROM bronze.orders PIVOT (sum(amount) FOR status IN ('paid', 'new')) ORDER BY (SELECT max(id) FROM bronze.items)");

        Assert.Equal(["bronze.orders", "bronze.items"], analysis.Dependencies.Select(d => d.ToString()));
        Assert.False(analysis.ColumnsComplete);
    }

    [Fact]
    public async Task Each_reference_carries_its_line_and_column_in_the_model_file()
    {
        ModelAnalysis analysis = await AnalyzeAsync("/* ---\ndescription: x\n--- */\nSELECT *\nFROM bronze.orders o\n  JOIN bronze.customers c USING (id)\n");

        Assert.Equal(
            [new SourceLocation("models/silver/m.sql", 5, 6), new SourceLocation("models/silver/m.sql", 6, 8)],
            analysis.References.Select(r => r.Location));
    }

    [Fact]
    public async Task A_statement_that_is_not_a_select_is_refused_at_its_first_token()
    {
        MedallionException error = await AnalysisFailsAsync("-- load\n\n  INSERT INTO bronze.orders VALUES (1)\n");

        Assert.Equal(ErrorCode.ModelSqlInvalid, error.Code);
        Assert.Equal(
            "models/silver/m.sql:3:3: model silver.m is not a SELECT. Expected a single SELECT (or WITH ... SELECT) statement.\nHelp: a model only reads; Medallion writes its result with the model's 'materialized' strategy.",
            error.Message);
    }

    [Fact]
    public async Task A_syntax_error_names_the_line_and_column_duckdb_points_at()
    {
        MedallionException error = await AnalysisFailsAsync("SELECT id,\n  FROM FROM bronze.orders\n");

        Assert.Equal("models/silver/m.sql:2:8: the SQL of model silver.m does not parse: syntax error at or near \"FROM\". Expected a single SELECT statement.", error.Message);
    }

    [Fact]
    public async Task Two_statements_are_refused_at_the_second_one()
    {
        MedallionException error = await AnalysisFailsAsync("SELECT 1;\nSELECT 2;\n");

        Assert.Equal("models/silver/m.sql:2:8: model silver.m has 2 statements. Expected a single SELECT.\nHelp: move each other query into its own model file.", error.Message);
    }

    [Fact]
    public async Task An_unknown_table_names_the_model_and_suggests_the_closest_table()
    {
        MedallionException error = await AnalysisFailsAsync("SELECT *\nFROM bronze.ordrs\n");

        Assert.Equal(ErrorCode.ModelUnknownTable, error.Code);
        Assert.Equal(
            "models/silver/m.sql:2:6: model silver.m reads bronze.ordrs, which no source or model defines. Did you mean bronze.orders?\nHelp: add a source with 'target: bronze.ordrs' or a model models/bronze/ordrs.sql.",
            error.Message);
    }

    [Fact]
    public async Task A_table_without_a_namespace_is_refused_with_the_qualified_candidates()
    {
        MedallionException error = await AnalysisFailsAsync("SELECT * FROM orders");

        Assert.Equal(
            "models/silver/m.sql:1:15: model silver.m reads 'orders' without a namespace. Did you mean bronze.orders? Expected namespace.table, e.g. bronze.orders.",
            error.Message);
    }

    [Fact]
    public async Task Column_lineage_resolves_aliases_through_joins_ctes_and_subqueries()
    {
        ModelAnalysis analysis = await AnalyzeAsync("""
            WITH o AS (SELECT id AS order_id, customer_id, amount * 100 AS cents FROM bronze.orders)
            SELECT o.order_id, c.name AS customer, o.cents + coalesce(p.fee, 0) AS total, 1 AS one
            FROM o
            JOIN bronze.customers c ON c.id = o.customer_id
            LEFT JOIN (SELECT order_id, sum(fee) AS fee FROM bronze.payments GROUP BY ALL) p ON p.order_id = o.order_id
            """);

        Dictionary<string, string[]> lineage = Lineage(analysis);
        Assert.Equal(["order_id", "customer", "total", "one"], analysis.Columns.Select(c => c.Name));
        Assert.Equal(["bronze.orders.id"], lineage["order_id"]);
        Assert.Equal(["bronze.customers.name"], lineage["customer"]);
        Assert.Equal(["bronze.orders.amount", "bronze.payments.fee"], lineage["total"]);
        Assert.Empty(lineage["one"]);
        Assert.True(analysis.ColumnsComplete);
    }

    [Fact]
    public async Task A_star_expands_with_known_upstream_columns_and_honours_exclude()
    {
        var known = new Dictionary<TableName, IReadOnlyList<string>> { [new TableName("bronze", "orders")] = ["id", "amount", "_source_file"] };

        ModelAnalysis analysis = await AnalyzeAsync("SELECT * EXCLUDE (_source_file), upper(o.id) AS up FROM bronze.orders o", known);

        Assert.Equal(["id", "amount", "up"], analysis.Columns.Select(c => c.Name));
        Assert.Equal(["bronze.orders.amount"], Lineage(analysis)["amount"]);
        Assert.True(analysis.ColumnsComplete);
    }

    [Fact]
    public async Task A_star_over_an_unknown_table_leaves_columns_incomplete_but_named_references_resolve()
    {
        ModelAnalysis analysis = await AnalyzeAsync("WITH x AS (SELECT * FROM bronze.orders) SELECT amount AS a FROM x");

        Assert.Equal(["bronze.orders.amount"], Lineage(analysis)["a"]);
        Assert.True(analysis.ColumnsComplete);
    }

    [Fact]
    public async Task A_top_level_star_over_an_unknown_table_marks_the_columns_incomplete()
    {
        ModelAnalysis analysis = await AnalyzeAsync("SELECT *, 1 AS one FROM bronze.orders");

        Assert.False(analysis.ColumnsComplete);
        Assert.Equal(["one"], analysis.Columns.Select(c => c.Name));
    }

    [Fact]
    public async Task A_union_feeds_each_column_from_both_sides()
    {
        ModelAnalysis analysis = await AnalyzeAsync("SELECT id AS k FROM bronze.orders UNION ALL SELECT customer_id FROM bronze.payments");

        Assert.Equal(["bronze.orders.id", "bronze.payments.customer_id"], Lineage(analysis)["k"]);
    }

    [Fact]
    public async Task Unaliased_expressions_are_named_by_their_position()
    {
        ModelAnalysis analysis = await AnalyzeAsync("SELECT id, count(*) FROM bronze.orders GROUP BY id");

        Assert.Equal(["id", "_2"], analysis.Columns.Select(c => c.Name));
    }

    [Fact]
    public async Task Lineage_edges_hold_one_table_edge_per_dependency_and_one_per_column_source()
    {
        ModelAnalysis analysis = await AnalyzeAsync("SELECT o.id, c.name FROM bronze.orders o JOIN bronze.customers c ON c.id = o.customer_id");

        Assert.Equal(
            [
                new LineageEdge(new TableName("bronze", "orders"), null, s_model, null),
                new LineageEdge(new TableName("bronze", "customers"), null, s_model, null),
                new LineageEdge(new TableName("bronze", "orders"), "id", s_model, "id"),
                new LineageEdge(new TableName("bronze", "customers"), "name", s_model, "name"),
            ],
            analysis.LineageEdges);
    }

    [Fact]
    public async Task Downstream_models_see_the_output_columns_of_the_models_they_read()
    {
        _project.Write("models/silver/orders.sql", "SELECT id AS order_id, amount FROM bronze.orders");
        _project.Write("models/gold/revenue.sql", "SELECT sum(amount) AS revenue, * EXCLUDE (amount) FROM silver.orders");

        ModelGraph graph = await _project.BuildGraphAsync();

        ModelAnalysis gold = graph.GetAnalysis(new TableName("gold", "revenue"));
        Assert.Equal(["revenue", "order_id"], gold.Columns.Select(c => c.Name));
        Assert.Equal(["silver.orders.amount"], Lineage(gold)["revenue"]);
        Assert.True(gold.ColumnsComplete);
    }
}
