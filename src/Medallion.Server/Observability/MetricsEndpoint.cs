using System.Net;
using System.Threading.Tasks;
using Medallion.Server.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Medallion.Server.Observability;

/// <summary>
/// <c>GET /metrics</c>: the Prometheus text format 0.0.4, or OpenMetrics 1.0 when the scraper's <c>Accept</c> asks
/// for <c>application/openmetrics-text</c> (prometheus-net's negotiation, which Prometheus itself uses).
/// </summary>
/// <remarks>
/// Who may scrape: any caller with credentials the API accepts (an API token as <c>Authorization: Bearer</c>, which
/// Prometheus sends with <c>authorization: {credentials_file: ...}</c>; a viewer's token is enough), and without
/// credentials a client on this machine, or anyone when the server runs with <see cref="MedallionServerOptions.AnonymousMetrics"/>.
/// Metrics name jobs, models and tables, which is information about the project, so a server reachable from the network
/// does not hand them to anonymous callers unless told to.
/// </remarks>
internal static class MetricsEndpoint
{
    public const string Policy = "metrics";

    public static void AddPolicy(AuthorizationBuilder authorization, bool anonymous) =>
        authorization.AddPolicy(Policy, policy => policy.RequireAssertion(context =>
            anonymous
            || context.User.Identity?.IsAuthenticated == true
            || (context.Resource is HttpContext http && IsLoopback(http.Connection.RemoteIpAddress))));

    public static void Map(IEndpointRouteBuilder app, MetricsExporter exporter)
    {
        var serve = new MetricServerMiddleware(_ => Task.CompletedTask, new MetricServerMiddleware.Settings { Registry = exporter.Registry, EnableOpenMetrics = true });
        // As a Delegate, not a RequestDelegate, so that the route carries OpenAPI metadata like every other route.
        System.Delegate scrape = (HttpContext context) => serve.Invoke(context);
        app.MapGet("/metrics", scrape)
            .RequireAuthorization(Policy)
            .WithName("Metrics").WithTags("observability")
            .WithSummary("Prometheus metrics: runs, models, tables, scheduler, sources, SQL endpoint, process")
            .Produces<string>(StatusCodes.Status200OK, "text/plain", "application/openmetrics-text")
            .Produces<ApiError>(StatusCodes.Status401Unauthorized);
    }

    private static bool IsLoopback(IPAddress? address) => address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
