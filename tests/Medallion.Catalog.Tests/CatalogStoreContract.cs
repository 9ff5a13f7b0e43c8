using Microsoft.Extensions.Logging;

namespace Medallion.Catalog.Tests;

/// <summary>What a catalog holds and how it opens, on every engine: migrations, tables, columns, versions, runs, quality results and lineage.</summary>
public abstract class CatalogStoreContract(CatalogEngine engine) : CatalogContract(engine)
{
    private static readonly TableName s_orders = new("silver", "orders");
    private static readonly TableName s_bronzeOrders = new("bronze", "orders");

    [Fact]
    public async Task Opening_a_new_catalog_applies_every_migration_and_records_it_in_schema_version()
    {
        string[] described =
        [
            "namespaces, tables", "users of the SQL endpoint", "source runs", "the unique key", "scheduled runs", "the server's users",
            "a backfill as one object", "each table version's file count and size", "alert states", "roles, role membership, grants",
            "a quality result may say why its rule was not checked", "a cancel asked of a run by a server that does not run it",
            "the servers of a catalog with their heartbeats",
        ];

        List<(long Version, string Description)> applied = await Engine.QueryAsync(
            Location, "SELECT version, description FROM schema_version ORDER BY version", r => (r.GetInt64(0), r.GetString(1)));

        Assert.Equal(CatalogStore.LatestSchemaVersion, await Store.GetSchemaVersionAsync());
        Assert.Equal(Enumerable.Range(1, CatalogStore.LatestSchemaVersion).Select(v => (long)v), applied.Select(a => a.Version));
        Assert.All(applied.Zip(described), a => Assert.StartsWith(a.Second, a.First.Description, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_table_of_the_schema_is_copied_by_catalog_copy_unless_it_only_describes_the_running_servers()
    {
        List<string> tables = await Engine.ListTablesAsync(Location);

        Assert.Equal(tables, [.. CatalogCopy.Tables.Concat(CatalogCopy.RuntimeTables).Order(StringComparer.Ordinal)]);
    }

    [Fact]
    public async Task A_write_slower_than_the_threshold_is_logged_as_a_warning_naming_the_write()
    {
        var log = new RecordingLog();
        await using CatalogStore store = await CatalogStore.OpenAsync(Location, null, log);
        store.SlowWriteThreshold = TimeSpan.Zero;

        await store.Runs.StartRunAsync(null);

        LoggedEvent slow = Assert.Single(log.Events);
        Assert.Equal((LogLevel.Warning, 16901), (slow.Level, slow.EventId));
        Assert.StartsWith($"Catalog write StartRunAsync to {Store.Path} took ", slow.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_source_pass_is_recorded_with_its_slot_lag_and_a_second_record_of_the_same_pass_replaces_it()
    {
        RunRecord run = await Store.Runs.StartRunAsync(null);
        var target = new TableName("bronze", "orders");
        DateTimeOffset at = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await Store.Runs.RecordSourceRunAsync(new SourceRunRecord(run.Id, target, 1, "shop", "public.orders", "cdc", 10, 1, "0/16B3748", 3, 4096, at));
        await Store.Runs.RecordSourceRunAsync(new SourceRunRecord(run.Id, target, 1, "shop", "public.orders", "cdc", 12, 2, "0/16B3800", 4, 0, at));
        await Store.Runs.RecordSourceRunAsync(new SourceRunRecord(run.Id, target, 2, "shop", "public.orders", "cdc", 0, 0, "0/16B3800", null, 5_000_000, at));

        List<SourceRunRecord> passes = await Store.Runs.GetSourceRunsAsync(run.Id);

        Assert.Equal(
            [(1L, 12L, 2L, "0/16B3800", (long?)4, (long?)0), (2L, 0L, 0L, "0/16B3800", null, 5_000_000)],
            passes.Select(p => (p.Pass, p.Rows, p.Batches, p.Position, p.CommittedVersion, p.SlotLagBytes)));
        Assert.All(passes, p => Assert.Equal((target, "shop", "public.orders", "cdc", at), (p.Target, p.Source, p.SourceTable, p.Mode, p.RecordedAt)));
    }

    [Fact]
    public async Task Reopening_an_existing_catalog_keeps_its_data_and_does_not_migrate_twice()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "tables/silver/orders"));
        await Store.DisposeAsync();

        Store = await ReopenAsync();

        Assert.Equal(CatalogStore.LatestSchemaVersion, await Store.GetSchemaVersionAsync());
        Assert.NotNull(await Store.Tables.GetTableAsync(s_orders));
        Assert.Equal(CatalogStore.LatestSchemaVersion, await CountAsync("SELECT count(*) FROM schema_version"));
    }

    [Fact]
    public async Task A_new_catalog_opened_by_eight_stores_at_once_is_migrated_once()
    {
        string location = await Engine.NewLocationAsync();

        CatalogStore[] stores = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => CatalogStore.OpenAsync(location))));

