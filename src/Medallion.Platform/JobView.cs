using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using Medallion.Pipelines;

namespace Medallion.Platform;

/// <summary>A job as the server runs it: its definition, whether it is paused now, and its next fire times.</summary>
/// <param name="Name">The job.</param>
/// <param name="Select">Its model selection, or null for sources only.</param>
/// <param name="Sources">The sources it ingests first.</param>
/// <param name="Schedule">Its schedule as written (cron or alias, with the time zone), or null.</param>
/// <param name="TimeZone">The IANA time zone its schedule is read in (UTC for <c>every:</c> and for jobs without a schedule): the zone a backfill's dates mean.</param>
/// <param name="OnNewData">Tables whose new versions, and file sources whose new files, trigger it.</param>
/// <param name="After">Jobs whose success triggers it.</param>
/// <param name="Catchup">What it does about runs missed while the server was down.</param>
/// <param name="MaxActiveRuns">How many of its runs may be under way at once.</param>
/// <param name="Paused">Whether it plans no runs now (paused in its file, or paused at run time).</param>
/// <param name="NextRuns">Its next five fire times, in UTC; empty when paused or without a schedule.</param>
/// <param name="Location">Where it is defined.</param>
public sealed record JobView(
    string Name, string? Select, IReadOnlyList<string> Sources, string? Schedule, string TimeZone, IReadOnlyList<string> OnNewData, IReadOnlyList<string> After,
    CatchupPolicy Catchup, int MaxActiveRuns, bool Paused, IReadOnlyList<DateTimeOffset> NextRuns, string Location)
{
    /// <summary>The job as it is now: paused at run time or in its file, and its next five fire times after <paramref name="now"/>.</summary>
    /// <param name="job">Its definition.</param>
    /// <param name="state">Its run-time state in the catalog; null when it has none.</param>
    /// <param name="now">The time the next fire times follow.</param>
    public static JobView Of(JobDefinition job, JobState? state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        bool paused = state?.Paused ?? job.Paused;
        var next = new List<DateTimeOffset>();
        DateTimeOffset after = now;
        while (!paused && job.Schedule is not null && next.Count < 5 && job.Schedule.GetNextFireTime(after) is { } fire)
        {
            next.Add(fire);
            after = fire;
        }

        return new JobView(
            job.Name, job.Select, job.Sources, job.Schedule?.ToString(), job.Schedule?.TimeZone.Id ?? TimeZoneInfo.Utc.Id, [.. job.OnNewData.Select(t => t.ToString()).Concat(job.OnNewFiles)], job.After,
            job.Catchup, job.MaxActiveRuns, paused, next, job.Location.ToString());
    }
}
