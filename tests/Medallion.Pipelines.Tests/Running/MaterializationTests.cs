using Medallion.Catalog;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

public sealed class MaterializationTests : IDisposable
{
    private static readonly TableName s_silver = new("silver", "orders");
    private readonly RunProject _project = new("orders");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task A_table_model_replaces_its_rows_with_the_query_result_on_every_run()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");
        _project.Model("silver.orders", "SELECT id, amount * 2 AS doubled FROM bronze.orders");

        RunResult first = await _project.RunAsync();
        await _project.AppendAsync("bronze.orders", "SELECT 3 AS id, 30 AS amount");
        RunResult second = await _project.RunAsync();

        Assert.True(first.Succeeded, first[s_silver].Error);
        Assert.Equal((RunMode.Full, 2L, 0L), (first[s_silver].Mode, first[s_silver].RowsWritten, first[s_silver].CommittedVersion));
        Assert.Equal((RunMode.Full, 3L, 1L), (second[s_silver].Mode, second[s_silver].RowsWritten, second[s_silver].CommittedVersion));
        Assert.Equal(["1|20", "2|40", "3|60"], await _project.QueryAsync("SELECT * FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task A_table_model_whose_columns_changed_type_or_went_away_takes_the_new_schema()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders");
        await _project.RunAsync();
        _project.Model("silver.orders", "SELECT id::VARCHAR AS id FROM bronze.orders");

        RunResult second = await _project.RunAsync();

        Assert.True(second.Succeeded, second[s_silver].Error);
        Assert.Equal(["id VARCHAR"], await _project.QueryAsync("SELECT column_name || ' ' || column_type FROM (DESCRIBE silver.orders)"));
    }

