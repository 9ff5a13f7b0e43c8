using Medallion.Catalog;
using Medallion.Platform.Observability;

namespace Medallion.Platform.Tests.Observability;

/// <summary>The pillars and anomalies of a table, read from a hand-written 30-day Delta log with a weekly pattern.</summary>
public sealed class TableObserverTests : IDisposable
{
    private static readonly TableName s_orders = new("bronze", "orders");
    private readonly GeneratedHistory _history = new();

    [Fact]
    public async Task The_detector_flags_the_dropped_load_and_the_late_load_and_not_the_weekend_dips()
    {
        DateTimeOffset now = GeneratedHistory.Start.AddDays(GeneratedHistory.Days - 1).AddHours(3);

        TableObservation observation = await TableObserver.ObserveAsync(_history.Table, s_orders, now);

        Assert.Equal(
            [(ObservedMetric.Volume, GeneratedHistory.VersionOf(GeneratedHistory.DroppedDay)), (ObservedMetric.Freshness, GeneratedHistory.VersionOf(GeneratedHistory.LateDay))],
            observation.Anomalies.Select(a => (a.Metric, a.Version!.Value)));
        Assert.True(observation.Anomalies[0].Score.Score < -3);
        Assert.All(observation.Anomalies, a => Assert.True(a.Score.Seasonal));
        Assert.Contains("late load at version 24: 1.3 d since the previous load", observation.Anomalies[1].Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_weekday_seasonality_the_weekend_dips_are_flagged_which_is_why_it_is_on()
    {
        DateTimeOffset now = GeneratedHistory.Start.AddDays(GeneratedHistory.Days - 1).AddHours(3);

        TableObservation observation = await TableObserver.ObserveAsync(_history.Table, s_orders, now, AnomalyOptions.Default with { WeekdaySeasonality = false });

        Assert.Contains(observation.Anomalies, a => a.Metric == ObservedMetric.Volume && GeneratedHistory.Start.AddDays(a.Version!.Value - 1).DayOfWeek == DayOfWeek.Saturday);
    }

    [Fact]
    public async Task A_table_that_has_waited_far_longer_than_usual_for_its_load_is_late_now()
    {
        DateTimeOffset now = GeneratedHistory.Start.AddDays(GeneratedHistory.Days + 1).AddHours(3);

        TableObservation observation = await TableObserver.ObserveAsync(_history.Table, s_orders, now);

        Anomaly pending = observation.Anomalies[^1];
        Assert.True(pending.Pending);
        Assert.Equal(ObservedMetric.Freshness, pending.Metric);
        Assert.Equal(49, Math.Round(pending.Score.Point.Value));
    }

    [Fact]
    public async Task The_pillars_come_from_the_log_freshness_volume_schema_changes_and_the_columns_nulls_and_bounds()
    {
        DateTimeOffset lastLoad = (await TableObserver.ObserveAsync(_history.Table, s_orders, DateTimeOffset.MaxValue)).LastDataChange!.Value;

        TableObservation observation = await TableObserver.ObserveAsync(_history.Table, s_orders, lastLoad.AddHours(5));

        Assert.Equal(GeneratedHistory.Days, observation.Version);
        Assert.Equal(TimeSpan.FromHours(5), observation.Age);
        Assert.Equal(observation.Commits.Sum(c => c.RowsAdded), observation.TotalRows);
        Assert.Equal(observation.TotalRows, observation.Commits[^1].TotalRows);
        Assert.Equal(observation.Commits[^1].RowsAdded, observation.RowsAddedLastLoad);
        SchemaChange change = Assert.Single(observation.SchemaChanges);
        Assert.Equal((GeneratedHistory.VersionOf(GeneratedHistory.SchemaDay), "+ discount double"), (change.Version, change.Describe()));
        Assert.Equal(["id", "note", "discount"], observation.Columns.Select(c => c.Column));
        ColumnDistribution note = observation.Columns[1];
        Assert.Equal(((string?)"\"a00\"", (string?)"\"z29\""), (note.Min, note.Max));
        Assert.InRange(note.NullFraction!.Value, 0.099, 0.1);
        Assert.Equal(((string?)"0", (long?)0), (observation.Columns[0].Min, observation.Columns[0].NullCount));
        // A column no file has statistics for: its nulls and bounds are unknown, never guessed.
        Assert.Equal(((long?)null, (string?)null, (string?)null), (observation.Columns[2].NullCount, observation.Columns[2].Min, observation.Columns[2].Max));
    }

    public void Dispose() => _history.Dispose();
}
