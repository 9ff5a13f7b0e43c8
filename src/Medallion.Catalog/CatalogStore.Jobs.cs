using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using Microsoft.Data.Sqlite;

namespace Medallion.Catalog;

/// <summary>Runs of jobs: planning, attempts, log lines, history queries, backfills and what a job keeps between restarts.</summary>
public sealed partial class CatalogStore
{
    private const string AttemptColumns = "run_id, attempt, started_at, finished_at, status, error, transient";
    private const string BackfillColumns = "id, job, range_start, range_end, reprocess, max_active, status, created_at, finished_at, started_by, intervals";

    /// <summary>
    /// Records a planned run of a job as <see cref="RunStatus.Queued"/>. A scheduled fire time of a job is recorded once:
    /// when a run with the same job and <see cref="RunStart.IntervalEnd"/> and trigger <see cref="RunTrigger.Schedule"/>
    /// exists already, nothing is written and the result is null (restarts and catch-up never plan a fire time twice).
    /// </summary>
    public async Task<RunRecord?> TryQueueRunAsync(RunStart start, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        DateTimeOffset now = _time.GetUtcNow();
        string id = Guid.CreateVersion7(now).ToString("N");
        int inserted = await ExecuteAsync(
            $"""
             INSERT INTO runs ({RunColumns})
             VALUES (@id, @started, NULL, @status, @selection, NULL, @job, @trigger, @intervalStart, @intervalEnd, @holder, @backfill, @parent, @variables)
             ON CONFLICT DO NOTHING
             """,
            [
                ("@id", id), ("@started", FormatTime(now)), ("@status", FormatStatus(RunStatus.Queued)), ("@selection", start.Selection),
                ("@job", start.Job), ("@trigger", FormatTrigger(start.Trigger)), ("@intervalStart", FormatNullableTime(start.IntervalStart)),
                ("@intervalEnd", FormatNullableTime(start.IntervalEnd)), ("@holder", start.Holder), ("@backfill", start.BackfillId),
                ("@parent", start.ParentId), ("@variables", CatalogJson.WriteStringMap(start.Variables)),
            ],
            cancellationToken).ConfigureAwait(false);
        return inserted == 0 ? null : await GetRunAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts the next attempt of a run (1 for the first): the run becomes <see cref="RunStatus.Running"/>.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when no run has that id.</exception>
    public async Task<RunAttemptRecord> StartAttemptAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        string now = Now();
        // Durable: the attempt goes on to write the lake, and its commits name this run (their txn), so the run must
        // outlive an OS crash; syncing this commit syncs the run's queueing before it too.
        await WriteInRunAsync(
            runId,
            [
                ($"""
                  INSERT INTO run_attempts ({AttemptColumns})
                  SELECT @run, COALESCE(MAX(attempt), 0) + 1, @now, NULL, @status, NULL, 0 FROM run_attempts WHERE run_id = @run
                  """, [("@run", runId), ("@now", now), ("@status", FormatStatus(RunStatus.Running))]),
                // The run's start is its first attempt's; a retry keeps it.
                ("UPDATE runs SET status = @status, started_at = CASE WHEN status = @queued THEN @now ELSE started_at END, finished_at = NULL, error = NULL WHERE id = @run",
                    [("@run", runId), ("@now", now), ("@status", FormatStatus(RunStatus.Running)), ("@queued", FormatStatus(RunStatus.Queued))]),
            ],
            durable: true,
            cancellationToken).ConfigureAwait(false);
        List<RunAttemptRecord> attempts = await GetAttemptsAsync(runId, cancellationToken).ConfigureAwait(false);
        return attempts[^1];
    }

    /// <summary>Records how an attempt ended (the run's own status is set by <see cref="FinishRunAsync"/>).</summary>
    public Task FinishAttemptAsync(string runId, int attempt, RunStatus status, string? error, bool transient, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        return ExecuteAsync(
            "UPDATE run_attempts SET finished_at = @now, status = @status, error = @error, transient = @transient WHERE run_id = @run AND attempt = @attempt",
            [("@run", runId), ("@attempt", attempt), ("@now", Now()), ("@status", FormatStatus(status)), ("@error", error), ("@transient", transient ? 1 : 0)],
            cancellationToken);
    }

