using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Microsoft.Extensions.Time.Testing;

namespace Medallion.Server.Tests.Governance;

/// <summary>The server's housekeeping pass: run history pruned after <c>history.keep</c>, tables vacuumed after their file retention.</summary>
public sealed class HousekeepingTests
{
    private static async Task<ServedProject> StartAsync(FakeTimeProvider time, string settings) =>
        await ServedProject.StartAsync(o => o with { Time = time }, later: files => files.Write("medallion.yml", "name: shop\nstorage: lake\n" + settings));

    private static async Task RunProjectAsync(string directory)
    {
        RunResult built = await ProjectRunner.RunAsync(await MedallionProject.LoadAsync(directory), new RunOptions());
        Assert.True(built.Succeeded, string.Join("; ", built.Steps.Select(s => s.Error)));
    }

    /// <summary>The data files of a table (not its log).</summary>
    private static string[] DataFiles(string directory, string table) =>
        Directory.GetFiles(Path.Combine(directory, "lake", table.Replace('.', '/')), "*.parquet", SearchOption.AllDirectories)
            .Where(f => !f.Contains("_delta_log", StringComparison.Ordinal)).ToArray();

    [Fact]
    public async Task The_server_prunes_the_runs_past_the_history_retention_and_keeps_the_latest()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using ServedProject served = await StartAsync(time, "history: {keep: 1h}\n");
        string first = served.FirstRun.RunId;
        await RunProjectAsync(served.Directory);
        await RunProjectAsync(served.Directory);
        string latest = (await served.Catalog.Runs.ListRunsAsync(1))[0].Id;

        // The next pass, an hour on: every run above started more than the hour kept before it.
        await EventuallyAsync(time, async () => await served.Catalog.Runs.GetRunAsync(first) is null, "the first run was pruned");
        Assert.NotNull(await served.Catalog.Runs.GetRunAsync(latest));
    }

    [Fact]
    public async Task The_server_vacuums_a_table_past_its_file_retention_and_leaves_one_within_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using ServedProject served = await StartAsync(time, "maintenance: {deleted_file_retention: 1d}\n");
        string[] orders = DataFiles(served.Directory, "silver.orders");
        string[] revenue = DataFiles(served.Directory, "gold.revenue");
        // Both tables are rebuilt: their first files are no longer referenced. The orders' are made two days old.
        await RunProjectAsync(served.Directory);
        foreach (string file in orders)
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-2));
        }

        await EventuallyAsync(time, () => Task.FromResult(orders.All(f => !File.Exists(f))), "the orders' unreferenced files were vacuumed");
        Assert.All(revenue, f => Assert.True(File.Exists(f), f));
    }

    [Fact]
    public async Task The_server_removes_a_dropped_environments_table_once_it_was_unpointed_past_the_janitor_retention()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using ServedProject served = await StartAsync(time, "maintenance: {janitor_retention: 3h}\n");
        File.WriteAllText(Path.Combine(served.Directory, "models", "gold", "revenue.sql"), "SELECT sum(amount) * 2 AS revenue FROM silver.orders\n");
        await using (ProjectEnvironment project = await ProjectEnvironment.LoadAsync(served.Directory))
        {
            Assert.True((await Pipelines.Planning.ProjectPlanner.ApplyAsync(project, new() { Plan = new() { Environment = "dev" } })).Succeeded);
            await Pipelines.Planning.ProjectPlanner.DropAsync(project, "dev");
        }

        string versions = Path.Combine(served.Directory, "lake", "gold", "_versions", "revenue");
        Assert.Single(Directory.GetDirectories(versions));

        await EventuallyAsync(time, () => Task.FromResult(Directory.GetDirectories(versions).Length == 0), "the dropped environment's table was removed");
        Assert.True(File.Exists(Path.Combine(served.Directory, "lake", "gold", "revenue", "_delta_log", "00000000000000000000.json")));
        string metrics = await served.Http.GetStringAsync("/metrics");
        Assert.Matches(@"(?m)^medallion_janitor_tables_removed_total [1-9]", metrics);
    }

    /// <summary>
    /// Moves the server's clock on by a housekeeping interval and waits for <paramref name="condition"/>, again every 200 ms
    /// for up to two minutes (a busy machine passes slowly): the pass at the server's start may still run when the clock
    /// first moves, and only a move after it reaches its wait starts the next pass.
    /// </summary>
    private static async Task EventuallyAsync(FakeTimeProvider time, Func<Task<bool>> condition, string what)
    {
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromMinutes(2); await Task.Delay(200))
        {
            time.Advance(TimeSpan.FromHours(1));
            if (await condition())
            {
                return;
            }
        }

        Assert.Fail($"Expected within two minutes: {what}.");
    }
}
