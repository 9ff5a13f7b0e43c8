using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using static Medallion.Catalog.Internal.CatalogDatabase;

namespace Medallion.Catalog;

/// <summary>
/// The servers on a catalog: each reports itself when it starts and at every heartbeat, and removes itself when it stops
/// cleanly, so every server (and its operators) sees the others, what each does, and which went silent. Reached through
/// <see cref="CatalogStore.Servers"/>.
/// </summary>
public sealed class ServerStore
{
    private const string Columns = "id, host, pid, process_started_at, role, version, http_address, started_at, heartbeat_at";

    /// <summary>The role a server that only executes the runs schedulers admit reports (<c>medallion server --role worker</c>).</summary>
    public const string WorkerRole = "worker";

    /// <summary>
    /// The role a server reports that plans and admits runs beside the other servers of its catalog, without the scheduler
    /// lease (<c>medallion server --planning every-server</c>): like a worker, it keeps its own heartbeat, and a server that
    /// finds it silent takes its runs back.
    /// </summary>
    public const string PlannerRole = "planner";

    private readonly CatalogDatabase _db;

    internal ServerStore(CatalogDatabase db) => _db = db;

    /// <summary>
    /// Records that <paramref name="process"/> is alive now, doing <paramref name="role"/>: its first report adds it (started
    /// now), the next ones move its heartbeat.
    /// </summary>
    /// <param name="process">The server's process (its id is the scheduler's holder id, which its runs carry).</param>
    /// <param name="role">What it does now, e.g. <c>active</c>, <c>standby</c>, <c>web</c>.</param>
    /// <param name="version">The Medallion version it runs.</param>
    /// <param name="httpAddress">Where its HTTP listener answers, when it has one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task ReportAsync(LeaseHolder process, string role, string version, Uri? httpAddress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentException.ThrowIfNullOrEmpty(role);
        ArgumentException.ThrowIfNullOrEmpty(version);
        return _db.ExecuteAsync(
            $"""
            INSERT INTO servers ({Columns}) VALUES (@id, @host, @pid, @processStarted, @role, @version, @http, @now, @now)
            ON CONFLICT (id) DO UPDATE SET role = excluded.role, http_address = excluded.http_address, heartbeat_at = excluded.heartbeat_at
            """,
            [("@id", process.Id), ("@host", process.Host), ("@pid", process.ProcessId), ("@processStarted", FormatTime(process.ProcessStartedAt)),
                ("@role", role), ("@version", version), ("@http", httpAddress?.ToString()), ("@now", _db.Now())],
            cancellationToken);
    }

    /// <summary>
    /// Moves the heartbeat of a server already listed, without listing it again: false when it is not listed, because a
    /// scheduler took its runs back after it went silent (<see cref="RunStore.ReclaimRunsOfSilentServersAsync"/>) or it
    /// was forgotten. A worker renews this way, so that one that resumes after a silence learns that its runs are gone.
    /// </summary>
    public async Task<bool> RenewAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(serverId);
        return await _db.ExecuteAsync(
            "UPDATE servers SET heartbeat_at = @now WHERE id = @id", [("@id", serverId), ("@now", _db.Now())], cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>Removes a server that stops cleanly, so nobody takes it for one that went silent.</summary>
    public Task RemoveAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(serverId);
        return _db.ExecuteAsync("DELETE FROM servers WHERE id = @id", [("@id", serverId)], cancellationToken);
    }

    /// <summary>
    /// Forgets the servers silent for longer than <paramref name="silence"/> (killed, or their machine lost, long ago), so
    /// the list does not grow with every crash; returns how many.
    /// </summary>
    public Task<int> ForgetSilentAsync(TimeSpan silence, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(silence, TimeSpan.Zero);
        return _db.ExecuteAsync(
            "DELETE FROM servers WHERE heartbeat_at < @before", [("@before", FormatTime(_db.Time.GetUtcNow() - silence))], cancellationToken);
    }

    /// <summary>Every server the catalog knows, the longest running first.</summary>
    public Task<List<ServerRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync($"SELECT {Columns} FROM servers ORDER BY started_at, id", [], ReadServer, cancellationToken);

    private static ServerRecord ReadServer(DbDataReader r) => new(
        new LeaseHolder(r.GetString(0), r.GetString(1), (int)r.GetInt64(2), ParseTime(r.GetString(3))),
        r.GetString(4),
        r.GetString(5),
        GetNullableString(r, 6) is { } http ? new Uri(http) : null,
        ParseTime(r.GetString(7)),
        ParseTime(r.GetString(8)));
}
