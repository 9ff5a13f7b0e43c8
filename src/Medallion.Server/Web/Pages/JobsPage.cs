using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Platform;
using Medallion.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary><c>/jobs</c>: each job's schedule in words, its next runs in the viewer's time zone, its recent runs as a bar, and (operators) pause, unpause, trigger.</summary>
internal static class JobsPage
{
    private const int RecentRuns = 10;

    /// <summary>The smallest useful jobs file, shown on a project's empty Jobs page.</summary>
    private const string ExampleJobsFile = "jobs:\n  - name: nightly\n    select: +gold.daily_revenue\n    schedule: \"0 3 * * *\"";

    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/jobs", RenderAsync);

    private static async Task<IResult> RenderAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        ServerContext server = page.Server;
        Dictionary<string, JobState> states = await server.Catalog.Scheduler.GetJobStatesAsync(cancellationToken).ConfigureAwait(false);
        var html = new HtmlBuilder();
        if (page.IsOperator)
        {
            html.Add($"<p class=\"actions\"><a class=\"button\" href=\"/jobs/edit\">{page.T("New jobs file")}</a></p>");
        }

        if (server.Project.Jobs.Count == 0)
        {
            html.Add($"""
                <div id="no-jobs" class="panel">
                <p>{page.T("This project has no jobs yet. A job runs models and sources: on a schedule, every few minutes, when new data lands, after another job, or only when triggered.")}</p>
                <p>{page.T("Jobs are defined in the project's jobs/*.yml files (or under 'jobs:' in medallion.yml). The server loads them at start and again whenever a file changes. For example, jobs/nightly.yml:")}</p>
                <pre>{ExampleJobsFile}</pre>
                </div>
                """);
            return page.Render(page.T("Jobs"), "Jobs", html.ToMarkup());
        }

