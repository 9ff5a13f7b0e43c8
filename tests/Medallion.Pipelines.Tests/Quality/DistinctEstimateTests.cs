using Medallion.Pipelines.Quality;

namespace Medallion.Pipelines.Tests.Quality;

/// <summary>The distinct-value estimates the checker makes in its counting scan, on the values it was asked about.</summary>
public sealed class DistinctEstimateTests : IDisposable
{
    private readonly QualityFixture _data = new();

    public DistinctEstimateTests() =>
        _data.Execute("CREATE TABLE visits AS SELECT i AS id, CASE WHEN i % 4 = 0 THEN NULL ELSE i % 5000 END AS visitor FROM range(100000) t(i)");

    public void Dispose() => _data.Dispose();

    private async Task<QualityReport> CheckAsync(string items, params string[] columns) =>
        await ExpectationChecker.CheckAsync(_data.Connection, "visits", QualityFixture.Model, await QualityFixture.RulesAsync(items), "run-1", QualityFixture.Now, columns);

    [Fact]
    public async Task The_estimate_is_within_a_few_percent_and_leaves_nulls_out()
    {
        // i % 4 = 0 makes visitor NULL and leaves the 3,750 visitors whose number is not a multiple of 4.
        QualityReport report = await CheckAsync("  - not_null: [id]\n", "visitor");

        Assert.InRange(report.DistinctCounts["visitor"], 3_640, 3_860);
    }

    [Fact]
    public async Task Only_the_columns_asked_for_are_estimated()
    {
        QualityReport report = await CheckAsync("  - not_null: [id]\n", "ID");

        Assert.Equal(["id"], report.DistinctCounts.Keys);
        Assert.InRange(report.DistinctCounts["id"], 97_000, 103_000);
    }

    [Fact]
    public async Task Table_level_rules_alone_do_not_scan_the_rows_so_nothing_is_estimated()
    {
        QualityReport report = await CheckAsync("  - row_count: {min: 1}\n", "visitor");

        Assert.Empty(report.DistinctCounts);
    }

    [Fact]
    public async Task A_column_the_rows_do_not_have_is_refused_with_the_columns_they_have()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => CheckAsync("  - not_null: [id]\n", "visitor_id"));

        Assert.Contains("'visitor_id' is not a column of visits (id, visitor)", e.Message, StringComparison.Ordinal);
    }
}
