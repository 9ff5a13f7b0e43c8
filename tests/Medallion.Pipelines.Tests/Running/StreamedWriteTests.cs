using Medallion.Catalog;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

/// <summary>
/// Models without quarantine rules write their SELECT straight to data files and check them before committing:
/// a refused result must still leave the table, and its folder, as they were.
/// </summary>
public sealed class StreamedWriteTests : IDisposable
{
    private static readonly TableName s_silver = new("silver", "orders");
    private readonly RunProject _project = new("orders");

    public void Dispose() => _project.Dispose();

    private string[] DataFiles(string table) =>
        [.. System.IO.Directory.GetFiles(_project.Location(table), "*.parquet", SearchOption.AllDirectories).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task A_table_model_that_breaks_a_fail_rule_keeps_its_last_version_and_leaves_no_data_files()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "expectations:\n  - not_null: [id]");
        Assert.True((await _project.RunAsync()).Succeeded);
        string[] before = DataFiles("silver.orders");
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (NULL, 30)) t(id, amount)");

        RunResult run = await _project.RunAsync();

        Assert.Equal(StepState.Failed, run[s_silver].State);
        Assert.Contains("not_null(id) [fail] (1 rows)", run[s_silver].Error, StringComparison.Ordinal);
        Assert.Equal(0, await _project.VersionAsync("silver.orders"));
        Assert.Equal(["1|10", "2|20"], await _project.QueryAsync("SELECT id, amount FROM silver.orders ORDER BY id"));
        Assert.Equal(before, DataFiles("silver.orders"));
    }

    [Fact]
    public async Task A_warn_rule_on_a_streamed_model_records_its_result_and_commits_every_row()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (2, -5)) t(id, amount)");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "expectations:\n  - range: {column: amount, min: 0}\n    severity: warn");

        RunResult run = await _project.RunAsync();

        Assert.True(run.Succeeded, run[s_silver].Error);
        Assert.Equal(2L, run[s_silver].RowsWritten);
        Assert.Contains(run[s_silver].Notes, n => n.Contains("[warn] (1 rows)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_merge_model_deduplicated_by_its_key_builds_and_keeps_one_row_per_key()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'new', 1), (1, 'paid', 2), (2, 'new', 1)) t(id, status, seq)");
        _project.Model("silver.orders", "SELECT id, status FROM bronze.orders QUALIFY row_number() OVER (PARTITION BY id ORDER BY seq DESC) = 1", "materialized: merge\nunique_key: id");

        RunResult run = await _project.RunAsync();

        Assert.True(run.Succeeded, run[s_silver].Error);
        Assert.Equal(["1|paid", "2|new"], await _project.QueryAsync("SELECT * FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task A_merge_model_deduplicated_by_another_column_is_still_refused_for_a_repeated_key()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'new', 1), (1, 'paid', 2)) t(id, status, seq)");
        _project.Model("silver.orders", "SELECT id, status FROM bronze.orders QUALIFY row_number() OVER (PARTITION BY status ORDER BY seq DESC) = 1", "materialized: merge\nunique_key: id");

        RunResult run = await _project.RunAsync();

        Assert.Equal(StepState.Failed, run[s_silver].State);
        Assert.Contains("1 unique_key value(s) (\"id\") appear on more than one row", run[s_silver].Error, StringComparison.Ordinal);
        Assert.False(System.IO.Directory.Exists(_project.Location("silver.orders")));
    }
}
