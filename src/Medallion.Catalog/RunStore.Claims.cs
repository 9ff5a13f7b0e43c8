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
/// Admission, and the runs a scheduler hands to workers. A scheduler admits a queued run once its job's and backfill's
/// limits and the locks of the tables it writes allow it to start, judged from the runs under way in the catalog
/// (<see cref="AdmitAsync"/>); it starts the run itself or leaves it for any server that executes runs to claim
/// (<see cref="ClaimRunsAsync"/>), concurrent claimers each taking other runs; the scheduler watches them to their end
/// (<see cref="GetRunsAsync"/>) and takes back those of workers that went silent (<see cref="ReclaimRunsOfSilentServersAsync"/>).
/// </summary>
public sealed partial class RunStore
{
    private const string Admitted = "admitted_at IS NOT NULL";

    /// <summary>
    /// Admits queued runs to start, deciding from the runs under way in the catalog, in one write: whatever process or
    /// scheduler admitted those, and wherever they run, the tables they write stay locked and they count against their
    /// limits until they end. <paramref name="decide"/> gets the runs held now and returns the runs to admit, in order; each
    /// admitted run locks its <see cref="RunAdmission.Writes"/> until it ends (or is queued again to be admitted anew), and
    /// either starts under <paramref name="holderId"/> (<see cref="RunAdmission.Here"/>: the caller starts it) or waits, first
    /// admitted first, for <see cref="ClaimRunsAsync"/>; the claimers watching (<see cref="WatchClaimableRunsAsync"/>) hear of
    /// those as it commits. A run that is no longer queued, or was admitted meanwhile (but here, by
    /// <paramref name="holderId"/>, again), is left as it is and not returned.
    /// </summary>
    /// <remarks>
    /// Admissions of every process take turns (SQLite's one writer; PostgreSQL's catalog lock, held by every write), so
    /// two schedulers admitting at once never lock one table twice nor pass a limit between them.
    /// <paramref name="decide"/> runs inside the write: it must be quick and must not touch the catalog.
    /// </remarks>
    /// <param name="holderId">Who starts the runs admitted <see cref="RunAdmission.Here"/>.</param>
    /// <param name="decide">The runs to admit, given the runs held now (queued and admitted, or running, with the tables they lock).</param>
    /// <param name="waitingLine">
    /// A line for the log of each run admitted for a claimer, in the same write: it precedes whatever its claimer logs.
    /// </param>
    /// <param name="cancellationToken">Cancels the write while it waits.</param>
    /// <param name="recordHereAsAdmitted">
    /// Records the runs admitted <see cref="RunAdmission.Here"/> as admitted too (held by <paramref name="holderId"/>), as
    /// a claimed run is: a server that plans beside others keeps nothing only it could take back, so that whichever finds it
    /// silent takes its runs back (<see cref="ReclaimRunsOfSilentServersAsync"/>), and it hands them back when it stops.
    /// </param>
    /// <returns>The runs admitted, in the order decided.</returns>
    public async Task<List<RunAdmission>> AdmitAsync(
        string holderId, Func<IReadOnlyList<HeldRun>, IReadOnlyList<RunAdmission>> decide, RunLogEntry? waitingLine = null, bool recordHereAsAdmitted = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(holderId);
        ArgumentNullException.ThrowIfNull(decide);
        var admitted = new List<RunAdmission>();
        string now = _db.Now();
        (string, object?)[] underWay = [("@queued", FormatStatus(RunStatus.Queued)), ("@running", FormatStatus(RunStatus.Running))];
        await _db.WriteAsync((connection, transaction) =>
        {
            admitted.Clear();
            var held = new List<HeldRun>();
            using (DbCommand select = CreateCommand(connection, transaction,
                $"SELECT id, job, backfill_id, holder, writes FROM runs WHERE status IN (@queued, @running) AND {Holding}", underWay))
            using (DbDataReader reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    held.Add(new HeldRun(
                        reader.GetString(0), GetNullableString(reader, 1), GetNullableString(reader, 2), GetNullableString(reader, 3),
                        CatalogJson.ReadStrings(reader.GetString(4)).Select(TableName.Parse).ToList()));
                }
            }

            var claimable = new List<string>();
            foreach (RunAdmission admission in decide(held))
            {
                // Here: held by the caller, which starts it; else no holder, admitted, for a claimer. Admitting here again
                // what this write's caller admitted here already is no change: a write whose commit went through but whose
                // answer was lost is asked again, and its runs must not be left admitted and never started.
                int changed = Execute(connection, transaction,
                    $"""
                     UPDATE runs SET writes = @writes, holder = @holder, admitted_at = CASE WHEN @here = 1 AND @recorded = 0 THEN NULL ELSE @now END
                     WHERE id = @id AND status = @queued AND (NOT {Holding} OR (@here = 1 AND holder = @holder AND (admitted_at IS NULL OR @recorded = 1)))
                     """,
                    ("@id", admission.RunId), ("@writes", CatalogJson.WriteStrings([.. admission.Writes.Select(t => t.ToString())])),
                    ("@holder", admission.Here ? holderId : null), ("@here", admission.Here ? 1 : 0), ("@recorded", recordHereAsAdmitted ? 1 : 0), ("@now", now), underWay[0]);
                if (changed > 0)
                {
                    admitted.Add(admission);
                    if (!admission.Here)
                    {
                        claimable.Add(admission.RunId);
                    }
                }
            }

            if (waitingLine is not null && claimable.Count > 0)
            {
                foreach ((string sql, (string, object?)[] parameters) in RunLogInserts([.. claimable.Select(id => (id, (IReadOnlyList<RunLogEntry>)[waitingLine]))]))
                {
                    Execute(connection, transaction, sql, parameters);
                }
            }

            TellClaimers(connection, transaction, claimable.Count);
            return admitted.Count;
        }, cancellationToken).ConfigureAwait(false);
        return admitted;
    }

    // A run admitted to start (here or for a claimer) locks the tables it writes until it ends or is queued again.
    private const string Holding = "writes IS NOT NULL";

    /// <summary>
    /// Locks the tables of runs under way that lock none: runs admitted by a version of Medallion that kept the locks in
    /// its scheduler's memory, and still held by a live worker when a scheduler of this version takes over. A run that
    /// holds its locks already, or has ended, is left as it is.
    /// </summary>
    /// <param name="runs">Each run with the tables it may write (<see cref="RunAdmission.Here"/> is not read).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task LockTablesOfUnlockedRunsAsync(IReadOnlyCollection<RunAdmission> runs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
        {
            return Task.CompletedTask;
        }

        return _db.WriteAsync((connection, transaction) => runs.Sum(run => Execute(connection, transaction,
            $"UPDATE runs SET writes = @writes WHERE id = @id AND status IN (@queued, @running) AND NOT {Holding}",
            ("@id", run.RunId), ("@writes", CatalogJson.WriteStrings([.. run.Writes.Select(t => t.ToString())])),
            ("@queued", FormatStatus(RunStatus.Queued)), ("@running", FormatStatus(RunStatus.Running)))), cancellationToken);
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
    /// <param name="unadmittedToo">
    /// Takes back the runs of those servers that were never admitted too (queued by a server that plans beside others, or
    /// its continuous runs), except <paramref name="schedulerId"/>'s own: a queued one is left for any scheduler to adopt
    /// (<see cref="AdoptQueuedRunsAsync"/>). For servers that plan beside others; behind the scheduler lease, the one that
    /// takes the lease over recovers them (<see cref="RecoverRunsAsync"/>).
    /// </param>
    public async Task<List<RunRecord>> ReclaimRunsOfSilentServersAsync(
        string schedulerId, DateTimeOffset liveSince, IReadOnlyCollection<string>? gone = null, Func<RunRecord, int, bool>? retry = null, bool unadmittedToo = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedulerId);
        (string, object?)[] parameters =
        [
            ("@queued", FormatStatus(RunStatus.Queued)), ("@running", FormatStatus(RunStatus.Running)), ("@live", FormatTime(liveSince)),
            ("@worker", ServerStore.WorkerRole), ("@planner", ServerStore.PlannerRole), ("@gone", CatalogJson.WriteStrings([.. gone ?? []])), ("@scheduler", schedulerId),
        ];
        string goneSet = _db.Dialect.JsonTextSet("@gone");
        string silent = $"(heartbeat_at < @live OR id IN ({goneSet}))";
        string taken = unadmittedToo ? "holder <> @scheduler" : Admitted;
        string orphaned = $"status IN (@queued, @running) AND {taken} AND holder IS NOT NULL AND holder NOT IN (SELECT id FROM servers WHERE NOT {silent})";
        // The servers that keep their own heartbeat, and learn from its renewal that their runs were taken back.
        const string SelfRenewing = "role IN (@worker, @planner)";
        // Read first: the scheduler asks at every pass while workers hold runs, and they are nearly always alive.
        bool silentWorkers = (await _db.QueryAsync($"SELECT 1 FROM servers WHERE {SelfRenewing} AND {silent} LIMIT 1", parameters, r => r.GetInt32(0), cancellationToken).ConfigureAwait(false)).Count > 0;
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
                    // Claimed but not started: another claimer takes it as it is (queued and never admitted: a scheduler adopts it).
                    TellClaimers(connection, transaction, Execute(connection, transaction, "UPDATE runs SET holder = NULL WHERE id = @id", ("@id", run.Id)));
                    continue;
                }

                InterruptRun(connection, transaction, run, schedulerId, now, "interrupted: the server running it went silent (stopped, killed or cut off) and its runs were taken back", retry);
                interrupted.Add(run.Id);
            }

            Execute(connection, transaction, $"DELETE FROM servers WHERE {SelfRenewing} AND {silent}", parameters);
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
            Execute(connection, transaction, "UPDATE runs SET status = @queued, finished_at = NULL, error = NULL, holder = @holder, admitted_at = NULL, writes = NULL WHERE id = @id",
                ("@id", run.Id), ("@queued", FormatStatus(RunStatus.Queued)), ("@holder", holderId));
            return;
        }

        Execute(connection, transaction, "UPDATE runs SET status = @status, finished_at = @now, error = @error, holder = @holder WHERE id = @id",
            ("@id", run.Id), ("@status", FormatStatus(RunStatus.Interrupted)), ("@now", now), ("@error", error), ("@holder", holderId));
    }
}
