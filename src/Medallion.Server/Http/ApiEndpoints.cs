using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Platform;
using Medallion.Platform.Audit;
using Medallion.Server.Scheduling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Http;

/// <summary>The REST API under <c>/api</c>: reads for every authenticated user, actions for operators.</summary>
internal static class ApiEndpoints
{
    private const int MaxLimit = 1000;

    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/api");
        api.MapGet("/project", (ServerContext server, HttpContext http) =>
                // Where the project and its lake live on the server's machine is for those who run it, not for readers.
                http.User.HasClaim(ApiAuthenticationHandler.RoleClaim, "operator")
                    ? new ProjectInfo(server.Project.Name, server.Project.Directory, server.Project.Resolve(server.Project.Storage), server.Reloader!.Status)
                    : new ProjectInfo(server.Project.Name, null, null, server.Reloader!.Status))
            .WithName("GetProject").WithTags("project").Produces<ProjectInfo>();

        api.MapGet("/tables", (ServerContext server, HttpContext http, string? @namespace, CancellationToken cancellationToken) =>
                WithLakehouseAsync(server, http, lakehouse => lakehouse.ListTablesAsync(@namespace, cancellationToken), cancellationToken))
            .WithName("ListTables").WithTags("tables").Produces<IReadOnlyList<TableSummary>>().ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/tables/{table}", (ServerContext server, HttpContext http, string table, string? environment, CancellationToken cancellationToken) =>
                WithLakehouseAsync(server, http, async lakehouse =>
                {
                    TableDetails details = await lakehouse.DescribeTableAsync(lakehouse.ResolveTable(table), environment, cancellationToken).ConfigureAwait(false);
                    await AuditSamplesAsync(server, http, details.Summary.Name, details.Quality, cancellationToken).ConfigureAwait(false);
                    return details;
                }, cancellationToken))
            .WithName("GetTable").WithTags("tables")
            .WithDescription("The table: location, definition, documented schema, recent versions, last run, latest quality results, upstream and downstream tables. Without environment, the table prod reads with upstream and downstream from the project's files; with environment (prod included), the physical table that environment reads (prod's for a model it did not build) with its versions, the last run of the environment that built it, its quality results and the lineage recorded of the environment's builds. An environment that holds nothing is a 404 (MDL6403), a name none could have a 400 (MDL6401).")
            .Produces<TableDetails>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/tables/{table}/history", (ServerContext server, HttpContext http, string table, int? limit, CancellationToken cancellationToken) =>
                WithLakehouseAsync(server, http, lakehouse => lakehouse.GetTableHistoryAsync(lakehouse.ResolveTable(table), Limit(limit, 20), cancellationToken: cancellationToken), cancellationToken))
            .WithName("GetTableHistory").WithTags("tables").Produces<IReadOnlyList<TableVersionInfo>>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/tables/{table}/quality", (ServerContext server, HttpContext http, string table, int? limit, string? environment, CancellationToken cancellationToken) =>
                WithLakehouseAsync(server, http, async lakehouse =>
                {
                    TableQuality quality = await lakehouse.GetQualityAsync(lakehouse.ResolveTable(table), Limit(limit, 100), environment ?? EnvironmentStore.Production, cancellationToken).ConfigureAwait(false);
                    await AuditSamplesAsync(server, http, quality.Table, [.. quality.Latest, .. quality.History], cancellationToken).ConfigureAwait(false);
                    return quality;
                }, cancellationToken))
            .WithName("GetTableQuality").WithTags("tables")
            .WithDescription("The expectation results stored for the table: the latest result of each rule, and the history (every result, newest first, at most limit, default 100), in prod or the environment named by environment (of the table it reads).")
            .Produces<TableQuality>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/tables/{table}/lineage", (ServerContext server, HttpContext http, string table, string? column, string? direction, string? environment, CancellationToken cancellationToken) =>
                Enum.TryParse(direction ?? nameof(LineageDirection.Both), ignoreCase: true, out LineageDirection way) && !int.TryParse(direction, out _)
                    ? WithLakehouseAsync(server, http, lakehouse => lakehouse.GetLineageAsync(lakehouse.ResolveTable(table), column, way, environment, cancellationToken), cancellationToken)
                    : Task.FromResult(ApiProblem.For(ErrorCode.ApiRequestInvalid, $"direction '{direction}' is not upstream, downstream or both")))
            .WithName("GetTableLineage").WithTags("lineage")
            .WithDescription("The lineage edges around the table, or around one column (column-level edges), followed transitively upstream, downstream or both (direction). Without environment, as the project's model files say now; with environment, as that environment built them: the edges the catalog recorded of the physical tables it reads (prod's for a model it did not build). environment=prod answers prod's recorded edges, those registered when a prod run or the server last loaded the project's files. An environment that holds nothing is a 404 (MDL6403), a name none could have a 400 (MDL6401).")
            .Produces<IReadOnlyList<LineageEdge>>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/runs", ListRunsAsync)
            .WithName("ListRuns").WithTags("runs").Produces<RunPage>().ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/runs/{id}", (ServerContext server, HttpContext http, string id, CancellationToken cancellationToken) =>
                WithLakehouseAsync(server, http, async lakehouse =>
                {
                    RunDetails details = await lakehouse.GetRunAsync(id, cancellationToken).ConfigureAwait(false);
                    foreach (IGrouping<TableName, QualityResultRecord> byTable in details.Quality.GroupBy(q => q.Model))
                    {
                        await AuditSamplesAsync(server, http, byTable.Key, [.. byTable], cancellationToken).ConfigureAwait(false);
                    }

                    return details;
                }, cancellationToken))
            .WithName("GetRun").WithTags("runs").Produces<RunDetails>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/runs/{id}/logs", async (ServerContext server, HttpContext http, string id, long? after, int? limit, CancellationToken cancellationToken) =>
            {
                if (await server.Catalog.Runs.GetRunAsync(id, cancellationToken).ConfigureAwait(false) is null)
                {
                    return ApiProblem.For(ErrorCode.CatalogObjectNotFound, NoRun(id));
                }

                Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, http.User.Identity?.Name, cancellationToken).ConfigureAwait(false);
                await using (lakehouse.ConfigureAwait(false))
                {
                    Platform.Access.RunTables tables = await lakehouse.GetRunTablesAsync(id, cancellationToken).ConfigureAwait(false);
                    List<RunLogLine> lines = await server.Catalog.Runs.GetRunLogAsync(id, after ?? 0, Limit(limit, 1000), cancellationToken).ConfigureAwait(false);
                    return Results.Json(lines.Select(line => lakehouse.Reader.Show(line, tables)).ToList(), ApiJson.Options);
                }
            })
            .WithName("GetRunLogs").WithTags("runs").Produces<IReadOnlyList<RunLogLine>>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/runs/{id}/logs/stream", (ServerContext server, HttpContext http, string id, long? after, CancellationToken cancellationToken) =>
                RunLogStream.StreamAsync(server, http, id, after, cancellationToken))
            .WithName("StreamRunLogs").WithTags("runs")
            .WithDescription("Server-sent events: one 'log' event per line (data: the line as JSON, id: its sequence number; send Last-Event-ID to resume after it), stored lines first, then new ones as they are written; an 'end' event (data: the run's id, final status and error) when the run reaches a final state, then the stream closes.")
            .Produces<RunLogLine>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/backfills", async (ServerContext server, string? job, int? limit, CancellationToken cancellationToken) =>
            {
                List<BackfillDetail> backfills = await server.Catalog.Scheduler.QueryBackfillsAsync(job, null, Limit(limit, 50), cancellationToken).ConfigureAwait(false);
                // A job the project does not know and that never backfilled is most likely a typo.
                return job is not null && backfills.Count == 0 && !server.Project.Jobs.Any(j => string.Equals(j.Name, job, StringComparison.Ordinal))
                    ? ApiProblem.For(ErrorCode.CatalogObjectNotFound, UnknownJob(server, job))
                    : Results.Json(backfills, ApiJson.Options);
            })
            .WithName("ListBackfills").WithTags("backfills")
            .WithDescription("The newest backfills first (at most limit, default 50), optionally of one job, each with its state and progress; their runs are in GET /api/backfills/{id}.")
            .Produces<IReadOnlyList<BackfillDetail>>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/backfills/{id}", (ServerContext server, string id, CancellationToken cancellationToken) =>
                ActAsync(server, null, "get", id, null, () => server.Scheduler.GetBackfillAsync(id, cancellationToken), cancellationToken))
            .WithName("GetBackfill").WithTags("backfills").Produces<BackfillDetail>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/jobs", async (ServerContext server, CancellationToken cancellationToken) =>
            {
                Dictionary<string, JobState> states = await server.Catalog.Scheduler.GetJobStatesAsync(cancellationToken).ConfigureAwait(false);
                return Results.Json(server.Project.Jobs.Select(job => JobView.Of(job, states.GetValueOrDefault(job.Name), server.Time.GetUtcNow())).ToList(), ApiJson.Options);
            })
            .WithName("ListJobs").WithTags("jobs").Produces<IReadOnlyList<JobView>>();
        api.MapGet("/jobs/{job}", async (ServerContext server, string job, CancellationToken cancellationToken) =>
            {
                if (server.Project.Jobs.FirstOrDefault(j => string.Equals(j.Name, job, StringComparison.Ordinal)) is not { } definition)
                {
                    return ApiProblem.For(ErrorCode.CatalogObjectNotFound, UnknownJob(server, job));
                }

                Dictionary<string, JobState> states = await server.Catalog.Scheduler.GetJobStatesAsync(cancellationToken).ConfigureAwait(false);
                return Results.Json(JobView.Of(definition, states.GetValueOrDefault(definition.Name), server.Time.GetUtcNow()), ApiJson.Options);
            })
            .WithName("GetJob").WithTags("jobs").Produces<JobView>().ProducesProblem(StatusCodes.Status404NotFound);
        MapActions(api);
    }

    private static void MapActions(RouteGroupBuilder api)
    {
        RouteGroupBuilder act = api.MapGroup(string.Empty).RequireAuthorization(ApiAuthenticationHandler.OperatorPolicy);
        act.MapGet("/servers", async (ServerContext server, CancellationToken cancellationToken) =>
            {
                List<ServerRecord> servers = await server.Catalog.Servers.ListAsync(cancellationToken).ConfigureAwait(false);
                DateTimeOffset now = server.Time.GetUtcNow();
                return Results.Json(servers.Select(s => ServerView.Of(s, server.Scheduler, now)).ToList(), ApiJson.Options);
            })
            .WithName("ListServers").WithTags("servers")
            .WithDescription("Every server on the project's catalog, the longest running first: its host, pid, role (active, standby, web, lease lost), version, address, start and last heartbeat; silent when its last heartbeat is older than the scheduler lease (--scheduler-lease), as a killed or cut-off server's is.")
            .Produces<IReadOnlyList<ServerView>>();
        act.MapPost("/jobs/{job}/trigger", (ServerContext server, HttpContext http, string job, TriggerRequest? body, CancellationToken cancellationToken) =>
                ActAsync(server, http, "trigger", job, VariablesText(body?.Variables),
                    () => server.Scheduler.TriggerAsync(job, body?.Variables, cancellationToken), cancellationToken))
            .WithName("TriggerJob").WithTags("jobs").Produces<RunRecord>();
        act.MapPost("/runs", (ServerContext server, HttpContext http, RunSelectionRequest body, CancellationToken cancellationToken) =>
                ActAsync(server, http, "start", body.Select ?? string.Empty, VariablesText(body.Variables), async () =>
                {
                    string selection = await ReadableSelectionAsync(server, http.User.Identity?.Name, body.Select ?? string.Empty, cancellationToken).ConfigureAwait(false);
                    return await server.Scheduler.RunSelectionAsync(selection, body.Variables, cancellationToken).ConfigureAwait(false);
                }, cancellationToken))
            .WithName("RunSelection").WithTags("runs")
            .WithDescription("Queues a run of a selection of tables, belonging to no job (Dagster's materialize selected): select is read as medallion run --select reads it (+gold.daily_revenue, silver.*, tag:daily) among the tables the user may read, and the run builds those models after loading the sources they read. Needs the operator role; a selection that matches nothing the user may read answers 400 and queues nothing.")
            .Produces<RunRecord>().ProducesProblem(StatusCodes.Status400BadRequest);
        act.MapPost("/jobs/{job}/pause", (ServerContext server, HttpContext http, string job, CancellationToken cancellationToken) =>
                ActAsync(server, http, "pause", job, null, async () =>
                {
                    await server.Scheduler.PauseAsync(job, cancellationToken).ConfigureAwait(false);
                    return await JobAsync(server, job, cancellationToken).ConfigureAwait(false);
                }, cancellationToken))
            .WithName("PauseJob").WithTags("jobs").Produces<JobView>();
        act.MapPost("/jobs/{job}/unpause", (ServerContext server, HttpContext http, string job, CancellationToken cancellationToken) =>
                ActAsync(server, http, "unpause", job, null, async () =>
                {
                    await server.Scheduler.UnpauseAsync(job, cancellationToken).ConfigureAwait(false);
                    return await JobAsync(server, job, cancellationToken).ConfigureAwait(false);
                }, cancellationToken))
            .WithName("UnpauseJob").WithTags("jobs").Produces<JobView>();
        act.MapPost("/jobs/{job}/backfill", (ServerContext server, HttpContext http, string job, BackfillRequest body, CancellationToken cancellationToken) =>
                body.MaxActive is < 1
                    ? Task.FromResult(ApiProblem.For(ErrorCode.ApiRequestInvalid, $"max_active {body.MaxActive} would run nothing; give at least 1"))
                    : body.DryRun
                    ? ActAsync(server, null, "backfill", job, null, async () =>
                        new BackfillView(null, [], await server.Scheduler.PlanBackfillAsync(job, body.From, body.To, body.Reprocess, cancellationToken).ConfigureAwait(false)), cancellationToken)
                    : ActAsync(server, http, "backfill", job, $"{body.From:O}..{body.To:O} reprocess={body.Reprocess.ToString().ToLowerInvariant()} max_active={body.MaxActive ?? 1}", async () =>
                    {
                        IReadOnlyList<BackfillInterval> plan = await server.Scheduler.PlanBackfillAsync(job, body.From, body.To, body.Reprocess, cancellationToken).ConfigureAwait(false);
                        (BackfillRecord backfill, IReadOnlyList<RunRecord> runs) = await server.Scheduler.BackfillAsync(
                            job, body.From, body.To, body.Reprocess, body.MaxActive ?? 1, http.User.Identity!.Name, cancellationToken).ConfigureAwait(false);
                        return new BackfillView(backfill, runs, plan);
                    }, cancellationToken))
            .WithName("BackfillJob").WithTags("jobs").Produces<BackfillView>().ProducesProblem(StatusCodes.Status400BadRequest);
        act.MapPost("/runs/{id}/cancel", (ServerContext server, HttpContext http, string id, CancellationToken cancellationToken) =>
                ActAsync(server, http, "cancel", id, null, async () => await server.Scheduler.CancelRunAsync(id, cancellationToken).ConfigureAwait(false)
                    ? new CancelResult(id, true)
                    : throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"run {id} is neither queued nor running on this server"), cancellationToken))
            .WithName("CancelRun").WithTags("runs").Produces<CancelResult>();
        act.MapPost("/backfills/{id}/cancel", (ServerContext server, HttpContext http, string id, CancellationToken cancellationToken) =>
                ActAsync(server, http, "cancel backfill", id, null, () => server.Scheduler.CancelBackfillAsync(id, cancellationToken), cancellationToken))
            .WithName("CancelBackfill").WithTags("backfills")
            .WithDescription("Stops a backfill: its queued intervals end cancelled without running, its running runs are cancelled (their running models commit nothing); it ends cancelled when the last has stopped. A backfill that had ended is answered as it is.")
            .Produces<BackfillDetail>().ProducesProblem(StatusCodes.Status404NotFound);
        act.MapPost("/reload", async (ServerContext server, HttpContext http, CancellationToken cancellationToken) =>
            {
                ReloadStatus status = await server.Reloader!.ReloadAsync("POST /api/reload by " + http.User.Identity!.Name, cancellationToken).ConfigureAwait(false);
                await server.Catalog.Identity.RecordServerActionAsync(http.User.Identity!.Name!, "reload", server.Project.Name, status.Ok ? null : "failed: " + status.Error, cancellationToken).ConfigureAwait(false);
                await server.Audit.RecordAsync(AuditSource.Act(http, "project.reload", server.Project.Name, null, status.Ok ? "ok" : "error", status.Error), cancellationToken).ConfigureAwait(false);
                // A project that does not load is the operator's to fix: its code's problem with what is wrong and where, the old definitions still running.
                return status.Ok ? Results.Json(status, ApiJson.Options) : ReloadFailed(status);
            })
            .WithName("ReloadProject").WithTags("project").Produces<ReloadStatus>().ProducesProblem(StatusCodes.Status400BadRequest);
        act.MapPost("/runs/{id}/rerun", (ServerContext server, HttpContext http, string id, CancellationToken cancellationToken) =>
                ActAsync(server, http, "rerun", id, "from failure", () => server.Scheduler.RerunFromFailureAsync(id, cancellationToken), cancellationToken))
            .WithName("RerunFromFailure").WithTags("runs").Produces<RunRecord>();
        act.MapPut("/tables/{table}/docs", (ServerContext server, HttpContext http, string table, DocsBody body, CancellationToken cancellationToken) =>
                EditDocsAsync(server, http, table, null, body, cancellationToken))
            .WithName("EditTableDocs").WithTags("tables")
            .WithDescription("Edits the table's docs in the catalog, over the project files' (which stay as written): each of description, owner and tags (an array, or one text separated by commas) given is set, and given as null or empty goes back to the files' value; those left out stay. Needs the operator role; every edit is kept with who made it and when, and audited. Answers the docs in force and their history.")
            .Produces<TableDocs>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        act.MapPut("/tables/{table}/columns/{column}/docs", (ServerContext server, HttpContext http, string table, string column, DocsBody body, CancellationToken cancellationToken) =>
                EditDocsAsync(server, http, table, column, body, cancellationToken))
            .WithName("EditColumnDocs").WithTags("tables")
            .WithDescription("Edits a column's description and tags in the catalog, as PUT /api/tables/{table}/docs does the table's (a column has no owner of its own).")
            .Produces<TableDocs>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        act.MapPost("/runs/{id}/retry", (ServerContext server, HttpContext http, string id, CancellationToken cancellationToken) =>
                ActAsync(server, http, "retry", id, "every model", () => server.Scheduler.RetryAsync(id, cancellationToken), cancellationToken))
            .WithName("RetryRun").WithTags("runs").Produces<RunRecord>();
        act.MapGet("/job-files/{name}", (ServerContext server, string name, CancellationToken cancellationToken) =>
                ActAsync(server, null, "read job file", name, null, () => JobFiles.ReadAsync(server.Project, JobFilePath(name), cancellationToken), cancellationToken))
            .WithName("GetJobFile").WithTags("jobs")
            .WithDescription("The text of jobs/{name}.yml with its version (to save against); a file that does not exist yet is empty, at version 'new'.")
            .Produces<JobFileText>().ProducesProblem(StatusCodes.Status400BadRequest);
        act.MapPost("/job-files/{name}/check", (ServerContext server, string name, JobFileBody body, CancellationToken cancellationToken) =>
                ActAsync(server, null, "check job file", name, null, () => JobFiles.CheckAsync(server.Project, JobFilePath(name), body.Text ?? string.Empty, cancellationToken), cancellationToken))
            .WithName("CheckJobFile").WithTags("jobs")
            .WithDescription("Checks a proposed text of jobs/{name}.yml as loading the project would (its errors name the line and column) and answers the jobs it defines and the line diff a save would make. Nothing is written.")
            .Produces<JobFileCheck>().ProducesProblem(StatusCodes.Status400BadRequest);
        act.MapPut("/job-files/{name}", (ServerContext server, HttpContext http, string name, JobFileBody body, CancellationToken cancellationToken) =>
                ActAsync(server, http, "edit job file", JobFilePath(name), null, () => JobFiles.SaveAsync(server, JobFilePath(name), body.Text ?? string.Empty, body.Version ?? JobFileText.Missing, $"PUT /api/job-files/{name} by {http.User.Identity!.Name}", cancellationToken), cancellationToken))
            .WithName("SaveJobFile").WithTags("jobs")
            .WithDescription("Writes jobs/{name}.yml when it is still at the version given (else 409, nothing written) and its text checks (else 400 with the line and column, nothing written), then reloads the project.")
            .Produces<JobFileSaved>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        act.MapPost("/runs/{id}/tables/{table}/rerun", (ServerContext server, HttpContext http, string id, string table, bool? downstream, CancellationToken cancellationToken) =>
                ActAsync(server, http, "rerun", id, downstream == true ? table + " and downstream" : table, () => server.Scheduler.RerunTableAsync(id, table, downstream == true, cancellationToken), cancellationToken))
            .WithName("RerunTable").WithTags("runs")
            .WithDescription("Queues a new run of a finished run's job that builds one table of it again (Airflow's clear of a task), and with downstream=true everything the job builds downstream of it, with the run's data interval and variables.")
            .Produces<RunRecord>().ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary>Variables as an action's audit detail (<c>region=south, day=2026-11-27</c>); null when there are none.</summary>
    private static string? VariablesText(IReadOnlyDictionary<string, string>? variables) =>
        variables is { Count: > 0 } ? string.Join(", ", variables.Select(p => p.Key + "=" + p.Value)) : null;

    /// <summary>
    /// What a run of <paramref name="expression"/> asked by <paramref name="user"/> builds: the tables it selects among
    /// those the user may read, as the lineage page highlights them. That is the expression itself when it selects no
    /// other table, else those tables named one by one, so the run builds no table the user cannot see.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ModelSelectionInvalid"/> when a part matches no table the user may read (its suggestions name only those).</exception>
    private static async Task<string> ReadableSelectionAsync(ServerContext server, string? user, string expression, CancellationToken cancellationToken)
    {
        ModelGraph graph = server.Graph;
        Platform.Access.ReaderView access = await ReaderAccess.ForAsync(server, user, cancellationToken).ConfigureAwait(false);
        IReadOnlySet<TableName> readable = graph.SelectAmong(expression, access.CanRead);
        if (graph.Select(expression).Concat(graph.SelectSources(expression)).All(readable.Contains))
        {
            return expression.Trim();
        }

        return string.Join(' ', readable.Select(t => t.ToString().ToLowerInvariant()).Order(StringComparer.Ordinal));
    }

    /// <summary>The jobs file an API path names by its stem: <c>nightly</c> is <c>jobs/nightly.yml</c>.</summary>
    private static string JobFilePath(string name) => $"jobs/{name}.yml";

    /// <summary>
    /// Edits the docs a body gives, of a table or (<paramref name="column"/>) one of its columns, as the signed-in user who
    /// must be able to read it (else it is a table that does not exist, 404), recorded and audited as one action naming the
    /// fields edited; answers the table's docs as they are then.
    /// </summary>
    private static Task<IResult> EditDocsAsync(ServerContext server, HttpContext http, string table, string? column, DocsBody body, CancellationToken cancellationToken)
    {
        List<(DocField Field, string? Value)> edits;
        try
        {
            edits = body.Edits(column is not null);
        }
        catch (MedallionException exception)
        {
            return Task.FromResult(ApiProblem.For(exception));
        }

        string target = column is null ? table : table + "." + column;
        string detail = string.Join(", ", edits.Select(e => e.Field.ToString().ToLowerInvariant() + (e.Value is null ? " reverted" : string.Empty)));
        return ActAsync(server, http, "edit docs", target, detail, async () =>
        {
            Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, http.User.Identity?.Name, cancellationToken).ConfigureAwait(false);
            await using (lakehouse.ConfigureAwait(false))
            {
                TableName name = lakehouse.ResolveTable(table);
                foreach ((DocField field, string? value) in edits)
                {
                    await lakehouse.EditDocAsync(name, column, field, value, http.User.Identity!.Name!, cancellationToken).ConfigureAwait(false);
                }

                return await lakehouse.GetDocsAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    /// <summary>A reload's error leads with its code (<c>MDL6011: ...</c>), or is the file system's (a file that cannot be read).</summary>
    private static IResult ReloadFailed(ReloadStatus status)
    {
        string error = status.Error ?? "the project did not load";
        ErrorCode code = ErrorCodes.Parse(error.Split(':')[0]) ?? ErrorCode.ProjectFileInvalid;
        string detail = error.StartsWith(ErrorCodes.Format(code) + ": ", StringComparison.Ordinal) ? error[9..] : error;
        return ApiProblem.For(code, $"{detail}\nThe server keeps running the definitions loaded at {status.LoadedAt:O}.");
    }

    /// <summary>
    /// Takes an action, recording who took it (when <paramref name="http"/> is given: dry runs change nothing and are not
    /// recorded), and answers a refusal as its code's problem, recorded in the audit too.
    /// </summary>
    private static Task<IResult> ActAsync<T>(ServerContext server, HttpContext? http, string action, string target, string? detail, Func<Task<T>> act, CancellationToken cancellationToken) =>
        ActAsync(server, http, action, target, detail, async () => Results.Json(await act().ConfigureAwait(false), ApiJson.Options), cancellationToken);

    /// <summary>
    /// Takes an action whose answer is its own (a status other than 200, no body), recorded and refused as
    /// <see cref="ActAsync{T}"/> records and refuses.
    /// </summary>
    internal static async Task<IResult> ActAsync(ServerContext server, HttpContext? http, string action, string target, string? detail, Func<Task<IResult>> act, CancellationToken cancellationToken)
    {
        try
        {
            IResult result = await act().ConfigureAwait(false);
            if (http is not null)
            {
                await server.Catalog.Identity.RecordServerActionAsync(http.User.Identity!.Name!, action, target, detail, cancellationToken).ConfigureAwait(false);
                await server.Audit.RecordAsync(AuditSource.Act(http, AuditAction(action, target), target, detail), cancellationToken).ConfigureAwait(false);
            }

            return result;
        }
        catch (MedallionException exception) when (exception.Kind != ErrorKind.Internal)
        {
            if (http is not null)
            {
                await server.Audit.RecordAsync(AuditSource.Act(http, AuditAction(action, target), target, detail, "error", exception.Message) with { ErrorCode = exception.CodeText }, cancellationToken).ConfigureAwait(false);
            }

            // An error of the request (not found, invalid, a conflict) with its status and code.
            return ApiProblem.For(exception);
        }
    }

    /// <summary>The audit's name of an API action: <c>job.trigger</c>, <c>run.cancel</c>, <c>backfill.cancel</c>, ...</summary>
    private static string AuditAction(string action, string target) => action switch
    {
        "trigger" or "pause" or "unpause" or "backfill" => "job." + action,
        "cancel backfill" => "backfill.cancel",
        "edit job file" => "job.edit",
        "edit docs" => "table.docs",
        "save query" => "query.save",
        "delete query" => "query.delete",
        _ => "run." + action,
    };

    private static async Task<JobView> JobAsync(ServerContext server, string job, CancellationToken cancellationToken)
    {
        Dictionary<string, JobState> states = await server.Catalog.Scheduler.GetJobStatesAsync(cancellationToken).ConfigureAwait(false);
        JobDefinition definition = server.Project.Jobs.First(j => string.Equals(j.Name, job, StringComparison.Ordinal));
        return JobView.Of(definition, states.GetValueOrDefault(definition.Name), server.Time.GetUtcNow());
    }

    /// <summary>
    /// Records in the audit that the signed-in user was shown rows of <paramref name="table"/> in quality samples, as a
    /// statement reading them would be: a sample is the table's data (masked and filtered as the user's SQL would be).
    /// </summary>
    private static async Task AuditSamplesAsync(ServerContext server, HttpContext http, TableName table, IReadOnlyList<QualityResultRecord> results, CancellationToken cancellationToken)
    {
        int rows = results.Where(r => r.FailingRows > 0).Sum(r => SampleRows(r.SampleRowsJson));
        if (rows > 0)
        {
            await server.Audit.RecordAsync(
                AuditEvent.Statement(AuditSource.User(http), AuditSource.Client(http), "api", $"quality samples of {table} ({http.Request.Method} {http.Request.Path})")
                    with { Action = "read", Target = table.ToString(), Tables = [table.ToString()], Rows = rows },
                cancellationToken).ConfigureAwait(false);
        }
    }

    private static int SampleRows(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Array ? document.RootElement.GetArrayLength() : 0;
    }

    /// <summary>
    /// Runs a read on a lakehouse opened for this request as the signed-in user sees it (it lists the tables as they are
    /// now, with the definitions the server loaded; a table the user may not read is one that does not exist, 404) and
    /// answers what went wrong as its code's problem.
    /// </summary>
    private static async Task<IResult> WithLakehouseAsync<T>(ServerContext server, HttpContext http, Func<Lakehouse, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, http.User.Identity?.Name, cancellationToken).ConfigureAwait(false);
            await using (lakehouse.ConfigureAwait(false))
            {
                return Results.Json(await read(lakehouse).ConfigureAwait(false), ApiJson.Options);
            }
        }
        catch (MedallionException exception) when (exception.Kind != ErrorKind.Internal)
        {
            return ApiProblem.For(exception);
        }
    }

    private static async Task<IResult> ListRunsAsync(
        ServerContext server, HttpContext http, string? job, string? status, string? environment, DateTimeOffset? from, DateTimeOffset? before, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        if (environment is not null)
        {
            try
            {
                // A filter of the history: the runs of an environment dropped since are still its runs, so any valid name is asked.
                EnvironmentStore.CheckName(environment);
            }
            catch (MedallionException invalid)
            {
                return ApiProblem.For(invalid);
            }
        }

        RunStatus? wanted = null;
        if (status is not null)
        {
            if (!Enum.TryParse(status, ignoreCase: true, out RunStatus parsed) || int.TryParse(status, out _))
            {
                return ApiProblem.For(ErrorCode.ApiRequestInvalid, $"status '{status}' is not one of {string.Join(", ", Enum.GetNames<RunStatus>().Select(n => n.ToLowerInvariant()))}");
            }

            wanted = parsed;
        }

        RunPage page = await server.Catalog.Runs.QueryRunsAsync(
            new RunQuery { Job = job, Status = wanted, Environment = environment, StartedFrom = from, StartedBefore = before, Cursor = cursor, Limit = Limit(limit, 50) },
            cancellationToken).ConfigureAwait(false);
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, http.User.Identity?.Name, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            return Results.Json(page with { Runs = [.. await lakehouse.ShowRunsAsync(page.Runs, cancellationToken).ConfigureAwait(false)] }, ApiJson.Options);
        }
    }

    private static string UnknownJob(ServerContext server, string job)
    {
        string? closest = NameSuggester.Closest(job, server.Project.Jobs.Select(j => j.Name));
        return $"there is no job '{job}'" + (closest is null ? string.Empty : $"; did you mean '{closest}'?") + "\nHelp: medallion jobs lists them (GET /api/jobs).";
    }

    /// <summary>The detail of a 404 for a run id the catalog does not have.</summary>
    internal static string NoRun(string id) => $"there is no run {id}\nHelp: medallion runs lists them (GET /api/runs).";

    private static int Limit(int? requested, int fallback) => Math.Clamp(requested ?? fallback, 1, MaxLimit);
}

