using System.Text.Json;
using Medallion.Platform.Tests.Observability;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion monitor</c> over a project whose bronze table holds a hand-written 30-day history.</summary>
public sealed class MonitorCommandTests : IDisposable
{
    private readonly TempDirectory _project = new("monitor");
    private readonly GeneratedHistory _history;

    public MonitorCommandTests()
    {
        File.WriteAllText(Path.Combine(_project.Path, "medallion.yml"), "name: shop\nstorage: lake\n");
        _history = new GeneratedHistory(Path.Combine(_project.Path, "lake", "bronze", "orders"));
    }

    [Fact]
    public async Task Json_lists_the_pillars_and_the_dropped_and_late_loads_and_that_the_table_is_late_now()
    {
        Cli.Result result = await Cli.RunAsync("monitor", "orders", "--format", "json", "--project", _project.Path);

        Assert.True(result.ExitCode == 0, result.Error);
        JsonElement table = Assert.Single(JsonDocument.Parse(result.Output).RootElement.EnumerateArray().ToList());
        Assert.Equal(("bronze.orders", 30), (table.GetProperty("table").GetString(), table.GetProperty("version").GetInt32()));
        Assert.Equal("+ discount double", "+ " + table.GetProperty("schema_changes")[0].GetProperty("added")[0].GetString());
        Assert.Equal("\"a00\"", table.GetProperty("columns")[1].GetProperty("min").GetRawText());
        // The history ended in March 2026; the clock of the test is later, so the table is late now as well.
        Assert.Equal(
            [("volume", "18", false), ("freshness", "24", false), ("freshness", "", true)],
            table.GetProperty("anomalies").EnumerateArray().Select(a => (a.GetProperty("metric").GetString()!, a.GetProperty("version").ToString(), a.GetProperty("pending").GetBoolean())));
    }

    [Fact]
    public async Task Text_shows_each_pillar_and_the_anomalies_for_people()
    {
        Cli.Result result = await Cli.RunAsync("monitor", "--project", _project.Path);

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("bronze.orders  version 30", result.Output, StringComparison.Ordinal);
        Assert.Contains("  schema        changes:\n                version 11 at 2026-03-12 ", result.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("volume drop at version 18: 1,200 rows, expected about ", result.Output, StringComparison.Ordinal);
        Assert.Contains("(1 table, 1 with anomalies)", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_says_how_long_ago_the_last_load_was_in_days_once_it_is_days()
    {
        Cli.Result result = await Cli.RunAsync("monitor", "--project", _project.Path);

        // The history ended in March 2026, months before the test's clock.
        Assert.Matches(@"(?m)^  freshness     last load 2026-03-\d\d \d\d:\d\d:\d\d \(\d+ d ago\)$", result.Output);
    }

    [Fact]
    public async Task Json_shows_the_distinct_values_a_run_estimated_for_each_column_within_a_few_percent()
    {
        using var project = new TempDirectory("monitor-distinct");
        File.WriteAllText(Path.Combine(project.Path, "medallion.yml"), "name: shop\nstorage: lake\n");
        Directory.CreateDirectory(Path.Combine(project.Path, "models", "silver"));
        File.WriteAllText(
            Path.Combine(project.Path, "models", "silver", "visits.sql"),
            "/* ---\nexpectations:\n  - not_null: [visitor]\n--- */\nSELECT i AS id, i % 1000 AS visitor FROM range(20000) t(i)\n");
        Cli.Result run = await Cli.RunAsync("run", "--project", project.Path);
        Assert.True(run.ExitCode == 0, run.Output + run.Error);

        Cli.Result result = await Cli.RunAsync("monitor", "silver.visits", "--format", "json", "--project", project.Path);

        Assert.True(result.ExitCode == 0, result.Error);
        JsonElement table = Assert.Single(JsonDocument.Parse(result.Output).RootElement.EnumerateArray().ToList());
        Assert.Equal(0, table.GetProperty("distinct_counts_version").GetInt64());
        Dictionary<string, long> estimates = table.GetProperty("columns").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("approx_distinct").GetInt64());
        Assert.InRange(estimates["id"], 19_400, 20_600);
        Assert.InRange(estimates["visitor"], 970, 1_030);
    }

    public void Dispose()
    {
        _history.Dispose();
        _project.Dispose();
    }
}
