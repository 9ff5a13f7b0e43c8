using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Pipelines;
using Medallion.Platform.Audit;
using Medallion.Server.Alerts;
using Medallion.Server.Http;
using Medallion.Server.Observability;
using Medallion.Server.Scheduling;
using Medallion.Server.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medallion.Server;

/// <summary>
/// <c>medallion server</c>: one long-running process with the scheduler that runs the project's jobs, the REST API
/// and the web UI and <c>/metrics</c> on one HTTP listener, and the SQL endpoint beside them. Started with <see cref="StartAsync"/>, stopped with
/// <see cref="StopAsync"/>, which stops taking work, lets running work finish within the grace period, then cancels
/// what remains.
/// </summary>
public sealed partial class MedallionServer : IAsyncDisposable
{
    private readonly WebApplication _web;
    private readonly SqlEndpoint? _sql;
    private readonly ServerContext _context;
    private readonly MedallionServerOptions _options;
    private readonly MetricsExporter _metrics;
    private readonly AlertMonitor _alerts;
    private readonly HousekeepingPass _housekeeping;
    private readonly ServerPresence _presence;
    private readonly ILoggerFactory? _ownedLogs;
    private bool _stopped;

    // The root environment the server built: the scheduler's may be a reload's over it.
    private readonly ProjectEnvironment _environment;

    private MedallionServer(
        ProjectEnvironment environment, WebApplication web, SqlEndpoint? sql, ServerContext context, MedallionServerOptions options, Uri address, MetricsExporter metrics,
        AlertMonitor alerts, HousekeepingPass housekeeping, ServerPresence presence, ILoggerFactory? ownedLogs, string? firstAdminPassword)
    {
        _presence = presence;
        _environment = environment;
        FirstAdminPassword = firstAdminPassword;
        _ownedLogs = ownedLogs;
        _alerts = alerts;
        _housekeeping = housekeeping;
        _web = web;
        _metrics = metrics;
        _sql = sql;
        _context = context;
        _options = options;
        HttpAddress = address;
    }

    /// <summary>
    /// The password of the admin this start added to a project without users (<see cref="MedallionServerOptions.FirstAdmin"/>):
    /// a generated one to show its owner once, or <see cref="MedallionServerOptions.FirstAdminPassword"/>, not to show;
    /// null when the project had users.
    /// </summary>
    public string? FirstAdminPassword { get; }

    /// <summary>The REST API's base address, e.g. <c>http://127.0.0.1:8080/</c>.</summary>
    public Uri HttpAddress { get; }

    /// <summary>The SQL endpoint's port, or null when the server runs without one.</summary>
    public int? PgPort => _sql?.Port;

    /// <summary>How the project's definitions were last reloaded.</summary>
    public ReloadStatus Reload => _context.Reloader!.Status;

