using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using Medallion.Pipelines;

namespace Medallion.Server.Scheduling;

/// <summary>
/// The runs queued and not started yet, and which of them may start: oldest first, within each job's
/// <c>max_active_runs</c> and each backfill's <c>max_active</c>. Used with the scheduler's state lock held; the count
/// alone may be read without it.
/// </summary>
internal sealed class AdmissionQueue
{
    private readonly List<RunRecord> _runs = [];

    /// <summary>The queued runs, in the order they were queued.</summary>
    public IReadOnlyCollection<RunRecord> Runs => _runs;

    /// <summary>How many runs wait.</summary>
    public int Count => _runs.Count;

    public void Add(RunRecord run) => _runs.Add(run);

    public void AddRange(IEnumerable<RunRecord> runs) => _runs.AddRange(runs);

    /// <summary>The queued run with that id; null when none waits.</summary>
    public RunRecord? Find(string runId) => _runs.FirstOrDefault(r => r.Id == runId);

    /// <summary>The queued runs of a backfill.</summary>
    public List<RunRecord> OfBackfill(string backfillId) => _runs.Where(r => r.BackfillId == backfillId).ToList();

    /// <summary>Whether a run of the backfill waits.</summary>
    public bool HoldsBackfill(string backfillId) => _runs.Any(r => r.BackfillId == backfillId);

    public void Remove(RunRecord run) => _runs.Remove(run);

    /// <summary>Removes the runs that left the queue (started or ended), in one sweep.</summary>
    public void Remove(HashSet<RunRecord> leaving) => _runs.RemoveAll(leaving.Contains);

    /// <summary>
    /// The queued runs that may start now, oldest first, each with its job, as far as each job's and each backfill's
    /// limit of active runs allow; a run whose job the project no longer defines comes with no job (it is to end, not
    /// start). Nothing leaves the queue here: the caller removes what it started or ended.
    /// </summary>
    /// <param name="jobs">The project's jobs, by name.</param>
    /// <param name="active">The runs executing now.</param>
    /// <param name="backfills">The backfills under way, by id (their <see cref="BackfillRecord.MaxActive"/>).</param>
    /// <remarks>
    /// A pass runs whenever a run ends, and a server that fell behind holds thousands of queued and active runs, so the
    /// pass counts the active runs once and leaves the queue once: counting per queued run, and removing records from
    /// the list one by one (a record compares field by field), made a backlog cost CPU in proportion to its square.
    /// </remarks>
    public List<(RunRecord Run, JobDefinition? Job)> Admit(
        IReadOnlyDictionary<string, JobDefinition> jobs, IEnumerable<RunRecord> active, IReadOnlyDictionary<string, BackfillRecord> backfills)
    {
        List<RunRecord> running = active.ToList();
        Dictionary<string, int> activeByJob = CountBy(running, r => r.Job);
        Dictionary<string, int> activeByBackfill = CountBy(running, r => r.BackfillId);
        var admitted = new List<(RunRecord, JobDefinition?)>();
        // First queued, first started; runs queued together (a backfill's intervals) in interval order. Ids alone do not
        // order them: two made in the same millisecond compare by their random part.
        foreach (RunRecord run in _runs.OrderBy(r => r.StartedAt).ThenBy(r => r.IntervalEnd ?? DateTimeOffset.MinValue).ThenBy(r => r.Id, StringComparer.Ordinal))
        {
            if (run.Job is null || !jobs.TryGetValue(run.Job, out JobDefinition? job))
            {
                admitted.Add((run, null));
                continue;
            }

            if (activeByJob.GetValueOrDefault(job.Name) >= job.MaxActiveRuns)
            {
                continue;
            }

            if (run.BackfillId is { } backfill && backfills.TryGetValue(backfill, out BackfillRecord? record)
                && activeByBackfill.GetValueOrDefault(backfill) >= record.MaxActive)
            {
                continue;
            }

            activeByJob[job.Name] = activeByJob.GetValueOrDefault(job.Name) + 1;
            if (run.BackfillId is { } started)
            {
                activeByBackfill[started] = activeByBackfill.GetValueOrDefault(started) + 1;
            }

            admitted.Add((run, job));
        }

        return admitted;
    }

    private static Dictionary<string, int> CountBy(List<RunRecord> runs, Func<RunRecord, string?> key)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (RunRecord run in runs)
        {
            if (key(run) is { } name)
            {
                counts[name] = counts.GetValueOrDefault(name) + 1;
            }
        }

        return counts;
    }
}
