using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using static Medallion.Catalog.Internal.CatalogDatabase;

namespace Medallion.Catalog;

/// <summary>
/// The runs a scheduler hands to workers. The scheduler admits a queued run once its job's and backfill's limits and the
/// locks of the tables it writes allow it to start (<see cref="AdmitRunsAsync"/>); any server that executes runs claims
/// admitted runs (<see cref="ClaimRunsAsync"/>), concurrent claimers each taking other runs; the scheduler watches them
/// to their end (<see cref="GetRunsAsync"/>) and takes back those of workers that went silent
/// (<see cref="ReclaimRunsOfSilentServersAsync"/>).
/// </summary>
public sealed partial class RunStore
{
    private const string Admitted = "admitted_at IS NOT NULL";

    /// <summary>
    /// Admits queued runs for any server that executes runs to claim, in one write: each leaves its scheduler (no holder)
    /// and waits, first admitted first, for <see cref="ClaimRunsAsync"/>; the claimers watching
    /// (<see cref="WatchClaimableRunsAsync"/>) hear of them as it commits. Nothing happens to a run that is no longer queued.
    /// </summary>
    public Task AdmitRunsAsync(IReadOnlyCollection<string> runIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        if (runIds.Count == 0)
        {
            return Task.CompletedTask;
        }

        (string, object?)[] parameters = [("@ids", CatalogJson.WriteStrings([.. runIds])), ("@now", _db.Now()), ("@queued", FormatStatus(RunStatus.Queued))];
        return _db.WriteAsync((connection, transaction) =>
        {
            int admitted = Execute(connection, transaction,
                $"UPDATE runs SET admitted_at = @now, holder = NULL WHERE id IN ({_db.Dialect.JsonTextSet("@ids")}) AND status = @queued", parameters);
            TellClaimers(connection, transaction, admitted);
            return admitted;
        }, cancellationToken);
    }

