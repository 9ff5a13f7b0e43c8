using System.Text.Json;
using System.Text.RegularExpressions;

namespace Medallion.Cli.Tests;

/// <summary>
/// A project made by <c>medallion init</c>, used as a new user would: run, run again, drop in another day's file
/// (one of whose values does not parse), and a source no model reads yet.
/// </summary>
public sealed class InitProjectRunTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-init-run-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_project, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; never fail a test on cleanup.
        }
    }

    private async Task InitAsync()
    {
        Cli.Result init = await Cli.RunAsync("init", _project);
        Assert.True(init.ExitCode == 0, init.Output + init.Error);
    }

    private async Task<Cli.Result> RunAsync(params string[] args)
    {
        Cli.Result result = await Cli.RunAsync(["run", "--project", _project, .. args]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        return result;
    }

    private async Task<string> SqlAsync(string sql)
    {
        Cli.Result result = await Cli.RunAsync("sql", sql, "--format", "csv", "--project", _project);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        return result.Output;
    }

    [Fact]
    public async Task A_new_project_runs_a_second_time_and_reports_its_rules_not_checked_for_want_of_new_rows()
    {
        await InitAsync();
        await RunAsync();

        Cli.Result second = await RunAsync("--format", "json");
        string runId = JsonDocument.Parse(second.Output).RootElement.GetProperty("run_id").GetString()!;
        Cli.Result run = await Cli.RunAsync("runs", runId, "--project", _project, "--format", "json");
        Cli.Result describe = await Cli.RunAsync("describe", "silver.orders", "--project", _project);

        using JsonDocument json = JsonDocument.Parse(run.Output);
        List<JsonElement> silver = [.. json.RootElement.GetProperty("quality").EnumerateArray().Where(q => CatalogCommandTests.Name(q.GetProperty("model")) == "silver.orders")];
        Assert.Equal(5, silver.Count);
        Assert.All(silver, q =>
        {
            Assert.Equal("not checked", q.GetProperty("status").GetString());
            Assert.Equal("no new rows", q.GetProperty("not_checked").GetString());
            Assert.False(q.GetProperty("passed").GetBoolean());
        });
        // The gold model is rebuilt (materialized: table), so its rule is checked against the whole table.
        Assert.Equal("passed", json.RootElement.GetProperty("quality").EnumerateArray().Single(q => CatalogCommandTests.Name(q.GetProperty("model")) == "gold.daily_revenue").GetProperty("status").GetString());
        Assert.Matches(QualityRow("row_count", "fail", "not checked: no new rows", 0), describe.Output);
        Assert.DoesNotMatch(QualityRow("not_null(order_id)", "fail", "passed", 0), describe.Output);
    }

    [Fact]
    public async Task A_rule_that_broke_on_the_table_is_not_shown_as_passed_after_a_run_without_new_rows()
    {
        await InitAsync();
        await File.AppendAllTextAsync(Path.Combine(_project, "data", "orders", "orders_2026-01-01.csv"), "4,12,lost,15.00,2026-01-01 18:00:00\n");
        await RunAsync();
        Cli.Result first = await Cli.RunAsync("describe", "silver.orders", "--project", _project);

        await RunAsync();
        Cli.Result second = await Cli.RunAsync("describe", "silver.orders", "--project", _project);

        Assert.Matches(QualityRow("accepted_values(status)", "warn", "warned", 1), first.Output);
        Assert.Matches(QualityRow("accepted_values(status)", "warn", "not checked: no new rows", 0), second.Output);
    }

    [Fact]
    public async Task New_rows_of_an_incremental_model_are_checked_and_a_broken_rule_among_them_is_reported()
    {
        await InitAsync();
        await RunAsync();
        await File.WriteAllTextAsync(Path.Combine(_project, "data", "orders", "orders_2026-01-02.csv"), "order_id,customer_id,status,amount,ordered_at\n7,12,lost,15.00,2026-01-02 18:00:00\n");

        await RunAsync();
        Cli.Result describe = await Cli.RunAsync("describe", "silver.orders", "--project", _project);

        Assert.Matches(QualityRow("accepted_values(status)", "warn", "warned", 1), describe.Output);
        Assert.Matches(QualityRow("row_count", "fail", "passed", 0), describe.Output);
    }

    [Fact]
    public async Task A_value_that_does_not_fit_an_inferred_timestamp_column_keeps_its_row_and_the_template_still_builds()
    {
        await InitAsync();
        await RunAsync();
        await File.WriteAllTextAsync(Path.Combine(_project, "data", "orders", "orders_2026-01-02.csv"),
            "order_id,customer_id,status,amount,ordered_at\n4,12,paid,10.00,2026-01-02 08:00:00\n5,12,paid,11.00,yesterday at noon\n6,13,new,12.00,2026-01-02 09:30:00\n");

        Cli.Result run = await RunAsync();

        Assert.Contains("1 row(s) could not be parsed (kept with _parse_error)", run.Output, StringComparison.Ordinal);
        Assert.Equal(
            "_source_line,_raw_line,has_error,order_id\n3,\"5,12,paid,11.00,yesterday at noon\",true,\n",
            await SqlAsync("SELECT _source_line, _raw_line, _parse_error IS NOT NULL AS has_error, order_id FROM bronze.orders WHERE _parse_error IS NOT NULL"));
        Assert.Equal("order_id\n1\n2\n3\n4\n6\n", await SqlAsync("SELECT order_id FROM silver.orders ORDER BY order_id"));
    }

    [Fact]
    public async Task Run_loads_a_file_source_that_no_model_reads()
    {
        await InitAsync();
        await AddSalesSourceAsync();

        Cli.Result run = await RunAsync();

        Assert.Matches(@"(?m)^bronze\.sales\s+source\s+succeeded\s", run.Output);
        Assert.Equal("n\n2\n", await SqlAsync("SELECT count(*) AS n FROM bronze.sales"));
    }

    [Fact]
    public async Task Run_select_of_a_source_loads_that_source_alone()
    {
        await InitAsync();
        await AddSalesSourceAsync();

        Cli.Result run = await RunAsync("--select", "sales");

        Assert.Matches(@"(?m)^bronze\.sales\s+source\s+succeeded\s", run.Output);
        Assert.DoesNotMatch(@"(?m)^(bronze\.orders|silver\.orders|gold\.daily_revenue)\s", run.Output);
        Assert.Matches(@"(?m)^Run [0-9a-f]{32} succeeded in \d+(\.\d)? (ms|s|min): 1 succeeded, 0 failed, 0 skipped, 0 cancelled\.$", run.Output);
        Assert.Equal("n\n2\n", await SqlAsync("SELECT count(*) AS n FROM bronze.sales"));
    }

    [Fact]
    public async Task Run_select_of_a_namespace_loads_its_sources_too()
    {
        await InitAsync();
        await AddSalesSourceAsync();

        Cli.Result run = await RunAsync("--select", "bronze.*");

        Assert.Matches(@"(?m)^bronze\.sales\s+source\s+succeeded\s", run.Output);
        Assert.Matches(@"(?m)^bronze\.orders\s+source\s+succeeded\s", run.Output);
        Assert.DoesNotMatch(@"(?m)^silver\.orders\s", run.Output);
    }

    [Fact]
    public async Task Ingest_loads_a_file_source_by_name_and_every_file_source_when_none_is_named()
    {
        await InitAsync();
        await AddSalesSourceAsync();

        Cli.Result named = await Cli.RunAsync("ingest", "--select", "sales", "--project", _project);
        Cli.Result all = await Cli.RunAsync("ingest", "--project", _project);

        Assert.True(named.ExitCode == 0, named.Output + named.Error);
        Assert.Equal("sales: data/sales/*.csv -> bronze.sales: 2 rows in 1 batches, version 0\n", named.Output);
        Assert.True(all.ExitCode == 0, all.Output + all.Error);
        // The sales file was loaded by the first ingest: only the orders are new.
        Assert.Equal("orders: data/orders/*.csv -> bronze.orders: 3 rows in 1 batches, version 0\nsales: data/sales/*.csv -> bronze.sales: 0 rows in 0 batches, version 0\n", all.Output);
        Assert.Equal("n\n2\n", await SqlAsync("SELECT count(*) AS n FROM bronze.sales"));
    }

    /// <summary>A row of the quality table <c>describe</c> prints.</summary>
    private static string QualityRow(string rule, string severity, string result, long failingRows) =>
        $@"(?m)^ {Regex.Escape(rule)}\s+│ {severity}\s+│ {Regex.Escape(result)}\s+│\s+{failingRows}$";

    private async Task AddSalesSourceAsync()
    {
        await File.AppendAllTextAsync(Path.Combine(_project, "sources", "files.yml"), """
              - name: sales
                format: csv
                path: data/sales/*.csv
                target: bronze.sales

            """);
        Directory.CreateDirectory(Path.Combine(_project, "data", "sales"));
        await File.WriteAllTextAsync(Path.Combine(_project, "data", "sales", "sales.csv"), "sku,qty\nA,1\nB,2\n");
    }
}
