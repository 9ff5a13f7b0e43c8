using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Medallion.Server.Scheduling;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Http;

/// <summary>
/// <c>/healthz</c> (the process answers) and <c>/readyz</c> (it has started everything and is not stopping, with what its
/// scheduler does), for containers and load balancers.
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Ok(new HealthStatus("ok")))
            .AllowAnonymous().WithName("Liveness").WithTags("health").Produces<HealthStatus>();
        app.MapGet("/readyz", (ServerContext server) =>
            {
                JobScheduler scheduler = server.Scheduler;
                var status = new ReadinessStatus(
                    server.Ready ? "ready" : "not ready",
                    SchedulerRoleNames.Of(scheduler.Role),
                    scheduler.StandbyBehind?.Holder.ToString());
                return Results.Json(status, ApiJson.Options, statusCode: server.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
            })
            .AllowAnonymous().WithName("Readiness").WithTags("health")
            .WithDescription("200 once everything started and while not stopping (a scheduler on standby serves too: another server runs the jobs), 503 otherwise.")
            .Produces<ReadinessStatus>().Produces<ReadinessStatus>(StatusCodes.Status503ServiceUnavailable);
    }
}

/// <summary>The answer of a health endpoint.</summary>
/// <param name="Status"><c>ok</c>.</param>
public sealed record HealthStatus(string Status);

/// <summary>The answer of <c>/readyz</c>.</summary>
/// <param name="Status"><c>ready</c> or <c>not ready</c>.</param>
/// <param name="Scheduler"><c>active</c> (it runs the jobs), <c>standby</c> (another server runs them; this one takes over
/// when that server's lease lapses) or <c>lease lost</c> (it missed its heartbeats and another server took over).</param>
/// <param name="ActiveScheduler">On standby, the server that runs the jobs (host, pid, start); null otherwise.</param>
public sealed record ReadinessStatus(string Status, string Scheduler, string? ActiveScheduler);
