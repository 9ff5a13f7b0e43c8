using System;

namespace Medallion.Platform.Observability;

/// <summary>
/// How volume and freshness anomalies are found. The defaults match or beat Elementary's anomaly tests: a 14-day
/// training window, a threshold of 3 (robust) standard deviations, at least 7 training points, drops and spikes of
/// volume, and same-weekday seasonality once two weeks of history show each weekday twice.
/// </summary>
public sealed record AnomalyOptions
{
    /// <summary>The default options.</summary>
    public static AnomalyOptions Default { get; } = new();

    /// <summary>How far back the points a value is compared with reach.</summary>
    public TimeSpan TrainingWindow { get; init; } = TimeSpan.FromDays(14);

    /// <summary>How many robust standard deviations (1.4826 × the median absolute deviation) away from the expected value an anomaly is.</summary>
    public double Sensitivity { get; init; } = 3.0;

    /// <summary>The fewest training points a verdict needs; fewer and the value is not judged.</summary>
    public int MinTrainingPoints { get; init; } = 7;

    /// <summary>
    /// Whether a value is compared with the same weekday's level (Mondays with Mondays), so that a normal weekend dip is
    /// not an anomaly. The weekday levels come from <see cref="SeasonalLookback"/>; a weekday seen fewer than twice there
    /// has no level yet and its value is not judged.
    /// </summary>
    public bool WeekdaySeasonality { get; init; } = true;

    /// <summary>How far back the same-weekday levels reach (four weeks: up to four points per weekday).</summary>
    public TimeSpan SeasonalLookback { get; init; } = TimeSpan.FromDays(28);

    /// <summary>
    /// The smallest spread, as a fraction of the expected value: a series that barely moves (a load of exactly 1,000
    /// rows every day) has a spread near zero, where any change would be an anomaly; with 2% and a sensitivity of 3, a
    /// change has to exceed 6% to count.
    /// </summary>
    public double MinRelativeSpread { get; init; } = 0.02;
}
