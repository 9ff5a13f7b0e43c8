using System;

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
        string s = text?.Trim() ?? string.Empty;
        if (s.StartsWith("interval", StringComparison.OrdinalIgnoreCase))
        {
            s = s["interval".Length..];
        }

        return DurationText.TryParse(s, out duration);
    }

    /// <summary>The table property <paramref name="key"/> as a duration, or <paramref name="fallback"/>.</summary>
    public static TimeSpan FromProperty(System.Collections.Generic.IReadOnlyDictionary<string, string?> config, string key, TimeSpan fallback) =>
        config is null ? throw new ArgumentNullException(nameof(config)) :
        config.TryGetValue(key, out string? v) && TryParse(v, out TimeSpan d) ? d : fallback;
}
