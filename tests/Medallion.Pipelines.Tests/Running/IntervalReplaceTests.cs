using Medallion.Catalog;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

/// <summary>
/// <c>interval_column</c>: a run that carries a data interval replaces that interval's rows of the model's table in one
/// commit (Delta replaceWhere), so re-running an interval never counts its rows twice, and a failed one commits nothing.
/// </summary>
public sealed class IntervalReplaceTests : IDisposable
{
    private const string DailyConfig = "materialized: append\ninterval_column: day";
    private const string DailySql =
        "SELECT id, day FROM bronze.events WHERE day >= getvariable('interval_start') AND day < getvariable('interval_end')";

    private static readonly TableName s_daily = new("silver", "daily");
    private readonly RunProject _project = new("events");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task Rerunning_an_interval_replaces_its_rows_in_one_commit_and_leaves_the_other_intervals_alone()
    {
        await _project.AppendAsync("bronze.events", "SELECT * FROM (VALUES (1, DATE '2026-01-01'), (2, DATE '2026-01-01'), (3, DATE '2026-01-02')) t(id, day)");
        _project.Model("silver.daily", DailySql, DailyConfig);
        await RunDayAsync(1);
        await RunDayAsync(2);
        long before = await _project.VersionAsync("silver.daily");
        await _project.AppendAsync("bronze.events", "SELECT 4 AS id, DATE '2026-01-01' AS day");

        RunResult again = await RunDayAsync(1);

        Assert.True(again.Succeeded, again[s_daily].Error);
        Assert.Equal((RunMode.Full, before + 1), (again[s_daily].Mode, again[s_daily].CommittedVersion));
        Assert.Contains("replaced the rows with day in [2026-01-01 00:00:00Z, 2026-01-02 00:00:00Z)", again[s_daily].Notes);
        Assert.Equal(["2026-01-01|3", "2026-01-02|1"], await _project.QueryAsync("SELECT CAST(day AS VARCHAR), count(*) FROM silver.daily GROUP BY day ORDER BY day"));
        Assert.Equal(["1", "2", "3", "4"], await _project.QueryAsync("SELECT id FROM silver.daily ORDER BY id"));
    }

    [Fact]
    public async Task A_failed_interval_commits_nothing_and_keeps_the_intervals_rows()
    {
        await _project.AppendAsync("bronze.events", "SELECT * FROM (VALUES (1, DATE '2026-01-01'), (2, DATE '2026-01-02')) t(id, day)");
        _project.Model("silver.daily", DailySql + " AND (getvariable('fail') IS NULL OR error('asked to fail') IS NULL)", DailyConfig);
        await RunDayAsync(1);
        await RunDayAsync(2);
        long before = await _project.VersionAsync("silver.daily");

        RunResult failed = await RunDayAsync(1, fail: true);

        Assert.Equal((RunStatus.Failed, ErrorCode.RunModelFailed), (failed.Status, failed[s_daily].ErrorCode));
        Assert.Contains("asked to fail", failed[s_daily].Error, StringComparison.Ordinal);
        Assert.Equal(before, await _project.VersionAsync("silver.daily"));
        Assert.Equal(["1|2026-01-01", "2|2026-01-02"], await _project.QueryAsync("SELECT id, CAST(day AS VARCHAR) FROM silver.daily ORDER BY id"));
    }

    [Fact]
    public async Task A_result_with_rows_outside_the_interval_fails_naming_the_column_and_commits_nothing()
    {
        await _project.AppendAsync("bronze.events", "SELECT * FROM (VALUES (1, DATE '2026-01-01'), (2, DATE '2026-01-02')) t(id, day)");
        _project.Model("silver.daily", "SELECT id, day FROM bronze.events", DailyConfig);

        RunResult run = await RunDayAsync(1);

        Assert.Equal(ErrorCode.RunResultInvalid, run[s_daily].ErrorCode);
        Assert.Equal(
            "MDL6103: models/silver/daily.sql: model silver.daily (append): 1 row(s) have day outside the run's data interval [DATE '2026-01-01', DATE '2026-01-02') or null; nothing was committed.\n" +
            "Help: keep only the interval's rows: WHERE day >= getvariable('interval_start') AND day < getvariable('interval_end').",
            run[s_daily].Error);
        Assert.False(Directory.Exists(Path.Combine(_project.Location("silver.daily"), "_delta_log")));
    }

    [Fact]
    public async Task An_interval_column_the_select_does_not_return_fails_the_model()
    {
        await _project.AppendAsync("bronze.events", "SELECT 1 AS id, DATE '2026-01-01' AS day");
        _project.Model("silver.daily", "SELECT id FROM bronze.events", "materialized: append\ninterval_column: event_day");

        RunResult run = await RunDayAsync(1);

        Assert.Equal(
            "MDL6103: models/silver/daily.sql: model silver.daily (append): interval_column names 'event_day', which the model's SELECT does not return (it returns id); nothing was committed.\n" +
            "Help: add the column to the SELECT or fix interval_column.",
            run[s_daily].Error);
    }

    [Fact]
    public async Task A_run_without_an_interval_writes_as_the_materialization_says()
    {
        await _project.AppendAsync("bronze.events", "SELECT * FROM (VALUES (1, DATE '2026-01-01'), (2, DATE '2026-01-02')) t(id, day)");
        _project.Model("silver.daily", "SELECT id, day FROM bronze.events", DailyConfig);

        RunResult run = await _project.RunAsync(new RunOptions { Select = "silver.daily" });

        Assert.True(run.Succeeded, run[s_daily].Error);
        Assert.Equal(["1", "2"], await _project.QueryAsync("SELECT id FROM silver.daily ORDER BY id"));
    }

    private Task<RunResult> RunDayAsync(int day, bool fail = false)
    {
        var start = new DateTimeOffset(2026, 1, day, 0, 0, 0, TimeSpan.Zero);
        var variables = new Dictionary<string, object?> { ["interval_start"] = start, ["interval_end"] = start.AddDays(1) };
        if (fail)
        {
            variables["fail"] = "yes";
        }

        return _project.RunAsync(new RunOptions { Select = "silver.daily", Variables = variables });
    }
}
