using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace Medallion.Catalog;

/// <summary>
/// The scheduler lease: one row that says which process schedules the catalog's jobs, renewed by heartbeats. Taking it
/// is one conditional statement, so two schedulers starting together cannot both win.
/// </summary>
public sealed partial class CatalogStore
{
    private const string SchedulerLeaseName = "scheduler";

    /// <summary>
    /// Takes the scheduler lease for <paramref name="holder"/> until now + <paramref name="timeToLive"/>: when nobody
    /// holds it, when its lease expired, when <paramref name="holder"/> holds it already, or when it is held by
    /// <paramref name="replacing"/> (a holder the caller knows is gone, such as a dead process on the same host).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogLeaseHeld"/>, naming the holder, when another scheduler holds it.</exception>
    public async Task<SchedulerLease> AcquireSchedulerLeaseAsync(LeaseHolder holder, TimeSpan timeToLive, string? replacing = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(holder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        DateTimeOffset now = _time.GetUtcNow();
        int taken = await ExecuteAsync(
            """
            INSERT INTO leases (name, holder, host, pid, process_started_at, acquired_at, heartbeat_at, expires_at)
            VALUES (@name, @holder, @host, @pid, @processStarted, @now, @now, @expires)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, host = excluded.host, pid = excluded.pid,
                process_started_at = excluded.process_started_at,
                acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
                heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at
            WHERE leases.holder = excluded.holder OR leases.expires_at <= @now OR leases.holder = @replacing
            """,
            [
                ("@name", SchedulerLeaseName), ("@holder", holder.Id), ("@host", holder.Host), ("@pid", holder.ProcessId),
                ("@processStarted", FormatTime(holder.ProcessStartedAt)), ("@now", FormatTime(now)), ("@expires", FormatTime(now + timeToLive)),
                ("@replacing", replacing),
            ],
            cancellationToken).ConfigureAwait(false);
        SchedulerLease lease = (await GetSchedulerLeaseAsync(cancellationToken).ConfigureAwait(false))!;
        if (taken == 0 || lease.Holder.Id != holder.Id)
        {
            throw new MedallionException(
                ErrorCode.CatalogLeaseHeld,
                $"Another scheduler holds the catalog '{Path}': {lease.Holder} (last heartbeat {FormatTime(lease.HeartbeatAt)}, lease expires {FormatTime(lease.ExpiresAt)}).\nHelp: stop that server first; only one scheduler may run the jobs of a catalog. If it is gone, this one may take over once its lease expires.");
        }

        return lease;
    }

    /// <summary>Extends the lease of <paramref name="holder"/> to now + <paramref name="timeToLive"/>.</summary>
    /// <returns>False when <paramref name="holder"/> no longer holds it (it expired and another scheduler took it).</returns>
    public async Task<bool> RenewSchedulerLeaseAsync(LeaseHolder holder, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(holder);
        DateTimeOffset now = _time.GetUtcNow();
        int renewed = await ExecuteAsync(
            "UPDATE leases SET heartbeat_at = @now, expires_at = @expires WHERE name = @name AND holder = @holder",
            [("@name", SchedulerLeaseName), ("@holder", holder.Id), ("@now", FormatTime(now)), ("@expires", FormatTime(now + timeToLive))],
            cancellationToken).ConfigureAwait(false);
        return renewed == 1;
    }

    /// <summary>Gives the lease up (at a clean stop), so the next scheduler need not wait for it to expire.</summary>
    public Task ReleaseSchedulerLeaseAsync(LeaseHolder holder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(holder);
        return ExecuteAsync("DELETE FROM leases WHERE name = @name AND holder = @holder", [("@name", SchedulerLeaseName), ("@holder", holder.Id)], cancellationToken);
    }

    /// <summary>The scheduler lease, or null when no scheduler holds one.</summary>
    public async Task<SchedulerLease?> GetSchedulerLeaseAsync(CancellationToken cancellationToken = default)
    {
        List<SchedulerLease> leases = await QueryAsync(
            "SELECT holder, host, pid, process_started_at, acquired_at, heartbeat_at, expires_at FROM leases WHERE name = @name",
            [("@name", SchedulerLeaseName)],
            ReadLease,
            cancellationToken).ConfigureAwait(false);
        return leases.Count == 0 ? null : leases[0];
    }

    private static SchedulerLease ReadLease(SqliteDataReader r) => new(
        new LeaseHolder(r.GetString(0), r.GetString(1), (int)r.GetInt64(2), ParseTime(r.GetString(3))),
        ParseTime(r.GetString(4)),
        ParseTime(r.GetString(5)),
        ParseTime(r.GetString(6)));
}
