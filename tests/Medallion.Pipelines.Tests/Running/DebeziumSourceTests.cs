using Medallion.Catalog;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

/// <summary>Debezium event files land in bronze with the CDC columns, and a merge model turns them into current state.</summary>
public sealed class DebeziumSourceTests : IDisposable
{
    private static readonly TableName s_bronze = new("bronze", "orders_cdc");
    private static readonly TableName s_silver = new("silver", "orders");
    private readonly RunProject _project = new();

    public DebeziumSourceTests()
    {
        _project.File("sources/cdc.yml", "sources:\n  - name: orders_cdc\n    format: debezium\n    path: data/cdc/*.jsonl\n    target: bronze.orders_cdc\n");
        _project.Model(
            "silver.orders",
            "SELECT id, status, _op FROM bronze.orders_cdc QUALIFY row_number() OVER (PARTITION BY id ORDER BY _lsn DESC, _seq DESC) = 1",
            "materialized: merge\nunique_key: [id]\ndelete_when: _op = 'delete'");
    }

    public void Dispose() => _project.Dispose();

    private static string Event(string op, int lsn, string? before, string? after) =>
        $"{{\"schema\":{{}},\"payload\":{{\"op\":\"{op}\",\"before\":{before ?? "null"},\"after\":{after ?? "null"},\"source\":{{\"lsn\":{lsn},\"txId\":{lsn / 10},\"ts_ms\":1767261600000}},\"ts_ms\":1767261600500}}}}";

    private static string Order(int id, string status) => $"{{\"id\":{id},\"status\":\"{status}\"}}";

    [Fact]
    public async Task A_merge_model_applies_debezium_changes_from_files_as_current_state_with_deletes()
    {
        _project.File("data/cdc/1.jsonl", string.Join("\n",
            Event("r", 100, null, Order(1, "new")),
            Event("r", 100, null, Order(2, "new")),
            Event("c", 110, null, Order(3, "new")),
            Event("u", 120, Order(1, "new"), Order(1, "paid"))));
        RunResult first = await _project.RunAsync();
        _project.File("data/cdc/2.jsonl", string.Join("\n",
            Event("d", 130, Order(2, "new"), null),
            "{\"schema\":null,\"payload\":null}",
            Event("u", 140, Order(3, "new"), Order(3, "shipped")),
            Event("c", 150, null, Order(4, "new")),
            Event("d", 160, Order(4, "new"), null)));

        RunResult second = await _project.RunAsync();

        Assert.True(first.Succeeded, first[s_silver].Error ?? first[s_bronze].Error);
        Assert.True(second.Succeeded, second[s_silver].Error ?? second[s_bronze].Error);
        Assert.Equal((RunMode.Incremental, 4L), (second[s_silver].Mode, second[s_bronze].RowsWritten));
        Assert.Equal(["1|paid", "3|shipped"], await _project.QueryAsync("SELECT id, status FROM silver.orders ORDER BY id"));
        Assert.Equal(
            ["snapshot|100|10|1|new|null", "update|120|12|1|paid|new", "delete|130|13|2|new|new"],
            await _project.QueryAsync("SELECT _op, _lsn, _txid, id, status, _before_status FROM bronze.orders_cdc WHERE id IN (1, 2) AND _op <> 'snapshot' OR _lsn = 100 AND id = 1 ORDER BY _lsn"));
    }

    [Fact]
    public async Task A_line_that_is_not_a_debezium_event_is_kept_as_a_reject_naming_the_problem()
    {
        _project.File("data/cdc/1.jsonl", Event("c", 110, null, Order(3, "new")) + "\n{\"op\":\"q\",\"after\":{\"id\":5}}\n");

        RunResult run = await _project.RunAsync();

        Assert.Null(run[s_bronze].Error);
        Assert.Contains(run[s_bronze].Notes, n => n.Contains("1 line(s) of 'data/cdc/1.jsonl' are not valid Debezium events (first at line 2", StringComparison.Ordinal));
        Assert.Equal(
            ["3|null|null", "null|2|'op' is \"q\", not one of c, u, d, r, t"],
            await _project.QueryAsync("SELECT id, CASE WHEN _raw_line IS NOT NULL THEN _source_line END, _parse_error FROM bronze.orders_cdc ORDER BY _source_line"));
    }
}