/// <summary>The project a server runs.</summary>
/// <param name="Name">Its name from <c>medallion.yml</c>.</param>
/// <param name="Directory">Its directory on the server's machine; null for a viewer.</param>
/// <param name="Storage">Where its tables live (a folder or a URI); null for a viewer.</param>
/// <param name="Reload">How its definitions were last reloaded (SIGHUP, a file change or <c>POST /api/reload</c>).</param>
public sealed record ProjectInfo(string Name, string? Directory, string? Storage, ReloadStatus Reload);

/// <summary>The body of a trigger: variables for the run's model SQL (<c>getvariable('name')</c>).</summary>
/// <param name="Variables">Names and values.</param>
public sealed record TriggerRequest(IReadOnlyDictionary<string, string>? Variables);

/// <summary>The body of a run of a selection (<c>POST /api/runs</c>).</summary>
/// <param name="Select">The tables to build, in the <c>--select</c> syntax.</param>
/// <param name="Variables">Variables for the model SQL (<c>getvariable('name')</c>).</param>
public sealed record RunSelectionRequest(string? Select, IReadOnlyDictionary<string, string>? Variables = null);

/// <summary>The body of a backfill.</summary>
/// <param name="From">The range's start (inclusive).</param>
/// <param name="To">The range's end (inclusive).</param>
/// <param name="Reprocess">Which intervals to run: missing (never succeeded; the default), failed, or all.</param>
/// <param name="MaxActive">How many of its runs at once (default 1).</param>
/// <param name="DryRun">Only show the intervals and which would run.</param>
public sealed record BackfillRequest(DateTimeOffset From, DateTimeOffset To, BackfillReprocess Reprocess = BackfillReprocess.Missing, int? MaxActive = null, bool DryRun = false);

