using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;

namespace Medallion.Server.Scheduling;

/// <summary>
/// Which jobs a planner plans among the servers that plan beside each other (<see cref="SchedulerOptions.PlansBesideOthers"/>):
/// each job is planned by one live planner, chosen by rendezvous hashing over the planners listed in the catalog, so
/// that planners share the work of planning (reading watched tables, queueing fire times) rather than each doing all of
/// it and all but one losing every insert. A planner joining or leaving moves only the jobs it gains or held.
/// </summary>
/// <remarks>
/// Nothing here decides that a run is queued once: the catalog does that (the unique key on a job's fire time, the check
/// of a job's seen versions), so two planners that briefly see the planners differently both plan a job, and one of them
/// queues each of its runs. A planner that gains a job plans it from the catalog's record, not its own memory: the fire
/// times its last owner left unqueued (stopped, or killed and then silent) are the job's to catch up, by its
/// <c>catchup:</c> policy as at a start, and none is queued twice.
/// </remarks>
public sealed partial class JobScheduler
{
    /// <summary>
    /// How many heartbeats in a row a planner misses before the others plan its jobs: one late heartbeat on a busy
    /// machine does not move them, and a killed planner's fire times wait about that long rather than for
    /// <see cref="SchedulerOptions.AdoptAfter"/>.
    /// </summary>
    private const int MissedHeartbeatsBeforeJobsMove = 2;

    // The live planners' ids, in order, as the last heartbeat read them (null until read: this planner plans every job).
    private volatile IReadOnlyList<string>? _livePlanners;

    /// <summary>The live planners this one plans beside, itself included, as its last heartbeat read them; null until read, or when it does not plan beside others.</summary>
    internal IReadOnlyList<string>? LivePlanners => _livePlanners;

    // The planners _plannedHere was chosen among, and the jobs this planner plans among them (under _state).
    private IReadOnlyList<string>? _plannedAmong;
    private Definitions? _plannedFor;
    private readonly HashSet<string> _plannedHere = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads which planners are live: those listed in the catalog whose heartbeat is at most
    /// <see cref="MissedHeartbeatsBeforeJobsMove"/> heartbeats old, and this one.
    /// </summary>
    private async Task ReadLivePlannersAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset silentBefore = _time.GetUtcNow() - (_options.HeartbeatInterval * MissedHeartbeatsBeforeJobsMove) - _options.HeartbeatInterval / 2;
        List<ServerRecord> servers = await _catalog.Servers.ListAsync(cancellationToken).ConfigureAwait(false);
        List<string> live = [.. servers
            .Where(s => s.Role == ServerStore.PlannerRole && s.HeartbeatAt >= silentBefore)
            .Select(s => s.Process.Id)
            .Append(Holder.Id)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];
        if (_livePlanners is not { } known || !known.SequenceEqual(live, StringComparer.Ordinal))
        {
            _livePlanners = live;
            Wake();
        }
    }

    /// <summary>
    /// The jobs this scheduler plans: all of them, unless it plans beside others, then those it is the chosen planner of;
    /// and of those, the ones it gained since the pass before. A job it gains is planned from the catalog (its newest
    /// scheduled fire time, its pending files afresh) rather than from what this planner remembered of it, and the fire
    /// times that came due meanwhile count as missed while no scheduler planned them (its catch-up policy decides), as
    /// when a scheduler starts. Called with <see cref="_state"/> held.
    /// </summary>
    private (List<JobDefinition> Jobs, IReadOnlySet<string> Gained) JobsPlannedHere()
    {
        Definitions definitions = _definitions;
        var gained = new HashSet<string>(StringComparer.Ordinal);
        if (!_options.PlansBesideOthers || _livePlanners is not { } planners)
        {
            return ([.. definitions.Jobs.Values], gained);
        }

        if (!ReferenceEquals(planners, _plannedAmong) || !ReferenceEquals(definitions, _plannedFor))
        {
            foreach (JobDefinition job in definitions.Jobs.Values)
            {
                bool here = PlannerOf(job.Name, planners) == Holder.Id;
                if (here && _plannedHere.Add(job.Name))
                {
                    gained.Add(job.Name);
                    _lastFire.Remove(job.Name);
                    _pendingFiles.Remove(job.Name);
                }
                else if (!here)
                {
                    _plannedHere.Remove(job.Name);
                }
            }

            _plannedHere.IntersectWith(definitions.Jobs.Keys);
            (_plannedAmong, _plannedFor) = (planners, definitions);
        }

        return ([.. definitions.Jobs.Values.Where(j => _plannedHere.Contains(j.Name))], gained);
    }

    /// <summary>
    /// The planner that plans <paramref name="job"/> among <paramref name="planners"/>: the one whose hash with the job's
    /// name is highest (rendezvous hashing), so that every planner that sees the same planners chooses the same one, and
    /// a planner leaving moves only its own jobs, each to whichever of the others ranks next.
    /// </summary>
    internal static string PlannerOf(string job, IReadOnlyList<string> planners)
    {
        ArgumentNullException.ThrowIfNull(planners);
        string chosen = planners[0];
        ulong best = 0;
        foreach (string planner in planners)
        {
            ulong weight = Weight(job, planner);
            if (weight > best || (weight == best && string.CompareOrdinal(planner, chosen) < 0))
            {
                (chosen, best) = (planner, weight);
            }
        }

        return chosen;
    }

    private static ulong Weight(string job, string planner)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(planner + "\n" + job), hash);
        return BitConverter.ToUInt64(hash);
    }
}
