using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines.Environments;
using Medallion.Pipelines.Planning;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests.Running;

namespace Medallion.Pipelines.Tests.Planning;

/// <summary>
/// Dropping environments and the janitor over real catalogs and Delta tables on disk: unpointed tables go after the
/// retention, pointed and kept ones never, and shallow clones never lose the files of the table they were cloned from.
/// </summary>
public sealed class JanitorTests : IDisposable
{
    private const string Breaking = "SELECT id, amount * 100 AS amount FROM bronze.orders";

    private static readonly TimeSpan s_week = TimeSpan.FromDays(7);

    private readonly RunProject _project = PlanningProject.Create();

    public void Dispose() => _project.Dispose();

    private Task<ProjectEnvironment> LoadAsync(TimeProvider? time = null) =>
        ProjectEnvironment.LoadAsync(_project.Directory, new ProjectEnvironmentOptions { Time = time });

    private async Task<ApplyResult> ApplyAsync(string environment)
    {
        await using ProjectEnvironment project = await LoadAsync();
        ApplyResult applied = await ProjectPlanner.ApplyAsync(project, new ApplyOptions { Plan = new PlanOptions { Environment = environment } });
        Assert.True(applied.Succeeded);
        return applied;
    }

    private async Task DropAsync(string environment)
    {
        await using ProjectEnvironment project = await LoadAsync();
        await ProjectPlanner.DropAsync(project, environment);
    }

    /// <summary>The janitor as it runs <paramref name="later"/> from now.</summary>
    private async Task<JanitorReport> SweepAsync(TimeSpan later, bool dryRun = false)
    {
        await using ProjectEnvironment project = await LoadAsync(new FakeClock(DateTimeOffset.UtcNow + later));
        return await EnvironmentJanitor.SweepAsync(project, s_week, dryRun);
    }

    private async Task<string?> PointerAsync(string environment, string model)
    {
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        return (await catalog.Environments.GetModelStatesAsync(environment)).GetValueOrDefault(TableName.Parse(model))?.Location;
    }

    private string Physical(string pointer) => Path.Combine(_project.Directory, "lake", "silver", pointer);

    private async Task<List<string>> QueryAsync(string environment, string sql)
    {
        await using ProjectEnvironment project = await LoadAsync();
        return await _project.QueryAsync(sql, new EnvironmentTableLocator(project.Project, await project.GetCatalogAsync(), environment));
    }

    /// <summary>Builds prod, applies a breaking change to dev and returns the pointer of dev's table of silver.orders.</summary>
    private async Task<string> BuildDevAsync()
    {
        await PlanningProject.BuildAsync(_project);
        _project.Model("silver.orders", Breaking);
        await ApplyAsync("dev");
        return (await PointerAsync("dev", "silver.orders"))!;
    }

    private async Task<string> BuildDevCloneAsync()
    {
        await PlanningProject.BuildAsync(_project);
        _project.Model("silver.orders", Breaking, "forward_only: true");
        Assert.Equal(["silver.orders"], (await ApplyAsync("dev")).Cloned.Select(t => t.ToString()));
        return (await PointerAsync("dev", "silver.orders"))!;
    }

