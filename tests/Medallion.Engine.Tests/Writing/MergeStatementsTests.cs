using Medallion.Delta.Schema;
using Medallion.Engine.Writing;

namespace Medallion.Engine.Tests.Writing;

/// <summary>The SQL a MERGE runs, as text: each kind of merge, and the decisions its options imply before any data is read.</summary>
public sealed class MergeStatementsTests
{
    private const string On = "target.id = source.id";
    private const string Source = "src";
    private const string Target = "t";

    private static readonly StructType s_schema = new([
        new StructField("id", PrimitiveType.Long, false, new Dictionary<string, System.Text.Json.JsonElement>()),
        new StructField("qty", PrimitiveType.Long, true, new Dictionary<string, System.Text.Json.JsonElement>()),
    ]);

    // The source has id, not qty: an update keeps the target's qty, an insert writes NULL for it.
    private static readonly Dictionary<string, SourceColumn> s_sourceByTarget = new() { ["id"] = new SourceColumn("id", "BIGINT", PrimitiveType.Long, null) };

    private static MergeStatements Merge(Func<DeltaMergeOptions, DeltaMergeOptions> options, bool deletionVectors = false) =>
        new(options(new DeltaMergeOptions("SELECT 1", On)), s_schema, s_sourceByTarget, Source, deletionVectors, "/lake/t", []);

    [Fact]
    public void An_upsert_rewrites_kept_rows_with_the_source_value_where_matched_and_inserts_what_no_target_row_matches()
    {
        MergeStatements merge = Merge(o => o with { WhenMatched = DeltaMergeMatchedAction.Update, WhenNotMatchedInsert = true });

        Assert.Equal(
            "SELECT CASE WHEN source.__medallion_matched IS NOT NULL THEN CAST(source.\"id\" AS BIGINT) ELSE target.\"id\" END AS \"id\", target.\"qty\" AS \"qty\" "
            + "FROM (t) AS target LEFT JOIN (SELECT *, true AS __medallion_matched FROM src) AS source ON (target.id = source.id)",
            merge.RewrittenRows(Target, merge.Leaving(anyDeletedByCondition: false)));
        Assert.Equal(
            "SELECT CAST(source.\"id\" AS BIGINT) AS \"id\", CAST(NULL AS BIGINT) AS \"qty\" FROM src AS source WHERE NOT EXISTS (SELECT 1 FROM (all) AS target WHERE (target.id = source.id))",
            $"SELECT {merge.InsertedRow} {merge.InsertedFrom("all")}");
    }

    [Fact]
    public void An_insert_only_merge_tests_for_a_match_instead_of_joining_so_duplicate_matches_copy_no_row()
    {
        MergeStatements merge = Merge(o => o with { WhenNotMatchedInsert = true });

        Assert.True(merge.MatchedRowsStay);
        Assert.False(merge.FindsMatchedFiles);
        Assert.Equal("EXISTS (SELECT 1 FROM src AS source WHERE (target.id = source.id))", merge.AnyMatch);
        Assert.Equal("FROM (t) AS target", merge.Joined(Target));
    }

    [Fact]
    public void A_delete_condition_takes_its_rows_out_of_the_matched_ones_and_out_of_the_table()
    {
        MergeStatements merge = Merge(o => o with { WhenMatched = DeltaMergeMatchedAction.Update, DeleteWhen = "source.gone" });

        Assert.Equal("(source.__medallion_matched IS NOT NULL AND source.__medallion_delete)", merge.IsDeleted);
        Assert.Equal("(source.__medallion_matched IS NOT NULL AND NOT (source.__medallion_matched IS NOT NULL AND source.__medallion_delete))", merge.IsMatched);
        Assert.Equal([merge.IsDeleted], merge.Leaving(anyDeletedByCondition: true));
        Assert.Empty(merge.Leaving(anyDeletedByCondition: false));
    }

