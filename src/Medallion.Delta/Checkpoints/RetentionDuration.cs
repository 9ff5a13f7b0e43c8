using System;
using System.Globalization;

namespace Medallion.Delta.Checkpoints;

/// <summary>
/// Parses retention durations: Delta's table-property form <c>interval 30 days</c> (units from microseconds to weeks)
/// and the short form <c>168h</c>, <c>7d</c>, <c>30m</c>, <c>45s</c>.
/// </summary>
public static class RetentionDuration
{
    /// <summary>How long log files are kept when <c>delta.logRetentionDuration</c> is not set (30 days).</summary>
    public static readonly TimeSpan DefaultLogRetention = TimeSpan.FromDays(30);

    /// <summary>How long removed data files are kept for VACUUM when <c>delta.deletedFileRetentionDuration</c> is not set (7 days).</summary>
    public static readonly TimeSpan DefaultDeletedFileRetention = TimeSpan.FromDays(7);

    /// <summary>Parses <paramref name="text"/> (<c>interval 30 days</c>, <c>168h</c>); false when it is not a duration.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string s = text.Trim().ToLowerInvariant();
        if (s.StartsWith("interval", StringComparison.Ordinal))
        {
            string[] parts = s["interval".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) || n < 0)
            {
                return false;
            }

            return TryUnit(parts[1].TrimEnd('s'), n, out duration);
        }

        int split = 0;
        while (split < s.Length && char.IsAsciiDigit(s[split]))
        {
            split++;
        }

        if (split == 0 || !long.TryParse(s.AsSpan(0, split), NumberStyles.Integer, CultureInfo.InvariantCulture, out long count))
        {
            return false;
        }

        return TryUnit(s[split..].Trim(), count, out duration);
    }

    private static bool TryUnit(string unit, long n, out TimeSpan duration)
    {
        duration = unit switch
        {
            "week" or "w" => TimeSpan.FromDays(7 * n),
            "day" or "d" => TimeSpan.FromDays(n),
            "hour" or "h" => TimeSpan.FromHours(n),
            "minute" or "min" or "m" => TimeSpan.FromMinutes(n),
            "second" or "sec" or "s" => TimeSpan.FromSeconds(n),
            "millisecond" or "ms" => TimeSpan.FromMilliseconds(n),
            "microsecond" => TimeSpan.FromMicroseconds(n),
            _ => TimeSpan.MinValue,
        };
        return duration != TimeSpan.MinValue;
    }

    /// <summary>The table property <paramref name="key"/> as a duration, or <paramref name="fallback"/>.</summary>
    public static TimeSpan FromProperty(System.Collections.Generic.IReadOnlyDictionary<string, string?> config, string key, TimeSpan fallback) =>
        config is null ? throw new ArgumentNullException(nameof(config)) :
        config.TryGetValue(key, out string? v) && TryParse(v, out TimeSpan d) ? d : fallback;
}
