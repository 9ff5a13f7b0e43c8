using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using static Medallion.Catalog.Internal.CatalogDatabase;
using static Medallion.Catalog.RunStore;

namespace Medallion.Catalog;

/// <summary>
/// What the scheduler keeps between restarts: each job's paused flag and the table versions it has seen, backfills with
/// their runs, and the lease that lets one scheduler at a time run a catalog's jobs.
/// The lease is one row that says which process schedules the catalog's jobs, renewed by heartbeats; taking it is one
/// conditional statement, so two schedulers starting together cannot both win. Reached through
/// <see cref="CatalogStore.Scheduler"/>.
/// </summary>
public sealed class SchedulerStore
{
    private readonly CatalogDatabase _db;

    internal SchedulerStore(CatalogDatabase db) => _db = db;

    private const string BackfillColumns = "id, job, range_start, range_end, reprocess, max_active, status, created_at, finished_at, started_by, intervals";

    /// <summary>What the scheduler keeps about each job (only jobs it has kept something about).</summary>
    public async Task<Dictionary<string, JobState>> GetJobStatesAsync(CancellationToken cancellationToken = default)
    {
        List<JobState> states = await _db.QueryAsync(
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
        return _db.ExecuteAsync(
            """
            INSERT INTO job_state (job, paused, seen_versions, updated_at) VALUES (@job, @paused, NULL, @now)
            ON CONFLICT (job) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at
            """,
            [("@job", job), ("@paused", paused is null ? null : paused.Value ? 1 : 0), ("@now", _db.Now())],
            cancellationToken);
    }

    /// <summary>Records the version of each watched table an <c>on_new_data</c> job last ran for.</summary>
    public Task SetJobSeenVersionsAsync(string job, IReadOnlyDictionary<string, long> versions, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(job);
        ArgumentNullException.ThrowIfNull(versions);
        return _db.ExecuteAsync(SeenVersionsUpsert, SeenVersionsParameters(job, versions, _db.Now()), cancellationToken);
    }

    /// <summary>Records a job's seen versions (the statement of <see cref="SetJobSeenVersionsAsync"/>, which a data run's queueing shares).</summary>
    internal const string SeenVersionsUpsert = """
        INSERT INTO job_state (job, paused, seen_versions, updated_at) VALUES (@job, NULL, @versions, @now)
        ON CONFLICT (job) DO UPDATE SET seen_versions = excluded.seen_versions, updated_at = excluded.updated_at
        """;

    internal static (string, object?)[] SeenVersionsParameters(string job, IReadOnlyDictionary<string, long> versions, string now) =>
        [("@job", job), ("@versions", CatalogJson.WriteVersions(versions)), ("@now", now)];

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
        DateTimeOffset now = _db.Time.GetUtcNow();
        var backfill = new BackfillRecord(CatalogIds.Next(now), job, rangeStart, rangeEnd, reprocess, maxActive, RunStatus.Running, now, null, startedBy, intervals);
        await _db.ExecuteAsync(
            $"INSERT INTO backfills ({BackfillColumns}) VALUES (@id, @job, @start, @end, @reprocess, @max, @status, @now, NULL, @by, @intervals)",
            [("@id", backfill.Id), ("@job", job), ("@start", FormatTime(rangeStart)), ("@end", FormatTime(rangeEnd)), ("@reprocess", reprocess),
                ("@max", maxActive), ("@status", FormatStatus(backfill.Status)), ("@now", FormatTime(now)), ("@by", startedBy), ("@intervals", intervals)],
            cancellationToken).ConfigureAwait(false);
        return backfill;
    }

