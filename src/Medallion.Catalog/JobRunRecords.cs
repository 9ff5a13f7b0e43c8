using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Medallion.Catalog;

/// <summary>What started a run.</summary>
public enum RunTrigger
{
    /// <summary>A person, from the command line (<c>medallion run</c>).</summary>
    Manual,
    /// <summary>The job's schedule (a cron or <c>every:</c> fire time).</summary>
    Schedule,
    /// <summary>A backfill of the job over a range of intervals.</summary>
    Backfill,
    /// <summary>A new version of a table the job watches (<c>on_new_data</c>).</summary>
    Data,
    /// <summary>A job this one runs after (<c>after:</c>) succeeded.</summary>
    After,
    /// <summary>A call of the server's API (trigger, rerun).</summary>
    Api,
    /// <summary>A continuous job, supervised while the server runs (one run per start of the server, restarts as attempts).</summary>
    Continuous,
}

/// <summary>A run planned for a job or a selection of tables, before it starts (see <see cref="RunStore.TryQueueRunAsync(RunStart, System.Threading.CancellationToken)"/>).</summary>
/// <param name="Job">The job; null for a run of <paramref name="Selection"/> asked for by itself (Dagster's "materialize selected").</param>
/// <param name="Trigger">What planned it.</param>
/// <param name="Selection">The job's model selection, or null for all models.</param>
/// <param name="IntervalStart">The start of the data interval, when the run has one.</param>
/// <param name="IntervalEnd">The end of the data interval (the fire time of a scheduled run).</param>
/// <param name="Holder">
/// The scheduler that owns the run (<see cref="LeaseHolder.Id"/>); null for a run queued by a server that does not run
/// the jobs (on standby), which the scheduler that runs them adopts (see <see cref="RunStore.AdoptQueuedRunsAsync"/>).
/// </param>
public sealed record RunStart(string? Job, RunTrigger Trigger, string? Selection, DateTimeOffset? IntervalStart, DateTimeOffset? IntervalEnd, string? Holder)
{
    /// <summary>The backfill the run belongs to.</summary>
    public string? BackfillId { get; init; }

    /// <summary>The run this one re-runs.</summary>
    public string? ParentId { get; init; }

    /// <summary>Variables for model SQL (<c>getvariable('k')</c>).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// A job that runs after another (<c>after:</c>), to queue when a run of that other job succeeds (see
/// <see cref="RunStore.FinishRunAsync(string, RunStatus, string?, string?, IReadOnlyList{AfterRun}, System.Threading.CancellationToken)"/>).
/// </summary>
/// <param name="Job">The job that runs after.</param>
/// <param name="Selection">Its model selection; null for all models.</param>
/// <param name="PausedInFile">Whether its file pauses it: what it is while the catalog holds no pause of it set at run time.</param>
/// <param name="Note">The first line of the queued run's log.</param>
public sealed record AfterRun(string Job, string? Selection, bool PausedInFile, string Note);

/// <summary>
/// A run admitted to start and not ended (queued for a claimer, or running), with the tables it locks (see
/// <see cref="RunStore.AdmitAsync"/>): what an admission counts of it, and no more, since every admission reads every
/// run held (hundreds under a backlog).
/// </summary>
/// <param name="RunId">The run.</param>
/// <param name="Job">Its job; null for a run of a selection.</param>
/// <param name="BackfillId">The backfill it is part of, if any.</param>
/// <param name="Holder">The server that runs it; null while it waits for a claimer.</param>
/// <param name="Writes">The tables it may write: no other admitted run writes them until it ends.</param>
public sealed record HeldRun(string RunId, string? Job, string? BackfillId, string? Holder, IReadOnlyList<TableName> Writes);

/// <summary>A queued run to admit (see <see cref="RunStore.AdmitAsync"/>).</summary>
/// <param name="RunId">The run.</param>
/// <param name="Writes">The tables it may write, locked from now until it ends.</param>
/// <param name="Here">True when the admitting server starts it itself; false when it waits for any server that claims runs.</param>
public sealed record RunAdmission(string RunId, IReadOnlyList<TableName> Writes, bool Here);

/// <summary>One attempt of a run: the first try, then each retry.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Attempt">1 for the first try, 2 for the first retry, ...</param>
/// <param name="StartedAt">When the attempt started.</param>
/// <param name="FinishedAt">When it ended; null while it runs.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="Transient">Whether the failure was transient (a retry may succeed).</param>
public sealed record RunAttemptRecord(string RunId, int Attempt, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, RunStatus Status, string? Error, bool Transient);

/// <summary>A log line of a run, kept in the catalog so it can be read after the fact and after restarts.</summary>
/// <param name="Sequence">The line's number in its run, from 1.</param>
/// <param name="LoggedAt">When it was logged.</param>
/// <param name="Model">The model (or source table) it is about; null for the run itself.</param>
/// <param name="Level">info, warning or error.</param>
/// <param name="Message">The line.</param>
public sealed record RunLogLine(long Sequence, DateTimeOffset LoggedAt, TableName? Model, string Level, string Message);

/// <summary>A log line to append to a run (see <see cref="RunStore.AppendRunLogAsync(string, IReadOnlyList{RunLogEntry}, System.Threading.CancellationToken)"/>).</summary>
/// <param name="LoggedAt">When it happened (a line may be written a little later than the event it tells of).</param>
/// <param name="Model">The model (or source table) it is about; null for the run itself.</param>
/// <param name="Level">info, warning or error.</param>
/// <param name="Message">The line.</param>
public sealed record RunLogEntry(DateTimeOffset LoggedAt, TableName? Model, string Level, string Message);

/// <summary>A filter and page of <see cref="RunStore.QueryRunsAsync"/>. Every filter is optional.</summary>
public sealed record RunQuery
{
    /// <summary>Runs of this job only.</summary>
    public string? Job { get; init; }