    /// <summary>
    /// Every route the HTTP listener answers, as <c>GET /api/runs/{id}</c>, for checking the OpenAPI document against;
    /// but the web UI's pages and assets, which are HTML for people and kept out of the document on purpose.
    /// </summary>
    internal IReadOnlyList<string> Routes =>
        [.. _web.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => m + " /" + e.RoutePattern.RawText!.TrimStart('/')))
            .Order(StringComparer.Ordinal)];

    /// <summary>Evaluates the alert rules and sends their messages.</summary>
    internal AlertMonitor Alerts => _alerts;

    /// <summary>The housekeeping pass: row retention, run history pruning and table upkeep.</summary>
    internal HousekeepingPass Housekeeping => _housekeeping;

    /// <summary>The scheduler that plans and runs the project's jobs.</summary>
    public JobScheduler Scheduler => _context.Scheduler;

    /// <summary>The project the server runs, as last (re)loaded.</summary>
    public MedallionProject Project => _context.Project;

    /// <summary>The thread pool's minimum of worker threads while a server runs (at least; a higher one is kept).</summary>
    private static readonly int MinPoolThreads = Math.Max(64, Environment.ProcessorCount * 8);

    /// <summary>
    /// Raises the thread pool's minimum: runs, SQL sessions and the catalog block pool threads in native calls (DuckDB's
    /// queries, SQLite under Microsoft.Data.Sqlite), and with the default minimum of one thread per core a burst of runs
    /// (500 jobs firing at one instant) left their continuations waiting for the pool to grow by a thread or two a
    /// second: the latency benchmark's p99 from planned time to model start was 0.9-1.1 s, and 0.15-0.19 s with this.
    /// Threads up to the minimum are only created when work waits for them.
    /// </summary>
    private static void EnsurePoolThreads()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        if (workers < MinPoolThreads)
        {
            ThreadPool.SetMinThreads(MinPoolThreads, completionPorts);
        }
    }

    /// <summary>Loads the project, opens its catalog, and starts the HTTP listener and the SQL endpoint.</summary>
    /// <param name="options">Where to listen and how to stop.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="MedallionException">The project does not load, its catalog does not open, or a port cannot be bound
    /// (<see cref="ErrorCode.ServerStartFailed"/>).</exception>
    public static async Task<MedallionServer> StartAsync(MedallionServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        EnsurePoolThreads();
        // One log for the whole server (the scheduler and the runs, the HTTP side, the SQL endpoint): who floods or guesses
        // and what fails are told in one place. Without it the scheduler's warnings (a lease lost) went nowhere.
        ILoggerFactory? ownedLogs = options.Logs is null ? LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Warning)) : null;
        ILoggerFactory logs = options.Logs ?? ownedLogs!;
        ProjectEnvironment environment;
        try
        {
            environment = await ProjectEnvironment.LoadAsync(
                options.ProjectDirectory, new ProjectEnvironmentOptions { Time = options.Time, Logs = logs }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ownedLogs?.Dispose();
            throw;
        }

        // The server's one environment: every surface reads and records through its catalog, engines and logs.
        MedallionProject project = environment.Project;
        JobScheduler scheduler;
        try
        {
            // The lease comes first: a second server on the same project starts on standby while the first lives.
            scheduler = await JobScheduler.StartAsync(environment, options.Scheduler, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await environment.DisposeAsync().ConfigureAwait(false);
            ownedLogs?.Dispose();
            throw;
        }

        string localToken = "mdl_local_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        // One audit for the whole server: the SQL endpoint, the web UI and the API's acts; it enforces the retention.
        AuditLog audit = AuditLog.Open(project, new AuditOptions { Retention = project.Audit.Retention });
        // One gate for every password check (SQL, REST, web form), so a guesser cannot spread its guesses over them.
        LoginGuard logins = SqlEndpoint.CreateLogins(audit, logs);
        var context = new ServerContext(scheduler, localToken, options.Time, audit, logins);
        var metrics = new MetricsExporter(scheduler, options.Time);
        WebApplication? web = null;
        SqlEndpoint? sql = null;
        ServerPresence? presence = null;
        try
        {
            string? firstAdminPassword = options.FirstAdmin ? await FirstAdmin.EnsureAsync(context.Access, project.Directory, options.FirstAdminPassword, cancellationToken).ConfigureAwait(false) : null;
            web = BuildWeb(options, logs, context, metrics);
            try
            {
                await web.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (System.IO.IOException exception)
            {
                throw new MedallionException(ErrorCode.ServerStartFailed,
                    $"Cannot listen for HTTP on {options.HttpAddress}:{options.HttpPort}: {exception.Message}", exception);
            }

            Uri address = new(web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");
            presence = await ServerPresence.StartAsync(scheduler, address, scheduler.Options.HeartbeatInterval, options.Time,
                web.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Medallion.Server"), cancellationToken).ConfigureAwait(false);
            sql = options.Sql is null || options.ServesOnlyProbes ? null : await SqlEndpoint.StartAsync(environment, options.Sql with { Logs = options.Sql.Logs ?? logs }, audit, logins, cancellationToken).ConfigureAwait(false);
            context.SqlSessions = sql?.GovernedSessions;
            context.Reloader = ProjectReloader.Start(scheduler, options.WatchProject, options.Time, web.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Medallion.Server.Reload"));
            var alerts = new AlertMonitor(scheduler, options.Time, web.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Medallion.Server.Alerts"), options.AlertInterval,
                sql is null ? null : new IPEndPoint(options.Sql!.Address, sql.Port));
            alerts.Start();
            var housekeeping = new HousekeepingPass(scheduler, options.Time, web.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Medallion.Server.Housekeeping"));
            housekeeping.Start();
            var server = new MedallionServer(environment, web, sql, context, options, address, metrics, alerts, housekeeping, presence, ownedLogs, firstAdminPassword);
            // The CLI of this machine finds the server that runs the jobs: one on standby writes its file when it takes over.
            var runtimeFile = new ServerRuntimeFile(address, localToken, Environment.ProcessId, options.Time.GetUtcNow());
            if (scheduler.Role is SchedulerRole.Active or SchedulerRole.Planner)
            {
                await runtimeFile.WriteAsync(project.Directory, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _ = WriteRuntimeFileOnTakeoverAsync(scheduler, runtimeFile, project.Directory, web.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Medallion.Server"));
            }

            context.Ready = true;
            return server;
        }
        catch
        {
            if (presence is not null)
            {
                await presence.DisposeAsync().ConfigureAwait(false);
            }

            if (context.Reloader is not null)
            {
                await context.Reloader.DisposeAsync().ConfigureAwait(false);
            }

            if (sql is not null)
            {
                await sql.DisposeAsync().ConfigureAwait(false);
            }

            if (web is not null)
            {
                await web.DisposeAsync().ConfigureAwait(false);
            }

            await scheduler.DisposeAsync().ConfigureAwait(false);
            await audit.DisposeAsync().ConfigureAwait(false);
            await environment.DisposeAsync().ConfigureAwait(false);
            metrics.Dispose();
            ownedLogs?.Dispose();
            throw;
        }
    }

    /// <summary>Writes the runtime file once <paramref name="scheduler"/>, on standby now, takes over the jobs.</summary>
    private static async Task WriteRuntimeFileOnTakeoverAsync(JobScheduler scheduler, ServerRuntimeFile file, string projectDirectory, ILogger logger)
    {
        try
        {
            await scheduler.Active.ConfigureAwait(false);
            await file.WriteAsync(projectDirectory, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is System.IO.IOException or UnauthorizedAccessException)
        {
            // Nobody waits on this but the log: the CLI then finds no server here and says so.
            LogRuntimeFileNotWritten(logger, ServerRuntimeFile.PathFor(projectDirectory), exception.Message);
        }
    }

    [LoggerMessage(EventId = 9530, Level = LogLevel.Warning, Message = "The server took over the jobs but could not write {Path} for the CLI of this machine: {Error}")]
    private static partial void LogRuntimeFileNotWritten(ILogger logger, string path, string error);

    /// <summary>
    /// Stops: readiness turns false at once (load balancers stop sending), running work gets the grace period, then
    /// the listeners close and the runtime file goes.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        _context.Ready = false;
        // No reload may swap definitions under a stopping scheduler.
        await _context.Reloader!.DisposeAsync().ConfigureAwait(false);
        await _context.Scheduler.StopAsync(_options.Grace, cancellationToken).ConfigureAwait(false);
        // Alerts stop after the runs; messages still queued get a few seconds to go out.
        await _alerts.DisposeAsync().ConfigureAwait(false);
        await _housekeeping.DisposeAsync().ConfigureAwait(false);
        // Only once its runs have ended: until then it is still a server of the catalog, doing work.
        await _presence.DisposeAsync().ConfigureAwait(false);
        if (_sql is not null)
        {
            await _sql.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        // Requests under way get a few seconds; the runs they started already had their grace.
        using var requests = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        requests.CancelAfter(TimeSpan.FromSeconds(5));
        await _web.StopAsync(requests.Token).ConfigureAwait(false);
        ServerRuntimeFile.Delete(_context.Project.Directory, _context.IsLocalToken);
    }

    /// <summary>Stops (without waiting for running work beyond the grace period) and releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_sql is not null)
        {
            await _sql.DisposeAsync().ConfigureAwait(false);
        }

        await _web.DisposeAsync().ConfigureAwait(false);
        await _context.Scheduler.DisposeAsync().ConfigureAwait(false);
        // Last: every statement and act of the server is queued by now, and the audit writes them before it closes.
        await _context.Audit.DisposeAsync().ConfigureAwait(false);
        // The catalog closes after everything that records into it.
        await _environment.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
        _ownedLogs?.Dispose();
    }

    private static WebApplication BuildWeb(MedallionServerOptions options, ILoggerFactory logs, ServerContext context, MetricsExporter metrics)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(MedallionServer).Assembly.GetName().Name,
            ContentRootPath = context.Project.Directory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(logs);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The API takes small JSON bodies; a large one is an attack or a mistake.
            kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
            kestrel.Listen(options.HttpAddress, options.HttpPort, listen =>
            {
                if (options.Certificate is not null)
                {
                    listen.UseHttps(options.Certificate);
                }
            });
        });
        builder.Services.AddSingleton(context);
        // The web UI's session and anti-forgery cookies are protected by keys kept in the project, readable by the server's
        // user only: a restart keeps everyone signed in.
        SessionKeyStore.AddTo(builder.Services, context.Project.Directory);
        builder.Services.ConfigureHttpJsonOptions(json => ApiJson.Configure(json.SerializerOptions));
        builder.Services.AddAuthentication(ApiAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiAuthenticationHandler>(ApiAuthenticationHandler.SchemeName, null);
        Microsoft.AspNetCore.Authorization.AuthorizationBuilder authorization = builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(ApiAuthenticationHandler.SchemeName, WebUi.CookieScheme).RequireAuthenticatedUser().Build())
            .AddPolicy(ApiAuthenticationHandler.OperatorPolicy, policy => policy.AddAuthenticationSchemes(ApiAuthenticationHandler.SchemeName, WebUi.CookieScheme).RequireClaim(ApiAuthenticationHandler.RoleClaim, "operator"));
        MetricsEndpoint.AddPolicy(authorization, options.AnonymousMetrics);
        WebUi.AddServices(builder.Services, options);
        builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Medallion server";
            document.Info.Description = "Jobs, runs, tables, lineage and quality of one Medallion project, and the actions that steer its runs.";
            return Task.CompletedTask;
        }));

        WebApplication app = builder.Build();
        app.Use(ApiProblem.CatchAsync);
        app.Use(BrowserBasicGuard.GuardAsync);
        app.UseAuthentication();
        app.UseAuthorization();
        HealthEndpoints.Map(app);
        MetricsEndpoint.Map(app, metrics);
        if (options.ServesOnlyProbes)
        {
            return app;
        }

        app.MapOpenApi("/openapi.json").AllowAnonymous();
        ApiEndpoints.Map(app);
        AccessEndpoints.Map(app);
        SavedQueryEndpoints.Map(app);
        UnityCatalogEndpoints.Map(app);
        IcebergRestEndpoints.Map(app);
        WebUi.Map(app);
        return app;
    }
}
