using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Platform;
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
    }

    private static async Task<IResult> GridAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        ServerContext server = page.Server;
        var html = new HtmlBuilder();
        html.Add($"<p class=\"muted\">{page.T("Runs of the last jobs, newest on the right.")} <a href=\"/backfills\">{page.T("Backfills")}</a></p><table class=\"grid\"><tbody>");
        foreach (JobDefinition job in server.Project.Jobs)
        {
            RunPage runs = await server.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = job.Name, Limit = GridRuns }, cancellationToken).ConfigureAwait(false);
            html.Add($"<tr><th scope=\"row\"><a href=\"/jobs#job-{job.Name}\">{job.Name}</a></th><td>{JobsPage.RunBar(page, runs.Runs)}</td></tr>");
        }

        html.Add($"</tbody></table><h2>{page.T("Recent runs")}</h2>");
        RunPage recent = await server.Catalog.Runs.QueryRunsAsync(new RunQuery { Limit = 50 }, cancellationToken).ConfigureAwait(false);
        html.Add(RunTable(page, recent.Runs));
        return page.Render(page.T("Runs"), "Runs", html.ToMarkup());
    }

    /// <summary>Runs as a table: id (a link), job, state, start, duration.</summary>
    internal static Markup RunTable(PageContext page, IReadOnlyList<RunRecord> runs)
    {
        var ids = new RunIdAbbreviations(runs.Select(r => r.Id));
        var html = new HtmlBuilder();
        html.Add($"<table class=\"runs\"><thead><tr><th>{page.T("Run")}</th><th>{page.T("Job")}</th><th>{page.T("Status")}</th><th>{page.T("Started")}</th><th>{page.T("Duration")}</th></tr></thead><tbody>");
        foreach (RunRecord run in runs)
        {
            html.Add($"<tr><td><a href=\"{PageContext.RunUrl(run.Id)}\"><code>{ids[run.Id]}</code></a></td><td>{run.Job ?? "–"}</td><td>{page.State(run.Status)}</td><td>{page.Time(run.StartedAt)}</td><td>{page.Duration(run.FinishedAt - run.StartedAt)}</td></tr>");
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
        CatalogStore catalog = page.Server.Catalog;
        if (await catalog.Runs.GetRunDetailAsync(id, cancellationToken).ConfigureAwait(false) is not { } detail)
        {
            return page.NotFound(page.T("There is no run {0}.", id));
        }

        // What the user may see of it: errors that may quote values of tables they do not read in full are withheld, and
        // quality results of tables they may not read are left out.
        RunDetails shown;
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(page.Server, page.UserName, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            shown = await lakehouse.GetRunAsync(detail.Run.Id, cancellationToken).ConfigureAwait(false);
        }

        RunRecord run = shown.Run;
        IReadOnlyList<QualityResultRecord> quality = shown.Quality;
        string encoded = Uri.EscapeDataString(run.Id);
        bool live = run.Status is RunStatus.Running or RunStatus.Queued;
        TimeZoneInfo? zone = page.ZoneOf(run.Job);
        var html = new HtmlBuilder();
        html.Add($"""
            <dl class="facts">
            <dt>{page.T("Status")}</dt><dd id="run-status">{page.State(run.Status)}</dd>
            <dt>{page.T("Job")}</dt><dd>{run.Job ?? "–"}</dd>
            <dt>{page.T("Trigger ")}</dt><dd>{page.T(run.Trigger.ToString().ToLowerInvariant())}</dd>
            {(run.Variables.Count == 0 ? Markup.Empty : HtmlBuilder.Of($"<dt>{page.T("Variables")}</dt><dd id=\"run-variables\">{string.Join(", ", run.Variables.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => v.Key + "=" + v.Value))}</dd>"))}
            <dt>{page.T("Started")}</dt><dd>{page.Time(run.StartedAt, zone)}</dd>
            <dt>{page.T("Finished")}</dt><dd>{page.Time(run.FinishedAt, zone)}</dd>
            <dt>{page.T("Duration")}</dt><dd>{page.Duration(run.FinishedAt - run.StartedAt)}</dd>
            </dl>
            {(run.Error is null ? Markup.Empty : HtmlBuilder.Of($"<pre class=\"error\">{page.Message(run.Error)}</pre>"))}
            <p class="actions">{(live ? page.Action($"/api/runs/{encoded}/cancel", "Cancel", danger: true) : Markup.Empty)}{(run.Status == RunStatus.Failed ? page.Action($"/api/runs/{encoded}/rerun", "Rerun from failure", then: "run") : Markup.Empty)}{(!live && run.Job is not null ? page.Action($"/api/runs/{encoded}/retry", "Retry", then: "run") : Markup.Empty)}</p>
            <h2>{page.T("Models")}</h2>
            """);
        TimeSpan longest = shown.Models.Count == 0 ? TimeSpan.Zero : shown.Models.Max(m => m.Duration);
        html.Add($"<table class=\"models\"><thead><tr><th>{page.T("Model")}</th><th>{page.T("Status")}</th><th>{page.T("Rows")}</th><th>{page.T("Duration")}</th><th>{page.T("Error")}</th></tr></thead><tbody>");
        foreach (ModelRunRecord model in shown.Models)
        {
            int width = longest <= TimeSpan.Zero ? 0 : (int)Math.Round(100 * model.Duration / longest);
            html.Add($"""
                <tr><td><a href="{PageContext.TableUrl(model.Model)}">{model.Model.ToString()}</a></td><td>{page.State(model.Status)}</td><td class="num">{page.Number(model.RowsWritten)}</td>
                <td><span class="timeline"><span class="span state-{PageContext.StateName(model.Status)}" data-width="{width}"></span></span> {page.Duration(model.Duration)}</td><td class="error">{page.Message(model.Error)}</td></tr>
                """);
        }

        html.Add($"</tbody></table><h2>{page.T("Attempts")}</h2><table><thead><tr><th>{page.T("Attempt")}</th><th>{page.T("Status")}</th><th>{page.T("Started")}</th><th>{page.T("Duration")}</th><th>{page.T("Error")}</th></tr></thead><tbody>");
        foreach (RunAttemptRecord attempt in shown.Attempts)
        {
            html.Add($"<tr><td class=\"num\">{attempt.Attempt}</td><td>{page.State(attempt.Status)}</td><td>{page.Time(attempt.StartedAt, zone)}</td><td>{page.Duration(attempt.FinishedAt - attempt.StartedAt)}</td><td class=\"error\">{page.Message(attempt.Error)}</td></tr>");
        }

        html.Add(new Markup("</tbody></table>"));
        if (quality.Count > 0)
        {
            html.Add($"<h2>{page.T("Quality")}</h2><table><thead><tr><th>{page.T("Model")}</th><th>{page.T("Rule")}</th><th>{page.T("Status")}</th><th>{page.T("Rows")}</th></tr></thead><tbody>");
            foreach (QualityResultRecord result in quality)
            {
                html.Add($"<tr><td>{result.Model.ToString()}</td><td>{result.Rule} <span class=\"muted\">({page.T(result.Severity)})</span></td><td>{QualityState(page, result)}</td><td class=\"num\">{page.Number(result.FailingRows)}</td></tr>");
            }

            html.Add(new Markup("</tbody></table>"));
        }

        html.Add($"""
            <h2>{page.T("Log")}</h2>
            <pre id="log" class="log" aria-live="polite" data-stream="/api/runs/{encoded}/logs/stream" data-waiting="{page.T("waiting for log lines…")}" data-finished="{page.T("Run finished:")}" data-messages="{WebText.MessagesJson(page.Language)}"></pre>
            """);
        return page.Render(page.T("Run") + " " + RunIdAbbreviations.Single(run.Id), "Runs", html.ToMarkup());
    }
}
