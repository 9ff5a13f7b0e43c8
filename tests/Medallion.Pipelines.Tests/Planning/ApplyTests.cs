using Medallion.Catalog;
using Medallion.Pipelines.Planning;
using Medallion.Pipelines.Tests.Running;

namespace Medallion.Pipelines.Tests.Planning;

public sealed class ApplyTests : IDisposable
{
    private readonly RunProject _project = PlanningProject.Create();

    public void Dispose() => _project.Dispose();

    private Task BuildAsync() => PlanningProject.BuildAsync(_project);

    private async Task<ApplyResult> ApplyAsync(ApplyOptions? options = null)
    {
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        return await ProjectPlanner.ApplyAsync(environment, options);
    }

    private async Task<Dictionary<string, long>> VersionsAsync() => new()
    {
        ["silver.orders"] = await _project.VersionAsync("silver.orders"),
        ["silver.other"] = await _project.VersionAsync("silver.other"),
        ["gold.revenue"] = await _project.VersionAsync("gold.revenue"),
    };

    [Fact]
    public async Task Apply_builds_exactly_the_planned_models_once_and_leaves_nothing_to_plan()
    {
        await BuildAsync();
        Dictionary<string, long> before = await VersionsAsync();
        _project.Model("silver.orders", "SELECT id, amount * 100 AS amount FROM bronze.orders");

        ApplyResult applied = await ApplyAsync();

        Assert.True(applied.Succeeded);
        Assert.Equal(["silver.orders", "gold.revenue"], applied.Plan.Rebuilds.Select(t => t.ToString()));
        Dictionary<string, long> after = await VersionsAsync();
        Assert.Equal((before["silver.orders"] + 1, before["gold.revenue"] + 1, before["silver.other"]), (after["silver.orders"], after["gold.revenue"], after["silver.other"]));
        Assert.Equal(["3000|2"], await _project.QueryAsync("SELECT revenue, orders FROM gold.revenue"));
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        Assert.True((await ProjectPlanner.PlanAsync(environment)).IsEmpty);
    }

    [Fact]
    public async Task Apply_records_a_metadata_only_change_without_building_anything()
    {
        await BuildAsync();
        Dictionary<string, long> before = await VersionsAsync();
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "owner: finance");

        ApplyResult applied = await ApplyAsync();

        Assert.Null(applied.Run);
        Assert.Equal(["silver.orders"], applied.Recorded.Select(t => t.ToString()));
        Assert.Equal(before, await VersionsAsync());
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_project.Directory);
        Assert.True((await ProjectPlanner.PlanAsync(environment)).IsEmpty);
    }

    [Fact]
    public async Task Two_concurrent_applies_on_two_catalog_connections_build_each_model_once()
    {
        await BuildAsync();
        Dictionary<string, long> before = await VersionsAsync();
        _project.Model("silver.orders", "SELECT id, amount * 100 AS amount FROM bronze.orders");

        ApplyResult[] applied = await Task.WhenAll(Task.Run(() => ApplyAsync()), Task.Run(() => ApplyAsync()));

        // One applied the plan; the other waited for the lock, then planned against what the first built.
        Assert.Single(applied, a => a.Run is not null);
        Assert.Single(applied, a => a.Plan.IsEmpty);
        Dictionary<string, long> after = await VersionsAsync();
        Assert.Equal((before["silver.orders"] + 1, before["gold.revenue"] + 1), (after["silver.orders"], after["gold.revenue"]));
        Assert.Equal(["1|1000", "2|2000"], await _project.QueryAsync("SELECT id, amount FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task An_apply_that_may_not_wait_is_refused_naming_the_apply_under_way()
    {
        await BuildAsync();
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        var holder = new LeaseHolder("other-apply", "build-box", 4242, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await catalog.Environments.AcquireApplyLockAsync("prod", holder, TimeSpan.FromMinutes(5));

        var refused = await Assert.ThrowsAsync<MedallionException>(() => ApplyAsync(new ApplyOptions { NoWait = true }));

        Assert.Equal(ErrorCode.PlanApplyInProgress, refused.Code);
        Assert.StartsWith("Another apply to environment 'prod' is under way: host 'build-box', pid 4242, started 2026-01-02 03:04:05Z, since ", refused.Message, StringComparison.Ordinal);
        Assert.Equal("other-apply", (await catalog.Environments.GetApplyLockAsync("prod"))!.Holder.Id);
    }

    [Fact]
    public async Task An_apply_takes_over_the_lock_of_an_apply_whose_process_is_gone()
    {
        await BuildAsync();
        int exited;
        using (var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            await process.WaitForExitAsync();
            exited = process.Id;
        }

        await using (CatalogStore catalog = await _project.OpenCatalogAsync())
        {
            var gone = new LeaseHolder("killed-apply", Environment.MachineName, exited, DateTimeOffset.UtcNow.AddMinutes(-1));
            await catalog.Environments.AcquireApplyLockAsync("prod", gone, TimeSpan.FromMinutes(5));
        }

        _project.Model("silver.other", "SELECT id, id * 2 AS twice FROM bronze.orders");
        ApplyResult applied = await ApplyAsync(new ApplyOptions { NoWait = true });

        Assert.True(applied.Succeeded);
        Assert.Equal(["silver.other"], applied.Plan.Rebuilds.Select(t => t.ToString()));
        await using CatalogStore after = await _project.OpenCatalogAsync();
        Assert.Null(await after.Environments.GetApplyLockAsync("prod"));
    }
}
