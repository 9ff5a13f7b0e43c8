using System;
using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Server.Scheduling;

/// <summary>What a planning pass decided.</summary>
internal sealed class RunPlan
{
    /// <summary>The scheduled runs to queue (together: many jobs due at one instant share the catalog's commits).</summary>
    public List<RunStart> Scheduled { get; } = [];

    /// <summary>The newest fire time of each scheduled job now accounted for (planned, skipped by catch-up, or passed while paused); kept once the runs are queued.</summary>
    public Dictionary<string, DateTimeOffset> FireTimesAccounted { get; } = new(StringComparer.Ordinal);

    /// <summary>The fire times each job's catch-up policy skipped on the first pass, by job (only jobs that skipped any).</summary>
    public Dictionary<string, int> MissedSchedules { get; } = new(StringComparer.Ordinal);

    /// <summary>The data runs to queue, in order, each with the line to log when it is queued (null for the line every run gets).</summary>
    public List<PlannedRun> Data { get; } = [];

    /// <summary>The job states to keep (with the table versions now seen): a data run's are recorded with it, the others after the data runs are queued.</summary>
    public Dictionary<string, JobState> JobStates { get; } = new(StringComparer.Ordinal);

    /// <summary>The files each job with watched file sources has pending now, to compare with at the next pass.</summary>
    public Dictionary<string, IReadOnlySet<string>> PendingFiles { get; } = new(StringComparer.Ordinal);

    /// <summary>The earliest next fire time of any unpaused scheduled job; null when none has one.</summary>
    public DateTimeOffset? NextWake { get; set; }
}

/// <summary>
/// A run a pass queues, what to log when it is queued besides the line every queued run gets, and for a run of new table
/// versions the versions its job now saw, recorded in the write that queues it.
/// </summary>
internal sealed record PlannedRun(RunStart Start, string? Note, IReadOnlyDictionary<string, long>? SeenVersions = null);
