using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Scheduling;

/// <summary><c>on_new_data: [file source]</c>: files in a real folder that the source has not loaded yet trigger a run.</summary>
public sealed class NewFilesTriggerTests : IAsyncLifetime
{
    private const string Jobs = "jobs:\n  - name: build\n    select: silver.orders\n    on_new_data: [orders]\n";
    private readonly SchedulerProject _project = new(Jobs);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _project.DisposeAsync();

    [Fact]
    public async Task A_new_file_matching_the_source_triggers_one_run_that_loads_it()
    {
        JobScheduler scheduler = await _project.StartAsync();
        await _project.WaitForRunsAsync("build", 1);

        _project.Files.Write("data/orders/2.csv", "id,amount\n3,30\n");
        List<RunRecord> runs = await _project.WaitForRunsAsync("build", 2);
        // A third run would be queued by a pass that saw the loaded file as new.
        await SchedulerProject.WaitForFreshPassAsync(scheduler);

        Assert.Equal([(RunTrigger.Data, RunStatus.Succeeded), (RunTrigger.Data, RunStatus.Succeeded)], runs.Select(r => (r.Trigger, r.Status)));
        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            Assert.Equal(2, (await catalog.Runs.QueryRunsAsync(new RunQuery { Job = "build" })).Runs.Count);
            List<RunLogLine> log = await catalog.Runs.GetRunLogAsync(runs[1].Id);
            Assert.Equal("new files: orders:data/orders/2.csv", log[1].Message);
            ModelRunRecord source = (await catalog.Runs.GetModelRunsAsync(runs[1].Id)).Single(m => m.Model == TableName.Parse("bronze.orders"));
            Assert.Equal(1, source.RowsWritten);
        }
    }

    [Fact]
    public async Task Files_the_source_loaded_already_trigger_nothing()
    {
        MedallionProject project = await _project.Files.LoadAsync();
        Assert.True((await ProjectRunner.RunAsync(project, new RunOptions())).Succeeded);

        JobScheduler scheduler = await _project.StartAsync();
        await SchedulerProject.WaitForFreshPassAsync(scheduler);

        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            Assert.Empty((await catalog.Runs.QueryRunsAsync(new RunQuery { Job = "build" })).Runs);
        }
    }

    [Fact]
    public async Task Files_not_loaded_when_the_scheduler_starts_trigger_one_run()
    {
        await _project.StartAsync();

        RunRecord run = Assert.Single(await _project.WaitForRunsAsync("build", 1));

        CatalogStore catalog = await _project.OpenCatalogAsync();
        await using (catalog)
        {
            Assert.Equal("new files: orders:data/orders/1.csv", (await catalog.Runs.GetRunLogAsync(run.Id))[1].Message);
        }
    }
}
