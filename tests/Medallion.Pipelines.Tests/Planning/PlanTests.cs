using Medallion.Catalog;
using Medallion.Pipelines.Planning;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests.Running;

namespace Medallion.Pipelines.Tests.Planning;

public sealed class PlanTests : IDisposable
{
    private static readonly TableName s_orders = new("silver", "orders");
    private static readonly TableName s_other = new("silver", "other");
    private static readonly TableName s_revenue = new("gold", "revenue");
    private readonly RunProject _project = PlanningProject.Create();

    public void Dispose() => _project.Dispose();

    private Task BuildAsync() => PlanningProject.BuildAsync(_project);

    private async Task<ProjectPlan> PlanAsync(PlanOptions? options = null)
    {
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        return await ProjectPlanner.PlanAsync(environment, options);
    }

    private static ModelChange Of(ProjectPlan plan, TableName model) => Assert.Single(plan.Changes, c => c.Model.Equals(model));

    [Fact]
    public async Task A_plan_right_after_a_run_has_nothing_to_do()
    {
        await BuildAsync();

        ProjectPlan plan = await PlanAsync();

        Assert.True(plan.IsEmpty);
        Assert.Equal(3, plan.UnchangedCount);
    }

    [Fact]
    public async Task Reformatting_a_model_and_changing_its_comments_leaves_the_plan_empty()
    {
        await BuildAsync();
        _project.Model("silver.orders", "-- the orders, cleaned\nselect\n    id,\n    amount   /* in cents */\nfrom   bronze.orders\n");

        ProjectPlan plan = await PlanAsync();

        Assert.True(plan.IsEmpty);
    }

    [Fact]
    public async Task A_variable_the_sql_reads_changes_the_fingerprint_when_its_value_changes_and_only_then()
    {
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders WHERE amount > getvariable('minimum')");
        ModelGraph graph = await ModelGraph.BuildAsync(await MedallionProject.LoadAsync(_project.Directory));

        string Fingerprint(string minimum) => ModelFingerprints.Compute(graph, new Dictionary<string, object?> { ["minimum"] = minimum })[s_orders].Fingerprint;

        Assert.Equal(Fingerprint("5"), Fingerprint("5"));
        Assert.NotEqual(Fingerprint("5"), Fingerprint("6"));
        Assert.NotEqual(ModelFingerprints.Compute(graph)[s_revenue].Fingerprint, ModelFingerprints.Compute(graph, new Dictionary<string, object?> { ["minimum"] = "6" })[s_revenue].Fingerprint);
        Assert.Equal(ModelFingerprints.Compute(graph)[s_other].Fingerprint, ModelFingerprints.Compute(graph, new Dictionary<string, object?> { ["minimum"] = "6" })[s_other].Fingerprint);
        Assert.Equal(["minimum"], ModelFingerprints.Compute(graph)[s_orders].Variables);
    }

    [Fact]
    public async Task An_added_column_is_non_breaking_and_rebuilds_only_its_model()
    {
        await BuildAsync();
        _project.Model("silver.orders", "SELECT id, amount, status FROM bronze.orders");

        ProjectPlan plan = await PlanAsync();

        ModelChange orders = Of(plan, s_orders);
        Assert.Equal((ModelChangeKind.NonBreaking, true), (orders.Kind, orders.Rebuild));
        Assert.Equal(["status"], orders.ChangedColumns);
        Assert.Contains("- SELECT id, amount FROM bronze.orders", orders.SqlDiff, StringComparison.Ordinal);
        Assert.Contains("+ SELECT id, amount, status FROM bronze.orders", orders.SqlDiff, StringComparison.Ordinal);
        ModelChange revenue = Of(plan, s_revenue);
        Assert.Equal((ModelChangeKind.IndirectNonBreaking, false), (revenue.Kind, revenue.Rebuild));
        Assert.Equal([s_orders], plan.Rebuilds);
    }

    [Fact]
    public async Task A_changed_expression_is_breaking_and_rebuilds_what_reads_it_with_the_columns_it_reaches()
    {
        await BuildAsync();
        _project.Model("silver.orders", "SELECT id, amount * 100 AS amount FROM bronze.orders");

        ProjectPlan plan = await PlanAsync();

        ModelChange orders = Of(plan, s_orders);
        Assert.Equal((ModelChangeKind.Breaking, true), (orders.Kind, orders.Rebuild));
        Assert.Equal(["amount"], orders.ChangedColumns);
        Assert.Equal(["gold.revenue.revenue"], orders.AffectedColumns);
        ModelChange revenue = Of(plan, s_revenue);
        Assert.Equal((ModelChangeKind.Indirect, true), (revenue.Kind, revenue.Rebuild));
        Assert.Equal([s_orders], revenue.Causes);
        Assert.DoesNotContain(plan.Changes, c => c.Model.Equals(s_other));
        Assert.Equal([s_orders, s_revenue], plan.Rebuilds);
    }

