using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Server.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
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
        // As a Delegate, not a RequestDelegate, so that the route carries OpenAPI metadata like every other route.
        System.Delegate scrape = (HttpContext context) => ScrapeAsync(context, exporter.Registry);
        app.MapGet("/metrics", scrape)
            .RequireAuthorization(Policy)
            .WithName("Metrics").WithTags("observability")
            .WithSummary("Prometheus metrics: runs, models, tables, scheduler, sources, SQL endpoint, process")
            .Produces<string>(StatusCodes.Status200OK, "text/plain", "application/openmetrics-text")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
    }

    /// <summary>
    /// Serves one scrape. prometheus-net's serializer writes each name, label and value as its own small write; into
    /// Kestrel's response stream those cost more than the serializing itself (16,000 lines took twice as long), so the
    /// exposition is built in memory and sent in one write, with its length.
    /// </summary>
    private static async Task ScrapeAsync(HttpContext context, CollectorRegistry registry)
    {
        bool openMetrics = AcceptsOpenMetrics(context.Request.Headers.Accept);
        var exposition = new MemoryStream(capacity: Volatile.Read(ref s_lastSize) + 4096);
        try
        {
            await registry.CollectAndExportAsTextAsync(exposition, openMetrics ? ExpositionFormat.OpenMetricsText : ExpositionFormat.PrometheusText, context.RequestAborted).ConfigureAwait(false);
        }
        catch (ScrapeFailedException e)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync($"The scrape failed: {e.Message}", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        Volatile.Write(ref s_lastSize, (int)exposition.Length);
        context.Response.ContentType = openMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8" : "text/plain; version=0.0.4; charset=utf-8";
        context.Response.ContentLength = exposition.Length;
        await context.Response.Body.WriteAsync(exposition.GetBuffer().AsMemory(0, (int)exposition.Length), context.RequestAborted).ConfigureAwait(false);
    }

    private static int s_lastSize;

    /// <summary>Whether the scraper asks for OpenMetrics (Prometheus sends it first, with the 0.0.4 text as a fallback).</summary>
    private static bool AcceptsOpenMetrics(StringValues accept)
    {
        if (MediaTypeHeaderValue.TryParseList(accept, out IList<MediaTypeHeaderValue>? types))
        {
            foreach (MediaTypeHeaderValue type in types)
            {
                if (type.MediaType.Equals("application/openmetrics-text", StringComparison.OrdinalIgnoreCase) && type.Quality is not 0)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsLoopback(IPAddress? address) => address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
