using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Platform;
using Medallion.Pipelines.Alerts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary><c>/</c>: is everything up, which jobs failed their last run, what runs now.</summary>
internal static class HomePage
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/", RenderAsync);

    private static async Task<IResult> RenderAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        ServerContext server = page.Server;
        ReloadStatus reload = server.Reloader!.Status;
        int tables = (await server.Catalog.Tables.ListTablesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Count;
        var failing = new List<(JobDefinition Job, RunRecord Run)>();
        foreach (JobDefinition job in server.Project.Jobs)
        {
            RunPage last = await server.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = job.Name, Limit = 1 }, cancellationToken).ConfigureAwait(false);
            if (last.Runs is [{ Status: RunStatus.Failed } run])
            {
                failing.Add((job, run));
            }
        }

        List<RunRecord> active = [];
        foreach (RunStatus status in (RunStatus[])[RunStatus.Running, RunStatus.Queued])
        {
            active.AddRange((await server.Catalog.Runs.QueryRunsAsync(new RunQuery { Status = status, Limit = 100 }, cancellationToken).ConfigureAwait(false)).Runs);
        }

        Platform.Access.ReaderView access;
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(server, page.UserName, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            // A failed run's error may quote values of the tables its steps read: shown only to who reads them in full.
            IReadOnlyList<RunRecord> shown = await lakehouse.ShowRunsAsync([.. failing.Select(f => f.Run)], cancellationToken).ConfigureAwait(false);
            failing = [.. failing.Select((f, i) => (f.Job, shown[i]))];
            access = lakehouse.Reader;
        }

        DateTimeOffset now = server.Time.GetUtcNow();
        List<BrokenQualityRule> broken = [.. (await server.Catalog.Quality.GetBrokenRulesAsync(now.AddDays(-1), cancellationToken: cancellationToken).ConfigureAwait(false))
            .Where(b => access.CanRead(b.Latest.Model))];
        bool anyFreshnessRule = server.Project.Freshness.Keys.Any(access.CanRead);
        List<StaleTable> stale = await TableFreshness.StaleTablesAsync(server, access, now, cancellationToken).ConfigureAwait(false);

        var html = new HtmlBuilder();
        html.Add($"""
            <section aria-labelledby="health"><h2 id="health">{page.T("Health")}</h2>
            <dl class="facts">
            <dt>{page.T("Server")}</dt><dd>{Ok(server.Ready, page.T("ready"), page.T("not ready"))}</dd>
            <dt>{page.T("Scheduler")}</dt><dd>{Ok(server.Scheduler.Role is Scheduling.SchedulerRole.Active or Scheduling.SchedulerRole.Planner, page.T("running"), page.T(server.Scheduler.Role switch { Scheduling.SchedulerRole.Standby => "standby", Scheduling.SchedulerRole.Web => "off (role web)", _ => "lease lost" }))}</dd>
            <dt>{page.T("Definitions")}</dt><dd>{Ok(reload.Ok, page.T("loaded"), page.T("reload failed"))} {page.Time(reload.LoadedAt)}{(reload.Ok ? Markup.Empty : HtmlBuilder.Of($"<pre class=\"error\">{reload.Error}</pre>"))}</dd>
            <dt>{page.T("Tables")}</dt><dd><a href="/catalog">{page.Number(tables)}</a></dd>
            <dt>{page.T("Jobs")}</dt><dd><a href="/jobs">{page.Number(server.Project.Jobs.Count)}</a></dd>
            </dl>
            </section>
            <section aria-labelledby="failing"><h2 id="failing">{page.T("Failing jobs")}</h2>
            """);
        if (failing.Count == 0)
        {
            html.Add($"<p class=\"muted\">{page.T("No job failed its last run.")}</p>");
        }
        else
        {
            html.Add($"<table><thead><tr><th>{page.T("Job")}</th><th>{page.T("Run")}</th><th>{page.T("Started")}</th><th>{page.T("Error")}</th></tr></thead><tbody>");
            var ids = new RunIdAbbreviations(failing.Select(f => f.Run.Id));
            foreach ((JobDefinition job, RunRecord run) in failing)
            {
                html.Add($"<tr><td><a href=\"/jobs#job-{job.Name}\">{job.Name}</a></td><td><a href=\"{PageContext.RunUrl(run.Id)}\">{ids[run.Id]}</a></td><td>{page.Time(run.StartedAt)}</td><td class=\"error\">{page.Message(run.Error)}</td></tr>");
            }

            html.Add(new Markup("</tbody></table>"));
        }

        html.Add($"</section><section aria-labelledby=\"stale\"><h2 id=\"stale\">{page.T("Tables past their freshness")}</h2>");
        if (!anyFreshnessRule)
        {
            html.Add($"<p class=\"muted\">{page.T("No table has a freshness rule.")}</p>");
        }
        else if (stale.Count == 0)
        {
            html.Add($"<p class=\"muted\">{page.T("Every table with a freshness rule is fresh.")}</p>");
        }
        else
        {
            html.Add($"<table class=\"stale\"><thead><tr><th>{page.T("Table")}</th><th>{page.T("Last commit")}</th><th>{page.T("Age")}</th><th>{page.T("Limit")}</th></tr></thead><tbody>");
            foreach (StaleTable table in stale)
            {
                html.Add($"<tr><td><a href=\"{PageContext.TableUrl(table.Table)}\">{table.Table.ToString()}</a></td><td>{(table.CommittedAt is null ? HtmlBuilder.Of($"{page.T("never")}") : page.Time(table.CommittedAt))}</td><td>{page.Duration(table.Age)}</td><td><span class=\"state state-{(table.Error ? "failed" : "queued")}\">{page.T(table.Error ? "error after" : "warn after")} {page.Duration(table.Limit)}</span></td></tr>");
            }

            html.Add(new Markup("</tbody></table>"));
        }

        html.Add($"</section><section aria-labelledby=\"quality\"><h2 id=\"quality\">{page.T("Quality rules broken in the last day")}</h2>");
        if (broken.Count == 0)
        {
            html.Add($"<p class=\"muted\">{page.T("No quality rule broke in the last day.")}</p>");
        }
        else
        {
            html.Add($"<table class=\"broken\"><thead><tr><th>{page.T("Table")}</th><th>{page.T("Rule")}</th><th>{page.T("Severity")}</th><th>{page.T("Rows")}</th><th>{page.T("Broken since")}</th><th>{page.T("Last run")}</th></tr></thead><tbody>");
            var ids = new RunIdAbbreviations(broken.Select(b => b.Latest.RunId));
            foreach ((QualityResultRecord last, DateTimeOffset since) in broken)
            {
                html.Add($"<tr><td><a href=\"{PageContext.TableUrl(last.Model)}\">{last.Model.ToString()}</a></td><td>{last.Rule}</td><td>{page.T(last.Severity)}</td><td class=\"num\">{page.Number(last.FailingRows)}</td><td>{page.Time(since)}</td><td><a href=\"{PageContext.RunUrl(last.RunId)}\">{ids[last.RunId]}</a> {page.Time(last.CheckedAt)}</td></tr>");
            }

            html.Add(new Markup("</tbody></table>"));
        }

        html.Add($"</section><section aria-labelledby=\"active\"><h2 id=\"active\">{page.T("Runs in progress")}</h2>");
        html.Add(active.Count == 0 ? HtmlBuilder.Of($"<p class=\"muted\">{page.T("Nothing runs now.")}</p>") : RunsPage.RunTable(page, active));
        html.Add(new Markup("</section>"));
        return page.Render(server.Project.Name, "Home", html.ToMarkup());
    }

    private static Markup Ok(bool ok, string good, string bad) =>
        HtmlBuilder.Of($"<span class=\"state state-{(ok ? "succeeded" : "failed")}\">{(ok ? good : bad)}</span>");
}
