using System.Net;
using Medallion.Platform.Audit;
using Microsoft.AspNetCore.Http;

namespace Medallion.Server.Http;

/// <summary>Who and where an HTTP request comes from, as the audit records it.</summary>
internal static class AuditSource
{
    /// <summary>The signed-in user (the API token's or the web session's), or <c>anonymous</c>.</summary>
    public static string User(HttpContext http) => http.User.Identity?.Name ?? "anonymous";

    /// <summary>The client's address and port.</summary>
    public static string Client(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } address ? new IPEndPoint(address, http.Connection.RemotePort).ToString() : "unknown";

    /// <summary>An act taken through the REST API (<c>job.trigger</c>, <c>run.cancel</c>, <c>project.reload</c>, ...).</summary>
    public static AuditEvent Act(HttpContext http, string action, string target, string? detail, string outcome = "ok", string? error = null) =>
        AuditEvent.Admin(User(http), Client(http), "api", action, target) with
        {
            Details = detail is null ? null : new System.Text.Json.Nodes.JsonObject { ["detail"] = detail }.ToJsonString(),
            Outcome = outcome,
            ErrorMessage = error,
        };
}