/// <summary>What a backfill did, or (dry run) would do.</summary>
/// <param name="Backfill">The backfill; null for a dry run.</param>
/// <param name="Runs">The runs it queued; empty for a dry run.</param>
/// <param name="Intervals">Every interval of the range, with its last state and whether it runs.</param>
public sealed record BackfillView(BackfillRecord? Backfill, IReadOnlyList<RunRecord> Runs, IReadOnlyList<BackfillInterval> Intervals);

/// <summary>
/// The body of a docs edit: each field given is set, given as null or empty goes back to the project files' value, and
/// left out stays as it is.
/// </summary>
/// <param name="Description">What the table or column holds.</param>
/// <param name="Owner">Who to ask about the table (not for a column).</param>
/// <param name="Tags">Its tags: an array of texts, or one text separated by commas.</param>
public sealed record DocsBody(System.Text.Json.JsonElement Description, System.Text.Json.JsonElement Owner, System.Text.Json.JsonElement Tags)
{
    /// <summary>The edits the body asks for, in field order.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ApiRequestInvalid"/>: a field of the wrong type, an owner for a column, or nothing to edit.</exception>
    internal List<(DocField Field, string? Value)> Edits(bool column)
    {
        var edits = new List<(DocField, string?)>();
        void Add(DocField field, System.Text.Json.JsonElement value)
        {
            switch (value.ValueKind)
            {
                case System.Text.Json.JsonValueKind.Undefined:
                    return;
                case System.Text.Json.JsonValueKind.Null:
                    edits.Add((field, null));
                    return;
                case System.Text.Json.JsonValueKind.String:
                    edits.Add((field, value.GetString()));
                    return;
                case System.Text.Json.JsonValueKind.Array when field == DocField.Tags && value.EnumerateArray().All(t => t.ValueKind == System.Text.Json.JsonValueKind.String):
                    edits.Add((field, string.Join(", ", value.EnumerateArray().Select(t => t.GetString()))));
                    return;
                default:
                    throw new MedallionException(ErrorCode.ApiRequestInvalid, $"{field.ToString().ToLowerInvariant()} is {value.ValueKind.ToString().ToLowerInvariant()}; give a text{(field == DocField.Tags ? " or an array of texts" : string.Empty)}, or null to go back to the project files' value");
            }
        }

        Add(DocField.Description, Description);
        if (column && Owner.ValueKind != System.Text.Json.JsonValueKind.Undefined)
        {
            throw new MedallionException(ErrorCode.ApiRequestInvalid, "a column has no owner of its own\nHelp: edit its table's owner with PUT /api/tables/{table}/docs.");
        }

        Add(DocField.Owner, Owner);
        Add(DocField.Tags, Tags);
        return edits.Count > 0
            ? edits
            : throw new MedallionException(ErrorCode.ApiRequestInvalid, "the body edits nothing; give description, owner or tags");
    }
}

/// <summary>The answer to a cancel.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Cancelled">Always true: a run that cannot be cancelled is a 404.</param>
public sealed record CancelResult(string RunId, bool Cancelled);

/// <summary>The body of a jobs file check or save: the proposed text, and (to save) the version it was edited from.</summary>
/// <param name="Text">The file's new text.</param>
/// <param name="Version">The version read with the file (<c>new</c> for a file that did not exist).</param>
public sealed record JobFileBody(string? Text, string? Version = null);
