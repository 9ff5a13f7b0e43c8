using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Platform;
using Medallion.Platform.Access;
using Medallion.Platform.Observability;

namespace Medallion.Server.Web.Pages;

/// <summary>What the table page shows of how a table is made and watched: its SQL, its jobs, its volume and anomalies, who reads it.</summary>
internal static partial class TablePage
{
    /// <summary>
    /// The model's SQL as written (its file) and as DuckDB runs it; nothing for a table that is no model. Only for readers of
    /// the whole table: its literals and rules can name values a mask or a row filter keeps from a restricted reader.
    /// </summary>
    private static async Task<Markup> SqlSectionAsync(PageContext page, Lakehouse lakehouse, TableName name, CancellationToken cancellationToken)
    {
        if (!lakehouse.Reader.ReadsInFull(name) || await lakehouse.GetModelSqlAsync(name, cancellationToken).ConfigureAwait(false) is not { } sql)
        {
            return Markup.Empty;
        }

        var views = new HtmlBuilder();
        foreach ((TableName table, string view) in sql.UpstreamViews)
        {
            views.Add($"<li><code>{view}</code> {page.T("reads")} <a href=\"{PageContext.TableUrl(table)}\">{table.ToString()}</a></li>");
        }

        return HtmlBuilder.Of($"""
            <section aria-labelledby="sql"><h2 id="sql">{page.T("SQL")}</h2>
            <h3>{page.T("As written")} <code class="small">{sql.FilePath}</code></h3>
            <pre class="sql" id="sql-source"><code>{sql.Source}</code></pre>
            <h3>{page.T("As compiled")} <span class="muted small">({page.T("what a run hands DuckDB")})</span></h3>
            <pre class="sql" id="sql-compiled"><code>{sql.Compiled}</code></pre>
            {(sql.UpstreamViews.Count == 0 ? Markup.Empty : HtmlBuilder.Of($"<p class=\"muted small\">{page.T("Each upstream view reads its table's latest snapshot, or only its new rows in an incremental build.")}</p><ul class=\"plain small\">{views.ToMarkup()}</ul>"))}
            </section>
            """);
    }

    /// <summary>The jobs that build the table, with their schedules, each linked to its row on the jobs page.</summary>
    private static async Task<Markup> JobsSectionAsync(PageContext page, Lakehouse lakehouse, TableName name, CancellationToken cancellationToken)
    {
        IReadOnlyList<JobDefinition> jobs = await lakehouse.GetJobsBuildingAsync(name, cancellationToken).ConfigureAwait(false);
        var html = new HtmlBuilder();
        html.Add($"<section aria-labelledby=\"table-jobs\"><h2 id=\"table-jobs\">{page.T("Jobs")}</h2>");
        if (jobs.Count == 0)
        {
            html.Add($"<p class=\"muted\">{page.T("No job builds this table; it is built when its model is run by hand.")}</p>");
        }
        else
        {
            html.Add($"<ul class=\"plain\" id=\"jobs-building\">");
            foreach (JobDefinition job in jobs)
            {
                html.Add($"<li><a href=\"/jobs#job-{job.Name}\">{job.Name}</a> · {ScheduleText.Describe(job.Schedule, page)}{(job.Paused ? HtmlBuilder.Of($" · <span class=\"muted\">{page.T("paused")}</span>") : Markup.Empty)}</li>");
            }

