using System;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Medallion.Server;

/// <summary>How <c>medallion server</c> runs: where its HTTP listener and SQL endpoint listen, and how it stops.</summary>
public sealed record MedallionServerOptions
{
    /// <summary>The project directory (holding <c>medallion.yml</c>).</summary>
    public required string ProjectDirectory { get; init; }

    /// <summary>The address the HTTP listener listens on.</summary>
    public IPAddress HttpAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The HTTP listener's port; 0 picks a free one.</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>The certificate the HTTP listener offers (HTTPS); null for plain HTTP, where Basic authentication is refused
    /// unless the client is on this machine.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// Whether <c>/metrics</c> answers callers without credentials from other machines too. By default it answers
    /// anonymous scrapes from this machine only; others send an API token (<c>Authorization: Bearer</c>).
    /// </summary>
    public bool AnonymousMetrics { get; init; }

    /// <summary>
    /// Whether a start on a project without users adds the operator and admin <see cref="Medallion.Server.FirstAdmin.UserName"/> with a
    /// generated password (<see cref="MedallionServer.FirstAdminPassword"/>) or <see cref="FirstAdminPassword"/>, as
    /// <c>medallion server</c> does.
    /// </summary>
    public bool FirstAdmin { get; init; }

    /// <summary>
    /// The password <see cref="FirstAdmin"/> gives the first admin instead of a generated one (an operator's secret, e.g. a
    /// mounted file): it is written nowhere, neither in the project nor in a log. Null to generate one.
    /// </summary>
    public string? FirstAdminPassword { get; init; }

    /// <summary>The SQL endpoint beside the REST API, or null to run without one.</summary>
    public SqlEndpointOptions? Sql { get; init; }

    /// <summary>The scheduler's limits and lease timing; defaults when null (its clock is <see cref="Time"/>).</summary>
    public Scheduling.SchedulerOptions? Scheduler { get; init; }

    /// <summary>
    /// A worker (<see cref="Scheduling.SchedulerOptions.ClaimsRuns"/>): it serves no web UI, REST API nor SQL (<see cref="Sql"/>
    /// is ignored), only <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> for its orchestrator and Prometheus.
    /// </summary>
    internal bool ServesOnlyProbes => Scheduler is { ClaimsRuns: true, RunsJobs: false };

    /// <summary>How long running work may go on after a stop is asked for before it is cancelled.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether a change of the project's files (medallion.yml, models/, jobs/, sources/, access/) reloads its
    /// definitions by itself; SIGHUP and <c>POST /api/reload</c> reload either way.</summary>
    public bool WatchProject { get; init; } = true;

    /// <summary>How often alert rules are evaluated besides after each run (freshness and anomalies need the clock to move).</summary>
    public TimeSpan AlertInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The clock of the scheduler and of recorded times.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Where the server logs: its own messages, and the lines of runs' logs (each in a scope with its run id, job and
    /// model), the SQL endpoint's (unless <see cref="SqlEndpointOptions.Logs"/> says otherwise) and failed logins. A one-line
    /// console log of warnings and errors when null. The caller owns it and disposes it after the server.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? Logs { get; init; }
}
