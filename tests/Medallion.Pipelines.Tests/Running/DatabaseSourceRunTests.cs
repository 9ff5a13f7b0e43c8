using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

/// <summary><c>medallion run</c> with database sources: real PostgreSQL tables landing in bronze as DAG roots, and merge models over CDC bronze.</summary>
public sealed class DatabaseSourceRunTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IDisposable
{
    private static readonly TableName s_silver = new("silver", "items");

    // The current state: the latest change of each key in LSN order, a delete removing the key.
    private static string CurrentState(string table) => $"SELECT id, qty, _op FROM bronze.{table} QUALIFY row_number() OVER (PARTITION BY id ORDER BY _lsn DESC, _seq DESC) = 1";

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

    /// <summary>A CDC source for the PostgreSQL table (each test its own: the class shares one database) and silver.items over it.</summary>
    private TableName CdcItems(string table)
    {
        Connect($"      - {{table: public.{table}, mode: cdc, slot: {database.Name}_{table}}}\n");
        _project.Model("silver.items", CurrentState(table), "materialized: merge\nunique_key: [id]\ndelete_when: _op = 'delete'");
        return new TableName("bronze", table);
    }

    [Fact]
    public async Task A_merge_model_turns_cdc_bronze_into_the_current_state_with_deletes_applied()
    {
        await database.ExecuteAsync("CREATE TABLE items (id int PRIMARY KEY, qty int); INSERT INTO items VALUES (1, 10), (2, 20), (3, 30)");
        TableName bronze = CdcItems("items");
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
        Assert.Equal((7L, RunMode.Incremental), (second[bronze].RowsWritten!.Value, second[s_silver].Mode));
        Assert.Equal(["1|11", "2|22", "3|30"], afterSecond);
        Assert.Equal(["1|11", "2|22"], afterDelete);
        Assert.Equal(["1|11", "2|22", "3|33"], await Silver());
        Assert.Equal(
            (await database.ScalarAsync("SELECT string_agg(id || '|' || qty, ',' ORDER BY id) FROM items"))!.ToString(),
            string.Join(",", await Silver()));
    }

    [Fact]
    public async Task A_database_table_that_fails_stops_only_the_models_that_read_it()
    {
        await database.ExecuteAsync("CREATE TABLE regions (id int PRIMARY KEY, name text); INSERT INTO regions VALUES (1, 'north')");
        Connect("      - public.regions\n      - public.missing_table\n");
        _project.Model("silver.regions", "SELECT id, name FROM bronze.regions").Model("silver.missing", "SELECT * FROM bronze.missing_table");

        RunResult run = await _project.RunAsync();

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(StepState.Failed, run[new TableName("bronze", "missing_table")].State);
        Assert.Contains("missing_table", run[new TableName("bronze", "missing_table")].Error, StringComparison.Ordinal);
        Assert.Equal(StepState.Skipped, run[new TableName("silver", "missing")].State);
        Assert.Equal((StepState.Succeeded, 1L), (run[new TableName("silver", "regions")].State, run[new TableName("silver", "regions")].RowsWritten!.Value));
        Assert.Equal(["1|north"], await _project.QueryAsync("SELECT id, name FROM silver.regions"));
    }

    [Fact]
    public async Task Each_pass_over_a_cdc_table_is_recorded_in_the_catalog_with_its_position_and_slot_lag()
    {
        await database.ExecuteAsync("CREATE TABLE recorded (id int PRIMARY KEY, qty int); INSERT INTO recorded VALUES (1, 10)");
        TableName bronze = CdcItems("recorded");

        RunResult run = await _project.RunAsync();
        await using CatalogStore catalog = await _project.OpenCatalogAsync();
        SourceRunRecord pass = Assert.Single(await catalog.GetSourceRunsAsync(run.RunId));

        Assert.Equal((bronze, "shop", "public.recorded", "cdc", 1L), (pass.Target, pass.Source, pass.SourceTable, pass.Mode, pass.Rows));
        Assert.NotNull(pass.SlotLagBytes);
        Assert.Matches("^[0-9A-F]+/[0-9A-F]+$", pass.Position);
        Assert.Equal(run[bronze].CommittedVersion, pass.CommittedVersion);
        Assert.Contains(run[bronze].Notes, n => n.StartsWith("shop: public.recorded (cdc), 1 row(s) in 2 batch(es), at ", StringComparison.Ordinal) && n.Contains(", slot lag ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_continuous_run_streams_changes_in_passes_of_their_own_and_the_merge_model_follows_until_stopped()
    {
        await database.ExecuteAsync("CREATE TABLE streamed (id int PRIMARY KEY, qty int); INSERT INTO streamed VALUES (1, 10)");
        TableName bronze = CdcItems("streamed");
        MedallionProject project = await MedallionProject.LoadAsync(_project.Directory);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var passes = new List<RunResult>();
        bool changed = false;
        List<string>? silverAfterChange = null;

        RunResult? last = await ProjectRunner.RunContinuousAsync(project, new RunOptions(), TimeSpan.FromMilliseconds(300), async pass =>
        {
            passes.Add(pass);
            bool builtSilver = pass.Steps.Any(s => s.Table == s_silver && s.CommittedVersion is not null);
            if (builtSilver && !changed)
            {
                // The snapshot reached silver; now the source changes while both loops run.
                changed = true;
                await database.ExecuteAsync("INSERT INTO streamed VALUES (2, 20); UPDATE streamed SET qty = 11 WHERE id = 1");
            }
            else if (builtSilver && (silverAfterChange = await Silver()).Count == 2)
            {
                await stop.CancelAsync();
            }
        }, stop.Token);

        Assert.Equal(["1|11", "2|20"], silverAfterChange);
        Assert.All(passes, p => Assert.True(p.Succeeded, string.Join("; ", p.Steps.Select(s => s.Error))));
        // The stream's passes load bronze alone; the models' passes read it as the stream left it and never load it.
        Assert.Contains(passes, p => p.Steps.Select(s => s.Table).SequenceEqual([bronze]));
        Assert.All(passes.Where(p => p.Steps.Any(s => s.Table == s_silver)), p => Assert.DoesNotContain(p.Steps, s => s.Table == bronze));
        Assert.Same(passes.Last(p => p.Steps.Any(s => s.Table == s_silver)), last);
    }

    private Task<List<string>> Silver() => _project.QueryAsync("SELECT id, qty FROM silver.items ORDER BY id");
}