            html.Add(new Markup("</ul>"));
        }

        html.Add(new Markup("</section>"));
        return html.ToMarkup();
    }

    /// <summary>
    /// Freshness and volume as <c>medallion monitor</c> reads them from the Delta log: the last load and its age, rows added
    /// per load over time, and the anomalous loads (or a load late now), judged by the monitor's own detector.
    /// </summary>
    private static async Task<Markup> ObservationSectionAsync(PageContext page, Lakehouse lakehouse, TableName name, CancellationToken cancellationToken)
    {
        TableObservation? observed = lakehouse.Reader.Show(
            (await lakehouse.ObserveAsync(name, page.Server.Time.GetUtcNow(), cancellationToken: cancellationToken).ConfigureAwait(false)).Single());
        if (observed is null)
        {
            return Markup.Empty;
        }

        // Rows added say how many rows the table holds; a reader who sees only some rows is not told.
        bool rows = lakehouse.Reader.ReadsEveryRow(name);
        var html = new HtmlBuilder();
        html.Add($"""
            <section aria-labelledby="observability"><h2 id="observability">{page.T("Freshness and volume")}</h2>
            <dl class="facts">
            <dt>{page.T("Last load")}</dt><dd>{page.Time(observed.LastDataChange)}</dd>
            <dt>{page.T("Age")}</dt><dd>{page.Duration(observed.Age)}</dd>
            </dl>
            """);
        if (rows)
        {
            html.Add(LineChart.Render("chart-added", page.T("Rows added per load"), page.T("rows"),
                [.. observed.Commits.Where(c => c.ChangesData && c.RowsAdded is not null).Select(c => (c.Timestamp, (double)c.RowsAdded!.Value))], v => page.Number((long)v), page));
        }

        html.Add($"<h3>{page.T("Anomalies")}</h3>");
        List<Anomaly> anomalies = [.. observed.Anomalies.Where(a => rows || a.Metric != ObservedMetric.Volume)];
        if (anomalies.Count == 0)
        {
            html.Add($"<p class=\"muted\">{page.T("No anomaly: loads keep to their usual volume and rhythm.")}</p>");
        }
        else
        {
            html.Add(new Markup("<ul class=\"plain anomalies\">"));
            foreach (Anomaly anomaly in anomalies)
            {
                html.Add($"<li class=\"anomaly\">{AnomalyText(page, anomaly)}</li>");
            }

            html.Add(new Markup("</ul>"));
        }

        html.Add(new Markup("</section>"));
        return html.ToMarkup();
    }

    private static string AnomalyText(PageContext page, Anomaly anomaly)
    {
        AnomalyScore score = anomaly.Score;
        return anomaly.Metric == ObservedMetric.Volume
            ? page.T(score.Score < 0 ? "Volume drop at version {0}: {1} rows, expected about {2}" : "Volume spike at version {0}: {1} rows, expected about {2}",
                anomaly.Version ?? 0, page.Number((long)score.Point.Value), page.Number((long)Math.Round(score.Expected)))
            : anomaly.Pending
            ? page.T("Late: no load for {0}, usually about {1}", page.Duration(TimeSpan.FromHours(score.Point.Value)), page.Duration(TimeSpan.FromHours(score.Expected)))
            : page.T("Late load at version {0}: {1} after the previous one, usually about {2}",
                anomaly.Version ?? 0, page.Duration(TimeSpan.FromHours(score.Point.Value)), page.Duration(TimeSpan.FromHours(score.Expected)));
    }

    /// <summary>
    /// Who may read the table, and what of it (columns, masks, row filters): for admins only, who manage access and see
    /// it all anyway. Others are not shown who else reads a table, nor the row filters' predicates, which name the values
    /// that set readers apart (a region, a customer).
    /// </summary>
    private static async Task<Markup> ReadersSectionAsync(PageContext page, TableName name, CancellationToken cancellationToken)
    {
        if (page.UserName is null || !await page.Server.Access.IsAdminAsync(page.UserName, cancellationToken).ConfigureAwait(false))
        {
            return Markup.Empty;
        }

        IReadOnlyList<TableReader> readers = await page.Server.Access.ReadersOfAsync(name, SqlEndpoint.ProjectTables(page.Server.Project, page.Server.Catalog), cancellationToken).ConfigureAwait(false);
        var html = new HtmlBuilder();
        html.Add($"""
            <section aria-labelledby="readers"><h2 id="readers">{page.T("Who may read")}</h2>
            <p class="muted small">{page.T("Shown to admins only.")}</p>
            <table id="table-readers"><thead><tr><th>{page.T("User")}</th><th>{page.T("Columns")}</th><th>{page.T("Masked")}</th><th>{page.T("Row filter")}</th></tr></thead><tbody>
            """);
        foreach (TableReader reader in readers)
        {
            html.Add($"""
                <tr><td>{reader.User}{(reader.Everything ? HtmlBuilder.Of($" <span class=\"tag\">{page.T("everything")}</span>") : Markup.Empty)}</td>
                <td>{(reader.Columns is null ? page.T("all columns") : string.Join(", ", reader.Columns))}</td>
                <td>{(reader.MaskedColumns.Count == 0 ? "–" : string.Join(", ", reader.MaskedColumns))}</td>
                <td>{(reader.RowFilter is null ? Markup.Empty : HtmlBuilder.Of($"<code>{reader.RowFilter}</code>"))}</td></tr>
                """);
        }

        html.Add(new Markup("</tbody></table></section>"));
        return html.ToMarkup();
    }
}
