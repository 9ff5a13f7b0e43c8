using Medallion.Catalog;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests;
using Medallion.Platform.Observability;

namespace Medallion.Platform.Tests.Observability;

/// <summary>
/// The distinct-count estimates a model build makes in its quality scan, recorded in its commit and read back by the
/// observer: 20,000 visits of 1,000 visitors over 50 pages, built by the real runner.
/// </summary>
public sealed class DistinctCountTests : IDisposable
{
    private static readonly TableName s_visits = new("silver", "visits");
    private const string Visits = "SELECT i AS id, i % 1000 AS visitor, 'page ' || (i % 50) AS page FROM range(20000) t(i)";
    private readonly TestProject _project = new("name: shop\nstorage: lake\n");

    [Fact]
    public async Task A_full_build_checked_by_a_rule_records_each_columns_distinct_values_within_a_few_percent()
    {
        Model("expectations:\n  - not_null: [id]\n");
        await RunAsync();

        TableObservation observation = await ObserveAsync();

        Assert.Equal((long?)0, observation.DistinctCountsVersion);
        Assert.InRange(Estimate(observation, "id"), 19_400, 20_600);
        Assert.InRange(Estimate(observation, "visitor"), 970, 1_030);
        Assert.InRange(Estimate(observation, "page"), 48, 52);
    }

    [Fact]
    public async Task Rows_a_quarantine_rule_sets_aside_are_not_counted_as_they_are_not_committed()
    {
        Model("expectations:\n  - expression: visitor < 900\n    severity: quarantine\n");
        await RunAsync();

        TableObservation observation = await ObserveAsync();

        Assert.InRange(Estimate(observation, "visitor"), 873, 927);
    }

    [Fact]
    public async Task An_incremental_append_records_none_so_the_observation_keeps_the_full_builds_and_names_its_version()
    {
        Model("materialized: append\nexpectations:\n  - not_null: [id]\n");
        await RunAsync();
        await RunAsync();

        TableObservation observation = await ObserveAsync();

        Assert.Equal((1L, (long?)0), (observation.Version, observation.DistinctCountsVersion));
        Assert.InRange(Estimate(observation, "visitor"), 970, 1_030);
    }

    [Fact]
    public async Task A_model_without_rules_is_not_scanned_so_it_records_no_estimate()
    {
        Model("description: Visits, unchecked.\n");
        await RunAsync();

        TableObservation observation = await ObserveAsync();

        Assert.Null(observation.DistinctCountsVersion);
        Assert.All(observation.Columns, c => Assert.Null(c.ApproxDistinct));
    }

    private void Model(string config) => _project.Write("models/silver/visits.sql", $"/* ---\n{config}--- */\n{Visits}\n");

    private async Task RunAsync()
    {
        RunResult result = await ProjectRunner.RunAsync(await _project.LoadAsync(), new RunOptions());
        Assert.True(result.Succeeded, string.Join("; ", result.Steps.Select(s => s.Error)));
    }

    private async Task<TableObservation> ObserveAsync()
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_project.Directory);
        return Assert.Single(await lakehouse.ObserveAsync(s_visits, DateTimeOffset.UtcNow));
    }

    private static long Estimate(TableObservation observation, string column) =>
        observation.Columns.Single(c => c.Column == column).ApproxDistinct ?? throw new Xunit.Sdk.XunitException($"No estimate for {column}.");

    public void Dispose()
    {
        // SQLite keeps pooled connections open, which would keep the catalog file from being deleted.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _project.Dispose();
    }
}
