using Medallion.Catalog;
using Medallion.Pipelines.Planning;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests.Running;

namespace Medallion.Pipelines.Tests.Planning;

/// <summary>Environments as sets of pointers to physical tables: dev builds, SQL per environment, promotion and rollback.</summary>
public sealed class EnvironmentTests : IDisposable
{
    private const string Breaking = "SELECT id, amount * 100 AS amount FROM bronze.orders";

    private readonly RunProject _project = PlanningProject.Create();

    public void Dispose() => _project.Dispose();

    private async Task<ApplyResult> ApplyAsync(string environment)
    {
        await using ProjectEnvironment project = await ProjectEnvironment.LoadAsync(_project.Directory);
        return await ProjectPlanner.ApplyAsync(project, new ApplyOptions { Plan = new PlanOptions { Environment = environment } });
    }

    private async Task<List<string>> QueryAsync(string environment, string sql)
    {
        await using ProjectEnvironment project = await ProjectEnvironment.LoadAsync(_project.Directory);
        return await _project.QueryAsync(sql, new EnvironmentTableLocator(project.Project, await project.GetCatalogAsync(), environment));
    }

    private async Task<int> PromoteAsync(string from, string to)
    {
        await using ProjectEnvironment project = await ProjectEnvironment.LoadAsync(_project.Directory);
        return await ProjectPlanner.PromoteAsync(project, from, to);
    }

    private async Task<Dictionary<string, string?>> PointersAsync(string environment)
    {
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        return (await catalog.Environments.GetModelStatesAsync(environment)).ToDictionary(s => s.Key.ToString(), s => s.Value.Location);
    }

    /// <summary>Every commit of every Delta table under the lake, by file: what a promotion must leave as it is.</summary>
    private string[] Commits() =>
        Directory.EnumerateFiles(Path.Combine(_project.Directory, "lake"), "*.json", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == "_delta_log")
            .Order(StringComparer.Ordinal)
            .ToArray();

    private async Task BuildDevWithBreakingChangeAsync()
    {
        await PlanningProject.BuildAsync(_project);
        _project.Model("silver.orders", Breaking);
        Assert.True((await ApplyAsync("dev")).Succeeded);
    }