    /// <summary>The backfill with that id, or null.</summary>
    public async Task<BackfillRecord?> GetBackfillAsync(string backfillId, CancellationToken cancellationToken = default)
    {
        List<BackfillRecord> found = await _db.QueryAsync($"SELECT {BackfillColumns} FROM backfills WHERE id = @id", [("@id", backfillId)], ReadBackfill, cancellationToken).ConfigureAwait(false);
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
        return _db.QueryAsync($"SELECT {RunColumns} FROM runs WHERE backfill_id = @backfill ORDER BY interval_end, id", [("@backfill", backfillId)], ReadRun, cancellationToken);
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
        // Only the filters given: PostgreSQL cannot tell the type of "@job IS NULL" when @job is null.
        var where = new List<string>();
        var parameters = new List<(string, object?)> { ("@limit", limit) };
        if (job is not null)
        {
            where.Add("job = @job");
            parameters.Add(("@job", job));
        }

        if (status is { } only)
        {
            where.Add("status = @status");
            parameters.Add(("@status", FormatStatus(only)));
        }

        List<BackfillRecord> backfills = await _db.QueryAsync(
            $"SELECT {BackfillColumns} FROM backfills{(where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where))} ORDER BY id DESC LIMIT @limit",
            [.. parameters],
            ReadBackfill,
            cancellationToken).ConfigureAwait(false);
        var details = new List<BackfillDetail>(backfills.Count);
        foreach (BackfillRecord backfill in backfills)
        {
            List<RunStatus> states = await _db.QueryAsync(
                "SELECT status FROM runs WHERE backfill_id = @backfill", [("@backfill", backfill.Id)], r => ParseStatus(r.GetString(0)), cancellationToken).ConfigureAwait(false);
            details.Add(new BackfillDetail(backfill, BackfillProgress.Of(backfill.Intervals, states), []));
        }

        return details;
    }

    /// <summary>Records how a backfill ended.</summary>
    public Task FinishBackfillAsync(string backfillId, RunStatus status, CancellationToken cancellationToken = default) =>
        _db.ExecuteAsync("UPDATE backfills SET status = @status, finished_at = @now WHERE id = @id", [("@id", backfillId), ("@status", FormatStatus(status)), ("@now", _db.Now())], cancellationToken);

    private static BackfillRecord ReadBackfill(DbDataReader r) => new(
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

    private const string SchedulerLeaseName = "scheduler";

    /// <summary>
    /// Takes the scheduler lease for <paramref name="holder"/> until now + <paramref name="timeToLive"/>: when nobody
    /// holds it, when its lease expired, when <paramref name="holder"/> holds it already, or when it is held by
    /// <paramref name="replacing"/> (a holder the caller knows is gone, such as a dead process on the same host).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogLeaseHeld"/>, naming the holder, when another scheduler holds it.</exception>
    public async Task<CatalogLease> AcquireSchedulerLeaseAsync(LeaseHolder holder, TimeSpan timeToLive, string? replacing = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(holder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        (int taken, CatalogLease lease) = await LeaseRows.TakeAsync(_db, SchedulerLeaseName, holder, timeToLive, replacing, cancellationToken).ConfigureAwait(false);
        if (taken == 0 || lease.Holder.Id != holder.Id)
        {
            throw new MedallionException(
                ErrorCode.CatalogLeaseHeld,
                $"Another scheduler holds the catalog '{_db.Location}': {lease.Holder} (last heartbeat {FormatTime(lease.HeartbeatAt)}, lease expires {FormatTime(lease.ExpiresAt)}).\nHelp: stop that server first; only one scheduler may run the jobs of a catalog. If it is gone, this one may take over once its lease expires.");
        }

        return lease;
    }

    /// <summary>Extends the lease of <paramref name="holder"/> to now + <paramref name="timeToLive"/>.</summary>
    /// <returns>False when <paramref name="holder"/> no longer holds it (it expired and another scheduler took it).</returns>
    public Task<bool> RenewSchedulerLeaseAsync(LeaseHolder holder, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(holder);
        return LeaseRows.RenewAsync(_db, SchedulerLeaseName, holder, timeToLive, cancellationToken);
    }

    /// <summary>Gives the lease up (at a clean stop), so the next scheduler need not wait for it to expire.</summary>
    public Task ReleaseSchedulerLeaseAsync(LeaseHolder holder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(holder);
        return LeaseRows.ReleaseAsync(_db, SchedulerLeaseName, holder, cancellationToken);
    }

    /// <summary>The scheduler lease, or null when no scheduler holds one.</summary>
    public Task<CatalogLease?> GetSchedulerLeaseAsync(CancellationToken cancellationToken = default) =>
        LeaseRows.GetAsync(_db, SchedulerLeaseName, cancellationToken);
}