        html.Add($"""
            <table class="jobs"><thead><tr><th>{page.T("Job")}</th><th>{page.T("Schedule")}</th><th>{page.T("Next runs")}</th><th>{page.T("Recent runs")}</th><th>{page.T("State")}</th>{(page.IsOperator ? HtmlBuilder.Of($"<th>{page.T("Actions")}</th>") : Markup.Empty)}</tr></thead><tbody>
            """);
        foreach (JobDefinition job in server.Project.Jobs)
        {
            JobView view = JobView.Of(job, states.GetValueOrDefault(job.Name), server.Time.GetUtcNow());
            RunPage recent = await server.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = job.Name, Limit = RecentRuns }, cancellationToken).ConfigureAwait(false);
            string encoded = Uri.EscapeDataString(job.Name);
            html.Add($"""
                <tr id="job-{job.Name}" data-job="{job.Name}">
                <td><strong>{job.Name}</strong><div class="muted small">{job.Select ?? string.Join(", ", job.Sources)}</div>{EditLink(page, job)}</td>
                <td>{ScheduleText.Describe(job.Schedule, page)}</td>
                <td><ul class="plain">{Join(view.NextRuns.Take(3).Select(t => HtmlBuilder.Of($"<li>{page.Time(t, page.ZoneOf(job.Name))}</li>")))}</ul></td>
                <td>{RunBar(page, recent.Runs)}</td>
                <td>{(view.Paused ? HtmlBuilder.Of($"<span class=\"state state-paused\">{page.T("paused")}</span>") : HtmlBuilder.Of($"<span class=\"state state-active\">{page.T("active")}</span>"))}</td>
                """);
            if (page.IsOperator)
            {
                html.Add($"""
                    <td class="actions">{(view.Paused ? page.Action($"/api/jobs/{encoded}/unpause", "Unpause") : page.Action($"/api/jobs/{encoded}/pause", "Pause"))} {page.Action($"/api/jobs/{encoded}/trigger", "Trigger", then: "run")}
                    <details class="trigger-variables"><summary>{page.T("Trigger with variables")}</summary><div class="panel">
                    <label>{page.T("One name=value per line, read by the models as getvariable('name')")}<textarea rows="3" id="variables-{job.Name}" data-bad-line="{page.T("Expected name=value on line")}" spellcheck="false"></textarea></label>
                    {page.Action($"/api/jobs/{encoded}/trigger", "Trigger", then: "run", variables: "variables-" + job.Name)}
                    </div></details>
                    {BackfillDialog(page, job, encoded)}</td>
                    """);
            }

            html.Add(new Markup("</tr>"));
        }

        html.Add(new Markup("</tbody></table>"));
        return page.Render(page.T("Jobs"), "Jobs", html.ToMarkup());
    }

    /// <summary>
    /// For operators, where the job is defined: a link to edit its jobs file, or the name of <c>medallion.yml</c>, which
    /// holds the project's settings too and is edited as a file.
    /// </summary>
    private static Markup EditLink(PageContext page, JobDefinition job)
    {
        if (!page.IsOperator)
        {
            return Markup.Empty;
        }

        string file = job.Location.File;
        return MedallionProject.IsJobsFilePath(file)
            ? HtmlBuilder.Of($"<a class=\"small\" href=\"/jobs/edit?file={Uri.EscapeDataString(file[5..^4])}\">{page.T("Edit")} {file}</a>")
            : HtmlBuilder.Of($"<span class=\"muted small\">{page.T("defined in {0}", file)}</span>");
    }

    /// <summary>
    /// The backfill dialog: a date range in the viewer's time zone, what to reprocess and how many intervals at once; the
    /// preview asks the API for a dry run and lists the intervals it would create, the start queues them.
    /// </summary>
    private static Markup BackfillDialog(PageContext page, JobDefinition job, string encoded) => HtmlBuilder.Of($"""
        <details class="backfill"><summary>{page.T("Backfill")}</summary>
        <form class="backfill-form panel" data-api="/api/jobs/{encoded}/backfill" data-will-run="{page.T("runs")}" data-skipped="{page.T("kept")}" data-summary="{page.T("intervals; to run:")}" data-states="{StatesJson(page)}">
        <label>{page.T("From")} <input type="date" name="from" required></label>
        <label>{page.T("To")} <input type="date" name="to" required></label>
        <label>{page.T("Reprocess")} <select name="reprocess"><option value="missing">{page.T("missing")}</option><option value="failed">{page.T("failed")}</option><option value="all">{page.T("all")}</option></select></label>
        <label>{page.T("At once")} <input type="number" name="max_active" min="1" max="100" value="1"></label>
        <button type="button" data-backfill="preview">{page.T("Preview")}</button>
        <button type="button" class="action" data-backfill="start">{page.T("Start backfill")}</button>
        <p class="backfill-summary muted" aria-live="polite"></p>
        <div class="scroll"><table class="backfill-preview" hidden><thead><tr><th>{page.T("Interval start")}</th><th>{page.T("Interval end")}</th><th>{page.T("Last state")}</th><th>{page.T("Backfill")}</th></tr></thead><tbody></tbody></table></div>
        </form></details>
        """);

    /// <summary>The run states' names in the page's language, as JSON, for the script that lists a backfill's intervals.</summary>
    private static string StatesJson(PageContext page) => System.Text.Json.JsonSerializer.Serialize(
        Enum.GetValues<RunStatus>().Select(PageContext.StateName).Distinct().ToDictionary(state => state, page.T));

    /// <summary>The runs as a bar of coloured cells, oldest on the left, each a link to its run.</summary>
    internal static Markup RunBar(PageContext page, IReadOnlyList<RunRecord> newestFirst) =>
        StateBar(page, "bar", newestFirst.Reverse().Select(run =>
        {
            string state = PageContext.StateName(run.Status);
            return (state, PageContext.RunUrl(run.Id), $"{page.T(state)} · {run.StartedAt.UtcDateTime.ToString("g", page.Culture)} UTC");
        }));

    /// <summary>Coloured cells in a row, each a link with its state (for screen readers) and a tooltip.</summary>
    internal static Markup StateBar(PageContext page, string cssClass, IEnumerable<(string State, string Href, string Title)> oldestFirst)
    {
        var html = new HtmlBuilder();
        html.Add($"<span class=\"{cssClass}\">");
        foreach ((string state, string href, string title) in oldestFirst)
        {
            html.Add($"<a class=\"cell state-{state}\" href=\"{href}\" title=\"{title}\"><span class=\"visually-hidden\">{page.T(state)}</span></a>");
        }

        html.Add(new Markup("</span>"));
        return html.ToMarkup();
    }

    private static Markup Join(IEnumerable<Markup> parts) => new(string.Concat(parts.Select(p => p.Value)));
}
