using System;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;

namespace Medallion.Delta.Tests;

public sealed class ScanTests
{
    private static async Task<string[]> FilesAsync(string caseName, ScanPredicate filter)
    {
        DeltaTable table = Conformance.Open(caseName);
        ScanPlan plan = await table.PlanScanAsync(await table.GetSnapshotAsync(), filter);
        return plan.Files.Select(f => f.Path).Order(StringComparer.Ordinal).ToArray();
    }

    [Fact]
    public async Task Partition_pruning_keeps_only_files_of_matching_partitions()
    {
        string[] files = await FilesAsync("drs-delta-0.8.0-partitioned", ScanPredicate.And(ScanPredicate.Equal("year", "2020"), ScanPredicate.Equal("month", "2")));

        Assert.Equal(
            ["year=2020/month=2/day=3/part-00000-94d16827-f2fd-42cd-a060-f67ccc63ced9.c000.snappy.parquet", "year=2020/month=2/day=5/part-00000-89cdd4c8-2af7-4add-8ea3-3990b2f027b5.c000.snappy.parquet"],
            files);
    }

    [Fact]
    public async Task Partition_pruning_with_is_null_keeps_only_the_null_partition()
    {
        string[] files = await FilesAsync("drs-delta-0.8.0-null-partition", ScanPredicate.IsNull("k"));

        Assert.Equal(["k=__HIVE_DEFAULT_PARTITION__/part-00001-8474ac85-360b-4f58-b3ea-23990c71b932.c000.snappy.parquet"], files);
    }

    [Theory]
    [InlineData("A/A", "x=A%2FA/part-00007-b350e235-2832-45df-9918-6cab4f7578f7.c000.snappy.parquet")]
    [InlineData("B B", "x=B%20B/part-00015-e9abbc6f-85e9-457b-be8e-e9f5b8a22890.c000.snappy.parquet")]
    public async Task Partition_values_with_special_characters_match_their_decoded_value(string value, string path)
    {
        Assert.Equal([path], await FilesAsync("drs-delta-0.8.0-special-partition", ScanPredicate.Equal("x", value)));
    }

    [Fact]
    public async Task Partition_pruning_with_no_matching_partition_keeps_no_file()
    {
        Assert.Empty(await FilesAsync("drs-delta-0.8.0-special-partition", ScanPredicate.Equal("x", "c")));
    }

    [Fact]
    public async Task Min_max_statistics_skip_files_that_cannot_hold_the_value()
    {
        using var t = new TempTable();
        t.Commit(0, TempTable.Protocol1, TempTable.Metadata,
            TempTable.Add("p=a/low.parquet", stats: """{"numRecords":10,"minValues":{"id":0},"maxValues":{"id":9},"nullCount":{"id":0}}"""),
            TempTable.Add("p=a/high.parquet", stats: """{"numRecords":10,"minValues":{"id":10},"maxValues":{"id":19},"nullCount":{"id":0}}"""),
            TempTable.Add("p=a/nostats.parquet"));
        DeltaTable table = t.Open();
        Snapshot s = await table.GetSnapshotAsync();

        ScanPlan plan = await table.PlanScanAsync(s, ScanPredicate.Or(ScanPredicate.GreaterThan("id", 15L), ScanPredicate.In("id", 30L, 40L)));

        Assert.Equal(["p=a/high.parquet", "p=a/nostats.parquet"], plan.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal(1, plan.SkippedFileCount);
    }

    [Fact]
    public async Task Is_not_null_skips_files_whose_column_is_all_null()
    {
        using var t = new TempTable();
        t.Commit(0, TempTable.Protocol1, TempTable.Metadata,
            TempTable.Add("p=a/nulls.parquet", stats: """{"numRecords":3,"nullCount":{"id":3}}"""),
            TempTable.Add("p=a/values.parquet", stats: """{"numRecords":3,"minValues":{"id":1},"maxValues":{"id":3},"nullCount":{"id":0}}"""));
        DeltaTable table = t.Open();

        ScanPlan plan = await table.PlanScanAsync(await table.GetSnapshotAsync(), ScanPredicate.IsNotNull("id"));

        Assert.Equal("p=a/values.parquet", Assert.Single(plan.Files).Path);
    }

    [Fact]
    public async Task A_filter_on_an_unknown_column_fails_naming_the_column_and_the_columns()
    {
        using var t = new TempTable();
        t.WithCommits(1);
        DeltaTable table = t.Open();
        Snapshot s = await table.GetSnapshotAsync();

        var e = await Assert.ThrowsAsync<MedallionException>(() => table.PlanScanAsync(s, ScanPredicate.Equal("nope", 1L)));

        Assert.Equal(ErrorCode.DeltaInvalidPredicate, e.Code);
        Assert.Equal($"The filter refers to column 'nope', which the Delta table at '{t.Path}' (version 0) does not have.\nHelp: the columns are id, p.", e.Message);
    }

    [Fact]
    public async Task Scan_columns_carry_physical_names_and_field_ids_under_id_column_mapping()
    {
        DeltaTable table = Conformance.Open("golden-table-with-columnmapping-mode-id");
        ScanPlan plan = await table.PlanScanAsync(await table.GetSnapshotAsync());

        Assert.All(plan.Columns, c => Assert.StartsWith("col-", c.PhysicalName, StringComparison.Ordinal));
        Assert.All(plan.Columns, c => Assert.NotNull(c.FieldId));
    }

    [Fact]
    public async Task Physical_types_rename_nested_struct_fields_under_name_column_mapping()
    {
        DeltaTable table = Conformance.Open("golden-table-with-columnmapping-mode-name");
        ScanPlan plan = await table.PlanScanAsync(await table.GetSnapshotAsync());

        ScanColumn nested = plan.Columns.First(c => c.Type is StructType);
        var physical = (StructType)nested.PhysicalType;
        Assert.All(physical.Fields, f => Assert.StartsWith("col-", f.Name, StringComparison.Ordinal));
    }
}
