using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

/// <summary><c>medallion run</c> with database sources: real PostgreSQL tables landing in bronze as DAG roots, and merge models over CDC bronze.</summary>
public sealed class DatabaseSourceRunTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IDisposable
{
    private static readonly TableName s_bronze = new("bronze", "items");
    private static readonly TableName s_silver = new("silver", "items");

    // The current state: the latest change of each key in LSN order, a delete removing the key.
    private const string CurrentState = "SELECT id, qty, _op FROM bronze.items QUALIFY row_number() OVER (PARTITION BY id ORDER BY _lsn DESC, _seq DESC) = 1";

    private readonly RunProject _project = new();

    public void Dispose() => _project.Dispose();

    private void Connect(string tables)
    {
        var builder = database.Builder;
        _project.File("medallion.yml", $"""
            name: shop
            storage: lake
            connections:
              pg:
                type: postgres
                host: {builder.Host}
                port: {builder.Port}
                database: {builder.Database}
                user: {builder.Username}
                password: {builder.Password}
                pooling: false
            """);
        _project.File("sources/db.yml", $"sources:\n  - name: shop\n    connection: pg\n    tables:\n{tables}");
    }

    private void CdcItems()
    {
        Connect($"      - {{table: public.items, mode: cdc, slot: {database.Name}_items}}\n");
        _project.Model("silver.items", CurrentState, "materialized: merge\nunique_key: [id]\ndelete_when: _op = 'delete'");
    }

    [Fact]
    public async Task A_merge_model_turns_cdc_bronze_into_the_current_state_with_deletes_applied()
    {
        await database.ExecuteAsync("CREATE TABLE items (id int PRIMARY KEY, qty int); INSERT INTO items VALUES (1, 10), (2, 20), (3, 30)");
        CdcItems();
        RunResult first = await _project.RunAsync();
        List<string> afterFirst = await Silver();

        // One batch: key 4 is inserted, updated twice and deleted; key 2 is deleted and inserted again; key 1 changes.
        await database.ExecuteAsync("INSERT INTO items VALUES (4, 40)");
        await database.ExecuteAsync("UPDATE items SET qty = 41 WHERE id = 4");
        await database.ExecuteAsync("BEGIN; UPDATE items SET qty = 42 WHERE id = 4; DELETE FROM items WHERE id = 2; COMMIT");
        await database.ExecuteAsync("DELETE FROM items WHERE id = 4");
        await database.ExecuteAsync("INSERT INTO items VALUES (2, 22); UPDATE items SET qty = 11 WHERE id = 1");
        RunResult second = await _project.RunAsync();
        List<string> afterSecond = await Silver();
        // Across batches: key 3 deleted in one run, inserted again in the next.
        await database.ExecuteAsync("DELETE FROM items WHERE id = 3");
        await _project.RunAsync();
        List<string> afterDelete = await Silver();
        await database.ExecuteAsync("INSERT INTO items VALUES (3, 33)");
        RunResult last = await _project.RunAsync();

        Assert.True(first.Succeeded && second.Succeeded && last.Succeeded, string.Join("; ", second.Steps.Select(s => s.Error)));
        Assert.Equal(["1|10", "2|20", "3|30"], afterFirst);
        Assert.Equal((7L, RunMode.Incremental), (second[s_bronze].RowsWritten!.Value, second[s_silver].Mode));
        Assert.Equal(["1|11", "2|22", "3|30"], afterSecond);
        Assert.Equal(["1|11", "2|22"], afterDelete);
        Assert.Equal(["1|11", "2|22", "3|33"], await Silver());
        Assert.Equal(
            (await database.ScalarAsync("SELECT string_agg(id || '|' || qty, ',' ORDER BY id) FROM items"))!.ToString(),
            string.Join(",", await Silver()));
    }

    private Task<List<string>> Silver() => _project.QueryAsync("SELECT id, qty FROM silver.items ORDER BY id");
}
