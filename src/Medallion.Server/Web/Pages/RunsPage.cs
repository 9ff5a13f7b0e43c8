using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Platform;
using Medallion.Server.Scheduling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary>
/// <c>/runs</c>: a grid of jobs × their recent runs coloured by state; <c>/runs/{id}</c>: one run with its models,
/// attempts, quality results, live log (the REST API's server-sent events) and, for operators, cancel and rerun.
/// </summary>
internal static class RunsPage
{
    private const int GridRuns = 20;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/runs", GridAsync);
        app.MapGet("/runs/{id}", RunAsync);
        app.MapGet("/runs/{id}/live", LiveAsync);
    }

    private static async Task<IResult> GridAsync(HttpContext http, string? job, string? environment, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        ServerContext server = page.Server;
        if (environment is not null)
        {
            try
            {
                EnvironmentStore.CheckName(environment);
            }
            catch (MedallionException invalid)
            {
                return page.Render(page.T("Runs"), "Runs", HtmlBuilder.Of($"<p class=\"error\">{invalid.Message}</p>"), StatusCodes.Status400BadRequest);
            }
        }

        if (job is not null)
        {
            return server.Project.Jobs.FirstOrDefault(j => string.Equals(j.Name, job, StringComparison.Ordinal)) is { } definition
                ? await JobGridAsync(page, definition, cancellationToken).ConfigureAwait(false)
                : page.NotFound(page.T("There is no job {0}.", job));
        }

        var html = new HtmlBuilder();
        html.Add($"<p class=\"muted\">{page.T("Runs of the last jobs, newest on the right. A job's name opens its grid of tables × runs.")} <a href=\"/backfills\">{page.T("Backfills")}</a></p><table class=\"grid\"><tbody>");
        foreach (JobDefinition definition in server.Project.Jobs)
        {
            RunPage runs = await server.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = definition.Name, Limit = GridRuns }, cancellationToken).ConfigureAwait(false);
            html.Add($"<tr><th scope=\"row\"><a href=\"{GridUrl(definition.Name)}\">{definition.Name}</a></th><td>{JobsPage.RunBar(page, runs.Runs)}</td></tr>");
        }

        html.Add($"</tbody></table><h2>{page.T("Recent runs")}</h2>");
        html.Add(await EnvironmentFilterAsync(page, environment, cancellationToken).ConfigureAwait(false));
        RunPage recent = await server.Catalog.Runs.QueryRunsAsync(new RunQuery { Environment = environment, Limit = 50 }, cancellationToken).ConfigureAwait(false);
        html.Add(RunTable(page, recent.Runs));
        return page.Render(page.T("Runs"), "Runs", html.ToMarkup());
    }

    private static string GridUrl(string job) => "/runs?job=" + Uri.EscapeDataString(job);

    /// <summary>
    /// Links that show the recent runs of every environment or of one (prod, then the others the catalog knows, and the
    /// one asked for though it holds nothing now: a dropped environment's runs are still its own), the shown one marked.
    /// </summary>
    private static async Task<Markup> EnvironmentFilterAsync(PageContext page, string? chosen, CancellationToken cancellationToken)
    {
        List<string> environments = await EnvironmentChoice.ListAsync(page.Server, chosen, cancellationToken).ConfigureAwait(false);
        var html = new HtmlBuilder();
        html.Add($"<p class=\"filters\" id=\"run-environments\">{page.T("Environment")}: ");
        html.Add(chosen is null ? HtmlBuilder.Of($"<strong aria-current=\"true\">{page.T("All")}</strong>") : HtmlBuilder.Of($"<a href=\"/runs\">{page.T("All")}</a>"));
        foreach (string environment in environments)
        {
            html.Add(environment == chosen
                ? HtmlBuilder.Of($" · <strong aria-current=\"true\">{environment}</strong>")
                : HtmlBuilder.Of($" · <a href=\"/runs?environment={Uri.EscapeDataString(environment)}\">{environment}</a>"));
        }

        html.Add(new Markup("</p>"));
        return html.ToMarkup();
    }

    /// <summary>
    /// <c>/runs?job=name</c>: Airflow's grid for one job: its last runs as columns (oldest on the left), a row of run states
    /// above a row per table the job builds (sources first, then models in build order). A cell opens the table's row on
    /// the run's page, where an operator re-runs it, or it and its downstream.
    /// </summary>
    private static async Task<IResult> JobGridAsync(PageContext page, JobDefinition job, CancellationToken cancellationToken)
    {
        ServerContext server = page.Server;
        ModelGraph graph = server.Graph;
        RunPage recent = await server.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = job.Name, Limit = GridRuns }, cancellationToken).ConfigureAwait(false);
        RunRecord[] runs = [.. recent.Runs.Reverse()];
        Dictionary<(string Run, TableName Table), ModelRunRecord> outcomes = (await server.Catalog.Runs.GetModelRunsAsync([.. runs.Select(r => r.Id)], cancellationToken).ConfigureAwait(false))
            .ToDictionary(m => (m.RunId, m.Model));
        IReadOnlySet<TableName> models = graph.Select(job.Select);
        List<TableName> tables = [.. graph.SelectSources(job.Select).Order(), .. graph.Models.Select(m => m.Name).Where(models.Contains)];
        // A table may have left the job since: its past outcomes still have a row, under the job's own.
        tables.AddRange(outcomes.Keys.Select(k => k.Table).Distinct().Where(t => !tables.Contains(t)).Order());

        var ids = new RunIdAbbreviations(runs.Select(r => r.Id));
        var html = new HtmlBuilder();
        html.Add($"""
            <p class="muted">{page.T("The last {0} runs of job {1}, oldest on the left; each row is a table the job builds. A cell opens the table on the run's page, where it can be re-run with or without its downstream.", runs.Length, job.Name)} <a href="/runs">{page.T("All jobs")}</a></p>
            <div class="scroll"><table class="job-grid"><thead><tr><th scope="col">{page.T("Table")}</th>
            """);
        foreach (RunRecord run in runs)
        {
            string state = PageContext.StateName(run.Status);
            html.Add($"<th scope=\"col\"><a class=\"cell state-{state}\" href=\"{PageContext.RunUrl(run.Id)}\" title=\"{ids[run.Id]} · {page.T(state)} · {run.StartedAt.UtcDateTime.ToString("g", page.Culture)} UTC\"><span class=\"visually-hidden\">{ids[run.Id]} {page.T(state)}</span></a></th>");
        }

        html.Add(new Markup("</tr></thead><tbody>"));
        foreach (TableName table in tables)
        {
            html.Add($"<tr data-table=\"{table.ToString()}\"><th scope=\"row\"><a href=\"{PageContext.TableUrl(table)}\">{table.ToString()}</a></th>");
            foreach (RunRecord run in runs)
            {
                if (outcomes.TryGetValue((run.Id, table), out ModelRunRecord? outcome))
                {
                    string state = PageContext.StateName(outcome.Status);
                    html.Add($"<td><a class=\"cell state-{state}\" href=\"{PageContext.RunUrl(run.Id)}#{ModelAnchor(table)}\" title=\"{table.ToString()} · {page.T(state)} · {ids[run.Id]}\"><span class=\"visually-hidden\">{page.T(state)}</span></a></td>");
                }
                else
                {
                    html.Add($"<td><span class=\"cell state-none\" title=\"{page.T("not in this run")}\"><span class=\"visually-hidden\">{page.T("not in this run")}</span></span></td>");
                }
            }

            html.Add(new Markup("</tr>"));
        }

        html.Add(new Markup("</tbody></table></div>"));
        return page.Render(page.T("Runs of {0}", job.Name), "Runs", html.ToMarkup());
    }

    /// <summary>The id of a table's row on a run's page, which the job grid's cells link to.</summary>
    private static string ModelAnchor(TableName table) => "model-" + table.ToString();

    /// <summary>Runs as a table: id (a link), job, state, start, duration.</summary>
    internal static Markup RunTable(PageContext page, IReadOnlyList<RunRecord> runs)
    {
        var ids = new RunIdAbbreviations(runs.Select(r => r.Id));
        var html = new HtmlBuilder();
        html.Add($"<table class=\"runs\"><thead><tr><th>{page.T("Run")}</th><th>{page.T("Job")}</th><th>{page.T("Environment")}</th><th>{page.T("Status")}</th><th>{page.T("Started")}</th><th>{page.T("Duration")}</th></tr></thead><tbody>");
        foreach (RunRecord run in runs)
        {
            html.Add($"<tr><td><a href=\"{PageContext.RunUrl(run.Id)}\"><code>{ids[run.Id]}</code></a></td><td>{(JobScheduler.IsSelectionRun(run) ? HtmlBuilder.Of($"<code class=\"muted\" title=\"{page.T("Selection")}\">{run.Selection}</code>") : HtmlBuilder.Of($"{run.Job ?? "–"}"))}</td><td class=\"environment\">{run.Environment}</td><td>{page.State(run.Status)}</td><td>{page.Time(run.StartedAt)}</td><td>{page.Duration(run.FinishedAt - run.StartedAt)}</td></tr>");
        }

        html.Add(new Markup("</tbody></table>"));
        return html.ToMarkup();
    }

    /// <summary>A quality result's state as a badge: passed, broken, or not checked with the reason (e.g. no new rows).</summary>
    internal static Markup QualityState(PageContext page, QualityResultRecord result) =>
        HtmlBuilder.Of($"<span class=\"state state-{QualityStateClass(result)}\">{QualityStateText(page, result)}</span>");

    /// <summary>The state class of a quality result: a rule not checked is shown as skipped, neither passed nor broken.</summary>
    internal static string QualityStateClass(QualityResultRecord result) => result.NotChecked is not null ? "skipped" : result.Passed ? "succeeded" : "failed";

    internal static string QualityStateText(PageContext page, QualityResultRecord result) =>
        result.NotChecked is { } reason ? $"{page.T(QualityStatus.NotChecked)}: {page.T(reason)}" : page.T(result.Status);

    private static async Task<IResult> RunAsync(HttpContext http, string id, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        if (await ShownRunAsync(page, id, cancellationToken).ConfigureAwait(false) is not { } shown)
        {
            return page.NotFound(page.T("There is no run {0}.", id));
        }

        RunRecord run = shown.Run;
        IReadOnlyList<QualityResultRecord> quality = shown.Quality;
        var html = new HtmlBuilder();
        html.Add(LiveSection(page, shown));
        if (quality.Count > 0)
        {
            html.Add($"<h2>{page.T("Quality")}</h2><table><thead><tr><th>{page.T("Model")}</th><th>{page.T("Rule")}</th><th>{page.T("Status")}</th><th>{page.T("Rows")}</th></tr></thead><tbody>");
            foreach (QualityResultRecord result in quality)
            {
                html.Add($"<tr><td>{result.Model.ToString()}</td><td>{result.Rule} <span class=\"muted\">({page.T(result.Severity)})</span></td><td>{QualityState(page, result)}</td><td class=\"num\">{page.Number(result.FailingRows)}</td></tr>");
            }

            html.Add(new Markup("</tbody></table>"));
        }

        html.Add(LogSection(page, shown));
        return page.Render(page.T("Run") + " " + RunIdAbbreviations.Single(run.Id), "Runs", html.ToMarkup());
    }

    /// <summary>
    /// <c>/runs/{id}/live</c>: the part of a run's page that changes while it runs (its state, actions, models and attempts),
    /// rendered as on the page; the page's script asks for it while the run is queued or running.
    /// </summary>
    private static async Task<IResult> LiveAsync(HttpContext http, string id, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        if (await ShownRunAsync(page, id, cancellationToken).ConfigureAwait(false) is not { } shown)
        {
            return page.NotFound(page.T("There is no run {0}.", id));
        }

        http.Response.Headers.CacheControl = "no-store";
        return Results.Content(LiveSection(page, shown).Value, "text/html; charset=utf-8");
    }

    /// <summary>
    /// The run as the user may see it: errors that may quote values of tables they do not read in full are withheld,
    /// and quality results of tables they may not read are left out. Null when there is no such run.
    /// </summary>
    private static async Task<RunDetails?> ShownRunAsync(PageContext page, string id, CancellationToken cancellationToken)
    {
        if (await page.Server.Catalog.Runs.GetRunAsync(id, cancellationToken).ConfigureAwait(false) is not { } run)
        {
            return null;
        }

        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(page.Server, page.UserName, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            return await lakehouse.GetRunAsync(run.Id, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The facts, actions, models (with their timeline) and attempts of a run. While the run is queued or running the
    /// section names where to ask for it again (<c>data-live</c>), and the script replaces it with each answer until the
    /// run has ended; one rendering serves the page and its updates.
    /// </summary>
    private static Markup LiveSection(PageContext page, RunDetails shown)
    {
        RunRecord run = shown.Run;
        string encoded = Uri.EscapeDataString(run.Id);
        bool live = run.Status is RunStatus.Running or RunStatus.Queued;
        DateTimeOffset now = page.Server.Time.GetUtcNow();
        TimeZoneInfo? zone = page.ZoneOf(run.Job);
        var html = new HtmlBuilder();
        html.Add($"""
            <section id="run-live" aria-live="polite" data-state="{PageContext.StateName(run.Status)}"{(live ? HtmlBuilder.Of($" data-live=\"/runs/{encoded}/live\"") : Markup.Empty)}>
            <dl class="facts">
            <dt>{page.T("Status")}</dt><dd id="run-status">{page.State(run.Status)}</dd>
            {(JobScheduler.IsSelectionRun(run) ? HtmlBuilder.Of($"<dt>{page.T("Selection")}</dt><dd id=\"run-selection\"><a href=\"/lineage?select={Uri.EscapeDataString(run.Selection!)}\"><code>{run.Selection}</code></a></dd>") : HtmlBuilder.Of($"<dt>{page.T("Job")}</dt><dd>{run.Job ?? "–"}</dd>"))}
            <dt>{page.T("Environment")}</dt><dd id="run-environment">{run.Environment}</dd>
            <dt>{page.T("Trigger ")}</dt><dd>{page.T(run.Trigger.ToString().ToLowerInvariant())}</dd>
            {Related(page, shown)}
            {(run.Variables.Count == 0 ? Markup.Empty : HtmlBuilder.Of($"<dt>{page.T("Variables")}</dt><dd id=\"run-variables\">{string.Join(", ", run.Variables.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => v.Key + "=" + v.Value))}</dd>"))}
            <dt>{page.T("Started")}</dt><dd>{page.Time(run.StartedAt, zone)}</dd>
            <dt>{page.T("Finished")}</dt><dd>{page.Time(run.FinishedAt, zone)}</dd>
            <dt>{page.T("Duration")}</dt><dd>{page.Duration((run.FinishedAt ?? now) - run.StartedAt)}</dd>
            </dl>
            {(run.Error is null ? Markup.Empty : HtmlBuilder.Of($"<pre class=\"error\" id=\"run-error\">{page.Message(run.Error)}</pre>"))}
            <p class="actions">{(live ? page.Action($"/api/runs/{encoded}/cancel", "Cancel", then: "live", danger: true) : Markup.Empty)}{(run.Status == RunStatus.Failed ? page.Action($"/api/runs/{encoded}/rerun", "Rerun from failure", then: "run") : Markup.Empty)}{(!live && Repeatable(run) ? page.Action($"/api/runs/{encoded}/retry", "Retry", then: "run") : Markup.Empty)}</p>
            <h2>{page.T("Models")}</h2>
            """);
        html.Add(ModelTable(page, shown, now));
        html.Add($"<h2>{page.T("Attempts")}</h2><table class=\"attempts\"><thead><tr><th>{page.T("Attempt")}</th><th>{page.T("Status")}</th><th>{page.T("Started")}</th><th>{page.T("Duration")}</th><th>{page.T("Error")}</th></tr></thead><tbody>");
        foreach (RunAttemptRecord attempt in shown.Attempts)
        {
            html.Add($"<tr><td class=\"num\">{attempt.Attempt}</td><td>{page.State(attempt.Status)}</td><td>{page.Time(attempt.StartedAt, zone)}</td><td>{page.Duration((attempt.FinishedAt ?? now) - attempt.StartedAt)}</td><td class=\"error\">{ErrorOnce(page, attempt.Error, run)}</td></tr>");
        }

        html.Add(new Markup("</tbody></table></section>"));
        return html.ToMarkup();
    }

    /// <summary>
    /// The runs this one is tied to: the backfill it is an interval of, the run it repeats, and the runs that repeat it
    /// (reruns, retries, cleared tables), each a link.
    /// </summary>
    private static Markup Related(PageContext page, RunDetails shown)
    {
        RunRecord run = shown.Run;
        var html = new HtmlBuilder();
        if (run.BackfillId is { } backfill)
        {
            html.Add($"<dt>{page.T("Backfill")}</dt><dd id=\"run-backfill\"><a href=\"/backfills/{Uri.EscapeDataString(backfill)}\"><code>{backfill}</code></a>{(run.IntervalStart is { } from ? HtmlBuilder.Of($" <span class=\"muted\">{page.Time(from, page.ZoneOf(run.Job))} – {page.Time(run.IntervalEnd, page.ZoneOf(run.Job))}</span>") : Markup.Empty)}</dd>");
        }

        if (run.ParentId is { } parent)
        {
            html.Add($"<dt>{page.T("Repeats")}</dt><dd id=\"run-parent\"><a href=\"{PageContext.RunUrl(parent)}\"><code>{RunIdAbbreviations.Single(parent)}</code></a>{(run.Selection is { } selection ? HtmlBuilder.Of($" <span class=\"muted\">({selection})</span>") : Markup.Empty)}</dd>");
        }

        if (run.UpstreamRunId is { } upstream)
        {
            html.Add($"<dt>{page.T("After run")}</dt><dd id=\"run-upstream\"><a href=\"{PageContext.RunUrl(upstream)}\"><code>{RunIdAbbreviations.Single(upstream)}</code></a></dd>");
        }

        if (shown.Repeats.Count > 0)
        {
            html.Add($"<dt>{page.T("Repeated by")}</dt><dd id=\"run-repeats\">");
            foreach (RunRecord repeat in shown.Repeats)
            {
                html.Add($"<a href=\"{PageContext.RunUrl(repeat.Id)}\"><code>{RunIdAbbreviations.Single(repeat.Id)}</code></a> {page.State(repeat.Status)} ");
            }

            html.Add(new Markup("</dd>"));
        }

        return html.ToMarkup();
    }

    /// <summary>
    /// The run's models with a timeline (Gantt): each bar starts where its model started, measured from the run's start
    /// (its first attempt), and is as long as the model took, so models that ran side by side overlap. A model's error
    /// is a row of its own under the model's.
    /// </summary>
    private static Markup ModelTable(PageContext page, RunDetails shown, DateTimeOffset now)
    {
        RunRecord run = shown.Run;
        ModelTimeline timeline = ModelTimeline.Of(shown, now);
        var html = new HtmlBuilder();
        html.Add($"<table class=\"models\"><thead><tr><th>{page.T("Model")}</th><th>{page.T("Status")}</th><th class=\"num\">{page.T("Rows")}</th><th class=\"num\">{page.T("Duration")}</th><th class=\"gantt-head\">{page.T("Timeline")} <span class=\"muted small\">{page.Duration(timeline.Span)}</span></th></tr></thead><tbody>");
        // In the order they started, as the timeline reads; steps that never started (skipped, cancelled) last.
        foreach (ModelRunRecord model in shown.Models.OrderBy(m => m.StartedAt ?? DateTimeOffset.MaxValue).ThenBy(m => m.Model.ToString(), StringComparer.Ordinal))
        {
            string state = PageContext.StateName(model.Status);
            html.Add($"<tr id=\"{ModelAnchor(model.Model)}\" data-model=\"{model.Model.ToString()}\" data-state=\"{state}\"><td><a href=\"{PageContext.TableUrl(model.Model)}\">{model.Model.ToString()}</a>{RerunActions(page, run, model.Model)}</td><td>{page.State(model.Status)}</td><td class=\"num\">{page.Number(model.RowsWritten)}</td><td class=\"num\">{page.Duration(timeline.Duration(model))}</td><td class=\"gantt\">");
            if (timeline.Bar(model) is { } bar)
            {
                string label = page.T("starts at +{0}, takes {1}", page.Duration(bar.Offset), page.Duration(timeline.Duration(model)));
                html.Add($"<span class=\"gantt-track\"><span class=\"gantt-bar state-{state}\" data-left=\"{bar.LeftPercent.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}\" data-width=\"{bar.WidthPercent.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}\" title=\"{label}\"></span></span><span class=\"visually-hidden\">{label}</span>");
            }
            else
            {
                html.Add($"<span class=\"muted small\">{page.T("not run")}</span>");
            }

            html.Add(new Markup("</td></tr>"));
            if (model.Error is not null)
            {
                html.Add($"<tr class=\"model-error\" data-model=\"{model.Model.ToString()}\"><td colspan=\"5\" class=\"error\">{ErrorOnce(page, model.Error, run)}</td></tr>");
            }
        }

        html.Add(new Markup("</tbody></table>"));
        return html.ToMarkup();
    }

    /// <summary>
    /// For operators, once a run of a job has ended: re-run one of its tables, or it and what the job builds downstream of
    /// it, in a new run with the same data interval (Airflow's clear of a task).
    /// </summary>
    private static Markup RerunActions(PageContext page, RunRecord run, TableName table)
    {
        if (!Repeatable(run) || run.Status is RunStatus.Queued or RunStatus.Running || !page.IsOperator)
        {
            return Markup.Empty;
        }

        string api = $"/api/runs/{Uri.EscapeDataString(run.Id)}/tables/{Uri.EscapeDataString(table.ToString())}/rerun";
        return HtmlBuilder.Of($"<span class=\"row-actions\">{page.Action(api, "Re-run", then: "run")}{page.Action(api + "?downstream=true", "Re-run with downstream", then: "run")}</span>");
    }

    /// <summary>Whether the scheduler can repeat the run: a job's, or a selection's queued on a server (not one recorded by <c>medallion run</c>).</summary>
    private static bool Repeatable(RunRecord run) => run.Job is not null || JobScheduler.IsSelectionRun(run);

    /// <summary>An error of a model or attempt; when it is the run's own, shown above, a pointer to it rather than the same text again.</summary>
    private static Markup ErrorOnce(PageContext page, string? error, RunRecord run) =>
        error is not null && string.Equals(error, run.Error, StringComparison.Ordinal)
            ? HtmlBuilder.Of($"<a class=\"muted\" href=\"#run-error\">{page.T("the run's error, above")}</a>")
            : HtmlBuilder.Of($"{page.Message(error)}");

    /// <summary>
    /// The run's log, streamed (the REST API's server-sent events) with filters by model and by level above it; its last
    /// line says how the run ended, in that state's colour.
    /// </summary>
    private static Markup LogSection(PageContext page, RunDetails shown)
    {
        string encoded = Uri.EscapeDataString(shown.Run.Id);
        var html = new HtmlBuilder();
        html.Add($"""
            <h2>{page.T("Log")}</h2>
            <div class="log-filters" role="group" aria-label="{page.T("Filter the log")}">
            <label for="log-model">{page.T("Model")}</label>
            <select id="log-model"><option value="">{page.T("All models")}</option><option value="-">{page.T("The run itself")}</option>
            """);
        foreach (ModelRunRecord model in shown.Models)
        {
            html.Add($"<option value=\"{model.Model.ToString()}\">{model.Model.ToString()}</option>");
        }

        html.Add($"""
            </select>
            <label for="log-level">{page.T("Level")}</label>
            <select id="log-level"><option value="info">{page.T("All levels")}</option><option value="warning">{page.T("Warnings and errors")}</option><option value="error">{page.T("Errors")}</option></select>
            <span id="log-hidden" class="muted small" data-text="{page.T("lines hidden by the filters:")}"></span>
            </div>
            <pre id="log" class="log" aria-live="polite" data-stream="/api/runs/{encoded}/logs/stream" data-waiting="{page.T("waiting for log lines…")}"
             data-end-succeeded="{page.T("Run succeeded")}" data-end-failed="{page.T("Run failed")}" data-end-cancelled="{page.T("Run cancelled")}" data-end-interrupted="{page.T("Run interrupted")}" data-messages="{WebText.MessagesJson(page.Language)}"></pre>
            """);
        return html.ToMarkup();
    }
}
