using System.Text.Json;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion tables/describe/history/runs</c> over a real project: Delta tables written by DeltaWriter into its
/// storage and a SQLite catalog holding two runs (the first succeeded, the second failed in gold).
/// </summary>
public sealed class CatalogCommandTests : IAsyncLifetime
{
    private static readonly TableName s_bronzeOrders = new("bronze", "orders");
    private static readonly TableName s_silverOrders = new("silver", "orders");
    private static readonly TableName s_revenue = new("gold", "revenue");

    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-catalog-cli-" + Guid.NewGuid().ToString("N"));
    private string _firstRun = null!;
    private string _secondRun = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_project, "sources"));
        Directory.CreateDirectory(Path.Combine(_project, "models", "silver"));
        Directory.CreateDirectory(Path.Combine(_project, "models", "gold"));
        await File.WriteAllTextAsync(Path.Combine(_project, "medallion.yml"), "name: shop\n");
        await File.WriteAllTextAsync(Path.Combine(_project, "sources", "files.yml"), """
            sources:
              - name: orders
                description: Orders exported by the shop.
                format: csv
                path: data/orders/*.csv
                target: bronze.orders
            """);
        await File.WriteAllTextAsync(Path.Combine(_project, "models", "silver", "orders.sql"), """
            /* ---
            description: Orders, typed and cleaned.
            owner: sales-team
            tags: [sales, daily]
            materialized: merge
            unique_key: order_id
            columns:
              order_id:
                description: The shop's order number.
              email:
                description: Buyer e-mail, lower-cased.
                classification: pii
            expectations:
              - not_null: [order_id]
              - expression: amount >= 0
                name: amount_positive
                severity: quarantine
            --- */
            SELECT CAST(order_id AS BIGINT) AS order_id, lower(email) AS email, CAST(amount AS DECIMAL(10, 2)) AS amount FROM bronze.orders
            """);
        await File.WriteAllTextAsync(Path.Combine(_project, "models", "gold", "revenue.sql"), """
            SELECT sum(amount) AS revenue FROM silver.orders
            """);

        string storage = Path.Combine(_project, "warehouse");
        using (var connection = new DuckDbConnection())
        {
            connection.Open();
            var writer = new DeltaWriter(connection);
            string bronze = Path.Combine(storage, "bronze", "orders");
            await writer.WriteAsync(bronze, "SELECT i AS order_id, 'A' || i || '@X.COM' AS email, i * 10 AS amount FROM range(1, 4) t(i)");
            await writer.WriteAsync(bronze, "SELECT i AS order_id, 'B' || i || '@X.COM' AS email, i * 10 AS amount FROM range(4, 6) t(i)");
            string silver = Path.Combine(storage, "silver", "orders");
            await writer.WriteAsync(silver, "SELECT i::BIGINT AS order_id, 'a' || i || '@x.com' AS email, (i * 10)::DECIMAL(10, 2) AS amount FROM range(1, 4) t(i)");
            await writer.WriteAsync(silver, "SELECT i::BIGINT AS order_id, 'a' || i || '@x.com' AS email, (i * 10)::DECIMAL(10, 2) AS amount FROM range(1, 5) t(i)",
                new DeltaWriteOptions { Mode = DeltaWriteMode.Overwrite });
            await writer.WriteAsync(Path.Combine(storage, "silver", "orders_quarantine"), "SELECT 5::BIGINT AS order_id, 'b5@x.com' AS email, (-1)::DECIMAL(10, 2) AS amount");
        }

        var time = new ManualTime(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_project), time);
        await catalog.Tables.UpsertTableAsync(new CatalogTable(s_silverOrders, Path.Combine(storage, "silver", "orders"), Description: "Registered by a run.", Owner: "old-owner"));
        await catalog.Tables.SetColumnsAsync(s_silverOrders, [new CatalogColumn("amount", "DECIMAL(10,2)", Description: "Order total in BRL, from the catalog.")]);

        _firstRun = (await catalog.Runs.StartRunAsync(null)).Id;
        await catalog.Runs.RecordModelRunAsync(new ModelRunRecord(_firstRun, s_bronzeOrders, RunStatus.Succeeded, 3, new Dictionary<string, long>(), TimeSpan.FromMilliseconds(40), CommittedVersion: 0));
        await catalog.Runs.RecordModelRunAsync(new ModelRunRecord(_firstRun, s_silverOrders, RunStatus.Succeeded, 3, new Dictionary<string, long> { ["bronze.orders"] = 0 }, TimeSpan.FromMilliseconds(55), CommittedVersion: 0));
        time.Advance(TimeSpan.FromSeconds(2));
        await catalog.Runs.FinishRunAsync(_firstRun, RunStatus.Succeeded);

        time.Advance(TimeSpan.FromHours(1));
        _secondRun = (await catalog.Runs.StartRunAsync("silver.orders+")).Id;
        await catalog.Runs.RecordModelRunAsync(new ModelRunRecord(_secondRun, s_silverOrders, RunStatus.Succeeded, 4, new Dictionary<string, long> { ["bronze.orders"] = 1 }, TimeSpan.FromMilliseconds(70), CommittedVersion: 1));
        await catalog.Runs.RecordModelRunAsync(new ModelRunRecord(_secondRun, s_revenue, RunStatus.Failed, null, new Dictionary<string, long>(), TimeSpan.FromMilliseconds(5), "Binder Error: boom"));
        await catalog.Tables.RecordTableVersionAsync(new TableVersionRecord(s_silverOrders, 1, "{}", "WRITE", 4, _secondRun, time.GetUtcNow()));
        await catalog.Quality.RecordQualityResultAsync(new QualityResultRecord(_secondRun, s_silverOrders, "not_null(order_id)", "fail", true, 0, "[]", time.GetUtcNow()));
        await catalog.Quality.RecordQualityResultAsync(new QualityResultRecord(_secondRun, s_silverOrders, "amount_positive", "quarantine", false, 1, "[{\"order_id\":5}]", time.GetUtcNow()));
        time.Advance(TimeSpan.FromSeconds(3));
        await catalog.Runs.FinishRunAsync(_secondRun, RunStatus.Failed, "gold.revenue failed");
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_project, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Tables_lists_declared_and_built_tables_with_rows_versions_and_the_docs_of_the_project_files()
    {
        JsonElement tables = await JsonAsync("tables", "--project", _project, "--format", "json");

        Assert.Equal(["bronze.orders", "silver.orders", "silver.orders_quarantine", "gold.revenue"], tables.EnumerateArray().Select(t => Name(t.GetProperty("name"))));
        JsonElement silver = tables[1];
        Assert.Equal(4, silver.GetProperty("rows").GetInt64());
        Assert.Equal(1, silver.GetProperty("version").GetInt64());
        Assert.Equal("sales-team", silver.GetProperty("owner").GetString());
        Assert.Equal(["sales", "daily"], silver.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("Orders, typed and cleaned.", silver.GetProperty("description").GetString());
        Assert.Equal(5, tables[0].GetProperty("rows").GetInt64());
        Assert.Equal("quarantine", tables[2].GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, tables[3].GetProperty("version").ValueKind);
    }

    [Fact]
    public async Task Tables_with_a_namespace_lists_only_that_namespace()
    {
        Cli.Result result = await Cli.RunAsync("tables", "--namespace", "silver", "--project", _project);

        Assert.Equal(0, result.ExitCode);
        string[] lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["silver", "silver"], lines[2..4].Select(l => l.Split('│')[0].Trim()));
        Assert.Equal("(2 tables, 2 built)", lines[^1]);
    }

    [Fact]
    public async Task Tables_in_a_project_that_never_ran_lists_its_declared_tables_without_creating_a_catalog()
    {
        File.Delete(CatalogStore.DefaultPath(_project));
        Directory.Delete(Path.Combine(_project, "warehouse"), recursive: true);

        JsonElement tables = await JsonAsync("tables", "--project", _project, "--format", "json");

        Assert.Equal(3, tables.GetArrayLength());
        Assert.All(tables.EnumerateArray(), t => Assert.Equal(JsonValueKind.Null, t.GetProperty("rows").ValueKind));
        Assert.False(File.Exists(CatalogStore.DefaultPath(_project)));
    }

    [Fact]
    public async Task Describe_shows_the_delta_schema_with_column_docs_and_pii_classification()
    {
        JsonElement table = await JsonAsync("describe", "silver.orders", "--project", _project, "--format", "json");

        JsonElement[] columns = table.GetProperty("columns").EnumerateArray().ToArray();
        Assert.Equal(["order_id", "email", "amount"], columns.Select(c => c.GetProperty("name").GetString()));
        Assert.Equal("BIGINT", columns[0].GetProperty("data_type").GetString());
        Assert.Equal("The shop's order number.", columns[0].GetProperty("description").GetString());
        Assert.Equal("pii", columns[1].GetProperty("classification").GetString());
        Assert.Equal("Order total in BRL, from the catalog.", columns[2].GetProperty("description").GetString());
        Assert.Equal(JsonValueKind.Null, columns[2].GetProperty("classification").ValueKind);
    }

    [Fact]
    public async Task Describe_shows_versions_last_run_latest_quality_and_lineage()
    {
        JsonElement table = await JsonAsync("describe", "silver.orders", "--project", _project, "--format", "json");

        Assert.Equal([1L, 0L], table.GetProperty("recent_versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt64()));
        Assert.Equal(_secondRun, table.GetProperty("last_run").GetProperty("run_id").GetString());
        Assert.Equal(1, table.GetProperty("last_run").GetProperty("committed_version").GetInt64());
        JsonElement quarantine = table.GetProperty("quality").EnumerateArray().Single(q => q.GetProperty("rule").GetString() == "amount_positive");
        Assert.Equal(1, quarantine.GetProperty("failing_rows").GetInt64());
        using JsonDocument sample = JsonDocument.Parse(quarantine.GetProperty("sample_rows_json").GetString()!);
        Assert.Equal(5, sample.RootElement[0].GetProperty("order_id").GetInt64());
        Assert.Equal(["bronze.orders"], table.GetProperty("upstream").EnumerateArray().Select(Name));
        Assert.Equal(["gold.revenue"], table.GetProperty("downstream").EnumerateArray().Select(Name));
    }

    [Fact]
    public async Task Describe_as_text_has_a_section_for_each_part()
    {
        Cli.Result result = await Cli.RunAsync("describe", "silver.orders", "--project", _project);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("silver.orders (model)\n  Orders, typed and cleaned.\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("  owner      sales-team\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("  version    1 (4 rows, committed ", result.Output, StringComparison.Ordinal);
        Assert.Contains($"\nLast run\n  {_secondRun}: succeeded, 4 rows written in 70 ms, committed version 1\n", result.Output, StringComparison.Ordinal);
        Assert.Matches(@"\n amount_positive +│ quarantine │ quarantined │ +1\n", result.Output);
    }

    [Fact]
    public async Task Describe_by_a_bare_name_finds_the_one_table_of_that_name()
    {
        JsonElement table = await JsonAsync("describe", "revenue", "--project", _project, "--format", "json");

        Assert.Equal("gold.revenue", Name(table.GetProperty("summary").GetProperty("name")));
        Assert.Equal(_secondRun, table.GetProperty("last_run").GetProperty("run_id").GetString());
        Assert.Equal("failed", table.GetProperty("last_run").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Describe_of_a_bare_name_in_several_namespaces_lists_them()
    {
        Cli.Result result = await Cli.RunAsync("describe", "orders", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "Error MDL6903: 'orders' is ambiguous: it names bronze.orders or silver.orders.\nHelp: write the table as namespace.name, e.g. silver.orders. 'medallion tables' lists the project's tables.\n",
            result.Error);
    }

    [Fact]
    public async Task Describe_of_an_unknown_table_names_the_closest_matches()
    {
        Cli.Result result = await Cli.RunAsync("describe", "silver.order", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "Error MDL6903: The project has no table silver.order. Did you mean silver.orders?\nHelp: check the name against the project's tables. 'medallion tables' lists the project's tables.\n",
            result.Error);
    }

    [Fact]
    public async Task History_lists_the_delta_log_with_rows_and_the_runs_that_wrote_each_version()
    {
        JsonElement history = await JsonAsync("history", "silver.orders", "--project", _project, "--format", "json");

        JsonElement[] versions = history.EnumerateArray().ToArray();
        Assert.Equal([1L, 0L], versions.Select(v => v.GetProperty("version").GetInt64()));
        Assert.Equal([4L, 3L], versions.Select(v => v.GetProperty("rows").GetInt64()));
        Assert.Equal([_secondRun, _firstRun], versions.Select(v => v.GetProperty("run_id").GetString()));
        Assert.All(versions, v => Assert.False(string.IsNullOrEmpty(v.GetProperty("operation").GetString())));
    }

    [Fact]
    public async Task History_of_a_table_written_outside_runs_has_no_run_ids()
    {
        JsonElement history = await JsonAsync("history", "silver.orders_quarantine", "--project", _project, "--format", "json");

        JsonElement version = Assert.Single(history.EnumerateArray());
        Assert.Equal(1, version.GetProperty("rows").GetInt64());
        Assert.Equal(JsonValueKind.Null, version.GetProperty("run_id").ValueKind);
    }

    [Fact]
    public async Task History_of_a_table_not_built_yet_says_how_to_build_it()
    {
        Cli.Result result = await Cli.RunAsync("history", "gold.revenue", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            $"Error MDL3001: Table gold.revenue has no versions yet: nothing has been written to {Path.Combine(_project, "warehouse", "gold", "revenue")}.\nHelp: run the model that builds it, or load its source. 'medallion run --select <table>' builds a model's table; 'medallion ingest' loads a source's.\n",
            result.Error);
    }

    [Fact]
    public async Task Runs_lists_the_runs_newest_first_with_duration_status_and_models_by_outcome()
    {
        JsonElement runs = await JsonAsync("runs", "--project", _project, "--format", "json");

        Assert.Equal([_secondRun, _firstRun], runs.EnumerateArray().Select(r => r.GetProperty("run").GetProperty("id").GetString()));
        JsonElement failed = runs[0];
        Assert.Equal("failed", failed.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(TimeSpan.FromSeconds(3), failed.GetProperty("run").GetProperty("finished_at").GetDateTimeOffset() - failed.GetProperty("run").GetProperty("started_at").GetDateTimeOffset());
        Assert.Equal(1, failed.GetProperty("succeeded").GetInt32());
        Assert.Equal(1, failed.GetProperty("failed").GetInt32());
        Assert.Equal(2, runs[1].GetProperty("succeeded").GetInt32());
    }

    [Fact]
    public async Task Runs_with_last_one_lists_only_the_newest_run()
    {
        Cli.Result result = await Cli.RunAsync("runs", "--last", "1", "--project", _project);

        Assert.Equal(0, result.ExitCode);
        string[] lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Matches($@"^ {_secondRun} │ prod │ 2026-03-01 09:00:02 │ +3 s │ failed +│ +1 │ +1 │ +0$", lines[2]);
    }

    [Fact]
    public async Task Runs_with_an_id_prefix_shows_the_run_models_and_quality_results()
    {
        // Ids made in one millisecond share their first 12 digits (the millisecond); their first 16 differ.
        JsonElement run = await JsonAsync("runs", _secondRun[..16], "--project", _project, "--format", "json");

        Assert.Equal(_secondRun, run.GetProperty("run").GetProperty("id").GetString());
        Assert.Equal("gold.revenue failed", run.GetProperty("run").GetProperty("error").GetString());
        Assert.Equal(["gold.revenue", "silver.orders"], run.GetProperty("models").EnumerateArray().Select(m => Name(m.GetProperty("model"))));
        Assert.Equal("Binder Error: boom", run.GetProperty("models")[0].GetProperty("error").GetString());
        Assert.Equal(2, run.GetProperty("quality").GetArrayLength());
    }

    [Fact]
    public async Task Runs_with_an_unknown_id_says_how_to_list_runs()
    {
        Cli.Result result = await Cli.RunAsync("runs", "ffff", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error MDL6903: The catalog has no run 'ffff'.\nHelp: check the id against the recent runs. 'medallion runs' lists the recent runs and their ids.\n", result.Error);
    }

    /// <summary>A table's name as the JSON contract writes it (<c>{"namespace", "name"}</c>), as <c>namespace.name</c>.</summary>
    internal static string Name(JsonElement name) => $"{name.GetProperty("namespace").GetString()}.{name.GetProperty("name").GetString()}";
    [Fact]
    public async Task Runs_prune_dry_run_counts_the_runs_it_would_remove_and_changes_nothing()
    {
        await AddLaterRunsAsync();

        JsonElement counted = await JsonAsync("runs", "prune", "--dry-run", "--project", _project, "--format", "json");

        Assert.True(counted.GetProperty("dry_run").GetBoolean());
        Assert.Equal(2, counted.GetProperty("runs").GetInt32());
        // The first run stays (the last that built bronze.orders), and so does the latest.
        Assert.Equal(2, counted.GetProperty("kept_runs").GetInt32());
        Assert.Equal(4, (await JsonAsync("runs", "--project", _project, "--format", "json")).GetArrayLength());
    }

    [Fact]
    public async Task Runs_prune_removes_the_old_runs_and_says_what_it_removed()
    {
        string latest = await AddLaterRunsAsync();

        Cli.Result result = await Cli.RunAsync("runs", "prune", "--older-than", "30d", "--project", _project);

        Assert.Equal(0, result.ExitCode);
        string[] lines = result.Output.Split('\n');
        Assert.StartsWith("Pruned 2 runs that started before ", lines[0], StringComparison.Ordinal);
        Assert.Equal(": 4 model runs, 0 source passes, 0 attempts, 0 log lines, 2 quality results, 0 table version records, 0 backfills.", lines[0][lines[0].IndexOf("Z: ", StringComparison.Ordinal)..][1..]);
        Assert.Equal("Kept 2 older runs: running or queued, the latest of a job, or the last to build a model or feed a source table.", lines[1]);
        Assert.StartsWith("The catalog file shrank by ", lines[2], StringComparison.Ordinal);
        JsonElement runs = await JsonAsync("runs", "--project", _project, "--format", "json");
        Assert.Equal([latest, _firstRun], runs.EnumerateArray().Select(r => r.GetProperty("run").GetProperty("id").GetString()));
    }

    /// <summary>Two more runs a day after the fixture's, both building silver.orders and gold.revenue; returns the newest.</summary>
    private async Task<string> AddLaterRunsAsync()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero));
        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_project), time);
        string id = string.Empty;
        for (int i = 0; i < 2; i++)
        {
            time.Advance(TimeSpan.FromHours(1));
            id = (await catalog.Runs.StartRunAsync(null)).Id;
            await catalog.Runs.RecordModelRunAsync(new ModelRunRecord(id, s_silverOrders, RunStatus.Succeeded, 4, new Dictionary<string, long>(), TimeSpan.FromMilliseconds(70)));
            await catalog.Runs.RecordModelRunAsync(new ModelRunRecord(id, s_revenue, RunStatus.Succeeded, 1, new Dictionary<string, long>(), TimeSpan.FromMilliseconds(5)));
            await catalog.Runs.FinishRunAsync(id, RunStatus.Succeeded);
        }

        return id;
    }

    private static async Task<JsonElement> JsonAsync(params string[] args)
    {
        Cli.Result result = await Cli.RunAsync(args);
        Assert.True(result.ExitCode == 0, result.Error);
        using var document = JsonDocument.Parse(result.Output);
        return document.RootElement.Clone();
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
