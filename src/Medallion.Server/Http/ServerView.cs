using System;
using Medallion.Catalog;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Http;

/// <summary>A server on the project's catalog, as <c>GET /api/servers</c> shows it.</summary>
/// <param name="Id">Its id: the holder its runs carry.</param>
/// <param name="Host">Its machine.</param>
/// <param name="Pid">Its process id there.</param>
/// <param name="Role">What it did at its last heartbeat: <c>active</c>, <c>standby</c>, <c>web</c> or <c>lease lost</c>.</param>
/// <param name="Version">The Medallion version it runs.</param>
/// <param name="HttpAddress">Where its HTTP listener answers, as it bound it.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="HeartbeatAt">When it last reported itself.</param>
/// <param name="Silent">True when its last heartbeat is older than the scheduler lease: it was killed, hangs or is cut off.</param>
/// <param name="This">True for the server that answers.</param>
public sealed record ServerView(
    string Id, string Host, int Pid, string Role, string Version, Uri? HttpAddress, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, bool Silent, bool This)
{
    internal static ServerView Of(ServerRecord server, JobScheduler answering, DateTimeOffset now) => new(
        server.Process.Id,
        server.Process.Host,
        server.Process.ProcessId,
        server.Role,
        server.Version,
        server.HttpAddress,
        server.StartedAt,
        server.HeartbeatAt,
        now - server.HeartbeatAt > answering.Options.LeaseTimeToLive,
        server.Process.Id == answering.Holder.Id);
}
