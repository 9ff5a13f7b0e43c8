using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines.Running;
using Medallion.Spark.Protocol;

namespace Medallion.Spark.Tests;

/// <summary>A merge model on Spark over an upstream that records a change data feed reads it as a DuckDB build does: deletes included.</summary>
public sealed partial class SparkModelTests
{
    private const string MergeOverFeed = "engine: spark\nmaterialized: merge\nunique_key: id\ndelete_when: _change_type = 'delete'";

    /// <summary>
    /// Writes <c>bronze.accounts</c> with a change data feed, ids 1 to 3 all 'new' (the table of a source of the project
    /// whose files the test writes itself, as a change stream's bronze table would be), builds <c>gold.accounts</c> on
    /// Spark from it, then deletes id 2 upstream.
    /// </summary>
    private async Task<DeltaWriter> BuildThenDeleteUpstreamAsync(DuckDbConnection connection)
    {
        _spark.Write("sources/accounts.yml", "sources:\n  - name: accounts\n    format: csv\n    path: data/accounts/*.csv\n    target: bronze.accounts\n");
        var writer = new DeltaWriter(connection);
        await writer.WriteAsync(
            _spark.Location("bronze.accounts"),
            "SELECT * FROM (VALUES (1, 'new'), (2, 'new'), (3, 'new')) t(id, status)",
            new DeltaWriteOptions { Properties = new Dictionary<string, string> { ["delta.enableChangeDataFeed"] = "true" } });
        _spark.Model("gold.accounts", MergeOverFeed, "SELECT * FROM bronze.accounts");
        Assert.True((await _spark.RunAsync()).Succeeded);
        await writer.DeleteAsync(_spark.Location("bronze.accounts"), "id = 2");
        return writer;
    }

    [Fact]
    public async Task A_spark_merge_over_a_change_data_feed_deletes_the_rows_deleted_upstream_as_on_duckdb()
    {
        await using var connection = new DuckDbConnection();
        connection.Open();
        DeltaWriter writer = await BuildThenDeleteUpstreamAsync(connection);
        await writer.UpdateAsync(_spark.Location("bronze.accounts"), "status = 'paid'", "id = 3");

        RunResult run = await _spark.RunAsync();

        Assert.True(run.Succeeded, run.Error);
        Assert.Equal(RunMode.Incremental, run[TableName.Parse("gold.accounts")].Mode);
        Assert.Equal(["1|new", "3|paid"], await _spark.QueryAsync("SELECT * FROM gold.accounts ORDER BY id"));
        Assert.Equal(["CREATE OR REPLACE TABLE", "MERGE INTO"], _server.Service.LakeWrites.Where(w => w.Path == _spark.Location("gold.accounts")).Select(w => w.Statement));
    }

    [Fact]
    public async Task A_spark_merge_over_a_change_data_feed_reads_it_with_table_changes_and_writes_no_change_column()
    {
        await using var connection = new DuckDbConnection();
        connection.Open();
        await BuildThenDeleteUpstreamAsync(connection);

        Assert.True((await _spark.RunAsync()).Succeeded);

        string[] writes = [.. _server.Service.Requests.OfType<ExecutePlanRequest>().Select(r => r.Plan.Command?.SqlCommand?.Sql).OfType<string>()];
        string location = _spark.Location("bronze.accounts");
        Assert.Contains($"(SELECT *, 'insert' AS _change_type, CAST(0 AS BIGINT) AS _commit_version FROM delta.`{location}` VERSION AS OF 0) AS `accounts`", writes[0], StringComparison.Ordinal);
        Assert.StartsWith($"CREATE OR REPLACE TABLE delta.`{_spark.Location("gold.accounts")}` USING DELTA AS\nSELECT model.`id`, model.`status` FROM (", writes[0], StringComparison.Ordinal);
        Assert.Contains($"(SELECT * FROM table_changes_by_path('{location}', 1, 1) WHERE _change_type IN ('insert', 'update_postimage', 'delete')) AS `accounts`", writes[1], StringComparison.Ordinal);
        Assert.Contains("USING (SELECT model.`id`, model.`status`, coalesce((_change_type = 'delete'), false) AS __medallion_delete FROM (", writes[1], StringComparison.Ordinal);
        Assert.Equal(["id", "status"], (await new Delta.DeltaTable(new Storage.LocalObjectStore(_spark.Location("gold.accounts"))).GetSnapshotAsync()).Schema.Fields.Select(f => f.Name));
    }
}
