using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using static Medallion.Catalog.Internal.CatalogDatabase;

namespace Medallion.Catalog.Internal;

/// <summary>
/// The rows of the <c>leases</c> table: one per named lease (the scheduler's, an environment's apply lock), each saying
/// which process holds it, since when, and until when unless renewed. Taking one is one conditional statement, so two
/// processes asking together cannot both win. No other write reads them, so each statement commits outside the catalog's
/// lock where the engine allows (<see cref="CatalogDatabase.ExecuteAloneAsync"/>): a holder keeps its lease while
/// another process is stopped in the middle of a write.
/// </summary>
internal static class LeaseRows
{
    /// <summary>
    /// Takes lease <paramref name="name"/> for <paramref name="holder"/> until now + <paramref name="timeToLive"/>: when
    /// nobody holds it, when it expired, when <paramref name="holder"/> holds it already, or when <paramref name="replacing"/>
    /// holds it (a holder the caller knows is gone). Returns how many rows the statement took (0: refused) and the lease as it is now.
    /// </summary>
    public static async Task<(int Taken, CatalogLease Lease)> TakeAsync(CatalogDatabase db, string name, LeaseHolder holder, TimeSpan timeToLive, string? replacing, CancellationToken cancellationToken)
    {
        DateTimeOffset now = db.Time.GetUtcNow();
        int taken = await db.ExecuteAloneAsync(
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
                ("@name", name), ("@holder", holder.Id), ("@host", holder.Host), ("@pid", holder.ProcessId),
                ("@processStarted", FormatTime(holder.ProcessStartedAt)), ("@now", FormatTime(now)), ("@expires", FormatTime(now + timeToLive)),
                ("@replacing", replacing),
            ],
            cancellationToken,
            "TakeLease").ConfigureAwait(false);
        // Released between the two statements: the caller asks again.
        CatalogLease lease = await GetAsync(db, name, cancellationToken).ConfigureAwait(false)
            ?? new CatalogLease(new LeaseHolder(string.Empty, string.Empty, 0, now), now, now, now);
        return (taken, lease);
    }

    /// <summary>Extends <paramref name="holder"/>'s lease to now + <paramref name="timeToLive"/>; false when it no longer holds it.</summary>
    public static async Task<bool> RenewAsync(CatalogDatabase db, string name, LeaseHolder holder, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        DateTimeOffset now = db.Time.GetUtcNow();
        int renewed = await db.ExecuteAloneAsync(
            "UPDATE leases SET heartbeat_at = @now, expires_at = @expires WHERE name = @name AND holder = @holder",
            [("@name", name), ("@holder", holder.Id), ("@now", FormatTime(now)), ("@expires", FormatTime(now + timeToLive))],
            cancellationToken,
            "RenewLease").ConfigureAwait(false);
        return renewed == 1;
    }

    /// <summary>Gives the lease up, if <paramref name="holder"/> still holds it.</summary>
    public static Task ReleaseAsync(CatalogDatabase db, string name, LeaseHolder holder, CancellationToken cancellationToken) =>
        db.ExecuteAloneAsync("DELETE FROM leases WHERE name = @name AND holder = @holder", [("@name", name), ("@holder", holder.Id)], cancellationToken, "ReleaseLease");

    /// <summary>The lease, or null when nobody holds it.</summary>
    public static async Task<CatalogLease?> GetAsync(CatalogDatabase db, string name, CancellationToken cancellationToken)
    {
        List<CatalogLease> leases = await db.QueryAsync(
            "SELECT holder, host, pid, process_started_at, acquired_at, heartbeat_at, expires_at FROM leases WHERE name = @name",
            [("@name", name)],
            r => new CatalogLease(
                new LeaseHolder(r.GetString(0), r.GetString(1), (int)r.GetInt64(2), ParseTime(r.GetString(3))),
                ParseTime(r.GetString(4)),
                ParseTime(r.GetString(5)),
                ParseTime(r.GetString(6))),
            cancellationToken).ConfigureAwait(false);
        return leases.Count == 0 ? null : leases[0];
    }
}