    /// <summary>Runs in this status only.</summary>
    public RunStatus? Status { get; init; }

    /// <summary>Runs that repeat this run (its reruns and retries) only.</summary>
    public string? Parent { get; init; }

    /// <summary>Runs that built this environment's tables only (<c>prod</c>, or one an apply built).</summary>
    public string? Environment { get; init; }

    /// <summary>Runs that started at or after this time.</summary>
    public DateTimeOffset? StartedFrom { get; init; }

    /// <summary>Runs that started before this time.</summary>
    public DateTimeOffset? StartedBefore { get; init; }

    /// <summary>The <see cref="RunPage.NextCursor"/> of the previous page; null for the newest runs.</summary>
    public string? Cursor { get; init; }

    /// <summary>How many runs a page holds (1 to 1000).</summary>
    public int Limit { get; init; } = 50;
}

/// <summary>A page of runs, newest first.</summary>
/// <param name="Runs">The runs.</param>
/// <param name="NextCursor">Pass as <see cref="RunQuery.Cursor"/> for the next (older) page; null when this is the last.</param>
public sealed record RunPage(IReadOnlyList<RunRecord> Runs, string? NextCursor);

/// <summary>A run with its attempts and per-model outcomes (the last attempt's).</summary>
/// <param name="Run">The run.</param>
/// <param name="Attempts">Its attempts, first to last.</param>
/// <param name="Models">Each model's and source's outcome, by name.</param>
public sealed record RunDetail(RunRecord Run, IReadOnlyList<RunAttemptRecord> Attempts, IReadOnlyList<ModelRunRecord> Models);

/// <summary>Who holds the scheduler lease: one process of one host.</summary>
/// <param name="Id">A unique id of the holder (new for every process start).</param>
/// <param name="Host">The machine's name.</param>
/// <param name="ProcessId">The process id.</param>
/// <param name="ProcessStartedAt">When the process started (tells a reused pid apart).</param>
public sealed record LeaseHolder(string Id, string Host, int ProcessId, DateTimeOffset ProcessStartedAt)
{
    /// <summary>The holder as people read it: <c>host 'db1', pid 4242, started 2026-01-01 10:00:00Z</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"host '{Host}', pid {ProcessId}, started {ProcessStartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z");

    /// <summary>A new holder for this process (a new id each call, so two holders in one process are told apart).</summary>
    public static LeaseHolder ForThisProcess()
    {
        using System.Diagnostics.Process process = System.Diagnostics.Process.GetCurrentProcess();
        return new LeaseHolder(Guid.NewGuid().ToString("N"), Environment.MachineName, Environment.ProcessId, process.StartTime.ToUniversalTime());
    }

