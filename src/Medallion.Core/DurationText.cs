using System;
using System.Globalization;

namespace Medallion;

/// <summary>
/// Durations as people write them, the one form that project files, command-line options and Delta table properties
/// share: a number and a unit, e.g. <c>500ms</c>, <c>90s</c>, <c>1.5h</c>, <c>30 min</c>, <c>7d</c>, <c>2 weeks</c>.
/// </summary>
public static class DurationText
{
    /// <summary>Examples for help messages.</summary>
    public const string Examples = "90s, 30m, 24h, 7d or 2w";

    /// <summary>
    /// Reads a non-negative number (fractions allowed) followed by a unit: <c>us</c>, <c>ms</c>, <c>s</c>, <c>m</c>,
    /// <c>h</c>, <c>d</c>, <c>w</c>, or their names in singular or plural (<c>sec</c>, <c>min</c>, <c>hours</c>, ...),
    /// case-insensitive, with or without a space between. False when the text is anything else.
    /// </summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        ReadOnlySpan<char> s = text.AsSpan().Trim();
        int split = 0;
        while (split < s.Length && (char.IsAsciiDigit(s[split]) || s[split] == '.'))
        {
            split++;
        }

        if (split == 0
            || !double.TryParse(s[..split], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double amount)
            || UnitLength(s[split..].Trim().ToString().ToLowerInvariant()) is not { } unit)
        {
            return false;
        }

        double ticks = amount * unit.Ticks;
        if (ticks >= TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        duration = TimeSpan.FromTicks((long)Math.Round(ticks));
        return true;
    }

    /// <summary>
    /// A duration for people to read, in the largest unit it fills, with one decimal below ten of it (<c>850 ms</c>,
    /// <c>1.2 s</c>, <c>16 min</c>, <c>1.5 h</c>, <c>3 d</c>), in the form <see cref="TryParse"/> reads. Rounded down, so
    /// a duration just short of a unit never reads as that unit (59.97 s is <c>59 s</c>, not <c>60 s</c>).
    /// </summary>
    public static string Format(TimeSpan duration)
    {
        TimeSpan length = duration.Duration();
        (double amount, string unit) = length switch
        {
            { TotalDays: >= 1 } => (length.TotalDays, "d"),
            { TotalHours: >= 1 } => (length.TotalHours, "h"),
            { TotalMinutes: >= 1 } => (length.TotalMinutes, "min"),
            { TotalSeconds: >= 1 } => (length.TotalSeconds, "s"),
            _ => (length.TotalMilliseconds, "ms"),
        };
        double shown = amount >= 10 || unit == "ms" ? Math.Floor(amount) : Math.Floor(amount * 10) / 10;
        return (duration < TimeSpan.Zero ? "-" : string.Empty) + shown.ToString("0.#", CultureInfo.InvariantCulture) + " " + unit;
    }

    private static TimeSpan? UnitLength(string unit) => unit switch
    {
        "us" or "microsecond" or "microseconds" => TimeSpan.FromMicroseconds(1),
        "ms" or "millisecond" or "milliseconds" => TimeSpan.FromMilliseconds(1),
        "s" or "sec" or "secs" or "second" or "seconds" => TimeSpan.FromSeconds(1),
        "m" or "min" or "mins" or "minute" or "minutes" => TimeSpan.FromMinutes(1),
        "h" or "hr" or "hrs" or "hour" or "hours" => TimeSpan.FromHours(1),
        "d" or "day" or "days" => TimeSpan.FromDays(1),
        "w" or "week" or "weeks" => TimeSpan.FromDays(7),
        _ => null,
    };
}