    /// <summary>The attempts of a run, first to last.</summary>
    public Task<List<RunAttemptRecord>> GetAttemptsAsync(string runId, CancellationToken cancellationToken = default) =>
        QueryAsync($"SELECT {AttemptColumns} FROM run_attempts WHERE run_id = @run ORDER BY attempt", [("@run", runId)], ReadAttempt, cancellationToken);

    /// <summary>Appends a log line to a run, logged now; lines are numbered in the order they arrive.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="model">The model or source table the line is about; null for the run itself.</param>
    /// <param name="level">info, warning or error.</param>
    /// <param name="message">The line.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task AppendRunLogAsync(string runId, TableName? model, string level, string message, CancellationToken cancellationToken = default) =>
        AppendRunLogAsync(runId, [new RunLogEntry(_time.GetUtcNow(), model, level, message)], cancellationToken);

    /// <summary>Appends log lines to a run in one transaction, numbered in order after the lines it has.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="lines">The lines, in order, each with the time it was logged.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task AppendRunLogAsync(string runId, IReadOnlyList<RunLogEntry> lines, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(lines);
        foreach (RunLogEntry line in lines)
        {
            ArgumentException.ThrowIfNullOrEmpty(line.Level, nameof(lines));
            ArgumentNullException.ThrowIfNull(line.Message, nameof(lines));
        }