    /// <summary>
    /// True when this holder is a process of this host that is gone: its pid is free, a zombie, or a process started at
    /// another time (the pid was reused, or a container restarted with the same pid, even this process's). A holder with
    /// this process's pid and start time is alive: another holder in this very process. A holder of another host is never
    /// judged here: it keeps its lease until the lease lapses.
    /// </summary>
    public bool IsGoneLocalProcess()
    {
        if (!string.Equals(Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (OperatingSystem.IsLinux() && LinuxProcessState(ProcessId) is { } state && state is 'Z' or 'X')
        {
            // Killed, and not yet reaped by its parent: it will never renew its lease.
            return true;
        }

        try
        {
            using System.Diagnostics.Process process = System.Diagnostics.Process.GetProcessById(ProcessId);
            // A reused pid belongs to another program, started at another time (a restarted container's pid 1 is this process).
            return (process.StartTime.ToUniversalTime() - ProcessStartedAt.UtcDateTime).Duration() > TimeSpan.FromSeconds(1);
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            // It exited while we looked.
            return true;
        }
    }
    /// <summary>The state letter of /proc/&lt;pid&gt;/stat (R, S, D, Z, ...), or null when the process does not exist.</summary>
    private static char? LinuxProcessState(int processId)
    {
        string stat;
        try
        {
            stat = System.IO.File.ReadAllText("/proc/" + processId.ToString(CultureInfo.InvariantCulture) + "/stat");
        }
        catch (System.IO.IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) S ...": the command may hold spaces and parentheses, so the state follows the last ')'.
        int close = stat.LastIndexOf(')');
        return close >= 0 && close + 2 < stat.Length ? stat[close + 2] : null;
    }
}

/// <summary>
/// A lease row of the catalog: the scheduler lease (only its holder plans and runs jobs) or an environment's apply lock
/// (only its holder applies a plan to it).
/// </summary>
/// <param name="Holder">Who holds it.</param>
/// <param name="AcquiredAt">When the holder took it.</param>
/// <param name="HeartbeatAt">When the holder last renewed it.</param>
/// <param name="ExpiresAt">When it lapses unless renewed; after that another process may take it.</param>
public sealed record CatalogLease(LeaseHolder Holder, DateTimeOffset AcquiredAt, DateTimeOffset HeartbeatAt, DateTimeOffset ExpiresAt);

/// <summary>A backfill: one run per interval of a job over a range.</summary>
/// <param name="Id">The backfill's id.</param>
/// <param name="Job">The job.</param>
/// <param name="RangeStart">The start of the range.</param>
/// <param name="RangeEnd">The end of the range.</param>
/// <param name="Reprocess">Which intervals run: <c>missing</c> (never succeeded), <c>failed</c> (last run failed) or <c>all</c>.</param>
/// <param name="MaxActive">How many of its runs may be under way at once.</param>
/// <param name="Status">Running until every run ended, then succeeded, failed or cancelled.</param>
/// <param name="CreatedAt">When it was requested.</param>
/// <param name="FinishedAt">When its last run ended.</param>
/// <param name="StartedBy">The user who asked for it (through the server's API); null when no user is known.</param>
/// <param name="Intervals">How many data intervals its range holds, run or not (0 for backfills recorded before this was kept).</param>
public sealed record BackfillRecord(
    string Id, string Job, DateTimeOffset RangeStart, DateTimeOffset RangeEnd, string Reprocess, int MaxActive, RunStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt,
    string? StartedBy, int Intervals);

/// <summary>How far a backfill got: its range's intervals counted by the state of their run.</summary>
/// <param name="Total">The intervals of the range.</param>
/// <param name="Queued">Intervals whose run waits to start.</param>
/// <param name="Running">Intervals whose run is under way.</param>
/// <param name="Succeeded">Intervals whose run succeeded.</param>
/// <param name="Failed">Intervals whose run failed (or was interrupted and not retried).</param>
/// <param name="Cancelled">Intervals whose run was cancelled, before or while it ran.</param>
/// <param name="Skipped">Intervals the backfill did not run, given its reprocess choice (done already).</param>
public sealed record BackfillProgress(int Total, int Queued, int Running, int Succeeded, int Failed, int Cancelled, int Skipped)
{
    /// <summary>The progress of a backfill whose range holds <paramref name="intervals"/> intervals and which queued <paramref name="runs"/>.</summary>
    public static BackfillProgress Of(int intervals, IReadOnlyCollection<RunStatus> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        int Count(Func<RunStatus, bool> match) => runs.Count(match);
        int total = Math.Max(intervals, runs.Count);
        return new BackfillProgress(
            total,
            Count(s => s == RunStatus.Queued),
            Count(s => s == RunStatus.Running),
            Count(s => s == RunStatus.Succeeded),
            Count(s => s is RunStatus.Failed or RunStatus.Interrupted),
            Count(s => s is RunStatus.Cancelled or RunStatus.Skipped),
            total - runs.Count);
    }
}

/// <summary>A backfill with its progress and, when asked for, its runs.</summary>
/// <param name="Backfill">The backfill: job, range, reprocess choice, limit, who started it, when, and its state.</param>
/// <param name="Progress">Its intervals counted by state.</param>
/// <param name="Runs">Its runs, oldest interval first (empty in listings).</param>
public sealed record BackfillDetail(BackfillRecord Backfill, BackfillProgress Progress, IReadOnlyList<RunRecord> Runs);

/// <summary>What the scheduler keeps about a job between restarts.</summary>
/// <param name="Job">The job.</param>
/// <param name="Paused">Paused or unpaused at run time; null when it follows its file's <c>paused:</c>.</param>
/// <param name="SeenVersions">For <c>on_new_data</c> jobs: the version of each watched table (<c>namespace.name</c>) the job last ran for.</param>
public sealed record JobState(string Job, bool? Paused, IReadOnlyDictionary<string, long> SeenVersions);

/// <summary>A server on a catalog, as it last reported itself.</summary>
/// <param name="Process">Its process (the id its runs carry as holder).</param>
/// <param name="Role">What it did at its last heartbeat: <c>active</c>, <c>standby</c>, <c>planner</c>, <c>web</c>, <c>worker</c> or <c>lease lost</c>.</param>
/// <param name="Version">The Medallion version it runs.</param>
/// <param name="HttpAddress">Where its HTTP listener answers; null when unknown.</param>
/// <param name="StartedAt">When it first reported itself.</param>
/// <param name="HeartbeatAt">When it last reported itself.</param>
public sealed record ServerRecord(LeaseHolder Process, string Role, string Version, Uri? HttpAddress, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt);
