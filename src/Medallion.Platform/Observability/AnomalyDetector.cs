using System;
using System.Collections.Generic;
using System.Linq;

namespace Medallion.Platform.Observability;

/// <summary>Which way a value may stray to be an anomaly.</summary>
public enum AnomalyDirection
{
    /// <summary>Above or below the expected range.</summary>
    Both,

    /// <summary>Above only (a late load: a longer gap than usual).</summary>
    Spike,

    /// <summary>Below only.</summary>
    Drop,
}

/// <summary>One value of a metric series, at the time it was measured.</summary>
/// <param name="Time">When (a commit's time).</param>
/// <param name="Value">The value (rows added, hours since the previous load).</param>
/// <param name="Version">The table version the value belongs to, if any.</param>
public readonly record struct MetricPoint(DateTimeOffset Time, double Value, long? Version = null);

/// <summary>How one value compares with its training window.</summary>
/// <param name="Point">The value judged.</param>
/// <param name="Expected">The expected value: the training median, or the weekday's level plus the median residual.</param>
/// <param name="Spread">The robust standard deviation used (1.4826 × MAD of the residuals, never below the configured floor).</param>
/// <param name="Score">(value − expected) / spread: negative below, positive above.</param>
/// <param name="Seasonal">Whether the value was compared with its weekday's level.</param>
/// <param name="TrainingPoints">How many points the window held.</param>
public sealed record AnomalyScore(MetricPoint Point, double Expected, double Spread, double Score, bool Seasonal, int TrainingPoints)
{
    /// <summary>The lower bound of the expected range at the given sensitivity.</summary>
    public double Lower(double sensitivity) => Expected - (sensitivity * Spread);

    /// <summary>The upper bound of the expected range at the given sensitivity.</summary>
    public double Upper(double sensitivity) => Expected + (sensitivity * Spread);

    /// <summary>Whether the value lies outside the expected range in a direction that counts.</summary>
    public bool IsAnomaly(double sensitivity, AnomalyDirection direction) => direction switch
    {
        AnomalyDirection.Spike => Score > sensitivity,
        AnomalyDirection.Drop => Score < -sensitivity,
        _ => Math.Abs(Score) > sensitivity,
    };
}

/// <summary>
/// A robust anomaly score for metric series (rows per load, time between loads): the median and the median absolute
/// deviation of a training window, so one bad load in the window neither hides the next nor flags the normal ones the
/// way a mean and standard deviation would. With weekday seasonality each value is first compared with its weekday's
/// level (the median of the same weekday in the lookback), and the spread is that of the window's residuals: the
/// weekend dip moves the level, not the verdict.
/// </summary>
public static class AnomalyDetector
{
    private const double MadToSigma = 1.4826;

    /// <summary>Scores <paramref name="point"/> against the points of <paramref name="history"/> before it; null when there are too few to judge.</summary>
    /// <param name="history">The series; points at or after <paramref name="point"/>'s time are ignored.</param>
    /// <param name="point">The value to judge.</param>
    /// <param name="options">Window, seasonality and floor.</param>
    /// <param name="minimumSpread">The smallest spread in the metric's unit (one row, a minute).</param>
    /// <param name="windowEnd">Where the training window ends: the point's time unless given (a wait still going on is
    /// judged against the waits before the last load, however long ago that was).</param>
    public static AnomalyScore? Score(IReadOnlyList<MetricPoint> history, MetricPoint point, AnomalyOptions options, double minimumSpread, DateTimeOffset? windowEnd = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(options);
        DateTimeOffset end = windowEnd ?? point.Time;
        DateTimeOffset trainingStart = end - options.TrainingWindow;
        List<MetricPoint> training = history.Where(p => p.Time >= trainingStart && p.Time <= end && p.Time < point.Time).ToList();
        if (training.Count < options.MinTrainingPoints)
        {
            return null;
        }

        double expected;
        double[] residuals;
        bool seasonal = options.WeekdaySeasonality;
        if (seasonal)
        {
            DateTimeOffset lookbackStart = end - (options.SeasonalLookback > options.TrainingWindow ? options.SeasonalLookback : options.TrainingWindow);
            Dictionary<DayOfWeek, double> levels = history
                .Where(p => p.Time >= lookbackStart && p.Time <= end && p.Time < point.Time)
                .GroupBy(p => p.Time.UtcDateTime.DayOfWeek)
                .Where(g => g.Count() >= 2)
                .ToDictionary(g => g.Key, g => Median(g.Select(p => p.Value)));
            if (!levels.TryGetValue(point.Time.UtcDateTime.DayOfWeek, out double level))
            {
                // The weekly pattern is not known yet for this weekday: no verdict rather than a weekend flagged as a drop.
                return null;
            }

            residuals = training.Where(p => levels.ContainsKey(p.Time.UtcDateTime.DayOfWeek)).Select(p => p.Value - levels[p.Time.UtcDateTime.DayOfWeek]).ToArray();
            if (residuals.Length < options.MinTrainingPoints)
            {
                return null;
            }

            double center = Median(residuals);
            expected = level + center;
            residuals = residuals.Select(r => r - center).ToArray();
        }
        else
        {
            expected = Median(training.Select(p => p.Value));
            residuals = training.Select(p => p.Value - expected).ToArray();
        }

        double spread = Math.Max(MadToSigma * Median(residuals.Select(Math.Abs)), Math.Max(options.MinRelativeSpread * Math.Abs(expected), minimumSpread));
        return new AnomalyScore(point, expected, spread, (point.Value - expected) / spread, seasonal, training.Count);
    }

    /// <summary>Scores every point of <paramref name="series"/> against the points before it, oldest first; points that cannot be judged are left out.</summary>
    public static IReadOnlyList<AnomalyScore> ScoreAll(IReadOnlyList<MetricPoint> series, AnomalyOptions options, double minimumSpread)
    {
        ArgumentNullException.ThrowIfNull(series);
        var scores = new List<AnomalyScore>();
        foreach (MetricPoint point in series)
        {
            if (Score(series, point, options, minimumSpread) is { } score)
            {
                scores.Add(score);
            }
        }

        return scores;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }

        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
