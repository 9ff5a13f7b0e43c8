using System;
using System.Collections.Generic;
using Medallion.Catalog;
using Medallion.Pipelines;

namespace Medallion.Server.Scheduling;

/// <summary>What a planning pass knows when it plans: read by the scheduler beforehand, so that planning is a function.</summary>
/// <param name="Jobs">The project's jobs.</param>
/// <param name="JobStates">The jobs' kept state (pause, versions seen), by job.</param>
/// <param name="LastFire">The newest fire time each scheduled job has accounted for (this scheduler's memory, else the
/// catalog's newest scheduled run); a job missing here was never scheduled and starts from now.</param>
/// <param name="TableVersions">For each unpaused <c>on_new_data</c> job with watched tables, the newest version of each
/// (by lower-case table name; -1 while a table does not exist); a job missing here is left out of the pass (a table it
/// watches could not be read).</param>
/// <param name="PendingFiles">For each unpaused job with watched file sources, the files pending now (source:file).</param>
/// <param name="PendingFilesSeen">The files each job had pending at the pass before.</param>
/// <param name="Queued">The runs waiting to start.</param>
/// <param name="Now">The time of the pass.</param>
/// <param name="CatchingUp">The scheduled jobs whose due fire times were missed while no scheduler planned them, which
/// their catch-up policy decides: every job on the scheduler's first pass; later, beside other planners, a job this one
/// has just taken from a planner that left.</param>
/// <param name="Holder">The scheduler's lease holder id, recorded with each run it queues.</param>
internal sealed record PlanningInput(
    IReadOnlyCollection<JobDefinition> Jobs,
    IReadOnlyDictionary<string, JobState> JobStates,
    IReadOnlyDictionary<string, DateTimeOffset> LastFire,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> TableVersions,
    IReadOnlyDictionary<string, IReadOnlySet<string>> PendingFiles,
    IReadOnlyDictionary<string, IReadOnlySet<string>> PendingFilesSeen,
    IReadOnlyCollection<RunRecord> Queued,
    DateTimeOffset Now,
    IReadOnlySet<string> CatchingUp,
    string Holder);
