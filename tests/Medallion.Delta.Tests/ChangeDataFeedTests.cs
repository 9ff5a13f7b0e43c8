using System.Linq;
using System.Threading.Tasks;
using Medallion.Delta.ChangeDataFeed;

namespace Medallion.Delta.Tests;

public sealed class ChangeDataFeedTests
{
    [Fact]
    public async Task Changes_use_the_cdc_files_of_a_commit_that_has_them()
    {
        ChangeFeedPlan plan = await Conformance.Open("krs-cdf-table").PlanChangesAsync(0);

        Assert.All(plan.Files.Where(f => f.CommitVersion == 0), f => Assert.Equal("insert", f.ChangeType));
        Assert.All(plan.Files.Where(f => f.CommitVersion == 1), f => Assert.True(f.IsChangeDataFile));
        Assert.All(plan.Files.Where(f => f.IsChangeDataFile), f => Assert.StartsWith("_change_data/", f.Path, System.StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deletion_vector_update_reports_only_the_newly_deleted_rows()
    {
        ChangeFeedPlan plan = await Conformance.Open("krs-cdf-table-with-dv").PlanChangesAsync(1, 1);

        ChangeFile delete = Assert.Single(plan.Files);
        Assert.Equal("delete", delete.ChangeType);
        Assert.Equal([0L, 9L], delete.SelectedRowIndexes);
    }

    [Fact]
    public async Task A_change_range_past_the_newest_version_fails_naming_the_range()
    {
        DeltaTable table = Conformance.Open("krs-cdf-table");

        var e = await Assert.ThrowsAsync<MedallionException>(() => table.PlanChangesAsync(2, 9));

        Assert.Equal(ErrorCode.DeltaInvalidChangeRange, e.Code);
        Assert.Equal($"Cannot read changes of the Delta table at '{table.Location}' from version 2 to 9: the range must satisfy 0 <= start <= end <= 3 (the newest version).", e.Message);
    }

    [Fact]
    public async Task Changes_planned_to_a_snapshot_the_caller_holds_are_the_changes_of_that_version_range()
    {
        DeltaTable table = Conformance.Open("krs-cdf-table");
        Snapshots.Snapshot held = await table.GetSnapshotAsync(2);

        ChangeFeedPlan fromHeld = await table.PlanChangesAsync(held, 1);
        ChangeFeedPlan fromVersions = await table.PlanChangesAsync(1, 2);

        Assert.Equal((1L, 2L), (fromHeld.StartVersion, fromHeld.EndVersion));
        Assert.Equal(
            fromVersions.Files.Select(f => (f.Path, f.ChangeType, f.CommitVersion)),
            fromHeld.Files.Select(f => (f.Path, f.ChangeType, f.CommitVersion)));
    }

    [Fact]
    public async Task Changes_planned_to_a_held_snapshot_refuse_a_start_after_it()
    {
        DeltaTable table = Conformance.Open("krs-cdf-table");
        Snapshots.Snapshot held = await table.GetSnapshotAsync(1);

        var e = await Assert.ThrowsAsync<MedallionException>(() => table.PlanChangesAsync(held, 2));

        Assert.Equal(ErrorCode.DeltaInvalidChangeRange, e.Code);
        Assert.Equal($"Cannot read changes of the Delta table at '{table.Location}' from version 2 to 1: the range must satisfy 0 <= start <= end.", e.Message);
    }

    [Fact]
    public async Task Changes_planned_to_a_snapshot_of_another_table_are_refused()
    {
        Snapshots.Snapshot other = await Conformance.Open("krs-cdf-table-with-dv").GetSnapshotAsync(null);

        await Assert.ThrowsAsync<System.ArgumentException>(() => Conformance.Open("krs-cdf-table").PlanChangesAsync(other, 0));
    }
}