    private string[] FilesOf(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task The_janitor_keeps_a_dropped_environments_table_within_the_retention_and_removes_it_after()
    {
        string pointer = await BuildDevAsync();
        long size = FilesOf(Physical(pointer)).Sum(f => new FileInfo(f).Length);
        await DropAsync("dev");

        JanitorReport early = await SweepAsync(TimeSpan.FromDays(6));
        bool keptEarly = Directory.Exists(Physical(pointer));
        JanitorReport late = await SweepAsync(TimeSpan.FromDays(8));

        JanitorTable kept = Assert.Single(early.Tables, t => t.Pointer == pointer);
        Assert.Equal(JanitorOutcome.Kept, kept.Outcome);
        Assert.StartsWith("unpointed since ", kept.Reason, StringComparison.Ordinal);
        Assert.True(keptEarly);
        JanitorTable removed = Assert.Single(late.Removed, t => t.Pointer == pointer);
        Assert.Equal((JanitorOutcome.Removed, size), (removed.Outcome, removed.SizeBytes));
        Assert.False(Directory.Exists(Physical(pointer)));
        Assert.Equal(["1|10", "2|20"], await QueryAsync("prod", "SELECT id, amount FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task The_janitor_never_removes_a_table_an_environment_or_a_kept_previous_set_points_at_so_rollback_still_works()
    {
        string first = await BuildDevAsync();
        await using (ProjectEnvironment project = await LoadAsync())
        {
            await ProjectPlanner.PromoteAsync(project, "dev", "prod");
        }

        _project.Model("silver.orders", "SELECT id, amount * 1000 AS amount FROM bronze.orders");
        await ApplyAsync("dev");
        string second = (await PointerAsync("dev", "silver.orders"))!;
        await using (ProjectEnvironment project = await LoadAsync())
        {
            await ProjectPlanner.PromoteAsync(project, "dev", "prod");
        }

        await DropAsync("dev");

        JanitorReport report = await SweepAsync(TimeSpan.FromDays(30));
        await using (ProjectEnvironment project = await LoadAsync())
        {
            await ProjectPlanner.RollbackAsync(project, "prod");
        }

        Assert.Equal((first, second), (await PointerAsync("prod", "silver.orders"), await PointerAsync(EnvironmentStore.PreviousOf("prod"), "silver.orders")));
        Assert.DoesNotContain(report.Tables, t => t.Pointer == first || t.Pointer == second);
        Assert.True(Directory.Exists(Physical(first)) && Directory.Exists(Physical(second)));
        Assert.Equal(["1|1000", "2|2000"], await QueryAsync("prod", "SELECT id, amount FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task A_dry_run_of_the_janitor_lists_what_it_would_remove_and_removes_nothing()
    {
        string pointer = await BuildDevAsync();
        string[] before = FilesOf(Physical(pointer));
        await DropAsync("dev");

        JanitorReport dry = await SweepAsync(TimeSpan.FromDays(8), dryRun: true);

        Assert.Equal(JanitorOutcome.WouldRemove, Assert.Single(dry.Tables, t => t.Pointer == pointer).Outcome);
        Assert.Equal(before, FilesOf(Physical(pointer)));
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        Assert.Contains(await catalog.Environments.ListTablesAsync(), t => t.Location == pointer && t.UnpointedAt is not null);
    }

    [Fact]
    public async Task A_table_found_without_a_record_is_kept_for_the_retention_from_when_it_was_found()
    {
        await PlanningProject.BuildAsync(_project);
        string orphan = Physical("_versions/orders/0123456789abcdef");
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        CopyFolder(_project.Location("silver.orders"), orphan);

        JanitorReport found = await SweepAsync(TimeSpan.FromDays(30));

        JanitorTable table = Assert.Single(found.Tables);
        Assert.Equal(JanitorOutcome.Kept, table.Outcome);
        Assert.StartsWith("found without a pointer the catalog knew of", table.Reason, StringComparison.Ordinal);
        Assert.True(Directory.Exists(orphan));
    }

    [Fact]
    public async Task The_janitor_removes_nothing_while_an_apply_holds_an_environments_lock()
    {
        await BuildDevAsync();
        await DropAsync("dev");
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        await catalog.Environments.AcquireApplyLockAsync("pr-7", LeaseHolder.ForThisProcess(), TimeSpan.FromDays(30));

        var refused = await Assert.ThrowsAsync<MedallionException>(() => SweepAsync(TimeSpan.FromDays(8)));

        Assert.Equal(ErrorCode.JanitorApplyInProgress, refused.Code);
        Assert.StartsWith("An apply, promotion or rollback to 'pr-7' is under way", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dropping_an_environment_is_refused_while_an_apply_holds_its_lock()
    {
        await BuildDevAsync();
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        await catalog.Environments.AcquireApplyLockAsync("dev", new LeaseHolder("other", "box-b", 4242, DateTimeOffset.UtcNow), TimeSpan.FromMinutes(5));

        var refused = await Assert.ThrowsAsync<MedallionException>(() => DropAsync("dev"));

        Assert.Equal(ErrorCode.EnvironmentInUse, refused.Code);
        Assert.StartsWith("Environment 'dev' cannot be dropped while an apply, promotion or rollback works on it.", refused.Message, StringComparison.Ordinal);
        Assert.NotNull(await PointerAsync("dev", "silver.orders"));
    }

    [Fact]
    public async Task Dropping_dev_and_running_the_janitor_removes_its_shallow_clone_and_leaves_prods_files_intact()
    {
        string clone = await BuildDevCloneAsync();
        string[] prodFiles = FilesOf(_project.Location("silver.orders"));
        await DropAsync("dev");

        JanitorReport report = await SweepAsync(TimeSpan.FromDays(8));

        Assert.Equal(JanitorOutcome.Removed, Assert.Single(report.Tables, t => t.Pointer == clone).Outcome);
        Assert.False(Directory.Exists(Physical(clone)));
        Assert.Equal(prodFiles, FilesOf(_project.Location("silver.orders")));
        Assert.Equal(["1|10", "2|20"], await QueryAsync("prod", "SELECT id, amount FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task Vacuum_of_prods_table_keeps_the_files_a_dev_clone_still_reads()
    {
        await BuildDevCloneAsync();
        string prod = _project.Location("silver.orders");
        string[] cloned = FilesOf(prod).Where(f => f.EndsWith(".parquet", StringComparison.Ordinal)).ToArray();
        Assert.True((await _project.RunAsync(new RunOptions { Select = "silver.orders", FullRefresh = true })).Succeeded);

        DeltaOperationResult vacuum;
        await using (ProjectEnvironment project = await LoadAsync())
        {
            CloneReferences clones = await CloneReferences.FindAsync(project, s_week);
            await using DuckDbConnection connection = project.Engines.OpenScratch();
            vacuum = await new DeltaWriter(connection).VacuumAsync(prod, TimeSpan.Zero, force: true, keepForClones: clones.KeysUnder(prod));
        }

        Assert.Equal(cloned.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), vacuum.Metrics["numFilesKeptForClones"]);
        Assert.All(cloned, f => Assert.True(File.Exists(f), f));
        Assert.Equal(["1|10", "2|20"], await QueryAsync("dev", "SELECT id, amount FROM silver.orders ORDER BY id"));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