    [Fact]
    public void Deleting_unmatched_target_rows_reads_every_file_and_drops_rows_without_a_match()
    {
        MergeStatements merge = Merge(o => o with { WhenMatched = DeltaMergeMatchedAction.Delete, WhenNotMatchedBySourceDelete = true });

        Assert.True(merge.ReadsEveryFile);
        Assert.EndsWith(
            "FROM (t) AS target LEFT JOIN (SELECT *, true AS __medallion_matched FROM src) AS source ON (target.id = source.id) WHERE NOT (source.__medallion_matched IS NOT NULL OR NOT (source.__medallion_matched IS NOT NULL))",
            merge.RewrittenRows(Target, merge.Leaving(anyDeletedByCondition: false)), StringComparison.Ordinal);
        Assert.Equal((0L, 10L, 0L), merge.Outcome(deletedByCondition: 0, matched: 3, unmatched: 7));
    }

    [Theory]
    [InlineData(DeltaMergeMatchedAction.Update, false, 3L, 0L, 7L)]
    [InlineData(DeltaMergeMatchedAction.Delete, false, 0L, 3L, 7L)]
    [InlineData(DeltaMergeMatchedAction.None, false, 0L, 0L, 10L)]
    [InlineData(DeltaMergeMatchedAction.Update, true, 3L, 7L, 0L)]
    public void The_outcome_counts_matched_rows_by_the_matched_action_and_unmatched_ones_by_the_source_delete(DeltaMergeMatchedAction action, bool deleteUnmatched, long updated, long deleted, long copied)
    {
        MergeStatements merge = Merge(o => o with { WhenMatched = action, WhenNotMatchedBySourceDelete = deleteUnmatched });

        Assert.Equal((updated, deleted, copied), merge.Outcome(deletedByCondition: 0, matched: 3, unmatched: 7));
    }

    [Fact]
    public void With_deletion_vectors_an_update_marks_matched_rows_deleted_and_writes_only_them_anew()
    {
        MergeStatements merge = Merge(o => o with { WhenMatched = DeltaMergeMatchedAction.Update }, deletionVectors: true);

        Assert.True(merge.MatchedRowsLeave);
        Assert.Equal(
            "SELECT target.f, target.r FROM (t) AS target LEFT JOIN (SELECT *, true AS __medallion_matched FROM src) AS source ON (target.id = source.id) WHERE source.__medallion_matched IS NOT NULL",
            merge.RowsToMarkDeleted(Target, merge.ChangingOrLeaving(merge.Leaving(false)), "f", "r"));
        Assert.Equal(
            "SELECT CAST(source.\"id\" AS BIGINT) AS \"id\", target.\"qty\" AS \"qty\" FROM (t) AS target LEFT JOIN (SELECT *, true AS __medallion_matched FROM src) AS source ON (target.id = source.id) WHERE source.__medallion_matched IS NOT NULL",
            merge.UpdatedRows(Target));
    }

    [Fact]
    public void The_change_feed_of_an_update_has_the_pre_and_post_images_of_the_matched_rows()
    {
        MergeStatements merge = Merge(o => o with { WhenMatched = DeltaMergeMatchedAction.Update });

        IReadOnlyList<string> changes = merge.Changes(Target, anyDeletedByCondition: false, "_change_type");

        Assert.Equal(2, changes.Count);
        Assert.StartsWith("SELECT target.*, 'update_preimage' AS _change_type FROM (t) AS target LEFT JOIN", changes[0], StringComparison.Ordinal);
        Assert.StartsWith("SELECT CAST(source.\"id\" AS BIGINT) AS \"id\", target.\"qty\" AS \"qty\", 'update_postimage' AS _change_type FROM (t)", changes[1], StringComparison.Ordinal);
        Assert.All(changes, c => Assert.EndsWith(" WHERE source.__medallion_matched IS NOT NULL", c, StringComparison.Ordinal));
    }
}
