using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary>
/// <c>/backfills</c>: the newest backfills with their progress (of one job with <c>?job=</c>); <c>/backfills/{id}</c>: one
/// backfill's range, choices and state, its intervals with their runs, and for operators cancel. Both follow a backfill
/// that is under way without a reload. Run errors are left to the run's page, which withholds those that may quote values
/// the viewer may not read.
/// </summary>
internal static class BackfillsPage
{
    private const int Listed = 50;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/backfills", ListAsync);
        app.MapGet("/backfills/{id}", BackfillAsync);
    }

    /// <summary>A backfill's page.</summary>
    public static string Url(string id) => "/backfills/" + Uri.EscapeDataString(id);

    private static async Task<IResult> ListAsync(HttpContext http, string? job, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        List<BackfillDetail> backfills = await page.Server.Catalog.Scheduler.QueryBackfillsAsync(job, null, Listed, cancellationToken).ConfigureAwait(false);
        bool live = backfills.Any(b => b.Backfill.Status == RunStatus.Running);
        var html = new HtmlBuilder();
        html.Add($"<div id=\"backfills\"{Live(live, http)}>");
        if (backfills.Count == 0)
        {
            html.Add($"<p class=\"muted\">{(job is null ? page.T("No backfill yet. An operator starts one from the Jobs page (Backfill) or with medallion backfill <job> --from <date> --to <date>.") : page.T("Job {0} has no backfill.", job))}</p>");
        }
        else
        {
            html.Add($"<div class=\"scroll\"><table class=\"backfills\"><thead><tr><th>{page.T("Backfill")}</th><th>{page.T("Job")}</th><th>{page.T("Range")}</th><th>{page.T("Reprocess")}</th><th>{page.T("Status")}</th><th>{page.T("Progress")}</th><th>{page.T("Started by")}</th><th>{page.T("Requested")}</th></tr></thead><tbody>");
            foreach (BackfillDetail detail in backfills)
            {
                BackfillRecord backfill = detail.Backfill;
                html.Add($"""
                    <tr><td><a href="{Url(backfill.Id)}"><code>{backfill.Id}</code></a></td><td><a href="/backfills?job={Uri.EscapeDataString(backfill.Job)}">{backfill.Job}</a></td>
                    <td>{page.Time(backfill.RangeStart)} – {page.Time(backfill.RangeEnd)}</td><td>{page.T(backfill.Reprocess)}</td><td>{page.State(backfill.Status)}</td>
                    <td>{ProgressBar(page, detail.Progress)}</td><td>{backfill.StartedBy ?? "–"}</td><td>{page.Time(backfill.CreatedAt)}</td></tr>
                    """);
            }

            html.Add(new Markup("</tbody></table></div>"));
        }

        html.Add(new Markup("</div>"));
        return page.Render(job is null ? page.T("Backfills") : page.T("Backfills of {0}", job), "Runs", html.ToMarkup());
    }

    private static async Task<IResult> BackfillAsync(HttpContext http, string id, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        if (await page.Server.Catalog.Scheduler.GetBackfillDetailAsync(id, cancellationToken).ConfigureAwait(false) is not { } detail)
        {
            return page.NotFound(page.T("There is no backfill {0}.", id));
        }

        BackfillRecord backfill = detail.Backfill;
        bool live = backfill.Status == RunStatus.Running;
        var ids = new RunIdAbbreviations(detail.Runs.Select(r => r.Id));
        var html = new HtmlBuilder();
        html.Add($"""
            <div id="backfill"{Live(live, http)}>
            <dl class="facts">
            <dt>{page.T("Status")}</dt><dd id="backfill-status">{page.State(backfill.Status)}</dd>
            <dt>{page.T("Job")}</dt><dd><a href="/jobs#job-{backfill.Job}">{backfill.Job}</a></dd>
            <dt>{page.T("Range")}</dt><dd>{page.Time(backfill.RangeStart)} – {page.Time(backfill.RangeEnd)}</dd>
            <dt>{page.T("Reprocess")}</dt><dd>{page.T(backfill.Reprocess)}</dd>
            <dt>{page.T("At once")}</dt><dd>{backfill.MaxActive}</dd>
            <dt>{page.T("Started by")}</dt><dd>{backfill.StartedBy ?? "–"}</dd>
            <dt>{page.T("Requested")}</dt><dd>{page.Time(backfill.CreatedAt)}</dd>
            <dt>{page.T("Finished")}</dt><dd>{page.Time(backfill.FinishedAt)}</dd>
            </dl>
            <p class="actions">{(live ? page.Action($"/api/backfills/{Uri.EscapeDataString(backfill.Id)}/cancel", "Cancel backfill", danger: true) : Markup.Empty)}</p>
            <h2>{page.T("Progress")}</h2>
            {ProgressBar(page, detail.Progress)}
            <p id="backfill-progress">{ProgressText(page, detail.Progress)}</p>
            <h2>{page.T("Intervals")}</h2>
            """);
        if (detail.Runs.Count == 0)
        {
            html.Add($"<p class=\"muted\">{page.T("Every interval of the range had run already, so this backfill queued none.")}</p>");
        }
        else
        {
            html.Add($"<div class=\"scroll\"><table class=\"intervals\"><thead><tr><th>{page.T("Interval start")}</th><th>{page.T("Interval end")}</th><th>{page.T("Run")}</th><th>{page.T("Status")}</th><th>{page.T("Started")}</th><th>{page.T("Duration")}</th></tr></thead><tbody>");
            foreach (RunRecord run in detail.Runs)
            {
                // A queued run has not started: its start time is when it was queued, so it is not shown as a start.
                bool started = run.Status is not RunStatus.Queued;
                html.Add($"""
                    <tr><td>{page.Time(run.IntervalStart)}</td><td>{page.Time(run.IntervalEnd)}</td><td><a href="{PageContext.RunUrl(run.Id)}"><code>{ids[run.Id]}</code></a></td>
                    <td>{page.State(run.Status)}</td><td>{(started ? page.Time(run.StartedAt) : new Markup("–"))}</td><td>{page.Duration(run.FinishedAt - run.StartedAt)}</td></tr>
                    """);
            }

            html.Add(new Markup("</tbody></table></div>"));
        }

        html.Add(new Markup("</div>"));
        return page.Render(page.T("Backfill") + " " + backfill.Id, "Runs", html.ToMarkup());
    }

    /// <summary>While a backfill is under way, the attribute that has the script ask for this page again and replace the part.</summary>
    private static Markup Live(bool live, HttpContext http) => live ? HtmlBuilder.Of($" data-live=\"{http.Request.Path}{http.Request.QueryString}\"") : Markup.Empty;

    /// <summary>The intervals as one bar, a segment per state in proportion (succeeded, failed, cancelled, running, queued, kept).</summary>
    internal static Markup ProgressBar(PageContext page, BackfillProgress progress)
    {
        var html = new HtmlBuilder();
        html.Add($"<span class=\"progress\" role=\"img\" aria-label=\"{ProgressText(page, progress)}\">");
        foreach ((string state, int count) in Segments(progress))
        {
            if (count > 0)
            {
                int width = (int)Math.Round(100.0 * count / Math.Max(1, progress.Total));
                html.Add($"<span class=\"span state-{state}\" data-width=\"{width}\" title=\"{page.T(state)}: {count}\"></span>");
            }
        }

        html.Add(new Markup("</span>"));
        return html.ToMarkup();
    }

    private static IEnumerable<(string State, int Count)> Segments(BackfillProgress progress) =>
    [
        ("succeeded", progress.Succeeded), ("failed", progress.Failed), ("cancelled", progress.Cancelled),
        ("running", progress.Running), ("queued", progress.Queued), ("skipped", progress.Skipped),
    ];

    /// <summary>The progress in words: how many intervals ended, and how.</summary>
    internal static string ProgressText(PageContext page, BackfillProgress progress)
    {
        int ended = progress.Succeeded + progress.Failed + progress.Cancelled + progress.Skipped;
        return page.T(
            "{0} of {1} intervals done: {2} succeeded, {3} failed, {4} cancelled, {5} kept (had run); {6} running, {7} queued.",
            ended, progress.Total, progress.Succeeded, progress.Failed, progress.Cancelled, progress.Skipped, progress.Running, progress.Queued);
    }
}
