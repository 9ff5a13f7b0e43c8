using System.Text.Json;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion test</c> end to end: a project whose silver.orders table was written by <see cref="DeltaWriter"/>,
/// with expectations of every severity, and a gold model that has not been built.
/// </summary>
public sealed class TestCommandTests : IAsyncLifetime
{
    private const string Orders = """
        /* ---
        expectations:
          - not_null: [customer_id]
          - accepted_values: {column: status, values: [new, paid]}
            severity: warn
          - row_count: {min: 1}
        --- */
        SELECT * FROM bronze.orders
        """;

    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-test-command-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        Write("medallion.yml", "name: shop\nstorage: warehouse\n");
        Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/orders/*.csv\n    target: bronze.orders\n");
        Write("models/silver/orders.sql", Orders);
        Write("models/gold/revenue.sql", "/* ---\nexpectations:\n  - row_count: {min: 1}\n--- */\nSELECT count(*) AS orders FROM silver.orders\n");
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();
        await new DeltaWriter(connection).WriteAsync(
            Path.Combine(_project, "warehouse", "silver", "orders"),
            "SELECT * FROM (VALUES (1, 10, 'paid'), (2, NULL, 'new'), (3, 11, 'void'), (4, 12, 'void')) t(id, customer_id, status)");
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_project, recursive: true);
        return Task.CompletedTask;
    }

    private void Write(string relativePath, string text)
    {
        string path = Path.Combine(_project, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public async Task Test_prints_each_rule_with_its_outcome_and_exits_non_zero_when_a_fail_rule_broke()
    {
        Cli.Result result = await Cli.RunAsync("test", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        string[] lines = result.Output.Split('\n');
        Assert.Equal(" model         │ rule                    │ severity │ result    │ failing rows │ sample", lines[0]);
        Assert.Equal(" silver.orders │ not_null(customer_id)   │ fail     │ FAIL      │            1 │ {\"id\":2,\"customer_id\":null,\"status\":\"new\"}", lines[2].TrimEnd());
        Assert.Equal(" silver.orders │ accepted_values(status) │ warn     │ WARN      │            2 │ {\"id\":3,\"customer_id\":11,\"status\":\"void\"}", lines[3].TrimEnd());
        Assert.Equal(" silver.orders │ row_count               │ fail     │ pass      │            - │", lines[4].TrimEnd());
        Assert.Equal(" gold.revenue  │ -                       │ -        │ not built │              │ the table does not exist yet (medallion run builds it)", lines[5].TrimEnd());
        Assert.StartsWith("3 rules on 1 model: 1 passed, 1 failed, 0 quarantine, 1 warned; 1 not built. Run ", lines[6], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_records_the_results_in_the_catalog_under_a_new_run()
    {
        Cli.Result result = await Cli.RunAsync("test", "--project", _project, "--format", "json");

        using JsonDocument output = JsonDocument.Parse(result.Output);
        string runId = output.RootElement.GetProperty("run_id").GetString()!;
        await using CatalogStore catalog = await CatalogStore.OpenAsync(Path.Combine(_project, ".medallion", "catalog.db"));
        List<QualityResultRecord> records = await catalog.Quality.GetQualityResultsAsync(runId);
        Assert.Equal(
            ["accepted_values(status):warn:False:2", "not_null(customer_id):fail:False:1", "row_count:fail:True:0"],
            records.Select(r => $"{r.Rule}:{r.Severity}:{r.Passed}:{r.FailingRows}"));
        Assert.Equal(RunStatus.Failed, (await catalog.Runs.GetRunAsync(runId))!.Status);
    }

    [Fact]
    public async Task Test_in_json_reports_a_model_without_a_table_as_not_built()
    {
        Cli.Result result = await Cli.RunAsync("test", "--project", _project, "--format", "json", "--select", "gold.revenue");

        using JsonDocument output = JsonDocument.Parse(result.Output);
        JsonElement model = Assert.Single(output.RootElement.GetProperty("models").EnumerateArray());
        Assert.Equal("not_built", model.GetProperty("status").GetString());
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Test_exits_zero_when_only_warn_rules_broke_and_non_zero_with_strict()
    {
        Write("models/silver/orders.sql", Orders.Replace("  - not_null: [customer_id]\n", "  - not_null: [id]\n", StringComparison.Ordinal));

        Cli.Result relaxed = await Cli.RunAsync("test", "--project", _project, "--select", "silver.orders");
        Cli.Result strict = await Cli.RunAsync("test", "--project", _project, "--select", "silver.orders", "--strict");

        Assert.Equal(0, relaxed.ExitCode);
        Assert.Equal(1, strict.ExitCode);
    }

    [Fact]
    public async Task Test_reports_a_rule_on_a_missing_column_as_an_error_of_that_model()
    {
        Write("models/silver/orders.sql", Orders.Replace("not_null: [customer_id]", "not_null: [custmer_id]", StringComparison.Ordinal));

        Cli.Result result = await Cli.RunAsync("test", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(" silver.orders │ -    │ -        │ error     │              │ MDL7003", result.Output, StringComparison.Ordinal);
        Assert.Contains(
            "Error MDL7003: Model silver.orders, rule 'not_null(custmer_id)' (models/silver/orders.sql:3:5): column 'custmer_id' is not among the columns checked. Did you mean 'customer_id'? Available columns: id, customer_id, status.",
            result.Output, StringComparison.Ordinal);
    }
}
