using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Cronos;

namespace Medallion.Pipelines;

/// <summary>
/// When a time-triggered job fires: a 5-field cron expression (or <c>@hourly</c>, <c>@daily</c>, <c>@weekly</c>,
/// <c>@monthly</c>, <c>@yearly</c>) read in an IANA time zone, or a fixed period (<c>every: 15m</c>) counted from the
/// Unix epoch in UTC so fire times do not move when the scheduler restarts.
/// </summary>
/// <remarks>
/// <para>Daylight saving time, for cron schedules: a local time that does not exist (the hour skipped when clocks go
/// forward) fires once, at the first existing instant after it (e.g. <c>30 2 * * *</c> in New York fires at 03:00 on
/// the day clocks skip 02:00-03:00). A local time that happens twice (the hour repeated when clocks go back) fires
/// once, at its first occurrence; so <c>@hourly</c> does not fire in the repeated hour, and the run after it covers
/// two hours of real time.</para>
/// <para>The data interval of a fire time is from the previous fire time to it: consecutive runs cover time with no
/// gap and no overlap, whatever the clocks did.</para>
/// </remarks>
public sealed class JobSchedule
{
    /// <summary>The aliases a cron schedule may be written as.</summary>
    public static IReadOnlyList<string> Aliases { get; } = ["@hourly", "@daily", "@weekly", "@monthly", "@yearly"];

    private static readonly TimeSpan[] s_lookbacks = [TimeSpan.FromHours(2), TimeSpan.FromDays(2), TimeSpan.FromDays(63), TimeSpan.FromDays(800), TimeSpan.FromDays(3000)];

    private readonly CronExpression? _cron;

    private JobSchedule(string text, CronExpression? cron, TimeSpan? every, TimeZoneInfo timeZone)
    {
        Text = text;
        _cron = cron;
        Every = every;
        TimeZone = timeZone;
    }

    /// <summary>The schedule as written: the cron expression or alias, or the period (e.g. <c>every 15m</c>).</summary>
    public string Text { get; }

    /// <summary>The fixed period of an <c>every:</c> schedule; null for cron schedules.</summary>
    public TimeSpan? Every { get; }

    /// <summary>The time zone cron fields are read in (UTC for <c>every:</c> schedules).</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>Reads a cron expression or alias in an IANA time zone.</summary>
    /// <param name="cron">5 fields (minute hour day-of-month month day-of-week) or an alias of <see cref="Aliases"/>.</param>
    /// <param name="timeZone">An IANA zone id such as <c>America/Sao_Paulo</c>.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.JobScheduleInvalid"/>: the expression or zone is not valid; the message says why and what was expected.</exception>
    public static JobSchedule Cron(string cron, string timeZone = "UTC")
    {
        ArgumentNullException.ThrowIfNull(cron);
        ArgumentNullException.ThrowIfNull(timeZone);
        TimeZoneInfo zone = FindTimeZone(timeZone);
        string text = cron.Trim();
        if (text.StartsWith('@') && !Aliases.Contains(text, StringComparer.OrdinalIgnoreCase))
        {
            throw new MedallionException(ErrorCode.JobScheduleInvalid, $"'{text}' is not a schedule alias.{NameSuggester.DidYouMean(text, Aliases)} Expected one of: {string.Join(", ", Aliases)}, or 5 cron fields.");
        }

        int fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (!text.StartsWith('@') && fields != 5)
        {
            throw new MedallionException(ErrorCode.JobScheduleInvalid, $"'{text}' has {fields} field{(fields == 1 ? "" : "s")}. Expected 5 cron fields (minute hour day-of-month month day-of-week), e.g. '0 2 * * *', or one of: {string.Join(", ", Aliases)}.");
        }

        try
        {
            return new JobSchedule(text, CronExpression.Parse(text.ToLowerInvariant(), CronFormat.Standard), null, zone);
        }
        catch (CronFormatException exception)
        {
            throw new MedallionException(ErrorCode.JobScheduleInvalid, $"'{text}' is not a valid cron expression: {exception.Message.TrimEnd('.')}. Expected 5 cron fields (minute 0-59, hour 0-23, day-of-month 1-31, month 1-12, day-of-week 0-6), e.g. '0 2 * * *'.", exception);
        }
    }

    /// <summary>A fixed period, fired at every multiple of it since the Unix epoch (UTC).</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.JobScheduleInvalid"/>: the period is shorter than a second.</exception>
    public static JobSchedule Period(TimeSpan every) => every >= TimeSpan.FromSeconds(1)
        ? new JobSchedule($"every {Format(every)}", null, every, TimeZoneInfo.Utc)
        : throw new MedallionException(ErrorCode.JobScheduleInvalid, $"a period of {every} is too short. Expected at least 1s.");