    [Fact]
    public async Task A_dev_apply_builds_the_changed_models_into_tables_of_their_own_and_leaves_prods_tables_as_they_were()
    {
        await PlanningProject.BuildAsync(_project);
        long[] prodBefore = [await _project.VersionAsync("silver.orders"), await _project.VersionAsync("silver.other"), await _project.VersionAsync("gold.revenue")];
        _project.Model("silver.orders", Breaking);

        ApplyResult applied = await ApplyAsync("dev");

        Assert.True(applied.Succeeded);
        Assert.Equal(["silver.orders", "gold.revenue"], applied.Run!.Steps.Select(s => s.Table.ToString()));
        long[] prodAfter = [await _project.VersionAsync("silver.orders"), await _project.VersionAsync("silver.other"), await _project.VersionAsync("gold.revenue")];
        Assert.Equal(prodBefore, prodAfter);
        Dictionary<string, string?> dev = await PointersAsync("dev");
        Assert.Equal(["gold.revenue", "silver.orders"], dev.Keys.Order(StringComparer.Ordinal));
        Assert.StartsWith("_versions/orders/", dev["silver.orders"], StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(_project.Directory, "lake", "silver", dev["silver.orders"]!, "_delta_log")));
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        Assert.Equal("dev", (await catalog.Runs.GetRunAsync(applied.Run.RunId))!.Environment);
    }

    private const string ReadsOther = "SELECT o.id, o.amount FROM bronze.orders o JOIN silver.other x ON x.id = o.id";

    private const string Checked = "expectations:\n  - not_null: [amount]\n    severity: warn";

    private async Task<List<string>> UpstreamAsync(string table, string? environment = null)
    {
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        List<LineageEdge> edges = environment is null
            ? await catalog.Tables.GetUpstreamEdgesAsync(TableName.Parse(table))
            : await catalog.Tables.GetUpstreamEdgesAsync(TableName.Parse(table), environment);
        return [.. edges.Select(e => $"{e.Upstream}.{e.UpstreamColumn} -> {e.DownstreamColumn}")];
    }

    private async Task<List<(string RunId, bool Passed)>> LatestQualityAsync(string table, string environment)
    {
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        return [.. (await catalog.Quality.GetLatestQualityResultsAsync(TableName.Parse(table), environment)).Select(r => (r.RunId, r.Passed))];
    }

    [Fact]
    public async Task A_dev_apply_of_a_model_reading_another_table_leaves_prods_lineage_as_it_was()
    {
        await PlanningProject.BuildAsync(_project);
        List<string> prodBefore = await UpstreamAsync("silver.orders");
        _project.Model("silver.orders", ReadsOther);

        Assert.True((await ApplyAsync("dev")).Succeeded);

        Assert.Equal(prodBefore, await UpstreamAsync("silver.orders"));
        Assert.DoesNotContain(prodBefore, e => e.StartsWith("silver.other", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dev_apply_records_the_lineage_of_what_it_built_as_devs()
    {
        await PlanningProject.BuildAsync(_project);
        _project.Model("silver.orders", ReadsOther);

        Assert.True((await ApplyAsync("dev")).Succeeded);

        Assert.Contains(await UpstreamAsync("silver.orders", "dev"), e => e.StartsWith("silver.other", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dev_apply_records_its_expectation_results_apart_from_prods()
    {
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", Checked);
        await PlanningProject.BuildAsync(_project);
        _project.Model("silver.orders", "SELECT id, CAST(NULL AS INTEGER) AS amount FROM bronze.orders", Checked);

        ApplyResult dev = await ApplyAsync("dev");

        Assert.Equal([true], (await LatestQualityAsync("silver.orders", "prod")).Select(r => r.Passed));
        Assert.Equal([(dev.Run!.RunId, false)], await LatestQualityAsync("silver.orders", "dev"));
    }

    [Fact]
    public async Task Promoting_dev_makes_its_lineage_and_expectation_results_prods_and_a_rollback_gives_prods_back()
    {
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", Checked);
        await PlanningProject.BuildAsync(_project);
        List<string> prodLineage = await UpstreamAsync("silver.orders");
        List<(string, bool)> prodQuality = await LatestQualityAsync("silver.orders", "prod");
        _project.Model("silver.orders", ReadsOther, Checked);
        ApplyResult dev = await ApplyAsync("dev");

        await PromoteAsync("dev", "prod");
        List<string> promotedLineage = await UpstreamAsync("silver.orders");
        List<(string, bool)> promotedQuality = await LatestQualityAsync("silver.orders", "prod");
        await using (ProjectEnvironment project = await ProjectEnvironment.LoadAsync(_project.Directory))
        {
            await ProjectPlanner.RollbackAsync(project, "prod");
        }

        Assert.Contains(promotedLineage, e => e.StartsWith("silver.other", StringComparison.Ordinal));
        Assert.Equal([(dev.Run!.RunId, true)], promotedQuality);
        Assert.Equal(prodLineage, await UpstreamAsync("silver.orders"));
        Assert.Equal(prodQuality, await LatestQualityAsync("silver.orders", "prod"));
    }

    [Fact]
    public async Task A_dev_environment_reads_prods_table_for_a_model_it_did_not_change()
    {
        await BuildDevWithBreakingChangeAsync();
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (3, 30, 'paid')) t(id, amount, status)");
        Assert.True((await _project.RunAsync(new RunOptions { Select = "silver.other" })).Succeeded);

        // silver.other was never built in dev: dev reads prod's table, with the row prod's run just added.
        Assert.Equal(["1", "2", "3"], await QueryAsync("dev", "SELECT id FROM silver.other ORDER BY id"));
        Assert.DoesNotContain("silver.other", (await PointersAsync("dev")).Keys);
    }

    [Fact]
    public async Task Sql_in_dev_sees_the_change_and_sql_in_prod_does_not()
    {
        await BuildDevWithBreakingChangeAsync();

        Assert.Equal(["3000|2"], await QueryAsync("dev", "SELECT revenue, orders FROM gold.revenue"));
        Assert.Equal(["30|2"], await QueryAsync("prod", "SELECT revenue, orders FROM gold.revenue"));
    }

    [Fact]
    public async Task Promoting_dev_to_prod_commits_nothing_to_any_table_and_prod_then_serves_devs_rows()
    {
        await BuildDevWithBreakingChangeAsync();
        string[] commits = Commits();

        int promoted = await PromoteAsync("dev", "prod");

        Assert.Equal(2, promoted);
        Assert.Equal(commits, Commits());
        Assert.Equal(["3000|2"], await QueryAsync("prod", "SELECT revenue, orders FROM gold.revenue"));
        await using ProjectEnvironment project = await ProjectEnvironment.LoadAsync(_project.Directory);
        Assert.True((await ProjectPlanner.PlanAsync(project)).IsEmpty);
    }

    [Fact]
    public async Task Rolling_prod_back_serves_its_rows_before_the_promotion_without_a_commit()
    {
        await BuildDevWithBreakingChangeAsync();
        await PromoteAsync("dev", "prod");
        string[] commits = Commits();

        await using (ProjectEnvironment project = await ProjectEnvironment.LoadAsync(_project.Directory))
        {
            await ProjectPlanner.RollbackAsync(project, "prod");
        }

        Assert.Equal(commits, Commits());
        Assert.Equal(["30|2"], await QueryAsync("prod", "SELECT revenue, orders FROM gold.revenue"));
        Assert.Equal(["silver.orders", "gold.revenue"], (await PlanAfterAsync()).Rebuilds.Select(t => t.ToString()));
    }

    private async Task<ProjectPlan> PlanAfterAsync()
    {
        await using ProjectEnvironment project = await ProjectEnvironment.LoadAsync(_project.Directory);
        return await ProjectPlanner.PlanAsync(project);
    }

    [Fact]
    public async Task A_run_in_prod_after_a_promotion_writes_the_promoted_tables()
    {
        await BuildDevWithBreakingChangeAsync();
        await PromoteAsync("dev", "prod");
        long ownBefore = await _project.VersionAsync("gold.revenue");
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (3, 30, 'paid')) t(id, amount, status)");

        Assert.True((await _project.RunAsync(new RunOptions { Select = "silver.orders+" })).Succeeded);

        Assert.Equal(["6000|3"], await QueryAsync("prod", "SELECT revenue, orders FROM gold.revenue"));
        Assert.Equal(ownBefore, await _project.VersionAsync("gold.revenue"));
    }

    [Fact]
    public async Task An_apply_to_another_environment_points_at_tables_already_built_with_the_same_fingerprints()
    {
        await BuildDevWithBreakingChangeAsync();
        string[] commits = Commits();

        ApplyResult applied = await ApplyAsync("pr-7");

        Assert.Null(applied.Run);
        Assert.Equal(["silver.orders", "gold.revenue"], applied.Reused.Select(t => t.ToString()));
        Assert.Equal(commits, Commits());
        Assert.Equal(await PointersAsync("dev"), await PointersAsync("pr-7"));
        Assert.Equal(["3000|2"], await QueryAsync("pr-7", "SELECT revenue, orders FROM gold.revenue"));
    }

    [Fact]
    public async Task Two_concurrent_applies_to_dev_build_each_model_once()
    {
        await PlanningProject.BuildAsync(_project);
        _project.Model("silver.orders", Breaking);

        ApplyResult[] applied = await Task.WhenAll(Task.Run(() => ApplyAsync("dev")), Task.Run(() => ApplyAsync("dev")));

        Assert.Single(applied, a => a.Run is not null);
        Assert.Single(applied, a => a.Plan.IsEmpty);
        Assert.Equal(["1|1000", "2|2000"], await QueryAsync("dev", "SELECT id, amount FROM silver.orders ORDER BY id"));
    }

    private string[] FilesOf(string table) =>
        Directory.EnumerateFiles(_project.Location(table), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task A_forward_only_change_in_dev_starts_from_a_shallow_clone_that_reads_prods_rows_and_writes_nothing_of_prods()
    {
        await PlanningProject.BuildAsync(_project);
        _project.Model("silver.orders", Breaking, "forward_only: true");
        string[] prodFiles = FilesOf("silver.orders");

        ApplyResult applied = await ApplyAsync("dev");
        List<string> cloned = await QueryAsync("dev", "SELECT id, amount FROM silver.orders ORDER BY id");
        RunResult devRun = await _project.RunAsync(new RunOptions { Environment = "dev", Select = "silver.orders" });

        Assert.Equal(["silver.orders"], applied.Cloned.Select(t => t.ToString()));
        Assert.Equal(["1|10", "2|20"], cloned);
        Assert.True(devRun.Succeeded);
        Assert.Equal(["1|1000", "2|2000"], await QueryAsync("dev", "SELECT id, amount FROM silver.orders ORDER BY id"));
        Assert.Equal(["1|10", "2|20"], await QueryAsync("prod", "SELECT id, amount FROM silver.orders ORDER BY id"));
        Assert.Equal(prodFiles, FilesOf("silver.orders"));
        string clone = Path.Combine(_project.Directory, "lake", "silver", (await PointersAsync("dev"))["silver.orders"]!);
        string firstCommit = await File.ReadAllTextAsync(Path.Combine(clone, "_delta_log", "00000000000000000000.json"));
        Assert.Contains("\"operation\":\"CLONE\"", firstCommit, StringComparison.Ordinal);
        Assert.Contains("\"path\":\"" + new Uri(_project.Location("silver.orders")).AbsoluteUri + "/", firstCommit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_in_dev_refuses_to_write_a_model_dev_reads_from_prod()
    {
        await BuildDevWithBreakingChangeAsync();
        long before = await _project.VersionAsync("silver.other");

        RunResult run = await _project.RunAsync(new RunOptions { Environment = "dev", Select = "silver.other" });

        Assert.False(run.Succeeded);
        Assert.Contains("A run in environment 'dev' would write silver.other, which it reads from prod's table", run.Error, StringComparison.Ordinal);
        Assert.Equal(before, await _project.VersionAsync("silver.other"));
    }

    [Fact]
    public async Task An_environment_named_with_a_path_is_refused_before_anything_is_planned()
    {
        var refused = await Assert.ThrowsAsync<MedallionException>(() => ApplyAsync("../prod"));

        Assert.Equal(ErrorCode.EnvironmentNameInvalid, refused.Code);
        Assert.StartsWith("'../prod' cannot name an environment: it starts with '.', not a lowercase letter.", refused.Message, StringComparison.Ordinal);
    }
}
