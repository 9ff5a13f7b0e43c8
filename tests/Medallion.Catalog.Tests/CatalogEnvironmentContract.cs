namespace Medallion.Catalog.Tests;

/// <summary>What environments last built of each model, and their apply locks, on every engine.</summary>
public abstract class CatalogEnvironmentContract(CatalogEngine engine) : CatalogContract(engine)
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
    private static readonly TableName s_orders = new("silver", "orders");
    private static readonly TableName s_revenue = new("gold", "revenue");
    private static readonly LeaseHolder s_first = new("first", "box-a", 101, s_start);
    private static readonly LeaseHolder s_second = new("second", "box-b", 202, s_start);

    private readonly ManualTime _time = new(s_start);

    protected override TimeProvider? Time => _time;

    private static ModelStateRecord State(TableName model, string fingerprint, string environment = "prod") =>
        new(environment, model, fingerprint, "def-" + fingerprint, "meta", $"SELECT 1 AS id -- {fingerprint}", [new ModelColumnState("id", "INTEGER"), new ModelColumnState("Amount", "DECIMAL(18,2)")], "run-1", s_start);

    [Fact]
    public async Task A_model_state_reads_back_from_another_connection_and_a_later_one_replaces_it()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "a"), State(s_revenue, "b")]);
        await Store.Environments.SetModelStatesAsync([State(s_orders, "c") with { RunId = null }]);
        await using CatalogStore other = await ReopenAsync();

        IReadOnlyDictionary<TableName, ModelStateRecord> states = await other.Environments.GetModelStatesAsync("prod");

        Assert.Equal(2, states.Count);
        ModelStateRecord orders = states[s_orders];
        Assert.Equal(("c", "def-c", "meta", "SELECT 1 AS id -- c", (string?)null, s_start), (orders.Fingerprint, orders.DefinitionHash, orders.MetadataHash, orders.Sql, orders.RunId, orders.BuiltAt));
        Assert.Equal([new ModelColumnState("id", "INTEGER"), new ModelColumnState("Amount", "DECIMAL(18,2)")], orders.Columns);
        Assert.Equal("b", states[s_revenue].Fingerprint);
    }

    [Fact]
    public async Task An_environments_pointers_are_its_models_locations_and_the_runs_that_built_them()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "a", "dev") with { Location = "_versions/orders/a" }, State(s_revenue, "b", "dev") with { RunId = null }, State(s_orders, "c")]);

        List<ModelPointer> pointers = await Store.Environments.GetModelPointersAsync("dev");

        Assert.Equal(
            [new ModelPointer(s_revenue, null, null), new ModelPointer(s_orders, "_versions/orders/a", "run-1")],
            pointers.OrderBy(p => p.Model.ToString(), StringComparer.Ordinal));
    }

    [Fact]
    public async Task Removing_model_states_forgets_only_those_models_of_that_environment()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "a"), State(s_revenue, "b"), State(s_orders, "d", "other")]);

        await Store.Environments.RemoveModelStatesAsync("prod", [s_orders]);

        Assert.Equal([s_revenue], (await Store.Environments.GetModelStatesAsync("prod")).Keys);
        Assert.Equal([s_orders], (await Store.Environments.GetModelStatesAsync("other")).Keys);
    }

    [Fact]
    public async Task A_second_apply_is_refused_the_lock_naming_its_holder_and_takes_it_once_released()
    {
        await Store.Environments.AcquireApplyLockAsync("prod", s_first, TimeSpan.FromMinutes(1));

        var refused = await Assert.ThrowsAsync<MedallionException>(() => Store.Environments.AcquireApplyLockAsync("prod", s_second, TimeSpan.FromMinutes(1)));
        await Store.Environments.ReleaseApplyLockAsync("prod", s_first);
        CatalogLease taken = await Store.Environments.AcquireApplyLockAsync("prod", s_second, TimeSpan.FromMinutes(1));

        Assert.Equal(ErrorCode.PlanApplyInProgress, refused.Code);
        Assert.StartsWith("Another apply to environment 'prod' is under way: host 'box-a', pid 101, started 2026-11-27 09:00:00Z, since 2026-11-27", refused.Message, StringComparison.Ordinal);
        Assert.Equal("second", taken.Holder.Id);
    }

    [Fact]
    public async Task An_apply_lock_its_holder_stopped_renewing_is_taken_over_once_it_lapses()
    {
        await Store.Environments.AcquireApplyLockAsync("prod", s_first, TimeSpan.FromMinutes(1));
        _time.Now = s_start.AddSeconds(59);
        await Assert.ThrowsAsync<MedallionException>(() => Store.Environments.AcquireApplyLockAsync("prod", s_second, TimeSpan.FromMinutes(1)));
        _time.Now = s_start.AddMinutes(1);

        CatalogLease taken = await Store.Environments.AcquireApplyLockAsync("prod", s_second, TimeSpan.FromMinutes(1));

        Assert.Equal(("second", s_start.AddMinutes(1)), (taken.Holder.Id, taken.AcquiredAt));
    }

    [Fact]
    public async Task Apply_locks_of_two_environments_and_the_scheduler_lease_are_held_apart()
    {
        await Store.Scheduler.AcquireSchedulerLeaseAsync(s_first, TimeSpan.FromMinutes(1));
        await Store.Environments.AcquireApplyLockAsync("prod", s_first, TimeSpan.FromMinutes(1));

        CatalogLease other = await Store.Environments.AcquireApplyLockAsync("staging", s_second, TimeSpan.FromMinutes(1));

        Assert.Equal("second", other.Holder.Id);
        Assert.Equal("first", (await Store.Scheduler.GetSchedulerLeaseAsync())!.Holder.Id);
        Assert.Equal("first", (await Store.Environments.GetApplyLockAsync("prod"))!.Holder.Id);
    }

    private async Task<Dictionary<string, (string Fingerprint, string? Location)>> PointersAsync(string environment) =>
        (await Store.Environments.GetModelStatesAsync(environment)).ToDictionary(s => s.Key.ToString(), s => (s.Value.Fingerprint, s.Value.Location));

    [Fact]
    public async Task Promoting_points_the_target_at_the_sources_tables_and_keeps_what_it_held_as_its_previous_set()
    {
        await Store.Environments.SetModelStatesAsync(
        [
            State(s_orders, "a"), State(s_revenue, "b"),
            State(s_orders, "c", "dev") with { Location = "_versions/orders/c" },
        ]);

        int count = await Store.Environments.PromoteAsync("dev", "prod");

        Assert.Equal(1, count);
        Assert.Equal(
            new Dictionary<string, (string, string?)> { ["silver.orders"] = ("c", "_versions/orders/c"), ["gold.revenue"] = ("b", null) },
            await PointersAsync("prod"));
        Assert.Equal(
            new Dictionary<string, (string, string?)> { ["silver.orders"] = ("a", null), ["gold.revenue"] = ("b", null) },
            await PointersAsync(EnvironmentStore.PreviousOf("prod")));
        Assert.Equal(["dev", "prod"], await Store.Environments.ListEnvironmentsAsync());
    }

    [Fact]
    public async Task Rolling_back_swaps_the_two_sets_so_a_second_rollback_undoes_the_first()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "a"), State(s_orders, "c", "dev") with { Location = "_versions/orders/c" }]);
        await Store.Environments.PromoteAsync("dev", "prod");

        await Store.Environments.RollbackAsync("prod");
        Dictionary<string, (string, string?)> rolledBack = await PointersAsync("prod");
        await Store.Environments.RollbackAsync("prod");

        Assert.Equal(new Dictionary<string, (string, string?)> { ["silver.orders"] = ("a", null) }, rolledBack);
        Assert.Equal(new Dictionary<string, (string, string?)> { ["silver.orders"] = ("c", "_versions/orders/c") }, await PointersAsync("prod"));
    }

    [Fact]
    public async Task Promoting_an_environment_that_holds_nothing_changes_nothing()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "a")]);

        var refused = await Assert.ThrowsAsync<MedallionException>(() => Store.Environments.PromoteAsync("dev", "prod"));

        Assert.Equal(ErrorCode.EnvironmentNotFound, refused.Code);
        Assert.Equal(new Dictionary<string, (string, string?)> { ["silver.orders"] = ("a", null) }, await PointersAsync("prod"));
        Assert.Empty(await PointersAsync(EnvironmentStore.PreviousOf("prod")));
    }

    [Fact]
    public async Task Rolling_back_an_environment_nothing_was_promoted_to_is_refused()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "a")]);

        var refused = await Assert.ThrowsAsync<MedallionException>(() => Store.Environments.RollbackAsync("prod"));

        Assert.Equal(ErrorCode.EnvironmentNotFound, refused.Code);
        Assert.StartsWith("Environment 'prod' has no earlier set of tables to go back to", refused.Message, StringComparison.Ordinal);
    }

    private async Task<Dictionary<string, DateTimeOffset?>> TablesAsync() =>
        (await Store.Environments.ListTablesAsync()).ToDictionary(t => t.Location, t => t.UnpointedAt);

    [Fact]
    public async Task Dropping_an_environment_removes_its_pointers_and_its_kept_set_and_records_its_tables_as_unpointed_from_then()
    {
        await Store.Environments.SetModelStatesAsync(
        [
            State(s_orders, "a") with { Location = "_versions/orders/a" },
            State(s_orders, "c", "dev") with { Location = "_versions/orders/c" },
            State(s_orders, "d", EnvironmentStore.PreviousOf("dev")) with { Location = "_versions/orders/d" },
        ]);
        _time.Now = s_start.AddHours(3);

        int dropped = await Store.Environments.DropAsync("dev");

        Assert.Equal(2, dropped);
        Assert.Equal(["prod"], await Store.Environments.ListEnvironmentsAsync());
        Assert.Empty(await PointersAsync(EnvironmentStore.PreviousOf("dev")));
        Assert.Equal(
            new Dictionary<string, DateTimeOffset?> { ["_versions/orders/a"] = null, ["_versions/orders/c"] = s_start.AddHours(3), ["_versions/orders/d"] = s_start.AddHours(3) },
            await TablesAsync());
    }

    [Fact]
    public async Task Dropping_prod_is_refused_and_changes_nothing()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "a") with { Location = "_versions/orders/a" }]);

        var refused = await Assert.ThrowsAsync<MedallionException>(() => Store.Environments.DropAsync("prod"));

        Assert.Equal(ErrorCode.EnvironmentProtected, refused.Code);
        Assert.StartsWith("Environment 'prod' cannot be dropped", refused.Message, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, (string, string?)> { ["silver.orders"] = ("a", "_versions/orders/a") }, await PointersAsync("prod"));
    }

    [Fact]
    public async Task Dropping_an_environment_that_holds_nothing_is_refused_as_not_found()
    {
        var refused = await Assert.ThrowsAsync<MedallionException>(() => Store.Environments.DropAsync("nope"));

        Assert.Equal(ErrorCode.EnvironmentNotFound, refused.Code);
    }

    [Fact]
    public async Task A_table_in_a_kept_previous_set_stays_pointed_and_loses_its_pointer_only_when_a_later_promotion_replaces_that_set()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "a") with { Location = "_versions/orders/a" }, State(s_orders, "c", "dev") with { Location = "_versions/orders/c" }]);
        await Store.Environments.PromoteAsync("dev", "prod");
        Dictionary<string, DateTimeOffset?> afterFirst = await TablesAsync();
        await Store.Environments.SetModelStatesAsync([State(s_orders, "e", "dev") with { Location = "_versions/orders/e" }]);
        _time.Now = s_start.AddDays(1);

        await Store.Environments.PromoteAsync("dev", "prod");

        Assert.Null(afterFirst["_versions/orders/a"]);
        Assert.Equal(
            new Dictionary<string, DateTimeOffset?> { ["_versions/orders/a"] = s_start.AddDays(1), ["_versions/orders/c"] = null, ["_versions/orders/e"] = null },
            await TablesAsync());
    }

    [Fact]
    public async Task A_table_pointed_at_again_is_no_longer_unpointed_and_is_not_forgotten()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "c", "dev") with { Location = "_versions/orders/c" }]);
        await Store.Environments.DropAsync("dev");

        await Store.Environments.SetModelStatesAsync([State(s_orders, "c", "pr-1") with { Location = "_versions/orders/c" }]);

        Assert.Equal(new Dictionary<string, DateTimeOffset?> { ["_versions/orders/c"] = null }, await TablesAsync());
        Assert.False(await Store.Environments.ForgetTableAsync(s_orders, "_versions/orders/c"));
        Assert.True(await Store.Environments.IsPointedAsync(s_orders, "_versions/orders/c"));
    }

    [Fact]
    public async Task A_table_found_in_the_lake_is_recorded_as_unpointed_once_and_forgotten_after_its_removal()
    {
        await Store.Environments.RecordUnpointedAsync(s_orders, "_versions/orders/x", s_start);
        await Store.Environments.RecordUnpointedAsync(s_orders, "_versions/orders/x", s_start.AddDays(2));
        Dictionary<string, DateTimeOffset?> recorded = await TablesAsync();

        bool forgotten = await Store.Environments.ForgetTableAsync(s_orders, "_versions/orders/x");

        Assert.Equal(new Dictionary<string, DateTimeOffset?> { ["_versions/orders/x"] = s_start }, recorded);
        Assert.True(forgotten);
        Assert.Empty(await TablesAsync());
    }

    [Fact]
    public async Task The_summaries_count_each_environments_own_tables_and_those_it_reads_from_prod_and_show_kept_sets_as_such()
    {
        await Store.Environments.SetModelStatesAsync(
        [
            State(s_orders, "a"), State(s_revenue, "b"),
            State(s_orders, "c", "dev") with { Location = "_versions/orders/c", BuiltAt = s_start.AddHours(2) },
            State(s_orders, "a", "dev") with { Environment = "ci-x" },
        ]);
        await Store.Environments.PromoteAsync("ci-x", "prod");

        List<EnvironmentSummary> summaries = await Store.Environments.SummarizeAsync();

        Assert.Equal(
            [
                new EnvironmentSummary("prod", null, 2, null, null, s_start),
                new EnvironmentSummary("prod~previous", "prod", 2, null, null, s_start),
                new EnvironmentSummary("ci-x", null, 2, 0, 2, s_start),
                new EnvironmentSummary("dev", null, 2, 1, 1, s_start.AddHours(2)),
            ],
            summaries);
    }

    [Fact]
    public async Task The_environments_being_applied_are_those_whose_apply_lock_has_not_lapsed()
    {
        await Store.Environments.AcquireApplyLockAsync("dev", s_first, TimeSpan.FromMinutes(1));
        await Store.Environments.AcquireApplyLockAsync("pr-2", s_second, TimeSpan.FromMinutes(5));
        await Store.Scheduler.AcquireSchedulerLeaseAsync(s_first, TimeSpan.FromMinutes(10));
        _time.Now = s_start.AddMinutes(2);

        Assert.Equal(["pr-2"], await Store.Environments.ListApplyingAsync());
    }

    [Theory]
    [InlineData("Dev", "it starts with 'D', not a lowercase letter")]
    [InlineData("dev/x", "its character 4, '/', is not a lowercase letter, digit, '_' or '-'")]
    [InlineData("prod~previous", "its character 5, '~', is not a lowercase letter, digit, '_' or '-'")]
    [InlineData("", "it is empty")]
    public void A_name_that_is_no_environments_is_refused_saying_why(string name, string why)
    {
        var refused = Assert.Throws<MedallionException>(() => EnvironmentStore.CheckName(name));

        Assert.Equal(ErrorCode.EnvironmentNameInvalid, refused.Code);
        Assert.StartsWith($"'{name}' cannot name an environment: {why}.", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prods_history_and_newest_version_are_of_the_table_its_pointer_names_through_a_promotion_and_a_rollback()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "lake/silver/orders"));
        await Store.Tables.RecordTableVersionAsync(new TableVersionRecord(s_orders, 0, "{}", "WRITE", 2, "prod-run", s_start));
        await Store.Tables.RecordTableVersionAsync(new TableVersionRecord(s_orders, 1, "{}", "WRITE", 3, "prod-run-2", s_start));
        await Store.Tables.RecordTableVersionAsync(new TableVersionRecord(s_orders, 0, "{}", "WRITE", 1, "dev-run", s_start) { Location = "_versions/orders/abc" });
        await Store.Environments.SetModelStatesAsync([State(s_orders, "a"), State(s_orders, "b", "dev") with { Location = "_versions/orders/abc" }]);

        Assert.Equal(["prod-run-2", "prod-run"], (await Store.Tables.GetTableHistoryAsync(s_orders)).Select(v => v.RunId));
        Assert.Equal(["dev-run"], (await Store.Tables.GetTableHistoryAsync(s_orders, "dev")).Select(v => v.RunId));
        await Store.Environments.PromoteAsync("dev", "prod");
        Assert.Equal(["dev-run"], (await Store.Tables.GetTableHistoryAsync(s_orders)).Select(v => v.RunId));
        Assert.Equal((0L, 1L), (await Store.Tables.GetTableStatesAsync()).Select(t => (t.Version, t.RowCount ?? -1)).Single());
        await Store.Environments.RollbackAsync("prod");
        Assert.Equal(["prod-run-2", "prod-run"], (await Store.Tables.GetTableHistoryAsync(s_orders)).Select(v => v.RunId));
        Assert.Equal((1L, 3L), (await Store.Tables.GetTableStatesAsync()).Select(t => (t.Version, t.RowCount ?? -1)).Single());
    }

    private static readonly TableName s_bronze = new("bronze", "orders");
    private static readonly TableName s_customers = new("bronze", "customers");

    private static LineageEdge Reads(TableName upstream) => new(upstream, null, s_orders, null);

    private static QualityResultRecord Result(string runId, bool passed, string environment = "prod", string? location = null) =>
        new(runId, s_orders, "not_null(id)", "warn", passed, passed ? 0 : 2, "[]", s_start) { Environment = environment, Location = location };

    [Fact]
    public async Task An_environments_lineage_of_a_model_it_built_leaves_prods_alone()
    {
        await Store.Tables.ReplaceLineageAsync(s_orders, [Reads(s_bronze)]);
        await Store.Environments.SetModelStatesAsync([State(s_orders, "b", "dev") with { Location = "_versions/orders/b" }]);

        await Store.Tables.ReplaceLineageAsync(s_orders, [Reads(s_customers)], "dev", "_versions/orders/b");

        Assert.Equal([Reads(s_bronze)], await Store.Tables.GetUpstreamEdgesAsync(s_orders));
        Assert.Equal([Reads(s_customers)], await Store.Tables.GetUpstreamEdgesAsync(s_orders, "dev"));
        Assert.Equal([Reads(s_bronze)], await Store.Tables.GetDownstreamEdgesAsync(s_bronze));
        Assert.Equal([Reads(s_customers)], await Store.Tables.GetDownstreamEdgesAsync(s_customers, "dev"));
        Assert.Empty(await Store.Tables.GetDownstreamEdgesAsync(s_customers));
    }

    [Fact]
    public async Task A_recorded_commit_with_lineage_records_the_edges_of_the_physical_table_its_state_names()
    {
        await Store.Tables.ReplaceLineageAsync(s_orders, [Reads(s_bronze)]);
        RunRecord run = await Store.Runs.StartRunAsync(null);

        await Store.Runs.RecordCommitAsync(
            new CatalogTable(s_orders, "lake/silver/orders"),
            new TableVersionRecord(s_orders, 0, "{}", "WRITE", 1, run.Id, s_start) { Location = "_versions/orders/b" },
            null,
            new ModelRunRecord(run.Id, s_orders, RunStatus.Succeeded, 1, new Dictionary<string, long>(), TimeSpan.Zero, null, 0),
            State(s_orders, "b", "dev") with { Location = "_versions/orders/b" },
            [Reads(s_customers)]);

        Assert.Equal([Reads(s_customers)], await Store.Tables.GetUpstreamEdgesAsync(s_orders, "dev"));
        Assert.Equal([Reads(s_bronze)], await Store.Tables.GetUpstreamEdgesAsync(s_orders));
    }

    [Fact]
    public async Task A_recorded_commit_refused_for_an_unknown_run_records_none_of_its_lineage()
    {
        await Assert.ThrowsAsync<MedallionException>(() => Store.Runs.RecordCommitAsync(
            new CatalogTable(s_orders, "lake/silver/orders"),
            new TableVersionRecord(s_orders, 0, "{}", "WRITE", 1, "missing", s_start) { Location = "_versions/orders/b" },
            null,
            new ModelRunRecord("missing", s_orders, RunStatus.Succeeded, 1, new Dictionary<string, long>(), TimeSpan.Zero),
            State(s_orders, "b", "dev") with { Location = "_versions/orders/b" },
            [Reads(s_customers)]));

        Assert.Empty(await Store.Tables.GetDownstreamEdgesAsync(s_customers, "dev"));
    }

    [Fact]
    public async Task An_environments_table_lineage_holds_the_table_edges_it_built_and_prods_of_the_others()
    {
        TableName emails = new("silver", "emails");
        await Store.Tables.ReplaceLineageAsync(s_orders, [Reads(s_bronze), new LineageEdge(s_bronze, "id", s_orders, "id")]);
        await Store.Tables.ReplaceLineageAsync(emails, [new LineageEdge(s_customers, null, emails, null)]);
        await Store.Environments.SetModelStatesAsync([State(s_orders, "b", "dev") with { Location = "_versions/orders/b" }]);
        await Store.Tables.ReplaceLineageAsync(s_orders, [Reads(s_customers)], "dev", "_versions/orders/b");

        Assert.Equal([new LineageEdge(s_customers, null, emails, null), Reads(s_bronze)], await Store.Tables.GetTableLineageAsync("prod"));
        Assert.Equal([new LineageEdge(s_customers, null, emails, null), Reads(s_customers)], await Store.Tables.GetTableLineageAsync("dev"));
    }

    [Fact]
    public async Task A_models_run_history_and_latest_runs_of_one_environment_leave_the_others_runs_out()
    {
        RunRecord prod = await Store.Runs.StartRunAsync(null, "prod");
        await Store.Runs.RecordModelRunAsync(new ModelRunRecord(prod.Id, s_orders, RunStatus.Succeeded, 1, new Dictionary<string, long>(), TimeSpan.FromSeconds(1)));
        RunRecord dev = await Store.Runs.StartRunAsync(null, "dev");
        await Store.Runs.RecordModelRunAsync(new ModelRunRecord(dev.Id, s_orders, RunStatus.Failed, null, new Dictionary<string, long>(), TimeSpan.FromSeconds(1), "boom"));

        Assert.Equal([dev.Id, prod.Id], (await Store.Runs.GetModelRunHistoryAsync(s_orders, 10)).Select(r => r.RunId));
        Assert.Equal([prod.Id], (await Store.Runs.GetModelRunHistoryAsync(s_orders, 10, "prod")).Select(r => r.RunId));
        Assert.Equal([dev.Id], (await Store.Runs.GetModelRunHistoryAsync(s_orders, 10, "dev")).Select(r => r.RunId));
        Assert.Equal([prod.Id], (await Store.Runs.GetLatestModelRunsAsync("prod")).Select(r => r.RunId));
        Assert.Equal([dev.Id], (await Store.Runs.GetLatestModelRunsAsync("dev")).Select(r => r.RunId));
    }

    [Fact]
    public async Task Prod_always_exists_and_another_environment_only_while_it_holds_a_model()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "b", "dev") with { Location = "_versions/orders/b" }]);

        Assert.True(await Store.Environments.ExistsAsync("prod"));
        Assert.True(await Store.Environments.ExistsAsync("dev"));
        Assert.False(await Store.Environments.ExistsAsync("staging"));
        MedallionException missing = await Assert.ThrowsAsync<MedallionException>(() => Store.Environments.RequireAsync("staging"));
        MedallionException invalid = await Assert.ThrowsAsync<MedallionException>(() => Store.Environments.RequireAsync("Dev"));
        Assert.Equal((ErrorCode.EnvironmentNotFound, ErrorCode.EnvironmentNameInvalid), (missing.Code, invalid.Code));
    }

    [Fact]
    public async Task An_environment_reads_prods_lineage_of_a_model_it_did_not_build()
    {
        await Store.Tables.ReplaceLineageAsync(s_orders, [Reads(s_bronze)]);

        Assert.Equal([Reads(s_bronze)], await Store.Tables.GetUpstreamEdgesAsync(s_orders, "dev"));
    }

    [Fact]
    public async Task Prods_lineage_is_the_promoted_builds_after_a_promotion_and_its_own_again_after_a_rollback()
    {
        await Store.Tables.ReplaceLineageAsync(s_orders, [Reads(s_bronze)]);
        await Store.Environments.SetModelStatesAsync([State(s_orders, "a"), State(s_orders, "b", "dev") with { Location = "_versions/orders/b" }]);
        await Store.Tables.ReplaceLineageAsync(s_orders, [Reads(s_customers)], "dev", "_versions/orders/b");

        await Store.Environments.PromoteAsync("dev", "prod");
        List<LineageEdge> promoted = await Store.Tables.GetUpstreamEdgesAsync(s_orders);
        await Store.Environments.RollbackAsync("prod");

        Assert.Equal([Reads(s_customers)], promoted);
        Assert.Equal([Reads(s_bronze)], await Store.Tables.GetUpstreamEdgesAsync(s_orders));
    }

    [Fact]
    public async Task Prods_registration_after_a_promotion_replaces_the_lineage_of_the_table_its_pointer_names()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "b", "dev") with { Location = "_versions/orders/b" }]);
        await Store.Tables.ReplaceLineageAsync(s_orders, [Reads(s_customers)], "dev", "_versions/orders/b");
        await Store.Environments.PromoteAsync("dev", "prod");

        await Store.Tables.ReplaceLineageAsync(s_orders, [Reads(s_bronze)]);

        Assert.Equal([Reads(s_bronze)], await Store.Tables.GetUpstreamEdgesAsync(s_orders));
        Assert.Equal([Reads(s_bronze)], await Store.Tables.GetUpstreamEdgesAsync(s_orders, "dev"));
    }

    [Fact]
    public async Task An_environments_quality_results_are_not_taken_for_prods()
    {
        await Store.Quality.RecordQualityResultAsync(Result("prod-run", passed: true));
        await Store.Environments.SetModelStatesAsync([State(s_orders, "b", "dev") with { Location = "_versions/orders/b" }]);
        await Store.Quality.RecordQualityResultAsync(Result("dev-run", passed: false, "dev", "_versions/orders/b"));

        Assert.Equal(["prod-run"], (await Store.Quality.GetLatestQualityResultsAsync(s_orders)).Select(r => r.RunId));
        Assert.Equal(["prod-run"], (await Store.Quality.GetQualityHistoryAsync(s_orders, 10)).Select(r => r.RunId));
        Assert.Empty(await Store.Quality.GetBrokenRulesAsync(s_start.AddDays(-1)));
        Assert.Equal([("dev-run", "dev", "_versions/orders/b")], (await Store.Quality.GetLatestQualityResultsAsync(s_orders, "dev")).Select(r => (r.RunId, r.Environment, r.Location)));
        Assert.Equal(["dev-run"], (await Store.Quality.GetBrokenRulesAsync(s_start.AddDays(-1), "dev")).Select(b => b.Latest.RunId));
    }

    [Fact]
    public async Task Prods_quality_results_are_the_promoted_builds_after_a_promotion_and_its_own_again_after_a_rollback()
    {
        await Store.Quality.RecordQualityResultAsync(Result("prod-run", passed: true));
        await Store.Environments.SetModelStatesAsync([State(s_orders, "a"), State(s_orders, "b", "dev") with { Location = "_versions/orders/b" }]);
        await Store.Quality.RecordQualityResultAsync(Result("dev-run", passed: false, "dev", "_versions/orders/b"));

        await Store.Environments.PromoteAsync("dev", "prod");
        List<QualityResultRecord> promoted = await Store.Quality.GetLatestQualityResultsAsync(s_orders);
        await Store.Environments.RollbackAsync("prod");

        Assert.Equal(["dev-run"], promoted.Select(r => r.RunId));
        Assert.Equal(["prod-run"], (await Store.Quality.GetLatestQualityResultsAsync(s_orders)).Select(r => r.RunId));
    }

    [Fact]
    public async Task A_result_recorded_without_its_table_is_of_the_table_its_environment_reads_then()
    {
        await Store.Environments.SetModelStatesAsync([State(s_orders, "b", "dev") with { Location = "_versions/orders/b" }]);

        await Store.Quality.RecordQualityResultAsync(Result("dev-check", passed: true, "dev"));
        await Store.Quality.RecordQualityResultAsync(Result("prod-check", passed: true));

        Assert.Equal(["_versions/orders/b"], (await Store.Quality.GetQualityResultsAsync("dev-check")).Select(r => r.Location));
        Assert.Equal([(string?)null], (await Store.Quality.GetQualityResultsAsync("prod-check")).Select(r => r.Location));
    }

    [Fact]
    public async Task Dropping_an_environment_forgets_its_lineage_and_quality_results_but_not_those_of_a_table_prod_took_from_it()
    {
        var revenue = new LineageEdge(s_orders, null, s_revenue, null);
        await Store.Environments.SetModelStatesAsync([State(s_orders, "b", "dev") with { Location = "_versions/orders/b" }]);
        await Store.Tables.ReplaceLineageAsync(s_orders, [Reads(s_customers)], "dev", "_versions/orders/b");
        await Store.Quality.RecordQualityResultAsync(Result("dev-run", passed: false, "dev", "_versions/orders/b"));
        await Store.Environments.PromoteAsync("dev", "prod");
        await Store.Environments.SetModelStatesAsync([State(s_revenue, "d", "dev") with { Location = "_versions/revenue/d" }]);
        await Store.Tables.ReplaceLineageAsync(s_revenue, [revenue], "dev", "_versions/revenue/d");
        await Store.Quality.RecordQualityResultAsync(Result("dev-run-2", passed: true, "dev", "_versions/revenue/d") with { Model = s_revenue });

        await Store.Environments.DropAsync("dev");
        await Store.Environments.SetModelStatesAsync([State(s_revenue, "d", "pr-1") with { Location = "_versions/revenue/d" }]);

        Assert.Equal([Reads(s_customers)], await Store.Tables.GetUpstreamEdgesAsync(s_orders));
        Assert.Equal(["dev-run"], (await Store.Quality.GetLatestQualityResultsAsync(s_orders)).Select(r => r.RunId));
        Assert.Empty(await Store.Tables.GetUpstreamEdgesAsync(s_revenue, "pr-1"));
        Assert.Empty(await Store.Quality.GetQualityResultsAsync("dev-run-2"));
    }

    [Fact]
    public async Task Promoting_to_prod_makes_the_catalogs_columns_those_of_the_promoted_table_keeping_the_docs_of_columns_it_kept()
    {
        await Store.Tables.UpsertTableAsync(new CatalogTable(s_orders, "lake/silver/orders"));
        await Store.Tables.SetColumnsAsync(s_orders, [new("id", "INTEGER", false, "The order.", "internal", ["key"]), new("gone", "VARCHAR")]);
        await Store.Environments.SetModelStatesAsync([
            State(s_orders, "a"),
            State(s_orders, "b", "dev") with { Location = "_versions/orders/b", Columns = [new ModelColumnState("id", "BIGINT") { Nullable = false }, new ModelColumnState("added", "DATE")] },
        ]);

        await Store.Environments.PromoteAsync("dev", "prod");

        Assert.Equal(
            [("id", "BIGINT", false, (string?)"The order.", (string?)"internal", "key"), ("added", "DATE", true, null, null, "")],
            (await Store.Tables.GetColumnsAsync(s_orders)).Select(c => (c.Name, c.DataType, c.Nullable, c.Description, c.Classification, string.Join(",", c.Tags ?? []))));
    }
}

public sealed class CatalogEnvironmentOnSqliteTests() : CatalogEnvironmentContract(new SqliteCatalogEngine());

public sealed class CatalogEnvironmentOnPostgresTests() : CatalogEnvironmentContract(new PostgresCatalogEngine());