    /// <summary>The IANA time zone with that id.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.JobScheduleInvalid"/> with the closest known zone when none has that id.</exception>
    public static TimeZoneInfo FindTimeZone(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (TimeZoneInfo.TryFindSystemTimeZoneById(id, out TimeZoneInfo? zone))
        {
            return zone;
        }

        IEnumerable<string> known = TimeZoneInfo.GetSystemTimeZones().Select(z => z.Id);
        throw new MedallionException(ErrorCode.JobScheduleInvalid, $"no time zone is named '{id}'.{NameSuggester.DidYouMean(id, known)} Expected an IANA zone such as UTC, Europe/Berlin or America/Sao_Paulo.");
    }

    /// <summary>The first fire time strictly after <paramref name="after"/>, or null when there is none (a cron date that never comes).</summary>
    public DateTimeOffset? GetNextFireTime(DateTimeOffset after)
    {
        if (Every is { } every)
        {
            long periods = Math.DivRem(after.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks, every.Ticks, out long rest);
            long next = rest < 0 ? periods : periods + 1;
            return DateTimeOffset.UnixEpoch.AddTicks(next * every.Ticks);
        }

        DateTimeOffset from = after;
        int behind = 0;
        while (_cron!.GetNextOccurrence(from, TimeZone) is { } next)
        {
            if (next <= after)
            {
                // The zone's rules led the cron library to a time that is not after the one asked (seen for a zone whose
                // offset changes for good at a minute no rule names): every caller walks fire times forward, and one that
                // went back would plan the same times for ever. Ask again past the muddle, a minute at a time.
                if (++behind > MaxMinutesBehind)
                {
                    throw new MedallionException(ErrorCode.JobScheduleInvalid,
                        $"the schedule '{Text}' in time zone {TimeZone.Id} has no fire time after {after.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z that the zone's rules can place (its next ones fall before it). Help: check the zone's data, or use UTC.");
                }

                from = (from > after ? from : after).AddMinutes(1);
                continue;
            }

            if (!IsRepeat(next))
            {
                return next.ToUniversalTime();
            }

            from = next;
        }

        return null;
    }

    // A day of minutes: the longest stretch a zone's change (an offset that moves by hours) could muddle.
    private const int MaxMinutesBehind = 24 * 60;

    /// <summary>The last fire time strictly before <paramref name="before"/>, or null when there is none.</summary>
    public DateTimeOffset? GetPreviousFireTime(DateTimeOffset before)
    {
        if (Every is { } every)
        {
            long periods = Math.DivRem(before.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks, every.Ticks, out long rest);
            long previous = rest > 0 ? periods : periods - 1;
            return DateTimeOffset.UnixEpoch.AddTicks(previous * every.Ticks);
        }

        // Walk forward from ever earlier points rather than asking the library backwards: its backward walk answers the
        // last instant before a skipped hour, which is not a fire time. Forward steps depend only on where they start,
        // so this is exactly the fire time whose next one is the first at or after `before`.
        foreach (TimeSpan lookback in s_lookbacks)
        {
            DateTimeOffset? previous = null;
            DateTimeOffset at = before - lookback;
            while (GetNextFireTime(at) is { } next && next < before)
            {
                previous = next;
                at = next;
            }

            if (previous is not null)
            {
                return previous;
            }
        }

        return null;
    }

    /// <summary>The data interval a run at <paramref name="fireTime"/> covers: from the previous fire time to it.</summary>
    public (DateTimeOffset Start, DateTimeOffset End) GetDataInterval(DateTimeOffset fireTime) =>
        (GetPreviousFireTime(fireTime) ?? fireTime, fireTime.ToUniversalTime());

    /// <inheritdoc/>
    public override string ToString() => Every is null && TimeZone != TimeZoneInfo.Utc ? $"{Text} ({TimeZone.Id})" : Text;

    /// <summary>
    /// True for the second occurrence of a repeated local time: it is ambiguous and carries the smaller of its two
    /// offsets (clocks went back, so the larger offset came first and has fired already).
    /// </summary>
    private bool IsRepeat(DateTimeOffset occurrence)
    {
        DateTime local = occurrence.DateTime;
        return TimeZone.IsAmbiguousTime(local) && occurrence.Offset == TimeZone.GetAmbiguousTimeOffsets(local).Min();
    }

    private static string Format(TimeSpan span) =>
        span.TotalDays >= 1 && span.Ticks % TimeSpan.TicksPerDay == 0 ? $"{span.TotalDays.ToString(CultureInfo.InvariantCulture)}d"
        : span.TotalHours >= 1 && span.Ticks % TimeSpan.TicksPerHour == 0 ? $"{span.TotalHours.ToString(CultureInfo.InvariantCulture)}h"
        : span.TotalMinutes >= 1 && span.Ticks % TimeSpan.TicksPerMinute == 0 ? $"{span.TotalMinutes.ToString(CultureInfo.InvariantCulture)}m"
        : $"{span.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";
}
