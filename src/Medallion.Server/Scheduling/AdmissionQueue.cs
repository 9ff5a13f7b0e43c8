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
    /// The queued runs that may start now, oldest first, each with its job and the tables it writes, as far as each job's
    /// and each backfill's limit of active runs and the tables' locks allow; a run whose job the project no longer
    /// defines comes with no job (it is to end, not start). Nothing leaves the queue here: the caller removes what it
    /// started or ended; the catalog's admission write, which calls this, locks the tables of what it admits.
    /// </summary>
    /// <param name="jobOf">What a run runs as (see <see cref="JobScheduler.Definitions.JobOf"/>); null when its job is gone.</param>
    /// <param name="active">The runs under way now, here or on workers, with the tables they lock, as the catalog holds them.</param>
    /// <param name="backfills">The backfills under way, by id (their <see cref="BackfillRecord.MaxActive"/>).</param>
    /// <param name="tablesOf">The tables a run of a job may write: one writer per table at a time.</param>
    /// <remarks>
    /// <para>A run whose tables are not all free waits, and keeps its tables from younger runs meanwhile: the first queued
    /// writes first, and a stream of small runs cannot starve a run that needs many tables. Waiting, it counts against no
    /// limit, so it never holds a slot that a run which could start needs.</para>
    /// <para>A pass runs whenever a run ends, and a server that fell behind holds thousands of queued and active runs, so
    /// the pass counts the active runs once and leaves the queue once: counting per queued run, and removing records from
    /// the list one by one (a record compares field by field), made a backlog cost CPU in proportion to its square.</para>
    /// </remarks>
    public List<Admission> Admit(
        Func<RunRecord, JobDefinition?> jobOf,
        IReadOnlyCollection<HeldRun> active,
        IReadOnlyDictionary<string, BackfillRecord> backfills,
        Func<RunRecord, JobDefinition, IReadOnlyList<TableName>> tablesOf)
    {
        Dictionary<string, int> activeByJob = CountBy(active, r => r.Job ?? JobScheduler.SelectionJobName);
        Dictionary<string, int> activeByBackfill = CountBy(active, r => r.BackfillId);
        var taken = active.SelectMany(r => r.Writes).ToHashSet();
        var admitted = new List<Admission>();
        // First queued, first started; runs queued together (a backfill's intervals) in interval order. Ids alone do not
        // order them: two made in the same millisecond compare by their random part.
        foreach (RunRecord run in _runs.OrderBy(r => r.StartedAt).ThenBy(r => r.IntervalEnd ?? DateTimeOffset.MinValue).ThenBy(r => r.Id, StringComparer.Ordinal))
        {
            if (jobOf(run) is not { } job)
            {
                admitted.Add(new Admission(run, null, []));
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

            IReadOnlyList<TableName> tables = tablesOf(run, job);
            bool free = !tables.Any(taken.Contains);
            taken.UnionWith(tables);
            if (!free)
            {
                continue;
            }

            activeByJob[job.Name] = activeByJob.GetValueOrDefault(job.Name) + 1;
            if (run.BackfillId is { } started)
            {
                activeByBackfill[started] = activeByBackfill.GetValueOrDefault(started) + 1;
            }

            admitted.Add(new Admission(run, job, tables));
        }

        return admitted;
    }

    private static Dictionary<string, int> CountBy(IReadOnlyCollection<HeldRun> runs, Func<HeldRun, string?> key)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (HeldRun run in runs)
        {
            if (key(run) is { } name)
            {
                counts[name] = counts.GetValueOrDefault(name) + 1;
            }
        }

        return counts;
    }
}

/// <summary>A queued run that may start: its job (none when the project no longer defines it) and the tables it writes.</summary>
internal sealed record Admission(RunRecord Run, JobDefinition? Job, IReadOnlyList<TableName> Tables);
