using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion run</c> over a project whose bronze table the test writes with <c>medallion delta write</c>.</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-run-project-" + Guid.NewGuid().ToString("N"));

    public RunCommandTests()
    {
        Write("medallion.yml", "name: shop\n");
        Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/*.csv\n    target: bronze.orders\n");
        Write("models/silver/orders.sql", "/* ---\nmaterialized: append\n--- */\nSELECT id, amount FROM bronze.orders");
        Write("models/gold/revenue.sql", "SELECT sum(amount) AS revenue FROM silver.orders");
    }

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private void Write(string path, string text)
    {
        string full = Path.Combine(_project, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private Task<Cli.Result> AppendBronzeAsync(string rows) =>
        Cli.RunAsync("delta", "write", Path.Combine(_project, "warehouse", "bronze", "orders"), "--from", rows);

    [Fact]
    public async Task Run_prints_a_line_per_step_event_and_a_summary_and_exits_zero()
    {
        await AppendBronzeAsync("SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");

        Cli.Result result = await Cli.RunAsync("run", "--project", _project, "--threads", "2");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"(?m)^\d\d:\d\d:\d\d silver\.orders \(model\) succeeded full 2 rows v0 \d+(\.\d)? (ms|s|min)$", result.Output);
        Assert.Matches(@"(?m)^gold\.revenue\s+model\s+succeeded\s+full\s+1\s+v0\s", result.Output);
        Assert.Matches(@"(?m)^Run [0-9a-f]{32} succeeded in \d+(\.\d)? (ms|s|min): 3 succeeded, 0 failed, 0 skipped, 0 cancelled\.$", result.Output);
    }

    [Fact]
    public async Task Run_with_format_json_prints_the_result_with_the_upstream_versions_each_model_read()
    {
        await AppendBronzeAsync("SELECT 1 AS id, 10 AS amount");
        await Cli.RunAsync("run", "--project", _project);
        await AppendBronzeAsync("SELECT 2 AS id, 20 AS amount");

        Cli.Result result = await Cli.RunAsync("run", "--project", _project, "--format", "json", "--select", "silver.orders");

        Assert.Equal(0, result.ExitCode);
        using JsonDocument json = JsonDocument.Parse(result.Output);
        Assert.Equal("succeeded", json.RootElement.GetProperty("status").GetString());
        JsonElement silver = json.RootElement.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("table").GetString() == "silver.orders");
        Assert.Equal(("incremental", 1L, 1L), (silver.GetProperty("mode").GetString(), silver.GetProperty("rows_written").GetInt64(), silver.GetProperty("committed_version").GetInt64()));
        Assert.Equal(1, silver.GetProperty("upstream_versions").GetProperty("bronze.orders").GetInt64());
    }

    [Fact]
    public async Task Run_exits_one_and_names_the_failed_model_and_the_skipped_ones()
    {
        await AppendBronzeAsync("SELECT 1 AS id, 10 AS amount");
        Write("models/silver/orders.sql", "SELECT id, amount / 0 + 'x' AS amount FROM bronze.orders");

        Cli.Result result = await Cli.RunAsync("run", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"(?m)^silver\.orders\s+model\s+failed\s", result.Output);
        Assert.Matches(@"(?m)^gold\.revenue\s+model\s+skipped\s.*not run: silver\.orders failed$", result.Output);
        Assert.Contains("silver.orders failed:\n  MDL6101: models/silver/orders.sql: model silver.orders failed in DuckDB:", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_a_selection_that_matches_nothing_exits_one_with_a_suggestion()
    {
        Cli.Result result = await Cli.RunAsync("run", "--project", _project, "--select", "silver.ordrs");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL6008: Selection 'silver.ordrs': no model or source is named 'silver.ordrs'.", result.Error, StringComparison.Ordinal);
    }
}
