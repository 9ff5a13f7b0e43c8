using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
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
        int tables = (await server.Catalog.ListTablesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Count;
        var failing = new List<(JobDefinition Job, RunRecord Run)>();
        foreach (JobDefinition job in server.Project.Jobs)
        {
            RunPage last = await server.Catalog.QueryRunsAsync(new RunQuery { Job = job.Name, Limit = 1 }, cancellationToken).ConfigureAwait(false);
            if (last.Runs is [{ Status: RunStatus.Failed } run])
            {
                failing.Add((job, run));
            }
        }

        List<RunRecord> active = [];
        foreach (RunStatus status in (RunStatus[])[RunStatus.Running, RunStatus.Queued])
        {
            active.AddRange((await server.Catalog.QueryRunsAsync(new RunQuery { Status = status, Limit = 100 }, cancellationToken).ConfigureAwait(false)).Runs);
        }

        var html = new HtmlBuilder();
        html.Add($"""
            <section aria-labelledby="health"><h2 id="health">{page.T("Health")}</h2>
            <dl class="facts">
            <dt>{page.T("Server")}</dt><dd>{Ok(server.Ready, page.T("ready"), page.T("not ready"))}</dd>
            <dt>{page.T("Scheduler")}</dt><dd>{Ok(!server.Scheduler.LeaseLost, page.T("running"), page.T("lease lost"))}</dd>
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
            foreach ((JobDefinition job, RunRecord run) in failing)
            {
                html.Add($"<tr><td><a href=\"/jobs#job-{job.Name}\">{job.Name}</a></td><td><a href=\"{PageContext.RunUrl(run.Id)}\">{Short(run.Id)}</a></td><td>{page.Time(run.StartedAt)}</td><td class=\"error\">{run.Error}</td></tr>");
            }

            html.Add(new Markup("</tbody></table>"));
        }

        html.Add($"</section><section aria-labelledby=\"active\"><h2 id=\"active\">{page.T("Runs in progress")}</h2>");
        html.Add(active.Count == 0 ? HtmlBuilder.Of($"<p class=\"muted\">{page.T("Nothing runs now.")}</p>") : RunsPage.RunTable(page, active));
        html.Add(new Markup("</section>"));
        return page.Render(server.Project.Name, "Home", html.ToMarkup());
    }

    internal static string Short(string id) => id.Length > 12 ? id[..12] : id;

    private static Markup Ok(bool ok, string good, string bad) =>
        HtmlBuilder.Of($"<span class=\"state state-{(ok ? "succeeded" : "failed")}\">{(ok ? good : bad)}</span>");
}
