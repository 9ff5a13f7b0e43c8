using System;
using System.Collections.Generic;
using Medallion.Pipelines;

namespace Medallion.Server.Scheduling;

/// <summary>
/// Which fire times of a schedule to run. While the scheduler runs, every fire time that came due is run (a slow loop
/// never loses one). Catch-up applies only to the fire times missed while no scheduler ran, which are the ones due when
/// it starts: <see cref="CatchupPolicy.None"/> skips them, <see cref="CatchupPolicy.Last"/> runs the newest,
/// <see cref="CatchupPolicy.All"/> runs each (at most <see cref="MaxCatchup"/>, the newest). A job that was never
/// scheduled before starts with the first fire time after now: history before it existed is a backfill's job.
/// </summary>
internal static class SchedulePlanner
{
    /// <summary>The most fire times one catch-up plans (a minute schedule after a month away would be 43,200).</summary>
    public const int MaxCatchup = 1000;

    /// <param name="schedule">The job's schedule.</param>
    /// <param name="catchup">The job's catch-up policy.</param>
    /// <param name="lastFire">The newest fire time planned before (from the catalog, or this scheduler's memory); null when never.</param>
    /// <param name="now">The time now.</param>
    /// <param name="startup">True on the scheduler's first pass: what is due was missed while no scheduler ran.</param>
    /// <returns>The fire times to run, oldest first, and the newest fire time now accounted for (planned or skipped).</returns>
    public static (List<DateTimeOffset> Run, DateTimeOffset AccountedUntil) Plan(JobSchedule schedule, CatchupPolicy catchup, DateTimeOffset? lastFire, DateTimeOffset now, bool startup)
    {
        if (lastFire is not { } last)
        {
            return ([], now);
        }

        var due = new List<DateTimeOffset>();
        DateTimeOffset at = last;
        while (schedule.GetNextFireTime(at) is { } next && next <= now)
        {
            due.Add(next);
            at = next;
            if (due.Count > MaxCatchup)
            {
                due.RemoveAt(0);
            }
        }

        if (due.Count == 0)
        {
            return ([], last);
        }

        List<DateTimeOffset> run = !startup ? due : catchup switch
        {
            CatchupPolicy.None => [],
            CatchupPolicy.Last => [due[^1]],
            _ => due,
        };
        return (run, due[^1]);
    }

    /// <summary>How many fire times fall after <paramref name="after"/> up to and including <paramref name="until"/>, at most one more than a catch-up plans.</summary>
    public static int CountFireTimes(JobSchedule schedule, DateTimeOffset after, DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        int count = 0;
        DateTimeOffset at = after;
        while (count <= MaxCatchup && schedule.GetNextFireTime(at) is { } next && next <= until)
        {
            count++;
            at = next;
        }

        return count;
    }
}
