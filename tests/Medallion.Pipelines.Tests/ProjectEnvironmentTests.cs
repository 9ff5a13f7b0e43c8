using Medallion.Catalog;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests.Running;

namespace Medallion.Pipelines.Tests;

/// <summary>One environment per project, built once by its host: one catalog shared by its callers, its own for each project.</summary>
public sealed class ProjectEnvironmentTests : IDisposable
{
    private readonly RunProject _shop = new();
    private readonly RunProject _other = new();

    public void Dispose()
    {
        _shop.Dispose();
        _other.Dispose();
    }

    [Fact]
    public async Task Every_caller_of_an_environment_gets_the_one_catalog_it_opened()
    {
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_shop.Directory);

        CatalogStore[] opened = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => environment.GetCatalogAsync().AsTask()));

        Assert.All(opened, catalog => Assert.Same(opened[0], catalog));
        Assert.Equal(CatalogStore.DefaultPath(_shop.Directory), opened[0].Path);
    }

    [Fact]
    public async Task Browsing_a_project_never_run_creates_no_catalog()
    {
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_shop.Directory);

        Assert.Null(await environment.FindCatalogAsync());
        Assert.False(File.Exists(CatalogStore.DefaultPath(_shop.Directory)));
    }

    [Fact]
    public async Task Two_projects_in_one_process_each_record_their_runs_in_their_own_catalog()
    {
        _shop.Model("silver.one", "SELECT 1 AS id");
        _other.Model("silver.two", "SELECT 2 AS id");
        await using ProjectEnvironment shop = await ProjectEnvironment.LoadAsync(_shop.Directory);
        await using ProjectEnvironment other = await ProjectEnvironment.LoadAsync(_other.Directory);

        RunResult[] runs = await Task.WhenAll(ProjectRunner.RunAsync(shop), ProjectRunner.RunAsync(other));

        Assert.All(runs, run => Assert.True(run.Succeeded));
        Assert.Equal([runs[0].RunId], (await (await shop.GetCatalogAsync()).Runs.QueryRunsAsync(new RunQuery())).Runs.Select(r => r.Id));
        Assert.Equal([runs[1].RunId], (await (await other.GetCatalogAsync()).Runs.QueryRunsAsync(new RunQuery())).Runs.Select(r => r.Id));
    }

    [Fact]
    public async Task A_reloaded_project_keeps_the_catalog_of_its_environment_which_alone_closes_it()
    {
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_shop.Directory);
        CatalogStore catalog = await environment.GetCatalogAsync();

        ProjectEnvironment reloaded = environment.WithProject(await MedallionProject.LoadAsync(_shop.Directory));
        await reloaded.DisposeAsync();

        Assert.Same(catalog, await reloaded.GetCatalogAsync());
        Assert.Empty((await catalog.Runs.QueryRunsAsync(new RunQuery())).Runs);
        await environment.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await environment.GetCatalogAsync());
    }
}
