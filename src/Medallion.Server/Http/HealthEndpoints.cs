using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Http;

/// <summary><c>/healthz</c> (the process answers) and <c>/readyz</c> (it has started everything and is not stopping), for containers and load balancers.</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Ok(new HealthStatus("ok")))
            .AllowAnonymous().WithName("Liveness").WithTags("health").Produces<HealthStatus>();
        app.MapGet("/readyz", (ServerContext server) => server.Ready
                ? Results.Ok(new HealthStatus("ready"))
                : Results.Json(new HealthStatus("not ready"), ApiJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable))
            .AllowAnonymous().WithName("Readiness").WithTags("health").Produces<HealthStatus>().Produces<HealthStatus>(StatusCodes.Status503ServiceUnavailable);
    }
}

/// <summary>The answer of a health endpoint.</summary>
/// <param name="Status"><c>ok</c>, <c>ready</c> or <c>not ready</c>.</param>
public sealed record HealthStatus(string Status);