        Assert.All(await Task.WhenAll(stores.Select(s => s.GetSchemaVersionAsync())), v => Assert.Equal(CatalogStore.LatestSchemaVersion, v));
        Assert.Equal(CatalogStore.LatestSchemaVersion, await Engine.CountAsync(location, "SELECT count(*) FROM schema_version"));
        Assert.Equal(CatalogStore.LatestSchemaVersion, await Engine.CountAsync(location, "SELECT count(DISTINCT version) FROM schema_version"));
        await stores[0].DisposeAsync();
    }

    [Fact]
    public async Task Opening_a_catalog_from_a_newer_schema_fails_with_an_upgrade_hint()
    {
        await Engine.ExecuteAsync(Location, "INSERT INTO schema_version VALUES (99, 'future', '2030-01-01T00:00:00.0000000Z')");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => ReopenAsync());

        Assert.Equal(ErrorCode.CatalogSchemaTooNew, error.Code);
        Assert.Equal(
            $"The catalog '{Store.Path}' is at schema version 99, newer than this Medallion knows ({CatalogStore.LatestSchemaVersion}).\nHelp: upgrade Medallion; do not downgrade a catalog.",
            error.Message);
    }

    /// <summary>A new catalog made by the migrations up to <paramref name="version"/> (its schema_version row is the caller's), as an upgrade finds it.</summary>
    private async Task<string> NewCatalogAtSchemaAsync(int version)
    {
        string location = await Engine.NewLocationAsync();
        foreach (string statement in new[] { Internal.CatalogSchema.VersionTable }.Concat(Internal.CatalogSchema.Migrations.Where(m => m.Version <= version).SelectMany(m => m.Statements)))
        {
            await Engine.ExecuteAsync(location, statement);
        }

        return location;
    }

    [Fact]
    public async Task A_catalog_created_at_schema_4_is_migrated_to_the_latest_and_keeps_its_runs_as_manual_runs()
    {
        string location = await NewCatalogAtSchemaAsync(4);
        await Engine.ExecuteAsync(location, """
            INSERT INTO schema_version VALUES (4, 'v4', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO runs (id, started_at, finished_at, status, selection, error) VALUES ('0001', '2026-01-01T00:00:00.0000000Z', NULL, 'succeeded', 'silver.*', NULL);
            """);

        await using CatalogStore upgraded = await CatalogStore.OpenAsync(location);

        Assert.Equal(CatalogStore.LatestSchemaVersion, await upgraded.GetSchemaVersionAsync());
        RunRecord run = (await upgraded.Runs.GetRunAsync("0001"))!;
        Assert.Equal((RunTrigger.Manual, (string?)null, "silver.*"), (run.Trigger, run.Job, run.Selection));
    }

    [Fact]
    public async Task A_catalog_at_schema_22_keeps_its_lineage_as_prods_and_gives_each_quality_result_its_runs_environment_and_table()
    {
        string location = await NewCatalogAtSchemaAsync(22);
        await Engine.ExecuteAsync(location, """
            INSERT INTO schema_version VALUES (22, 'v22', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO namespaces (name, created_at) VALUES ('silver', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO tables (namespace, name, location, format, tags, created_at, updated_at) VALUES ('silver', 'orders', 'lake/silver/orders', 'delta', '[]', '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO runs (id, started_at, status, selection, environment) VALUES ('prod-run', '2026-01-01T00:00:00.0000000Z', 'succeeded', '*', 'prod');
            INSERT INTO runs (id, started_at, status, selection, environment) VALUES ('dev-run', '2026-01-02T00:00:00.0000000Z', 'succeeded', '*', 'dev');
            INSERT INTO table_versions (namespace, table_name, location, version, schema_json, operation, run_id, committed_at) VALUES ('silver', 'orders', '_versions/orders/b', 0, '{}', 'WRITE', 'dev-run', '2026-01-02T00:00:00.0000000Z');
            INSERT INTO environment_models (environment, model, fingerprint, definition_hash, metadata_hash, sql, columns, run_id, built_at, location) VALUES ('dev', 'silver.orders', 'b', 'b', 'm', 'SELECT 1', '[]', 'dev-run', '2026-01-02T00:00:00.0000000Z', '_versions/orders/b');
            INSERT INTO quality_results (run_id, model, rule, severity, passed, failing_rows, sample_rows, checked_at) VALUES ('prod-run', 'silver.orders', 'not_null(id)', 'warn', 1, 0, '[]', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO quality_results (run_id, model, rule, severity, passed, failing_rows, sample_rows, checked_at) VALUES ('dev-run', 'silver.orders', 'not_null(id)', 'warn', 0, 2, '[]', '2026-01-02T00:00:00.0000000Z');
            INSERT INTO lineage_edges (upstream, upstream_column, downstream, downstream_column) VALUES ('bronze.orders', '', 'silver.orders', '');
            """);

        await using CatalogStore upgraded = await CatalogStore.OpenAsync(location);

        Assert.Equal([("prod-run", "prod", (string?)null)], (await upgraded.Quality.GetLatestQualityResultsAsync(s_orders)).Select(r => (r.RunId, r.Environment, r.Location)));
        Assert.Equal([("dev-run", "dev", (string?)"_versions/orders/b")], (await upgraded.Quality.GetLatestQualityResultsAsync(s_orders, "dev")).Select(r => (r.RunId, r.Environment, r.Location)));
        Assert.Equal([s_bronzeOrders], (await upgraded.Tables.GetUpstreamEdgesAsync(s_orders)).Select(e => e.Upstream));
    }

    [Fact]
    public async Task A_table_keeps_its_unique_key_in_order_until_a_registration_without_one_clears_it()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "tables/silver/orders") { UniqueKey = ["region", "order_id"] });
        Assert.Equal(["region", "order_id"], (await Store.Tables.GetTableAsync(s_orders))!.UniqueKey);

        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "tables/silver/orders"));

        Assert.Empty((await Store.Tables.GetTableAsync(s_orders))!.UniqueKey);
    }

    [Fact]
    public async Task Upserting_a_table_creates_its_namespace_and_keeps_created_at_on_update()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using CatalogStore store = await CatalogStore.OpenAsync(await Engine.NewLocationAsync(), time);
        await store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "tables/silver/orders", Description: "first", Tags: ["sales"]));
        time.Now = time.Now.AddHours(1);

        CatalogTable updated = await store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "tables/silver/orders", Description: "second", Owner: "data-team", Tags: ["sales", "daily"]));

        Assert.Equal(["silver"], await store.Tables.ListNamespacesAsync());
        Assert.Equal("second", updated.Description);
        Assert.Equal("data-team", updated.Owner);
        Assert.Equal(["sales", "daily"], updated.Tags);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), updated.CreatedAt);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 1, 0, 0, TimeSpan.Zero), updated.UpdatedAt);
    }

    [Fact]
    public async Task Table_names_are_matched_case_insensitively()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(new TableName("Silver", "Orders"), "tables/silver/orders"));

        CatalogTable? table = await Store.Tables.GetTableAsync(new TableName("SILVER", "orders"));

        Assert.Equal(s_orders, table?.Name);
    }

    [Fact]
    public async Task Listing_tables_by_namespace_returns_only_that_namespace_in_name_order()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(new TableName("silver", "payments"), "p"));
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "o"));
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_bronzeOrders, "b"));

        List<CatalogTable> tables = await Store.Tables.ListTablesAsync("silver");

        Assert.Equal(["silver.orders", "silver.payments"], tables.Select(t => t.Name.ToString()));
    }

    [Fact]
    public async Task Listing_every_table_returns_them_by_namespace_and_name()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(new TableName("silver", "payments"), "p"));
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "o"));
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_bronzeOrders, "b"));

        List<CatalogTable> tables = await Store.Tables.ListTablesAsync();

        Assert.Equal(["bronze.orders", "silver.orders", "silver.payments"], tables.Select(t => t.Name.ToString()));
    }

    [Fact]
    public async Task Setting_columns_replaces_them_in_order_with_docs_and_pii_classification()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "o"));
        await Store.Tables.SetColumnsAsync(s_orders, [new CatalogColumn("old", "INTEGER")]);

        await Store.Tables.SetColumnsAsync(s_orders,
        [
            new CatalogColumn("order_id", "BIGINT", Nullable: false, Description: "The order"),
            new CatalogColumn("email", "VARCHAR", Description: "Buyer e-mail", Classification: "pii", Tags: ["pii:email"]),
        ]);

        List<CatalogColumn> columns = await Store.Tables.GetColumnsAsync(s_orders);
        Assert.Equal(2, columns.Count);
        Assert.Equal(new CatalogColumn("order_id", "BIGINT", false, "The order", null, columns[0].Tags), columns[0]);
        Assert.Empty(columns[0].Tags!);
        Assert.Equal("pii", columns[1].Classification);
        Assert.Equal(["pii:email"], columns[1].Tags);
    }

    [Fact]
    public async Task Every_tables_columns_are_read_in_one_query_in_order()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "o"));
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_bronzeOrders, "b"));
        await Store.Tables.SetColumnsAsync(s_orders, [new CatalogColumn("id", "BIGINT", Nullable: false), new CatalogColumn("amount", "DOUBLE")]);
        await Store.Tables.SetColumnsAsync(s_bronzeOrders, [new CatalogColumn("raw", "VARCHAR")]);

        Dictionary<TableName, List<CatalogColumn>> columns = await Store.Tables.GetColumnsByTableAsync();

        Assert.Equal([("id", false), ("amount", true)], columns[s_orders].Select(c => (c.Name, c.Nullable)));
        Assert.Equal(["raw"], columns[s_bronzeOrders].Select(c => c.Name));
    }

    [Fact]
    public async Task Setting_columns_of_an_unknown_table_fails_naming_the_table()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => Store.Tables.SetColumnsAsync(s_orders, []));

        Assert.Equal(ErrorCode.CatalogObjectNotFound, error.Code);
        Assert.Equal("The catalog has no table silver.orders.\nHelp: register it first (a run registers every model and source table).", error.Message);
    }

    [Fact]
    public async Task Table_history_lists_versions_newest_first_with_their_schema()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "o"));
        DateTimeOffset at = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        await Store.Tables.RecordTableVersionAsync(new TableVersionRecord(s_orders, 0, "{\"v\":0}", "CREATE", 10, null, at));
        await Store.Tables.RecordTableVersionAsync(new TableVersionRecord(s_orders, 1, "{\"v\":1}", "MERGE", 12, "run-1", at.AddMinutes(5)));

        List<TableVersionRecord> history = await Store.Tables.GetTableHistoryAsync(s_orders);

        Assert.Equal([1L, 0L], history.Select(h => h.Version));
        Assert.Equal(new TableVersionRecord(s_orders, 1, "{\"v\":1}", "MERGE", 12, "run-1", at.AddMinutes(5)), history[0]);
    }

    [Fact]
    public async Task Table_states_give_each_tables_newest_version_with_its_files_and_size()
    {
        var customers = new TableName("silver", "customers");
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "o"));
        await Store.Tables.UpsertTableAsync(new CatalogTable(customers, "c"));
        DateTimeOffset at = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        await Store.Tables.RecordTableVersionAsync(new TableVersionRecord(s_orders, 0, "{}", "CREATE", 10, null, at) { FileCount = 1, SizeBytes = 700 });
        await Store.Tables.RecordTableVersionAsync(new TableVersionRecord(s_orders, 1, "{}", "WRITE", 25, null, at.AddMinutes(5)) { FileCount = 2, SizeBytes = 1500 });
        await Store.Tables.RecordTableVersionAsync(new TableVersionRecord(customers, 0, "{}", "CREATE", 3, null, at));

        List<TableState> states = await Store.Tables.GetTableStatesAsync();

        Assert.Equal(
            [new TableState(customers, 0, 3, null, null, at), new TableState(s_orders, 1, 25, 2, 1500, at.AddMinutes(5))],
            states.OrderBy(s => s.Table.ToString(), StringComparer.Ordinal));
    }

    [Fact]
    public async Task Source_states_give_each_targets_newest_pass_and_when_a_pass_last_reached_a_position()
    {
        RunRecord run = await Store.Runs.StartRunAsync(null);
        var target = new TableName("bronze", "orders");
        DateTimeOffset at = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await Store.Runs.RecordSourceRunAsync(new SourceRunRecord(run.Id, target, 1, "shop", "public.orders", "cdc", 10, 1, "0/16B3748", 3, 4096, at));
        await Store.Runs.RecordSourceRunAsync(new SourceRunRecord(run.Id, target, 2, "shop", "public.orders", "cdc", 0, 0, null, null, 8192, at.AddMinutes(1)));

        SourceState state = Assert.Single(await Store.Runs.GetSourceStatesAsync());

        Assert.Equal((2L, (long?)8192, (DateTimeOffset?)at), (state.Latest.Pass, state.Latest.SlotLagBytes, state.PositionedAt));
    }

    [Fact]
    public async Task Deleting_a_table_removes_its_columns_and_history()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "o"));
        await Store.Tables.SetColumnsAsync(s_orders, [new CatalogColumn("a", "INTEGER")]);
        await Store.Tables.RecordTableVersionAsync(new TableVersionRecord(s_orders, 0, "{}", "CREATE", 0, null, DateTimeOffset.UnixEpoch));

        Assert.True(await Store.Tables.DeleteTableAsync(s_orders));

        Assert.Null(await Store.Tables.GetTableAsync(s_orders));
        Assert.Empty(await Store.Tables.GetColumnsAsync(s_orders));
        Assert.Empty(await Store.Tables.GetTableHistoryAsync(s_orders));
    }

    [Fact]
    public async Task A_run_is_recorded_running_and_then_finished_with_its_outcome()
    {
        RunRecord started = await Store.Runs.StartRunAsync("tag:daily");

        RunRecord finished = await Store.Runs.FinishRunAsync(started.Id, RunStatus.Failed, "silver.orders failed");

        Assert.Equal(RunStatus.Running, started.Status);
        Assert.Null(started.FinishedAt);
        Assert.Equal(RunStatus.Failed, finished.Status);
        Assert.Equal("tag:daily", finished.Selection);
        Assert.Equal("silver.orders failed", finished.Error);
        Assert.NotNull(finished.FinishedAt);
    }

    [Fact]
    public async Task Finishing_an_unknown_run_fails_with_a_hint()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => Store.Runs.FinishRunAsync("nope", RunStatus.Succeeded));

        Assert.Equal("The catalog has no run 'nope'.\nHelp: check the id against the recent runs.", error.Message);
    }

    [Fact]
    public async Task Listing_runs_returns_the_last_ones_newest_first()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using CatalogStore store = await CatalogStore.OpenAsync(await Engine.NewLocationAsync(), time);
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add((await store.Runs.StartRunAsync(null)).Id);
            time.Now = time.Now.AddMinutes(1);
        }

        List<RunRecord> runs = await store.Runs.ListRunsAsync(2);

        Assert.Equal([ids[2], ids[1]], runs.Select(r => r.Id));
    }

    [Fact]
    public async Task Listing_runs_of_one_status_pages_back_from_the_newest()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using CatalogStore store = await CatalogStore.OpenAsync(await Engine.NewLocationAsync(), time);
        var failed = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            string id = (await store.Runs.StartRunAsync(null)).Id;
            await store.Runs.FinishRunAsync(id, i % 2 == 0 ? RunStatus.Failed : RunStatus.Succeeded, null);
            if (i % 2 == 0)
            {
                failed.Add(id);
            }

            time.Now = time.Now.AddMinutes(1);
        }

        List<RunRecord> secondPage = await store.Runs.ListRunsAsync(2, RunStatus.Failed, offset: 2);

        Assert.Equal([failed[0]], secondPage.Select(r => r.Id));
        Assert.Equal([failed[2], failed[1]], (await store.Runs.ListRunsAsync(2, RunStatus.Failed)).Select(r => r.Id));
    }

    [Fact]
    public async Task The_last_successful_model_run_carries_the_upstream_versions_it_consumed()
    {
        RunRecord first = await Store.Runs.StartRunAsync(null);
        await Store.Runs.RecordModelRunAsync(new ModelRunRecord(first.Id, s_orders, RunStatus.Succeeded, 100,
            new Dictionary<string, long> { ["bronze.orders"] = 3 }, TimeSpan.FromMilliseconds(1500), CommittedVersion: 0));
        RunRecord second = await Store.Runs.StartRunAsync(null);
        await Store.Runs.RecordModelRunAsync(new ModelRunRecord(second.Id, s_orders, RunStatus.Failed, null,
            new Dictionary<string, long> { ["bronze.orders"] = 4 }, TimeSpan.FromSeconds(1), "boom"));

        ModelRunRecord? last = await Store.Runs.GetLastSuccessfulModelRunAsync(s_orders);

        Assert.NotNull(last);
        Assert.Equal(first.Id, last.RunId);
        Assert.Equal(3, last.UpstreamVersions["bronze.orders"]);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), last.Duration);
        Assert.Equal(0, last.CommittedVersion);
    }

    [Fact]
    public async Task The_model_run_history_lists_every_outcome_newest_first()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using CatalogStore store = await CatalogStore.OpenAsync(await Engine.NewLocationAsync(), time);
        RunRecord first = await store.Runs.StartRunAsync(null);
        await store.Runs.RecordModelRunAsync(new ModelRunRecord(first.Id, s_orders, RunStatus.Succeeded, 10, new Dictionary<string, long>(), TimeSpan.Zero, CommittedVersion: 0));
        time.Now = time.Now.AddMinutes(1);
        RunRecord second = await store.Runs.StartRunAsync(null);
        await store.Runs.RecordModelRunAsync(new ModelRunRecord(second.Id, s_orders, RunStatus.Failed, null, new Dictionary<string, long>(), TimeSpan.Zero, "boom"));
        await store.Runs.RecordModelRunAsync(new ModelRunRecord(second.Id, s_bronzeOrders, RunStatus.Succeeded, 5, new Dictionary<string, long>(), TimeSpan.Zero));

        List<ModelRunRecord> history = await store.Runs.GetModelRunHistoryAsync(s_orders);

        Assert.Equal([(second.Id, RunStatus.Failed), (first.Id, RunStatus.Succeeded)], history.Select(m => (m.RunId, m.Status)));
    }

    [Fact]
    public async Task Runs_are_found_by_a_prefix_of_their_id_taken_literally()
    {
        RunRecord run = await Store.Runs.StartRunAsync(null);

        Assert.Equal([run.Id], (await Store.Runs.FindRunsAsync(run.Id[..10].ToUpperInvariant())).Select(r => r.Id));
        Assert.Empty(await Store.Runs.FindRunsAsync("%"));
    }

    [Fact]
    public async Task Recording_a_model_run_for_an_unknown_run_fails()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() =>
            Store.Runs.RecordModelRunAsync(new ModelRunRecord("missing", s_orders, RunStatus.Succeeded, 1, new Dictionary<string, long>(), TimeSpan.Zero)));

        Assert.Equal(ErrorCode.CatalogObjectNotFound, error.Code);
    }

    [Fact]
    public async Task A_recorded_commit_registers_an_unknown_table_and_records_its_version_columns_and_model_run()
    {
        RunRecord run = await Store.Runs.StartRunAsync(null);
        DateTimeOffset at = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var modelRun = new ModelRunRecord(run.Id, s_orders, RunStatus.Succeeded, 5, new Dictionary<string, long> { ["bronze.orders"] = 2 }, TimeSpan.FromMilliseconds(40), null, 0);

        await Store.Runs.RecordCommitAsync(
            new CatalogTable(s_orders, "lake/silver/orders"),
            new TableVersionRecord(s_orders, 0, "{\"v\":0}", "WRITE", 5, run.Id, at) { FileCount = 1, SizeBytes = 900 },
            [new CatalogColumn("id", "BIGINT", false), new CatalogColumn("amount", "DOUBLE")],
            modelRun);

        Assert.Equal("lake/silver/orders", (await Store.Tables.GetTableAsync(s_orders))!.Location);
        Assert.Equal(new TableVersionRecord(s_orders, 0, "{\"v\":0}", "WRITE", 5, run.Id, at) { FileCount = 1, SizeBytes = 900 }, Assert.Single(await Store.Tables.GetTableHistoryAsync(s_orders)));
        Assert.Equal(["id", "amount"], (await Store.Tables.GetColumnsAsync(s_orders)).Select(c => c.Name));
        ModelRunRecord recorded = Assert.Single(await Store.Runs.GetModelRunsAsync(run.Id));
        Assert.Equal((RunStatus.Succeeded, (long?)5, (long?)0, 2L), (recorded.Status, recorded.RowsWritten, recorded.CommittedVersion, recorded.UpstreamVersions["bronze.orders"]));
    }

    [Fact]
    public async Task A_recorded_commit_keeps_an_existing_tables_registration()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "lake/silver/orders", Description: "Orders, cleaned."));

        await Store.Runs.RecordCommitAsync(
            new CatalogTable(s_orders, "lake/silver/orders"),
            new TableVersionRecord(s_orders, 3, "{}", "WRITE", 1, null, DateTimeOffset.UnixEpoch),
            [new CatalogColumn("id", "BIGINT")],
            null);

        Assert.Equal("Orders, cleaned.", (await Store.Tables.GetTableAsync(s_orders))!.Description);
        Assert.Equal([3L], (await Store.Tables.GetTableHistoryAsync(s_orders)).Select(v => v.Version));
    }

    [Fact]
    public async Task A_recorded_commit_for_an_unknown_run_fails_and_writes_nothing()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => Store.Runs.RecordCommitAsync(
            new CatalogTable(s_orders, "lake/silver/orders"),
            new TableVersionRecord(s_orders, 0, "{}", "WRITE", 1, "missing", DateTimeOffset.UnixEpoch),
            [new CatalogColumn("id", "BIGINT")],
            new ModelRunRecord("missing", s_orders, RunStatus.Succeeded, 1, new Dictionary<string, long>(), TimeSpan.Zero)));

        Assert.Equal(ErrorCode.CatalogObjectNotFound, error.Code);
        Assert.Null(await Store.Tables.GetTableAsync(s_orders));
        Assert.Empty(await Store.Tables.GetTableHistoryAsync(s_orders));
    }

    [Fact]
    public async Task Deleting_a_run_removes_its_model_runs_source_runs_and_quality_results_and_keeps_other_runs()
    {
        RunRecord kept = await Store.Runs.StartRunAsync(null);
        RunRecord forgotten = await Store.Runs.StartRunAsync(null);
        DateTimeOffset at = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        foreach (RunRecord run in new[] { kept, forgotten })
        {
            await Store.Runs.RecordModelRunAsync(new ModelRunRecord(run.Id, s_orders, RunStatus.Succeeded, 1, new Dictionary<string, long>(), TimeSpan.Zero));
            await Store.Runs.RecordSourceRunAsync(new SourceRunRecord(run.Id, s_orders, 1, "shop", "public.orders", "cdc", 0, 0, "0/1", null, 0, at));
            await Store.Quality.RecordQualityResultAsync(new QualityResultRecord(run.Id, s_orders, "unique(id)", "warn", true, 0, "[]", at));
        }

        bool deleted = await Store.Runs.DeleteRunAsync(forgotten.Id);

        Assert.True(deleted);
        Assert.Equal([kept.Id], (await Store.Runs.ListRunsAsync()).Select(r => r.Id));
        Assert.Equal((0, 0, 0), ((await Store.Runs.GetModelRunsAsync(forgotten.Id)).Count, (await Store.Runs.GetSourceRunsAsync(forgotten.Id)).Count, (await Store.Quality.GetQualityResultsAsync(forgotten.Id)).Count));
        Assert.Equal((1, 1, 1), ((await Store.Runs.GetModelRunsAsync(kept.Id)).Count, (await Store.Runs.GetSourceRunsAsync(kept.Id)).Count, (await Store.Quality.GetQualityResultsAsync(kept.Id)).Count));
        Assert.False(await Store.Runs.DeleteRunAsync(forgotten.Id));
    }

    [Fact]
    public async Task Quality_results_keep_counts_and_sample_rows_and_the_latest_per_rule_is_queryable()
    {
        DateTimeOffset at = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r1", s_orders, "not_null(id)", "fail", false, 2, "[{\"id\":null}]", at));
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r2", s_orders, "not_null(id)", "fail", true, 0, "[]", at.AddDays(1)));
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r1", s_orders, "unique(id)", "warn", true, 0, "[]", at));

        List<QualityResultRecord> latest = await Store.Quality.GetLatestQualityResultsAsync(s_orders);
        List<QualityResultRecord> firstRun = await Store.Quality.GetQualityResultsAsync("r1");

        Assert.Equal([("not_null(id)", "r2"), ("unique(id)", "r1")], latest.Select(q => (q.Rule, q.RunId)));
        Assert.Equal(new QualityResultRecord("r1", s_orders, "not_null(id)", "fail", false, 2, "[{\"id\":null}]", at), firstRun[0]);
    }

    [Fact]
    public async Task A_broken_rule_is_listed_once_with_its_latest_check_and_when_it_broke_after_its_last_pass()
    {
        DateTimeOffset at = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r1", s_orders, "not_null(id)", "fail", false, 2, "[]", at.AddDays(-2)));
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r2", s_orders, "not_null(id)", "fail", true, 0, "[]", at.AddDays(-1)));
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r3", s_orders, "not_null(id)", "fail", false, 1, "[]", at));
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r4", s_orders, "not_null(id)", "fail", false, 3, "[]", at.AddHours(1)));
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r5", s_orders, "not_null(id)", "fail", false, 0, "[]", at.AddHours(2)) { NotChecked = "no new rows" });
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r3", s_orders, "unique(id)", "warn", false, 4, "[]", at));
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r4", s_orders, "unique(id)", "warn", true, 0, "[]", at.AddHours(1)));

        List<BrokenQualityRule> broken = await Store.Quality.GetBrokenRulesAsync(at.AddHours(-12));

        Assert.Equal([("not_null(id)", "r4", 3L, at)], broken.Select(b => (b.Latest.Rule, b.Latest.RunId, b.Latest.FailingRows, b.BrokenSince)));
    }

    [Fact]
    public async Task A_models_quality_history_lists_the_newest_checks_first_by_rule()
    {
        DateTimeOffset at = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r1", s_orders, "not_null(id)", "fail", false, 2, "[]", at));
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r2", s_orders, "unique(id)", "warn", true, 0, "[]", at.AddHours(1)));
        await Store.Quality.RecordQualityResultAsync(new QualityResultRecord("r2", s_orders, "not_null(id)", "fail", true, 0, "[]", at.AddHours(1)));

        List<QualityResultRecord> history = await Store.Quality.GetQualityHistoryAsync(s_orders, 2);

        Assert.Equal([("r2", "not_null(id)"), ("r2", "unique(id)")], history.Select(q => (q.RunId, q.Rule)));
    }

    [Fact]
    public async Task An_alert_state_is_saved_replaced_by_its_key_and_read_back()
    {
        DateTimeOffset since = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        await Store.Quality.SaveAlertStateAsync(new AlertState("rule:orders", "broken-rule", "fail", "silver.orders broke not_null(id)", true, since, since, null));
        await Store.Quality.SaveAlertStateAsync(new AlertState("rule:orders", "broken-rule", "fail", "silver.orders is fine again", false, since, since, since.AddHours(1)));
        await Store.Quality.SaveAlertStateAsync(new AlertState("lag:shop", "slot-lag", "warn", "slot lag 5 GB", true, since.AddMinutes(5), null, null));

        List<AlertState> states = await Store.Quality.GetAlertStatesAsync();

        Assert.Equal(
            [
                new AlertState("rule:orders", "broken-rule", "fail", "silver.orders is fine again", false, since, since, since.AddHours(1)),
                new AlertState("lag:shop", "slot-lag", "warn", "slot lag 5 GB", true, since.AddMinutes(5), null, null),
            ],
            states);
    }

    [Fact]
    public async Task Replacing_lineage_swaps_every_edge_of_the_downstream_table_and_keeps_others()
    {
        var gold = new TableName("gold", "revenue");
        await Store.Tables.ReplaceLineageAsync(s_orders, [new LineageEdge(s_bronzeOrders, null, s_orders, null), new LineageEdge(s_bronzeOrders, "amt", s_orders, "amount")]);
        await Store.Tables.ReplaceLineageAsync(gold, [new LineageEdge(s_orders, "amount", gold, "revenue")]);

        await Store.Tables.ReplaceLineageAsync(s_orders, [new LineageEdge(s_bronzeOrders, "total", s_orders, "amount")]);

        Assert.Equal([new LineageEdge(s_bronzeOrders, "total", s_orders, "amount")], await Store.Tables.GetUpstreamEdgesAsync(s_orders));
        Assert.Equal([new LineageEdge(s_orders, "amount", gold, "revenue")], await Store.Tables.GetDownstreamEdgesAsync(s_orders));
    }

    [Fact]
    public async Task Replacing_lineage_with_an_edge_into_another_table_is_refused()
    {
        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.Tables.ReplaceLineageAsync(s_orders, [new LineageEdge(s_bronzeOrders, null, new TableName("gold", "x"), null)]));

        Assert.StartsWith("The edge bronze.orders -> gold.x does not end in silver.orders.", error.Message);
    }

    [Fact]
    public async Task A_pre_cancelled_token_cancels_before_writing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.Runs.StartRunAsync(null, cancelled.Token));

        Assert.Empty(await Store.Runs.ListRunsAsync());
    }
}

public sealed class CatalogStoreOnSqliteTests() : CatalogStoreContract(new SqliteCatalogEngine());

public sealed class CatalogStoreOnPostgresTests() : CatalogStoreContract(new PostgresCatalogEngine());
