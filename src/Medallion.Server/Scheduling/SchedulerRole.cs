using Medallion.Catalog;

namespace Medallion.Server.Scheduling;

/// <summary>What a <see cref="JobScheduler"/> does now.</summary>
public enum SchedulerRole
{
    /// <summary>It holds the catalog's lease and runs the project's jobs.</summary>
    Active,

    /// <summary>Another live scheduler holds the lease; this one takes over when that lease lapses.</summary>
    Standby,

    /// <summary>Its lease lapsed (missed heartbeats) and another scheduler took it: it plans nothing more.</summary>
    LeaseLost,

    /// <summary>It never runs jobs (<see cref="SchedulerOptions.RunsJobs"/> false, a server of role web): what it is asked goes to the scheduler that does.</summary>
    Web,

    /// <summary>It plans nothing and executes the runs schedulers admitted (<see cref="SchedulerOptions.ClaimsRuns"/>, a server of role worker).</summary>
    Worker,

    /// <summary>It plans the jobs and admits runs beside the other schedulers of its catalog, without the lease (<see cref="SchedulerOptions.PlansBesideOthers"/>).</summary>
    Planner,
}

/// <summary>How a <see cref="SchedulerRole"/> reads in <c>/readyz</c>, <c>/api/servers</c> and the catalog's servers table.</summary>
public static class SchedulerRoleNames
{
    /// <summary><c>active</c>, <c>standby</c>, <c>web</c>, <c>worker</c>, <c>planner</c> or <c>lease lost</c>.</summary>
    public static string Of(SchedulerRole role) => role switch
    {
        SchedulerRole.Active => "active",
        SchedulerRole.Standby => "standby",
        SchedulerRole.Web => "web",
        SchedulerRole.Worker => ServerStore.WorkerRole,
        SchedulerRole.Planner => ServerStore.PlannerRole,
        _ => "lease lost",
    };
}