        return ExecuteInTransactionAsync(
            lines.Select(line => (
                """
                INSERT INTO run_logs (run_id, seq, logged_at, model, level, message)
                SELECT @run, COALESCE(MAX(seq), 0) + 1, @at, @model, @level, @message FROM run_logs WHERE run_id = @run
                """,
                new (string, object?)[] { ("@run", runId), ("@at", FormatTime(line.LoggedAt)), ("@model", line.Model?.ToString().ToLowerInvariant()), ("@level", line.Level), ("@message", line.Message) })).ToList(),
            cancellationToken);
    }

    /// <summary>The log lines of a run after line <paramref name="afterSequence"/>, at most <paramref name="limit"/>, in order.</summary>
    public Task<List<RunLogLine>> GetRunLogAsync(string runId, long afterSequence = 0, int limit = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return QueryAsync(
            "SELECT seq, logged_at, model, level, message FROM run_logs WHERE run_id = @run AND seq > @after ORDER BY seq LIMIT @limit",
            [("@run", runId), ("@after", afterSequence), ("@limit", limit)],
            r => new RunLogLine(r.GetInt64(0), ParseTime(r.GetString(1)), r.IsDBNull(2) ? null : TableName.Parse(r.GetString(2)), r.GetString(3), r.GetString(4)),
            cancellationToken);
    }

    /// <summary>
    /// A page of runs, newest first, filtered by job, status and start time. Pages are keyset pages on the run id (ids are
    /// time-ordered), so a page costs the same however deep it is and runs recorded meanwhile do not shift it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="RunQuery.Limit"/> is not between 1 and 1000.</exception>
    public async Task<RunPage> QueryRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, 1000, nameof(query));
        var where = new List<string>();
        var parameters = new List<(string, object?)> { ("@limit", query.Limit + 1) };
        void Filter(string condition, string name, object? value)
        {
            where.Add(condition);
            parameters.Add((name, value));
        }

        if (query.Job is { } job)
        {
            Filter("job = @job", "@job", job);
        }

        if (query.Status is { } status)
        {
            Filter("status = @status", "@status", FormatStatus(status));
        }

        if (query.StartedFrom is { } from)
        {
            Filter("started_at >= @from", "@from", FormatTime(from));
        }

        if (query.StartedBefore is { } before)
        {
            Filter("started_at < @before", "@before", FormatTime(before));
        }

        if (query.Cursor is { } cursor)
        {
            Filter("id < @cursor", "@cursor", cursor);
        }

        var sql = new StringBuilder($"SELECT {RunColumns} FROM runs");
        if (where.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", where);
        }

        sql.Append(" ORDER BY id DESC LIMIT @limit");
        List<RunRecord> runs = await QueryAsync(sql.ToString(), [.. parameters], ReadRun, cancellationToken).ConfigureAwait(false);
        bool more = runs.Count > query.Limit;
        if (more)
        {
            runs.RemoveAt(runs.Count - 1);
        }

        return new RunPage(runs, more ? runs[^1].Id : null);
    }

    /// <summary>A run with its attempts and model outcomes, or null when no run has that id.</summary>
    public async Task<RunDetail?> GetRunDetailAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        if (await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) is not { } run)
        {
            return null;
        }

        return new RunDetail(
            run,
            await GetAttemptsAsync(runId, cancellationToken).ConfigureAwait(false),
            await GetModelRunsAsync(runId, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The runs of a job whose data interval ends in [<paramref name="fromInclusive"/>, <paramref name="toInclusive"/>], oldest interval first, newest run first within one interval.</summary>
    public Task<List<RunRecord>> GetIntervalRunsAsync(string job, DateTimeOffset fromInclusive, DateTimeOffset toInclusive, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(job);
        return QueryAsync(
            $"SELECT {RunColumns} FROM runs WHERE job = @job AND interval_end >= @from AND interval_end <= @to ORDER BY interval_end, id DESC",
            [("@job", job), ("@from", FormatTime(fromInclusive)), ("@to", FormatTime(toInclusive))],
            ReadRun,
            cancellationToken);
    }

    /// <summary>The latest fire time a scheduler planned for the job (the end of its newest scheduled interval), or null.</summary>
    public async Task<DateTimeOffset?> GetLastScheduledFireTimeAsync(string job, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(job);
        List<string?> ends = await QueryAsync(
            "SELECT MAX(interval_end) FROM runs WHERE job = @job AND trigger = @trigger",
            [("@job", job), ("@trigger", FormatTrigger(RunTrigger.Schedule))],
            r => GetNullableString(r, 0),
            cancellationToken).ConfigureAwait(false);
        return ends[0] is { } end ? ParseTime(end) : null;
    }

    /// <summary>
    /// After a scheduler took the lease: runs that another holder left <see cref="RunStatus.Running"/> become
    /// <see cref="RunStatus.Interrupted"/> (their running attempt too), and runs it left <see cref="RunStatus.Queued"/>
    /// pass to <paramref name="holderId"/>. Runs outside schedulers (no holder) are not touched.
    /// </summary>
    /// <returns>The runs that were interrupted or adopted, as they are now.</returns>
    public async Task<List<RunRecord>> RecoverRunsAsync(string holderId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(holderId);
        List<RunRecord> left = await QueryAsync(
            $"SELECT {RunColumns} FROM runs WHERE holder IS NOT NULL AND holder <> @holder AND status IN (@running, @queued) ORDER BY id",
            [("@holder", holderId), ("@running", FormatStatus(RunStatus.Running)), ("@queued", FormatStatus(RunStatus.Queued))],
            ReadRun,
            cancellationToken).ConfigureAwait(false);
        if (left.Count == 0)
        {
            return left;
        }

        string now = Now();
        var statements = new List<(string, (string, object?)[])>();
        foreach (RunRecord run in left)
        {
            if (run.Status == RunStatus.Running)
            {
                const string Error = "interrupted: the scheduler running it stopped before it finished";
                statements.Add(("UPDATE runs SET status = @status, finished_at = @now, error = @error, holder = @holder WHERE id = @id",
                    [("@id", run.Id), ("@status", FormatStatus(RunStatus.Interrupted)), ("@now", now), ("@error", Error), ("@holder", holderId)]));
                statements.Add(("UPDATE run_attempts SET status = @status, finished_at = @now, error = @error WHERE run_id = @id AND finished_at IS NULL",
                    [("@id", run.Id), ("@status", FormatStatus(RunStatus.Interrupted)), ("@now", now), ("@error", Error)]));
                statements.Add(("UPDATE model_runs SET status = @status, error = @error WHERE run_id = @id AND status = @running",
                    [("@id", run.Id), ("@status", FormatStatus(RunStatus.Interrupted)), ("@error", Error), ("@running", FormatStatus(RunStatus.Running))]));
            }
            else
            {
                statements.Add(("UPDATE runs SET holder = @holder WHERE id = @id", [("@id", run.Id), ("@holder", holderId)]));
            }
        }

        await ExecuteInTransactionAsync(statements, cancellationToken).ConfigureAwait(false);
        var recovered = new List<RunRecord>();
        foreach (RunRecord run in left)
        {
            recovered.Add((await GetRunAsync(run.Id, cancellationToken).ConfigureAwait(false))!);
        }

        return recovered;
    }

    /// <summary>Queues an ended run again under <paramref name="holderId"/> (an interrupted run its job retries); its attempts stay.</summary>
    /// <returns>The run as it is now, or null when no run has that id.</returns>
    public async Task<RunRecord?> RequeueRunAsync(string runId, string holderId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        await ExecuteAsync(
            "UPDATE runs SET status = @status, finished_at = NULL, error = NULL, holder = @holder WHERE id = @id",
            [("@id", runId), ("@status", FormatStatus(RunStatus.Queued)), ("@holder", holderId)],
            cancellationToken).ConfigureAwait(false);
        return await GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the scheduler keeps about each job (only jobs it has kept something about).</summary>
    public async Task<Dictionary<string, JobState>> GetJobStatesAsync(CancellationToken cancellationToken = default)
    {
        List<JobState> states = await QueryAsync(
            "SELECT job, paused, seen_versions FROM job_state",
            [],
            r => new JobState(r.GetString(0), r.IsDBNull(1) ? null : r.GetInt64(1) != 0, r.IsDBNull(2) ? new Dictionary<string, long>() : CatalogJson.ReadVersions(r.GetString(2))),
            cancellationToken).ConfigureAwait(false);
        return states.ToDictionary(s => s.Job, StringComparer.Ordinal);
    }

    /// <summary>Pauses or unpauses a job at run time, across restarts; null goes back to its file's <c>paused:</c>.</summary>
    public Task SetJobPausedAsync(string job, bool? paused, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(job);
        return ExecuteAsync(
            """
            INSERT INTO job_state (job, paused, seen_versions, updated_at) VALUES (@job, @paused, NULL, @now)
            ON CONFLICT (job) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at
            """,
            [("@job", job), ("@paused", paused is null ? null : paused.Value ? 1 : 0), ("@now", Now())],
            cancellationToken);
    }

    /// <summary>Records the version of each watched table an <c>on_new_data</c> job last ran for.</summary>
    public Task SetJobSeenVersionsAsync(string job, IReadOnlyDictionary<string, long> versions, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(job);
        ArgumentNullException.ThrowIfNull(versions);
        return ExecuteAsync(
            """
            INSERT INTO job_state (job, paused, seen_versions, updated_at) VALUES (@job, NULL, @versions, @now)
            ON CONFLICT (job) DO UPDATE SET seen_versions = excluded.seen_versions, updated_at = excluded.updated_at
            """,
            [("@job", job), ("@versions", CatalogJson.WriteVersions(versions)), ("@now", Now())],
            cancellationToken);
    }

    /// <summary>Records a new backfill, <see cref="RunStatus.Running"/>.</summary>
    /// <param name="job">The job it runs.</param>
    /// <param name="rangeStart">The start of its range.</param>
    /// <param name="rangeEnd">The end of its range.</param>
    /// <param name="reprocess">Which intervals it runs: <c>missing</c>, <c>failed</c> or <c>all</c>.</param>
    /// <param name="maxActive">How many of its runs may be under way at once.</param>
    /// <param name="intervals">How many intervals its range holds (run or skipped).</param>
    /// <param name="startedBy">The user who asked for it, when known.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task<BackfillRecord> CreateBackfillAsync(
        string job, DateTimeOffset rangeStart, DateTimeOffset rangeEnd, string reprocess, int maxActive, int intervals, string? startedBy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(job);
        ArgumentException.ThrowIfNullOrEmpty(reprocess);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxActive);
        ArgumentOutOfRangeException.ThrowIfNegative(intervals);
        DateTimeOffset now = _time.GetUtcNow();
        var backfill = new BackfillRecord(Guid.CreateVersion7(now).ToString("N"), job, rangeStart, rangeEnd, reprocess, maxActive, RunStatus.Running, now, null, startedBy, intervals);
        await ExecuteAsync(
            $"INSERT INTO backfills ({BackfillColumns}) VALUES (@id, @job, @start, @end, @reprocess, @max, @status, @now, NULL, @by, @intervals)",
            [("@id", backfill.Id), ("@job", job), ("@start", FormatTime(rangeStart)), ("@end", FormatTime(rangeEnd)), ("@reprocess", reprocess),
                ("@max", maxActive), ("@status", FormatStatus(backfill.Status)), ("@now", FormatTime(now)), ("@by", startedBy), ("@intervals", intervals)],
            cancellationToken).ConfigureAwait(false);
        return backfill;
    }

    /// <summary>The backfill with that id, or null.</summary>
    public async Task<BackfillRecord?> GetBackfillAsync(string backfillId, CancellationToken cancellationToken = default)
    {
        List<BackfillRecord> found = await QueryAsync($"SELECT {BackfillColumns} FROM backfills WHERE id = @id", [("@id", backfillId)], ReadBackfill, cancellationToken).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>A backfill with its progress and its runs (oldest interval first), or null when no backfill has that id.</summary>
    public async Task<BackfillDetail?> GetBackfillDetailAsync(string backfillId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(backfillId);
        if (await GetBackfillAsync(backfillId, cancellationToken).ConfigureAwait(false) is not { } backfill)
        {
            return null;
        }

        List<RunRecord> runs = await GetBackfillRunsAsync(backfillId, cancellationToken).ConfigureAwait(false);
        return new BackfillDetail(backfill, BackfillProgress.Of(backfill.Intervals, [.. runs.Select(r => r.Status)]), runs);
    }

    /// <summary>The runs a backfill queued, oldest interval first.</summary>
    public Task<List<RunRecord>> GetBackfillRunsAsync(string backfillId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(backfillId);
        return QueryAsync($"SELECT {RunColumns} FROM runs WHERE backfill_id = @backfill ORDER BY interval_end, id", [("@backfill", backfillId)], ReadRun, cancellationToken);
    }

    /// <summary>
    /// The newest backfills first, with their progress (their runs left out), optionally of one job and in one state.
    /// </summary>
    /// <param name="job">Only backfills of this job; null for all.</param>
    /// <param name="status">Only backfills in this state (e.g. <see cref="RunStatus.Running"/>); null for all.</param>
    /// <param name="limit">How many at most (1 to 1000).</param>
    /// <param name="cancellationToken">Cancels the reading.</param>
    public async Task<List<BackfillDetail>> QueryBackfillsAsync(string? job = null, RunStatus? status = null, int limit = 50, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        List<BackfillRecord> backfills = await QueryAsync(
            $"SELECT {BackfillColumns} FROM backfills WHERE (@job IS NULL OR job = @job) AND (@status IS NULL OR status = @status) ORDER BY id DESC LIMIT @limit",
            [("@job", job), ("@status", status is { } s ? FormatStatus(s) : null), ("@limit", limit)],
            ReadBackfill,
            cancellationToken).ConfigureAwait(false);
        var details = new List<BackfillDetail>(backfills.Count);
        foreach (BackfillRecord backfill in backfills)
        {
            List<RunStatus> states = await QueryAsync(
                "SELECT status FROM runs WHERE backfill_id = @backfill", [("@backfill", backfill.Id)], r => ParseStatus(r.GetString(0)), cancellationToken).ConfigureAwait(false);
            details.Add(new BackfillDetail(backfill, BackfillProgress.Of(backfill.Intervals, states), []));
        }

        return details;
    }

    /// <summary>Records how a backfill ended.</summary>
    public Task FinishBackfillAsync(string backfillId, RunStatus status, CancellationToken cancellationToken = default) =>
        ExecuteAsync("UPDATE backfills SET status = @status, finished_at = @now WHERE id = @id", [("@id", backfillId), ("@status", FormatStatus(status)), ("@now", Now())], cancellationToken);

    private static string FormatTrigger(RunTrigger trigger) => trigger.ToString().ToLowerInvariant();

    private static string? FormatNullableTime(DateTimeOffset? time) => time is { } t ? FormatTime(t) : null;

    private static RunAttemptRecord ReadAttempt(SqliteDataReader r) => new(
        r.GetString(0),
        (int)r.GetInt64(1),
        ParseTime(r.GetString(2)),
        r.IsDBNull(3) ? null : ParseTime(r.GetString(3)),
        ParseStatus(r.GetString(4)),
        GetNullableString(r, 5),
        r.GetInt64(6) != 0);

    private static BackfillRecord ReadBackfill(SqliteDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        ParseTime(r.GetString(2)),
        ParseTime(r.GetString(3)),
        r.GetString(4),
        (int)r.GetInt64(5),
        ParseStatus(r.GetString(6)),
        ParseTime(r.GetString(7)),
        r.IsDBNull(8) ? null : ParseTime(r.GetString(8)),
        GetNullableString(r, 9),
        (int)r.GetInt64(10));
}