    [Fact]
    public async Task A_changed_materialization_is_breaking_even_with_a_column_added()
    {
        await BuildAsync();
        _project.Model("silver.orders", "SELECT id, amount, status FROM bronze.orders", "materialized: merge\nunique_key: id");

        ProjectPlan plan = await PlanAsync();

        Assert.Equal(ModelChangeKind.Breaking, Of(plan, s_orders).Kind);
        Assert.Equal(ModelChangeKind.Indirect, Of(plan, s_revenue).Kind);
    }

    [Fact]
    public async Task An_scd2_model_is_forward_only_so_a_plan_never_rebuilds_away_its_history()
    {
        _project.Model("silver.customers", "SELECT id, status FROM bronze.orders", "materialized: scd2\nunique_key: id");
        await BuildAsync();
        _project.Model("silver.customers", "SELECT id, upper(status) AS status FROM bronze.orders", "materialized: scd2\nunique_key: id");

        ProjectPlan plan = await PlanAsync();

        Assert.Equal((ModelChangeKind.ForwardOnly, false), (Of(plan, new TableName("silver", "customers")).Kind, Of(plan, new TableName("silver", "customers")).Rebuild));
    }

    [Fact]
    public async Task An_scd2_model_downstream_of_a_breaking_change_is_not_rebuilt_either()
    {
        _project.Model("gold.order_history", "SELECT id, amount FROM silver.orders", "materialized: scd2\nunique_key: id");
        await BuildAsync();
        _project.Model("silver.orders", "SELECT id, amount * 100 AS amount FROM bronze.orders");

        ProjectPlan plan = await PlanAsync();

        ModelChange history = Of(plan, new TableName("gold", "order_history"));
        Assert.Equal((ModelChangeKind.ForwardOnly, false, "silver.orders"), (history.Kind, history.Rebuild, string.Join(", ", history.Causes)));
        Assert.DoesNotContain(new TableName("gold", "order_history"), plan.Rebuilds);
    }

    [Fact]
    public async Task A_forward_only_model_rebuilds_nothing_for_its_change()
    {
        await BuildAsync();
        _project.Model("silver.orders", "SELECT id, amount * 100 AS amount FROM bronze.orders", "forward_only: true");

        ProjectPlan plan = await PlanAsync();

        Assert.Equal((ModelChangeKind.ForwardOnly, false), (Of(plan, s_orders).Kind, Of(plan, s_orders).Rebuild));
        Assert.Equal((ModelChangeKind.IndirectNonBreaking, false), (Of(plan, s_revenue).Kind, Of(plan, s_revenue).Rebuild));
        Assert.Empty(plan.Rebuilds);
    }

    [Fact]
    public async Task New_docs_are_metadata_only_and_rebuild_nothing()
    {
        await BuildAsync();
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "description: Orders, cleaned\ntags: [finance]");

        ProjectPlan plan = await PlanAsync();

        ModelChange orders = Assert.Single(plan.Changes);
        Assert.Equal((s_orders, ModelChangeKind.MetadataOnly, false), (orders.Model, orders.Kind, orders.Rebuild));
        Assert.Contains("+ description: Orders, cleaned", orders.SqlDiff, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_model_is_added_and_a_deleted_one_removed()
    {
        await BuildAsync();
        _project.Model("gold.counts", "SELECT count(*) AS n FROM silver.other");
        File.Delete(Path.Combine(_project.Directory, "models", "gold", "revenue.sql"));

        ProjectPlan plan = await PlanAsync();

        Assert.Equal(
            [("gold.counts", ModelChangeKind.Added, true), ("gold.revenue", ModelChangeKind.Removed, false)],
            plan.Changes.Select(c => (c.Model.ToString(), c.Kind, c.Rebuild)));
    }

    [Fact]
    public async Task A_changed_source_definition_rebuilds_the_models_that_read_it_as_indirect_changes()
    {
        await BuildAsync();
        _project.File("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/orders/*.csv\n    target: bronze.orders\n    options: {delim: ';'}\n");

        ProjectPlan plan = await PlanAsync();

        Assert.Equal(
            [("silver.orders", ModelChangeKind.Indirect), ("silver.other", ModelChangeKind.Indirect), ("gold.revenue", ModelChangeKind.Indirect)],
            plan.Changes.Select(c => (c.Model.ToString(), c.Kind)).OrderBy(c => c.Item1 == "gold.revenue").ThenBy(c => c.Item1, StringComparer.Ordinal));
        Assert.Equal([new TableName("bronze", "orders")], Of(plan, s_orders).Causes);
    }
}