    /// <summary>
    /// Calls <paramref name="claimable"/> soon after any process's write makes runs claimable (admitted, handed back, taken
    /// back from a silent worker), until <paramref name="cancellationToken"/> is cancelled, on a catalog that tells its
    /// processes (PostgreSQL's <c>LISTEN</c>); a dropped connection is opened again. Returns at once, false, on one that does
    /// not (SQLite): claimers poll, as they also should between calls, which a lost connection can miss.
    /// </summary>
    public Task<bool> WatchClaimableRunsAsync(Action claimable, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claimable);
        return _db.ListenAsync(ClaimableChannel, claimable, cancellationToken);
    }

    // What admissions and hand-backs notify on PostgreSQL; catalogs in two schemas of one database share it, at the cost of
    // a claimer's read that finds nothing.
    private const string ClaimableChannel = "medallion_claimable_runs";

    /// <summary>Tells the claimers watching (see <see cref="WatchClaimableRunsAsync"/>) that this write, once committed, made <paramref name="runs"/> claimable.</summary>
    private void TellClaimers(DbConnection connection, DbTransaction transaction, int runs)
    {
        if (runs > 0 && _db.Dialect.Notify(ClaimableChannel) is { } notify)
        {
            Execute(connection, transaction, notify);
        }
    }

    /// <summary>
    /// Claims at most <paramref name="count"/> admitted runs nobody holds for <paramref name="holderId"/>, first admitted
    /// first. Claimers that ask at once each get other runs, without waiting for each other (PostgreSQL's
    /// <c>FOR UPDATE SKIP LOCKED</c>; SQLite's one writer).
    /// </summary>
    /// <returns>The claimed runs, now held by <paramref name="holderId"/>; none when none waits.</returns>
    public async Task<List<RunRecord>> ClaimRunsAsync(string holderId, int count, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(holderId);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        (string, object?)[] waiting = [("@queued", FormatStatus(RunStatus.Queued))];
        const string Unclaimed = "WHERE status = @queued AND holder IS NULL AND " + Admitted;
        // Read first: every worker asks every poll interval, and most of the time nothing waits.
        if (count == 0 || (await _db.QueryAsync("SELECT 1 FROM runs " + Unclaimed + " LIMIT 1", waiting, r => r.GetInt32(0), cancellationToken).ConfigureAwait(false)).Count == 0)
        {
            return [];
        }

        var claimed = new List<RunRecord>();
        string skipLocked = _db.Dialect.SkipLockedRows;
        await _db.WriteAsync((connection, transaction) =>
        {
            claimed.Clear();
            using (DbCommand select = CreateCommand(connection, transaction,
                $"SELECT {RunColumns} FROM runs {Unclaimed} ORDER BY admitted_at, id LIMIT @count{skipLocked}", [.. waiting, ("@count", count)]))
            using (DbDataReader reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    claimed.Add(ReadRun(reader) with { Holder = holderId });
                }
            }

            if (claimed.Count > 0)
            {
                Execute(connection, transaction, $"UPDATE runs SET holder = @holder WHERE id IN ({_db.Dialect.JsonTextSet("@ids")})",
                    ("@ids", CatalogJson.WriteStrings([.. claimed.Select(r => r.Id)])), ("@holder", holderId));
            }

            return claimed.Count;
        }, cancellationToken).ConfigureAwait(false);
        return claimed;
    }

    /// <summary>The runs with these ids as they are now (those that exist), for a scheduler watching the runs it admitted.</summary>
    public async Task<List<RunRecord>> GetRunsAsync(IReadOnlyCollection<string> runIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        if (runIds.Count == 0)
        {
            return [];
        }

        // The ids travel as one JSON array parameter, not as thousands of parameters.
        return await _db.QueryAsync(
            $"SELECT {RunColumns} FROM runs WHERE id IN ({_db.Dialect.JsonTextSet("@ids")})",
            [("@ids", CatalogJson.WriteStrings([.. runIds]))],
            ReadRun,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The admitted runs held by servers that reported themselves at or after <paramref name="liveSince"/>, queued
    /// (claimed, not started) or running: what a scheduler that takes over leaves to them, and counts as under way.
    /// </summary>
    public Task<List<RunRecord>> GetRunsOfLiveServersAsync(DateTimeOffset liveSince, CancellationToken cancellationToken = default) =>
        _db.QueryAsync(
            $"SELECT {RunColumns} FROM runs WHERE status IN (@queued, @running) AND {Admitted} AND {HeldByLive}",
            [("@queued", FormatStatus(RunStatus.Queued)), ("@running", FormatStatus(RunStatus.Running)), ("@live", FormatTime(liveSince))],
            ReadRun,
            cancellationToken);

    private const string HeldByLive = "holder IN (SELECT id FROM servers WHERE heartbeat_at >= @live)";

    /// <summary>
    /// Takes back the admitted runs of servers silent since before <paramref name="liveSince"/>, known to be
    /// <paramref name="gone"/>, or gone from the servers table: a run one of them had claimed and not started waits for another claimer; a running one becomes
    /// <see cref="RunStatus.Interrupted"/> (with its running attempt and models) and passes to
    /// <paramref name="schedulerId"/>, which retries it by its job's policy. The silent workers leave the servers table,
    /// so one that resumes finds it no longer holds anything (see <see cref="ServerStore.RenewAsync"/>). One transaction.
    /// </summary>
    /// <returns>The runs interrupted (or queued again), as they are now.</returns>
    /// <param name="schedulerId">The scheduler taking the runs back (it retries the interrupted ones).</param>
    /// <param name="liveSince">Servers that reported themselves before this are silent.</param>
    /// <param name="gone">Servers known to be gone whatever their heartbeat (a process of the scheduler's host that died).</param>
    /// <param name="retry">Whether an interrupted run, with how many attempts it has, is queued again at once (as in <see cref="RecoverRunsAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task<List<RunRecord>> ReclaimRunsOfSilentServersAsync(
        string schedulerId, DateTimeOffset liveSince, IReadOnlyCollection<string>? gone = null, Func<RunRecord, int, bool>? retry = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedulerId);
        (string, object?)[] parameters =
        [
            ("@queued", FormatStatus(RunStatus.Queued)), ("@running", FormatStatus(RunStatus.Running)), ("@live", FormatTime(liveSince)),
            ("@worker", ServerStore.WorkerRole), ("@gone", CatalogJson.WriteStrings([.. gone ?? []])),
        ];
        string goneSet = _db.Dialect.JsonTextSet("@gone");
        string silent = $"(heartbeat_at < @live OR id IN ({goneSet}))";
        string orphaned = $"status IN (@queued, @running) AND {Admitted} AND holder IS NOT NULL AND holder NOT IN (SELECT id FROM servers WHERE NOT {silent})";
        // Read first: the scheduler asks at every pass while workers hold runs, and they are nearly always alive.
        bool silentWorkers = (await _db.QueryAsync($"SELECT 1 FROM servers WHERE role = @worker AND {silent} LIMIT 1", parameters, r => r.GetInt32(0), cancellationToken).ConfigureAwait(false)).Count > 0;
        if (!silentWorkers && (await _db.QueryAsync($"SELECT 1 FROM runs WHERE {orphaned} LIMIT 1", parameters, r => r.GetInt32(0), cancellationToken).ConfigureAwait(false)).Count == 0)
        {
            return [];
        }

        var interrupted = new List<string>();
        string now = _db.Now();
        await _db.WriteAsync((connection, transaction) =>
        {
            interrupted.Clear();
            var left = new List<RunRecord>();
            using (DbCommand select = CreateCommand(connection, transaction, $"SELECT {RunColumns} FROM runs WHERE {orphaned}", parameters))
            using (DbDataReader reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    left.Add(ReadRun(reader));
                }
            }

            foreach (RunRecord run in left)
            {
                if (run.Status == RunStatus.Queued)
                {
                    // Claimed but not started: another claimer takes it as it is.
                    TellClaimers(connection, transaction, Execute(connection, transaction, "UPDATE runs SET holder = NULL WHERE id = @id", ("@id", run.Id)));
                    continue;
                }

                InterruptRun(connection, transaction, run, schedulerId, now, "interrupted: the worker running it went silent (stopped, killed or cut off) and its runs were taken back", retry);
                interrupted.Add(run.Id);
            }

            Execute(connection, transaction, $"DELETE FROM servers WHERE role = @worker AND {silent}", parameters);
            return interrupted.Count;
        }, cancellationToken).ConfigureAwait(false);
        return await GetRunsAsync(interrupted, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a run admitted and not claimed yet as cancelled; false when a server claimed it meanwhile (ask that one with
    /// <see cref="RequestCancelAsync"/>) or it is no longer queued.
    /// </summary>
    public async Task<bool> CancelUnclaimedRunAsync(string runId, string error, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        int ended = await _db.ExecuteAsync(
            $"UPDATE runs SET status = @cancelled, finished_at = @now, error = @error WHERE id = @id AND status = @queued AND holder IS NULL AND {Admitted}",
            [("@id", runId), ("@now", _db.Now()), ("@error", error), ("@cancelled", FormatStatus(RunStatus.Cancelled)), ("@queued", FormatStatus(RunStatus.Queued))],
            cancellationToken).ConfigureAwait(false);
        return ended > 0;
    }

    /// <summary>
    /// Hands a run a stopping worker holds back to the queue of admitted runs, for another worker to claim: its running
    /// attempt and models end <see cref="RunStatus.Interrupted"/> with <paramref name="reason"/>, and the run waits,
    /// queued and claimable, keeping its attempts (the next claimer starts the next one).
    /// </summary>
    /// <returns>False when <paramref name="holderId"/> no longer holds the run (it was taken back meanwhile).</returns>
    public async Task<bool> HandBackRunAsync(string runId, string holderId, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(holderId);
        string now = _db.Now();
        int handed = await _db.WriteAsync((connection, transaction) =>
        {
            int released = Execute(connection, transaction,
                $"UPDATE runs SET status = @queued, holder = NULL, finished_at = NULL, error = NULL WHERE id = @id AND holder = @holder AND status IN (@queued, @running) AND {Admitted}",
                ("@id", runId), ("@holder", holderId), ("@queued", FormatStatus(RunStatus.Queued)), ("@running", FormatStatus(RunStatus.Running)));
            if (released > 0)
            {
                Execute(connection, transaction, "UPDATE run_attempts SET status = @status, finished_at = @now, error = @error WHERE run_id = @id AND finished_at IS NULL",
                    ("@id", runId), ("@status", FormatStatus(RunStatus.Interrupted)), ("@now", now), ("@error", reason));
                Execute(connection, transaction, "UPDATE model_runs SET status = @status, error = @error WHERE run_id = @id AND status = @running",
                    ("@id", runId), ("@status", FormatStatus(RunStatus.Interrupted)), ("@error", reason), ("@running", FormatStatus(RunStatus.Running)));
                TellClaimers(connection, transaction, released);
            }

            return released;
        }, cancellationToken).ConfigureAwait(false);
        return handed > 0;
    }

    /// <summary>
    /// Ends a running run's attempt and running models <see cref="RunStatus.Interrupted"/>, and the run with them, for
    /// <paramref name="holderId"/>; or, when <paramref name="retry"/> says so for its count of attempts, queues the run
    /// again for <paramref name="holderId"/> in the same transaction, so that nobody sees it ended.
    /// </summary>
    private static void InterruptRun(DbConnection connection, DbTransaction transaction, RunRecord run, string holderId, string now, string error, Func<RunRecord, int, bool>? retry)
    {
        Execute(connection, transaction, "UPDATE run_attempts SET status = @status, finished_at = @now, error = @error WHERE run_id = @id AND finished_at IS NULL",
            ("@id", run.Id), ("@status", FormatStatus(RunStatus.Interrupted)), ("@now", now), ("@error", error));
        Execute(connection, transaction, "UPDATE model_runs SET status = @status, error = @error WHERE run_id = @id AND status = @running",
            ("@id", run.Id), ("@status", FormatStatus(RunStatus.Interrupted)), ("@error", error), ("@running", FormatStatus(RunStatus.Running)));
        int attempts = Convert.ToInt32(Scalar(connection, transaction, "SELECT count(*) FROM run_attempts WHERE run_id = @id", [("@id", run.Id)]), CultureInfo.InvariantCulture);
        if (retry?.Invoke(run, attempts) == true)
        {
            Execute(connection, transaction, "UPDATE runs SET status = @queued, finished_at = NULL, error = NULL, holder = @holder, admitted_at = NULL WHERE id = @id",
                ("@id", run.Id), ("@queued", FormatStatus(RunStatus.Queued)), ("@holder", holderId));
            return;
        }

        Execute(connection, transaction, "UPDATE runs SET status = @status, finished_at = @now, error = @error, holder = @holder WHERE id = @id",
            ("@id", run.Id), ("@status", FormatStatus(RunStatus.Interrupted)), ("@now", now), ("@error", error), ("@holder", holderId));
    }
}
