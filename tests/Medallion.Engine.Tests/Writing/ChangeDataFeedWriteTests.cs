using Medallion.Delta;
using Medallion.Delta.ChangeDataFeed;

namespace Medallion.Engine.Tests.Writing;

public sealed class ChangeDataFeedWriteTests : IDisposable
{
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    private async Task<string> TableAsync()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, p string, v long")
        {
            PartitionBy = ["p"],
            Properties = new Dictionary<string, string> { ["delta.enableChangeDataFeed"] = "true" },
        });
        await _f.Writer.WriteAsync(path, "SELECT i AS id, CASE WHEN i < 2 THEN 'a' ELSE 'b' END AS p, i * 10 AS v FROM range(4) t(i)");
        return path;
    }

    /// <summary>The rows of the change data files of one version, as "id|v|_change_type".</summary>
    private async Task<List<string>> ChangesAsync(string path, long version, string? alsoColumn = null)
    {
        DeltaTable table = _f.Open(path);
        ChangeFeedPlan plan = await table.PlanChangesAsync(version, version);
        Assert.NotEmpty(plan.Files);
        Assert.All(plan.Files, f => Assert.True(f.IsChangeDataFile, f.Path));
        string files = string.Join(", ", plan.Files.Select(f => "'" + LocalMirror.Of(table.Store).PathOf(f).Replace("'", "''", StringComparison.Ordinal) + "'"));
        return _f.Query($"SELECT id, v, _change_type{(alsoColumn is null ? "" : ", " + alsoColumn)} FROM read_parquet([{files}], hive_partitioning = false)");
    }

    [Fact]
    public async Task Delete_records_only_the_deleted_rows_as_changes()
    {
        string path = await TableAsync();
        await _f.Writer.DeleteAsync(path, "id = 1");

        Assert.Equal(["1|10|delete"], await ChangesAsync(path, 2));
        Assert.Equal(4, (await _f.SnapshotAsync(path)).Protocol.MinWriterVersion);
    }

    [Fact]
    public async Task Update_records_pre_and_post_images()
    {
        string path = await TableAsync();
        await _f.Writer.UpdateAsync(path, "v = -1", "id = 2");

        Assert.Equal(["2|-1|update_postimage", "2|20|update_preimage"], await ChangesAsync(path, 2));
    }

    [Fact]
    public async Task Update_records_the_post_image_of_integer_arithmetic_in_the_columns_type()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition("id long, v short")
        {
            Properties = new Dictionary<string, string> { ["delta.enableChangeDataFeed"] = "true" },
        });
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, CAST(32767 AS SMALLINT) AS v");

        await _f.Writer.UpdateAsync(path, "v = v + 1 - 2", "id = 1");

        Assert.Equal(["1|32766|update_postimage|SMALLINT", "1|32767|update_preimage|SMALLINT"], await ChangesAsync(path, 2, "typeof(v)"));
    }

    [Fact]
    public async Task Merge_records_inserts_updates_and_deletes()
    {
        string path = await TableAsync();
        await _f.Writer.MergeAsync(path, new DeltaMergeOptions("SELECT * FROM (VALUES (0, 'a', 5), (9, 'b', 90)) s(id, p, v)", "target.id = source.id")
        {
            WhenMatched = DeltaMergeMatchedAction.Update,
            WhenNotMatchedInsert = true,
            WhenNotMatchedBySourceDelete = true,
        });

        Assert.Equal(["0|0|update_preimage", "0|5|update_postimage", "1|10|delete", "2|20|delete", "3|30|delete", "9|90|insert"], await ChangesAsync(path, 2));
        Assert.Equal(["0|a|5", "9|b|90"], await _f.ReadAsync(path));
    }
}
