using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Server;
using Medallion.Server.Scheduling;
using Microsoft.Extensions.Logging;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion server</c>: runs the project as a long-running process (the REST API over HTTP and the SQL endpoint)
/// until SIGTERM or Ctrl+C, then stops within the grace period and exits 0.
/// </summary>
internal static partial class ServerCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var endpoint = new SqlEndpointArguments();
        Option<string> project = ProjectOption.Create();
        var httpPort = new Option<int>("--http-port") { Description = "TCP port of the HTTP listener: web UI, REST API, /healthz, /readyz, /openapi.json, /metrics (0 picks a free one).", DefaultValueFactory = _ => 8080 };
        Option<string> grace = ShutdownGrace.CreateOption("On SIGTERM or Ctrl+C, how long running work may finish before it is cancelled, e.g. 30s.");
        var lease = new Option<string>("--scheduler-lease")
        {
            Description = "How long the scheduler's lease on the catalog lasts without a heartbeat (renewed every third of it): a second server on the project waits on standby and takes over this long after the first stopped answering.",
            DefaultValueFactory = _ => "30s",
            HelpName = "duration",
        };
        SqlEndpointArguments.AcceptOnlyDurations(lease, "30s or 2min", TimeSpan.FromSeconds(1));
        var anonymousMetrics = new Option<bool>("--metrics-anonymous")
        {
            Description = "Serve /metrics without credentials to other machines too; by default only this machine scrapes without an API token (Authorization: Bearer).",
        };
        var logFormat = new Option<string>("--log-format")
        {
            Description = "How the server logs on standard output: text (warnings and errors, one line each) or json (JSON lines: every line of every run's log and the server's own messages, each with its run_id, job and model).",
            DefaultValueFactory = _ => "text",
            HelpName = "text|json",
        };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var role = new Option<string>("--role")
        {
            Description = "all: serve, plan and run the project's jobs (beside the other servers of role all or scheduler, see --planning); web: only serve the web UI, REST API and SQL, handing triggers, cancels and pauses to the server that runs the jobs through the catalog; scheduler: like all, but executes no run itself and leaves every run to workers; worker: serve nothing but /healthz, /readyz and /metrics, and execute the runs the scheduler admits, --concurrency at a time.",
            DefaultValueFactory = _ => "all",
            HelpName = "all|web|scheduler|worker",
        };
        role.AcceptOnlyFromAmong("all", "web", "scheduler", "worker");
        var planning = new Option<string>("--planning")
        {
            Description = "How servers of role all or scheduler share the planning. every-server (the default on a catalog in PostgreSQL): each of them plans and admits runs beside the others, each job planned by one of them at a time and each fire time queued once, and a server silent past --adopt-after has its runs taken back by another; lease (the default, and the only choice, on a SQLite catalog): one at a time plans and admits runs (it holds the catalog's scheduler lease), the others wait on standby. Either way the lease holder alone streams continuous jobs, keeps house and sends alerts.",
            HelpName = "every-server|lease",
        };
        planning.AcceptOnlyFromAmong("every-server", "lease");
        var concurrency = new Option<int?>("--concurrency")
        {
            Description = "How many runs this server executes at once (their model steps share the processors): a worker's slots (default 16); for role all, the runs past it wait for a worker to claim them (default: no limit).",
            HelpName = "runs",
        };
        concurrency.Validators.Add(result =>
        {
            if (result.GetValue(concurrency) is < 1)
            {
                result.AddError($"--concurrency must be at least 1, not {result.GetValue(concurrency)}.");
            }
        });
        var adoptAfter = new Option<string>("--adopt-after")
        {
            Description = "How long a worker may miss its heartbeats before the scheduler takes its runs back (its running runs become interrupted and are retried by their jobs' policies), e.g. 30s.",
            DefaultValueFactory = _ => "30s",
            HelpName = "duration",
        };
        SqlEndpointArguments.AcceptOnlyDurations(adoptAfter, "30s or 2min", TimeSpan.FromSeconds(1));
        var adminPasswordFile = new Option<FileInfo?>("--admin-password-file")
        {
            Description = "A file holding the password of the operator 'admin' that the first start on a project without users creates (a trailing newline is dropped), e.g. a mounted secret; it is never printed nor copied into the project. Without it the password is generated, printed once and kept in .medallion/admin-password.",
            HelpName = "file",
        };
        var command = new EnvironmentCommand("server", "Run the project as a server: the web UI and REST API over HTTP and the SQL endpoint, until SIGTERM or Ctrl+C. A project without users gets an operator 'admin' on its first start (password printed once and kept in .medallion/admin-password, or taken from --admin-password-file). Every option --foo-bar may also be set as the environment variable MEDALLION_FOO_BAR (the command line wins; booleans true, false, 1 or 0); MEDALLION_CATALOG_URL names the catalog.") { project, httpPort, grace, lease, role, planning, concurrency, adoptAfter, anonymousMetrics, logFormat, adminPasswordFile };
        foreach (Option option in endpoint.Options)
        {
            command.Add(option);
        }

        command.SetAction(async (parsed, cancellationToken) =>
        {
            string directory = ProjectOption.Resolve(parsed, project);
            MedallionProject? loaded = await ServeCommand.LoadIfPresentAsync(directory, cancellationToken).ConfigureAwait(false);
            if (loaded is null)
            {
                throw new MedallionException(ErrorCode.ProjectNotFound, $"{directory} is not a Medallion project (no {MedallionProject.FileName}). Help: run this in the project folder, pass --project <dir>, or create one with medallion init.");
            }

            string graceText = parsed.GetRequiredValue(grace);
            TimeSpan gracePeriod = SqlEndpointArguments.ReadDuration(parsed, grace);

            TimeSpan leaseTime = SqlEndpointArguments.ReadDuration(parsed, lease);
            string? givenAdminPassword = parsed.GetValue(adminPasswordFile) is { } passwordFile
                ? await ReadAdminPasswordAsync(passwordFile, adminPasswordFile, cancellationToken).ConfigureAwait(false)
                : null;

            // No check that someone could log in: the server adds the first admin of a project without users.
            SqlEndpointOptions sql = await endpoint.ResolveAsync(parsed, loaded, null, null, error, cancellationToken).ConfigureAwait(false);

            // JSON lines are for a log shipper: everything on standard output is then a JSON line, the server's own
            // announcements included (the first admin's password is not: it stays in its owner-only file).
            using ILoggerFactory? jsonLogs = parsed.GetValue(logFormat) == "json" ? JsonLogs() : null;
            ILogger? announcements = jsonLogs?.CreateLogger("Medallion.Server");
            async Task AnnounceAsync(string line)
            {
                if (announcements is null)
                {
                    await output.WriteLineAsync(line).ConfigureAwait(false);
                }
                else
                {
                    LogAnnouncement(announcements, line);
                }
            }

            SchedulerOptions scheduling = Scheduling(parsed.GetRequiredValue(role), parsed.GetValue(concurrency), leaseTime, SqlEndpointArguments.ReadDuration(parsed, adoptAfter)) with
            {
                PlansBesideOthers = parsed.GetRequiredValue(role) is "all" or "scheduler"
                    && (parsed.GetValue(planning) is { } asked ? asked == "every-server" : CatalogStore.IsDatabaseUrl(loaded.Catalog)),
            };
            MedallionServer server = await MedallionServer.StartAsync(new MedallionServerOptions
            {
                ProjectDirectory = loaded.Directory,
                HttpAddress = sql.Address,
                HttpPort = parsed.GetValue(httpPort),
                Certificate = sql.Certificate,
                Sql = sql,
                Grace = gracePeriod,
                Scheduler = scheduling,
                AnonymousMetrics = parsed.GetValue(anonymousMetrics),
                Logs = jsonLogs,
                FirstAdmin = true,
                FirstAdminPassword = givenAdminPassword,
            }, cancellationToken).ConfigureAwait(false);
            // Disposed unless its stop overran: work that ignored its cancellation is left to the process exit, never waited on.
            bool overdue = false;
            try
            {
                if (server.Scheduler.Role == SchedulerRole.Worker)
                {
                    await AnnounceAsync($"Medallion server for project {loaded.Name}, role worker: /healthz, /readyz and /metrics on {server.HttpAddress}, no web UI, REST API nor SQL; it executes the runs the scheduler admits, {scheduling.Concurrency} at a time. Press Ctrl+C to stop.").ConfigureAwait(false);
                }
                else
                {
                    await AnnounceAsync($"Medallion server for project {loaded.Name}: REST API on {server.HttpAddress}, SQL on {sql.Address}:{server.PgPort}. Press Ctrl+C to stop.").ConfigureAwait(false);
                    await AnnounceAsync($"Web UI: {server.HttpAddress} (sign in with a user of the project: medallion user list).").ConfigureAwait(false);
                }

                if (server.Scheduler.Role == SchedulerRole.Web)
                {
                    await AnnounceAsync("Role web: this server serves and runs no jobs; triggers, cancels and pauses go to the server of role all that holds the catalog's scheduler lease.").ConfigureAwait(false);
                }

                if (server.Scheduler.StandbyBehind is { } behind)
                {
                    await AnnounceAsync($"Scheduler on standby: the server of {behind.Holder} holds the catalog's lease and runs the jobs; this one takes over when that lease lapses.").ConfigureAwait(false);
                }

                if (server.FirstAdminPassword is not null && givenAdminPassword is not null)
                {
                    await AnnounceAsync($"The project had no users, so this first start created the operator '{FirstAdmin.UserName}' with the password in {parsed.GetValue(adminPasswordFile)!.FullName}.").ConfigureAwait(false);
                }
                else if (server.FirstAdminPassword is { } adminPassword)
                {
                    string file = Path.GetRelativePath(Environment.CurrentDirectory, FirstAdmin.PasswordFile(loaded.Directory));
                    if (announcements is null)
                    {
                        await output.WriteLineAsync($"The project had no users, so this first start created the operator '{FirstAdmin.UserName}' with the password {adminPassword}").ConfigureAwait(false);
                        await output.WriteLineAsync($"  (shown once; it is also in {file}, readable only by you). Change it with: medallion user add {FirstAdmin.UserName} --project {loaded.Directory}").ConfigureAwait(false);
                    }
                    else
                    {
                        await AnnounceAsync($"The project had no users, so this first start created the operator '{FirstAdmin.UserName}'; its password is in {file}, readable only by you.").ConfigureAwait(false);
                    }
                }

                // A server whose runs another took after it went silent (a worker past --adopt-after, a scheduler past
                // its lease) can do nothing more: it ends, and its supervisor (systemd's Restart=on-failure, Kubernetes)
                // starts it afresh, a scheduler then on standby. Staying up would leave a process that never plans or
                // claims again, which a liveness probe keeps alive and no readiness failure restarts.
                Task runsTakenBack = server.Scheduler.RunsTakenBack;
                await Task.WhenAny(Task.Delay(Timeout.Infinite, cancellationToken), runsTakenBack).ConfigureAwait(false);
                bool takenBack = runsTakenBack.IsCompleted;
                if (takenBack)
                {
                    await AnnounceAsync(!scheduling.RunsJobs
                        ? "A scheduler took this worker's runs back after it went silent past --adopt-after (stopped, paused or cut off from the catalog); nothing of them was committed here since. The worker ends so that its supervisor starts it afresh."
                        : scheduling.PlansBesideOthers
                        ? "Another server took this one's runs back (or the catalog's scheduler lease, with its streams) after it went silent past --adopt-after (stopped, paused or cut off from the catalog); nothing of them was committed here since. The server ends so that its supervisor starts it afresh."
                        : "Another server took the catalog's scheduler lease, and the runs under way here with it, after this one missed its heartbeats past --scheduler-lease (stopped, paused or cut off from the catalog); nothing of them was committed here since. The server ends so that its supervisor starts it afresh, on standby.").ConfigureAwait(false);
                }

                await AnnounceAsync("Stopping: no new runs; running work has " + graceText + " to finish.").ConfigureAwait(false);
                using (var shutdown = new ShutdownGrace(gracePeriod, cancellationToken))
                {
                    if (!await shutdown.EndedAsync(server.StopAsync(CancellationToken.None)).ConfigureAwait(false))
                    {
                        overdue = true;
                        await AnnounceAsync($"Stopped without waiting any longer: running work did not end within {DurationText.Format(ShutdownGrace.AfterCancel)} of its cancellation at the end of the {graceText} grace. A restart recovers its runs as interrupted and retries them.").ConfigureAwait(false);
                        return MedallionCli.Failure;
                    }
                }

                await AnnounceAsync("Stopped.").ConfigureAwait(false);
                return takenBack ? MedallionCli.Failure : 0;
            }
            finally
            {
                if (!overdue)
                {
                    await server.DisposeAsync().ConfigureAwait(false);
                }
            }
        });
        return command;
    }

    /// <summary>How many runs a worker executes at once unless <c>--concurrency</c> says otherwise (Airflow's worker_concurrency is 16 too).</summary>
    private const int DefaultWorkerConcurrency = 16;

    /// <summary>What a server of <paramref name="role"/> does with the jobs: plan them, execute their runs, both or neither.</summary>
    private static SchedulerOptions Scheduling(string role, int? concurrency, TimeSpan lease, TimeSpan adoptAfter) => new()
    {
        LeaseTimeToLive = lease,
        HeartbeatInterval = lease / 3,
        AdoptAfter = adoptAfter,
        RunsJobs = role is "all" or "scheduler",
        ClaimsRuns = role == "worker",
        Concurrency = role switch
        {
            "scheduler" => 0,
            // Runs wait on the catalog and the lake as much as they compute, and their steps share the processors anyway
            // (MaxConcurrentSteps): as many runs as processors left a worker's slots idle behind short runs.
            "worker" => concurrency ?? DefaultWorkerConcurrency,
            _ => concurrency ?? int.MaxValue,
        },
    };

    /// <summary>
    /// Every environment variable <c>medallion server</c> reads: the <c>MEDALLION_</c> form of each of its options
    /// (<see cref="EnvironmentOptions"/>), the catalog's location, the object cache's and DuckDB's, and the process's
    /// temp and cache folders. Families of standard variables are in <see cref="EnvironmentPrefixes"/>.
    /// </summary>
    public static IReadOnlyList<string> EnvironmentVariables { get; } =
    [
        .. EnvironmentOptions.Variables(Create(TextWriter.Null, TextWriter.Null)),
        MedallionProject.CatalogVariable,
        // The object cache of a lake on object storage (Engine's StorageResolver).
        "MEDALLION_CACHE_DIR", "MEDALLION_CACHE_MAX_SIZE",
        // Where the native DuckDB library is looked for when it is not next to the program (DuckDb.Native).
        "MEDALLION_DUCKDB_LIBRARY", "MEDALLION_CACHE",
        // Temp files (Parquet staging, scratch files) and the default cache folders.
        "TMPDIR", "HOME", "XDG_CACHE_HOME",
    ];

    /// <summary>
    /// Prefixes of the standard variables the server reads by family: <c>AWS_</c> (a lake or source on S3),
    /// <c>AZURE_STORAGE_</c> (on Azure Blob / ADLS Gen2), <c>GOOGLE_</c> and <c>STORAGE_EMULATOR_</c> (on Google Cloud
    /// Storage), <c>OTEL_</c> (traces exported over OTLP).
    /// </summary>
    public static IReadOnlyList<string> EnvironmentPrefixes { get; } = ["AWS_", "AZURE_STORAGE_", "GOOGLE_", "STORAGE_EMULATOR_", "OTEL_"];

    /// <summary>The first admin's password from <paramref name="file"/>, without its trailing newline.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CommandLineInvalid"/> when the file cannot be read or holds no password.</exception>
    private static async Task<string> ReadAdminPasswordAsync(FileInfo file, Option option, CancellationToken cancellationToken)
    {
        string where = $"{option.Name} (or {EnvironmentOptions.VariableOf(option)}) names {file.FullName}";
        string text;
        try
        {
            text = await File.ReadAllTextAsync(file.FullName, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"{where}, which cannot be read: {exception.Message} Help: point it at a file this user can read that holds the first admin's password.", exception);
        }

        string password = text.TrimEnd('\n', '\r');
        return password.Length > 0
            ? password
            : throw new MedallionException(ErrorCode.CommandLineInvalid, $"{where}, which is empty. Help: write the first admin's password in it (one line).");
    }

    /// <summary>JSON lines on standard output, UTC timestamps, with scopes (a run's id, job and model); ASP.NET Core's own chatter only from warnings on.</summary>
    private static ILoggerFactory JsonLogs() => LoggerFactory.Create(logging => logging
        .AddJsonConsole(json =>
        {
            json.IncludeScopes = true;
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
        })
        .SetMinimumLevel(LogLevel.Information)
        .AddFilter("Microsoft", LogLevel.Warning));

    [LoggerMessage(EventId = 9500, Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogAnnouncement(ILogger logger, string line);
}
