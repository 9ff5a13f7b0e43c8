using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using Medallion.Pipelines;

namespace Medallion.Server.Scheduling;

/// <summary>
/// Decides what one planning pass queues, from what the scheduler knows and the clock: the fire times that came due
/// (with catch-up for what no scheduler planned, see <see cref="SchedulePlanner"/>), <c>on_new_data</c> jobs whose watched tables
/// have new versions, and jobs whose watched file sources have files not seen pending before. It reads nothing and
/// writes nothing: the scheduler gathers the versions and pending files, queues the runs, and keeps what the plan says.
/// </summary>
internal static class RunPlanner
{
    /// <summary>Plans one pass.</summary>
    public static RunPlan Plan(PlanningInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var plan = new RunPlan();
        PlanScheduled(input, plan);
        // A data run still waiting covers what comes meanwhile: it reads the tables and lists the files when it starts.
        var waiting = input.Queued.Where(r => r.Trigger == RunTrigger.Data && r.Job is not null).Select(r => r.Job!).ToHashSet(StringComparer.Ordinal);
        PlanData(input, plan, waiting);
        PlanNewFiles(input, plan, waiting);
        return plan;
    }

    /// <summary>Plans the fire times that came due; the next wake time is the earliest next fire time of any job.</summary>
    private static void PlanScheduled(PlanningInput input, RunPlan plan)
    {
        DateTimeOffset now = input.Now;
        foreach (JobDefinition job in input.Jobs.Where(j => j.Schedule is not null))
        {
            if (IsPaused(input, job))
            {
                // Fire times pass unplanned while a job is paused; unpausing does not replay them.
                plan.FireTimesAccounted[job.Name] = now;
                continue;
            }

            DateTimeOffset last = input.LastFire.TryGetValue(job.Name, out DateTimeOffset known) ? known : now;
            bool catchingUp = input.CatchingUp.Contains(job.Name);
            (List<DateTimeOffset> run, DateTimeOffset accounted) = SchedulePlanner.Plan(job.Schedule!, job.Catchup, last, now, catchingUp);
            if (catchingUp && accounted > last && SchedulePlanner.CountFireTimes(job.Schedule!, last, accounted) - run.Count is > 0 and int missed)
            {
                plan.MissedSchedules[job.Name] = missed;
            }

            foreach (DateTimeOffset fire in run)
            {
                (DateTimeOffset start, DateTimeOffset end) = job.Schedule!.GetDataInterval(fire);
                plan.Scheduled.Add(new RunStart(job.Name, RunTrigger.Schedule, job.Select, start, end, input.Holder));
            }

            plan.FireTimesAccounted[job.Name] = accounted;
            if (job.Schedule!.GetNextFireTime(accounted) is { } next && (plan.NextWake is null || next < plan.NextWake))
            {
                plan.NextWake = next;
            }
        }
    }

    /// <summary>
    /// Plans a run of each <c>on_new_data</c> job a watched table of which has a new version since the versions it saw
    /// last. The first look at a job only records the versions: what was there before the scheduler watched is not new.
    /// </summary>
    private static void PlanData(PlanningInput input, RunPlan plan, HashSet<string> waiting)
    {
        foreach (JobDefinition job in input.Jobs.Where(j => j.OnNewData.Count > 0 && !IsPaused(input, j)))
        {
            if (!input.TableVersions.TryGetValue(job.Name, out IReadOnlyDictionary<string, long>? versions))
            {
                // A watched table could not be read: the job waits for a pass that can, with the versions it saw kept.
                continue;
            }

            input.JobStates.TryGetValue(job.Name, out JobState? state);
            bool changed = state is not null && state.SeenVersions.Count > 0
                && versions.Any(v => v.Value > (state.SeenVersions.TryGetValue(v.Key, out long seen) ? seen : -1));
            bool firstLook = state is null || state.SeenVersions.Count == 0;
            if (!changed && !firstLook)
            {
                continue;
            }

            if (changed && waiting.Add(job.Name))
            {
                plan.Data.Add(new PlannedRun(new RunStart(job.Name, RunTrigger.Data, job.Select, null, null, input.Holder), null, versions));
            }

            plan.JobStates[job.Name] = (state ?? new JobState(job.Name, null, versions)) with { SeenVersions = versions };
        }
    }

    /// <summary>
    /// Plans a run of each job with file sources in <c>on_new_data</c> when a file is pending (not loaded yet, as its
    /// source's own record of loaded files decides) that was not pending at the pass before.
    /// </summary>
    /// <remarks>
    /// Files seen pending are remembered until they stop being pending (loaded, or gone), so one new file queues one run,
    /// not one per pass while the run loads it; a file that changes after it was loaded is pending again. After a
    /// restart, files still not loaded queue a run once.
    /// </remarks>
    private static void PlanNewFiles(PlanningInput input, RunPlan plan, HashSet<string> waiting)
    {
        foreach (JobDefinition job in input.Jobs.Where(j => j.OnNewFiles.Count > 0 && !IsPaused(input, j)))
        {
            IReadOnlySet<string> pending = input.PendingFiles[job.Name];
            IReadOnlySet<string> seen = input.PendingFilesSeen.TryGetValue(job.Name, out IReadOnlySet<string>? known) ? known : new HashSet<string>();
            List<string> fresh = pending.Where(f => !seen.Contains(f)).Order(StringComparer.Ordinal).ToList();
            if (fresh.Count > 0 && waiting.Add(job.Name))
            {
                plan.Data.Add(new PlannedRun(new RunStart(job.Name, RunTrigger.Data, job.Select, null, null, input.Holder), "new files: " + string.Join(", ", fresh)));
            }

            plan.PendingFiles[job.Name] = pending;
        }
    }

    /// <summary>Whether a job plans nothing now: the pause kept in the catalog wins over the job file's <c>paused:</c>.</summary>
    public static bool IsPaused(IReadOnlyDictionary<string, JobState> states, JobDefinition job) =>
        states.TryGetValue(job.Name, out JobState? state) && state.Paused is { } paused ? paused : job.Paused;

    private static bool IsPaused(PlanningInput input, JobDefinition job) => IsPaused(input.JobStates, job);
}