    [Fact]
    public async Task An_append_model_reads_only_the_rows_added_upstream_since_its_last_successful_run()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "materialized: append");

        RunResult first = await _project.RunAsync();
        long v1 = await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (3, 30), (4, 40)) t(id, amount)");
        long v2 = await _project.AppendAsync("bronze.orders", "SELECT 5 AS id, 50 AS amount");
        RunResult second = await _project.RunAsync();
        RunResult third = await _project.RunAsync();

        Assert.Equal(new Dictionary<string, long> { ["bronze.orders"] = 0 }, first[s_silver].UpstreamVersions);
        Assert.Equal((RunMode.Full, 2L), (first[s_silver].Mode, first[s_silver].RowsWritten));
        Assert.Equal((RunMode.Incremental, 3L, 1L), (second[s_silver].Mode, second[s_silver].RowsWritten, second[s_silver].CommittedVersion));
        Assert.Equal(new Dictionary<string, long> { ["bronze.orders"] = v2 }, second[s_silver].UpstreamVersions);
        Assert.Equal(2, v2 - v1 + 1);
        Assert.Equal((RunMode.Incremental, 0L, null), (third[s_silver].Mode, third[s_silver].RowsWritten, third[s_silver].CommittedVersion));
        Assert.Equal(["1", "2", "3", "4", "5"], await _project.QueryAsync("SELECT id FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task A_full_refresh_rebuilds_an_incremental_model_from_every_upstream_row()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "materialized: append");
        await _project.RunAsync();
        await _project.AppendAsync("bronze.orders", "SELECT 3 AS id, 30 AS amount");

        RunResult refreshed = await _project.RunAsync(new RunOptions { FullRefresh = true });

        Assert.Equal((RunMode.Full, 3L), (refreshed[s_silver].Mode, refreshed[s_silver].RowsWritten));
        Assert.Equal(["1", "2", "3"], await _project.QueryAsync("SELECT id FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task An_upstream_overwrite_without_change_data_feed_makes_an_append_model_recompute_in_full_and_say_why()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", "materialized: append");
        await _project.RunAsync();
        long overwritten = await _project.OverwriteAsync("bronze.orders", "SELECT * FROM (VALUES (7, 70)) t(id, amount)");

        RunResult second = await _project.RunAsync();

        Assert.Equal(RunMode.Full, second[s_silver].Mode);
        Assert.Equal([$"full recompute: bronze.orders version {overwritten} removed rows without a change data feed (an overwrite, delete or update)"], second[s_silver].Notes);
        Assert.Equal(["7"], await _project.QueryAsync("SELECT id FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task New_upstream_columns_flow_into_an_incremental_append_model()
    {
        await _project.AppendAsync("bronze.orders", "SELECT 1 AS id, 10 AS amount");
        _project.Model("silver.orders", "SELECT * FROM bronze.orders", "materialized: append");
        await _project.RunAsync();
        await _project.AppendAsync("bronze.orders", "SELECT 2 AS id, 20 AS amount, 'BRL' AS currency");

        RunResult second = await _project.RunAsync();

        Assert.Equal(RunMode.Incremental, second[s_silver].Mode);
        Assert.Equal(["1|10|null", "2|20|BRL"], await _project.QueryAsync("SELECT id, amount, currency FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task A_merge_model_upserts_on_its_unique_key_from_only_the_new_upstream_rows()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'new'), (2, 'new')) t(id, status)");
        _project.Model("silver.orders", "SELECT id, status FROM bronze.orders", "materialized: merge\nunique_key: [id]");
        await _project.RunAsync();
        long v1 = await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (2, 'paid'), (3, 'new')) t(id, status)");

        RunResult second = await _project.RunAsync();

        Assert.True(second.Succeeded, second[s_silver].Error);
        Assert.Equal((RunMode.Incremental, 2L, 1L), (second[s_silver].Mode, second[s_silver].RowsWritten, second[s_silver].CommittedVersion));
        Assert.Equal(v1, second[s_silver].UpstreamVersions["bronze.orders"]);
        Assert.Equal(["1|new", "2|paid", "3|new"], await _project.QueryAsync("SELECT * FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task A_merge_model_deletes_the_target_row_of_a_change_matching_delete_when_in_the_same_commit()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'new', 'c'), (2, 'new', 'c')) t(id, status, op)");
        _project.Model(
            "silver.orders",
            "SELECT id, status, op FROM bronze.orders QUALIFY row_number() OVER (PARTITION BY id ORDER BY status DESC) = 1",
            "materialized: merge\nunique_key: [id]\ndelete_when: op = 'd'");
        await _project.RunAsync();
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'gone', 'd'), (3, 'new', 'c'), (4, 'gone', 'd')) t(id, status, op)");

        RunResult second = await _project.RunAsync();

        Assert.True(second.Succeeded, second[s_silver].Error);
        Assert.Equal(1L, second[s_silver].CommittedVersion);
        Assert.Equal(["2|new", "3|new"], await _project.QueryAsync("SELECT id, status FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task A_merge_model_over_a_change_data_feed_sees_upstream_deletes_as_change_type_delete()
    {
        var cdf = new Dictionary<string, string> { ["delta.enableChangeDataFeed"] = "true" };
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'new'), (2, 'new'), (3, 'new')) t(id, status)", cdf);
        _project.Model("silver.orders", "SELECT * FROM bronze.orders", "materialized: merge\nunique_key: [id]\ndelete_when: _change_type = 'delete'");
        await _project.RunAsync();
        long deleted = await _project.DeleteAsync("bronze.orders", "id = 2");

        RunResult second = await _project.RunAsync();

        Assert.True(second.Succeeded, second[s_silver].Error);
        Assert.Equal(RunMode.Incremental, second[s_silver].Mode);
        Assert.Equal(deleted, second[s_silver].UpstreamVersions["bronze.orders"]);
        Assert.Equal(["1|new", "3|new"], await _project.QueryAsync("SELECT * FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task A_merge_model_refuses_a_result_with_a_repeated_key_and_commits_nothing()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'new'), (1, 'paid')) t(id, status)");
        _project.Model("silver.orders", "SELECT id, status FROM bronze.orders", "materialized: merge\nunique_key: [id]");

        RunResult run = await _project.RunAsync();

        Assert.Equal(StepState.Failed, run[s_silver].State);
        Assert.Contains("1 unique_key value(s) (\"id\") appear on more than one row of this run's result", run[s_silver].Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_project.Location("silver.orders")));
    }

    [Fact]
    public async Task An_scd2_model_closes_the_current_version_of_a_changed_key_and_inserts_the_new_one()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'new', 5), (2, 'new', 5)) t(id, status, noise)");
        _project.Model("silver.orders", "SELECT id, status, noise FROM bronze.orders QUALIFY row_number() OVER (PARTITION BY id ORDER BY status) = 1",
            "materialized: scd2\nunique_key: [id]\nchange_columns: [status]");
        var first = new FakeClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await _project.RunAsync(new RunOptions { Time = first });
        await _project.OverwriteAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'paid', 5), (2, 'new', 6), (3, 'new', 5)) t(id, status, noise)");

        RunResult second = await _project.RunAsync(new RunOptions { Time = new FakeClock(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero)) });

        Assert.True(second.Succeeded, second[s_silver].Error);
        Assert.Equal(
            [
                "1|new|2026-01-01|2026-01-02|False",
                "1|paid|2026-01-02|null|True",
                "2|new|2026-01-01|null|True",
                "3|new|2026-01-02|null|True",
            ],
            await _project.QueryAsync("SELECT id, status, strftime(valid_from, '%Y-%m-%d'), strftime(valid_to, '%Y-%m-%d'), is_current FROM silver.orders ORDER BY id, valid_from"));
    }

    [Fact]
    public async Task An_scd2_model_reads_only_the_upstream_rows_added_since_its_last_run_and_keeps_unread_keys_current()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'new'), (2, 'new')) t(id, status)");
        _project.Model("silver.orders", "SELECT id, status FROM bronze.orders", "materialized: scd2\nunique_key: [id]");
        await _project.RunAsync(new RunOptions { Time = new FakeClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) });
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'paid'), (3, 'new')) t(id, status)");

        RunResult second = await _project.RunAsync(new RunOptions { Time = new FakeClock(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero)) });

        Assert.True(second.Succeeded, second[s_silver].Error);
        Assert.Equal(RunMode.Incremental, second[s_silver].Mode);
        Assert.Equal(
            [
                "1|new|2026-01-01|2026-01-02|False",
                "1|paid|2026-01-02|null|True",
                "2|new|2026-01-01|null|True",
                "3|new|2026-01-02|null|True",
            ],
            await _project.QueryAsync("SELECT id, status, strftime(valid_from, '%Y-%m-%d'), strftime(valid_to, '%Y-%m-%d'), is_current FROM silver.orders ORDER BY id, valid_from"));
    }

    [Fact]
    public async Task A_model_partitioned_in_its_config_writes_a_partitioned_table()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 'SP'), (2, 'RJ')) t(id, uf)");
        _project.Model("silver.orders", "SELECT id, uf FROM bronze.orders", "partition_by: [uf]");

        RunResult run = await _project.RunAsync();

        Assert.True(run.Succeeded, run[s_silver].Error);
        Assert.True(Directory.Exists(Path.Combine(_project.Location("silver.orders"), "uf=SP")));
        Assert.Equal(["1|SP", "2|RJ"], await _project.QueryAsync("SELECT id, uf FROM silver.orders ORDER BY id"));
    }
}
