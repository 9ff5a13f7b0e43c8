using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Platform;
using Medallion.Pipelines;
using Medallion.Platform.Audit;
using Medallion.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Medallion.Server.Web.Pages;

/// <summary>
/// <c>/tables/{table}</c>: what the table is (description, owner, tags, definition), its schema with column docs and
/// classifications, its versions with the run that wrote each, its quality, a preview of its first 100 rows, and its
/// upstream and downstream tables. With <c>?environment=dev</c>, the table as that environment reads it (its physical table,
/// versions, runs, quality and recorded lineage; prod's for a model it did not build), its links keeping the environment.
/// </summary>
internal static partial class TablePage
{
    private const int PreviewRows = 100;

    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/tables/{table}", RenderAsync);

    private static async Task<IResult> RenderAsync(HttpContext http, string table, string? column, string? environment, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(page.Server, page.UserName, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            TableName name;
            try
            {
                name = lakehouse.ResolveTable(table);
            }
            catch (MedallionException exception) when (exception.Code == ErrorCode.CatalogObjectNotFound)
            {
                return page.NotFound(exception.Message);
            }

            Platform.Access.ReaderView access = lakehouse.Reader;
            if (!access.CanRead(name))
            {
                // The same answer as for a table that does not exist: a user without a grant does not learn which tables exist.
                return page.NotFound(page.T("There is no table '{0}'.", table));
            }

            TableDetails details;
            try
            {
                details = await lakehouse.DescribeTableAsync(name, environment, cancellationToken).ConfigureAwait(false);
            }
            catch (MedallionException refused) when (EnvironmentChoice.Refusal(page, name.ToString(), "Catalog", refused) is { } refusal)
            {
                return refusal;
            }

            string here = EnvironmentChoice.Query(environment, '&');
            IReadOnlyList<string>? granted = access.Find(name)?.Columns;
            TableSummary summary = details.Summary;
            IReadOnlyList<TableVersionInfo> versions = summary.Built ? await lakehouse.GetTableHistoryAsync(name, 50, environment, cancellationToken).ConfigureAwait(false) : [];
            TableDocs docs = await lakehouse.GetDocsAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            Markup sqlSection = await SqlSectionAsync(page, lakehouse, name, cancellationToken).ConfigureAwait(false);
            Markup jobsSection = await JobsSectionAsync(page, lakehouse, name, cancellationToken).ConfigureAwait(false);
            Markup selector = await EnvironmentChoice.SelectorAsync(page, PageContext.TableUrl(name), environment, column is null ? [] : [("column", column)], cancellationToken).ConfigureAwait(false);
            var html = new HtmlBuilder();
            html.Add($"""
                {selector}
                <p class="lead">{summary.Description}</p>{DocsPanel.Edited(page, docs, null, DocField.Description)}
                {DocsPanel.TableForm(page, summary)}
                <dl class="facts">
                <dt>{page.T("Environment")}</dt><dd id="table-environment">{environment ?? EnvironmentStore.Production}</dd>
                <dt>{page.T("Kind")}</dt><dd>{page.T(summary.Kind.ToString().ToLowerInvariant())}</dd>
                <dt>{page.T("Owner")}</dt><dd>{summary.Owner ?? "–"}{DocsPanel.Edited(page, docs, null, DocField.Owner)}</dd>
                <dt>{page.T("Tags")}</dt><dd>{(summary.Tags.Count == 0 ? "–" : string.Join(", ", summary.Tags))}{DocsPanel.Edited(page, docs, null, DocField.Tags)}</dd>
                <dt>{page.T("Location")}</dt><dd><code id="table-location">{summary.Location}</code></dd>
                <dt>{page.T("Version")}</dt><dd id="table-version">{(summary.Version is { } v ? v.ToString(page.Culture) : "–")}</dd>
                <dt>{page.T("Rows")}</dt><dd id="table-rows">{page.Number(summary.Rows)}</dd>
                <dt>{page.T("Updated")}</dt><dd>{page.Time(summary.UpdatedAt)}</dd>
                <dt>{page.T("Partitions")}</dt><dd>{(details.PartitionColumns.Count == 0 ? "–" : string.Join(", ", details.PartitionColumns))}</dd>
                <dt>{page.T("Definition")}</dt><dd><code>{details.Definition ?? "–"}</code></dd>
                </dl>
                {sqlSection}
                {jobsSection}
                <section aria-labelledby="lineage"><h2 id="lineage">{page.T("Lineage")}</h2>
                <div class="lineage">
                <div id="table-upstream"><h3>{page.T("Upstream")}</h3>{Tables(page, details.Upstream, environment)}</div>
                <div class="here"><span class="layer layer-{name.Namespace}">{name.Namespace}</span> <strong>{name.ToString()}</strong></div>
                <div id="table-downstream"><h3>{page.T("Downstream")}</h3>{Tables(page, details.Downstream, environment)}</div>
                </div><p><a id="table-lineage-link" href="/lineage{EnvironmentChoice.Query(environment, '?')}">{page.T("Lineage")} →</a></p></section>
                <section aria-labelledby="schema"><h2 id="schema">{page.T("Schema")}</h2>
                <table class="schema"><thead><tr><th>{page.T("Column")}</th><th>{page.T("Type")}</th><th>{page.T("Description")}</th><th>{page.T("Classification")}</th><th>{page.T("Tags")}</th></tr></thead><tbody>
                """);
            foreach (ColumnInfo info in details.Columns)
            {
                if (granted is not null && !granted.Contains(info.Name, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }

                html.Add($"<tr><td><code>{info.Name}</code> <a class=\"small\" href=\"{PageContext.TableUrl(name)}?column={Uri.EscapeDataString(info.Name)}{here}#column-lineage\">{page.T("lineage")}</a></td><td><code>{info.DataType}</code>{(info.Nullable ? Markup.Empty : new Markup(" <span class=\"muted\">NOT NULL</span>"))}</td><td>{info.Description}{DocsPanel.Edited(page, docs, info.Name, DocField.Description)}{DocsPanel.ColumnForm(page, name, info)}</td><td>{(info.Classification is null ? Markup.Empty : HtmlBuilder.Of($"<span class=\"tag\">{info.Classification}</span>"))}</td><td>{string.Join(", ", info.Tags)}{DocsPanel.Edited(page, docs, info.Name, DocField.Tags)}</td></tr>");
            }

            html.Add(new Markup("</tbody></table></section>"));
            html.Add(DocsPanel.History(page, docs, details.Columns));
            if (column is not null)
            {
                if (!details.Columns.Any(c => string.Equals(c.Name, column, StringComparison.OrdinalIgnoreCase)) || !access.CanRead(name, column))
                {
                    // As for a table: a column that is not there, or that the viewer may not read, is a page that does not exist.
                    return page.NotFound(Lakehouse.NoSuchColumn(name, column).Message);
                }

                try
                {
                    html.Add(await ColumnLineageAsync(page, lakehouse, access, name, column, environment, cancellationToken).ConfigureAwait(false));
                }
                catch (MedallionException exception) when (exception.Code is ErrorCode.ModelSelectionInvalid or ErrorCode.CatalogObjectNotFound)
                {
                    return page.NotFound(exception.Message);
                }
            }

            html.Add($"<section aria-labelledby=\"versions\"><h2 id=\"versions\">{page.T("Versions")}</h2>");
            if (versions.Count == 0)
            {
                html.Add($"<p class=\"muted\">{page.T("The table has not been built yet.")}</p>");
            }
            else
            {
                // The charts come from the catalog's record of each version (rows and bytes after the commit).
                List<TableVersionRecord> recorded = [.. (await page.Server.Catalog.Tables.GetTableHistoryAsync(name, environment ?? EnvironmentStore.Production, cancellationToken).ConfigureAwait(false)).OrderBy(v => v.Version)];
                html.Add($"<div class=\"charts\">{LineChart.Render("chart-rows", page.T("Rows over time"), page.T("rows"), [.. recorded.Where(v => v.RowCount is not null).Select(v => (v.CommittedAt, (double)v.RowCount!.Value))], v => page.Number((long)v), page)}{LineChart.Render("chart-size", page.T("Size over time"), page.T("size"), [.. recorded.Where(v => v.SizeBytes is not null).Select(v => (v.CommittedAt, (double)v.SizeBytes!.Value))], v => Bytes((long)v, page), page)}</div>");
                html.Add($"<ol class=\"timeline\" reversed>");
                var ids = new RunIdAbbreviations(versions.Where(v => v.RunId is not null).Select(v => v.RunId!));
                foreach (TableVersionInfo version in versions)
                {
                    html.Add($"<li><strong>v{version.Version}</strong> {page.Time(version.Timestamp)} · {version.Operation ?? "–"} · {page.Number(version.Rows)} {page.T("rows")}{(version.RunId is null ? Markup.Empty : HtmlBuilder.Of($" · <a href=\"{PageContext.RunUrl(version.RunId)}\">{page.T("run")} <code>{ids[version.RunId]}</code></a>"))}</li>");
                }

                html.Add(new Markup("</ol>"));
            }

            html.Add(new Markup("</section>"));
            // The monitor reads prod's table; another environment's freshness is not prod's under its name.
            if (summary.Built && (environment ?? EnvironmentStore.Production) == EnvironmentStore.Production)
            {
                html.Add(await ObservationSectionAsync(page, lakehouse, name, cancellationToken).ConfigureAwait(false));
            }

            if (details.Quality.Count > 0)
            {
                ILookup<string, QualityResultRecord> history = (await page.Server.Catalog.Quality.GetQualityHistoryAsync(name, QualityHistoryChecks * details.Quality.Count, environment ?? EnvironmentStore.Production, cancellationToken).ConfigureAwait(false))
                    .ToLookup(q => q.Rule, StringComparer.Ordinal);
                html.Add($"<section aria-labelledby=\"quality\"><h2 id=\"quality\">{page.T("Quality")}</h2><table><thead><tr><th>{page.T("Rule")}</th><th>{page.T("Status")}</th><th>{page.T("Rows")}</th><th>{page.T("Run")}</th><th>{page.T("History")}</th></tr></thead><tbody>");
                var ids = new RunIdAbbreviations(details.Quality.Select(q => q.RunId));
                foreach (QualityResultRecord result in details.Quality)
                {
                    html.Add($"<tr><td>{result.Rule} <span class=\"muted\">({page.T(result.Severity)})</span></td><td>{RunsPage.QualityState(page, result)}</td><td class=\"num\">{page.Number(result.FailingRows)}</td><td><a href=\"{PageContext.RunUrl(result.RunId)}\"><code>{ids[result.RunId]}</code></a></td><td>{QualityBar(page, history[result.Rule])}</td></tr>");
                }

                html.Add(new Markup("</tbody></table></section>"));
            }

            html.Add(await ReadersSectionAsync(page, name, cancellationToken).ConfigureAwait(false));
            if (summary.Built)
            {
                html.Add($"<section aria-labelledby=\"preview\"><h2 id=\"preview\">{page.T("Preview")} <span class=\"muted small\">({page.T("first 100 rows")})</span></h2>");
                html.Add(access is null
                    ? await PreviewAsync(page, name.ToString(), summary.Location, cancellationToken).ConfigureAwait(false)
                    : await UserPreviewAsync(http, page, name, environment, cancellationToken).ConfigureAwait(false));
                html.Add(new Markup("</section>"));
            }

            return page.Render(name.ToString(), "Catalog", html.ToMarkup());
        }
    }

    /// <summary>
    /// Column-level lineage on demand: the columns <paramref name="column"/> is computed from and those computed from it,
    /// transitively, as the models' SQL says, each linked to its own lineage; tables the viewer may not read are left out.
    /// </summary>
    private static async Task<Markup> ColumnLineageAsync(PageContext page, Lakehouse lakehouse, Platform.Access.ReaderView access, TableName name, string column, string? environment, CancellationToken cancellationToken)
    {
        IReadOnlyList<LineageEdge> upstream = await lakehouse.GetLineageAsync(name, column, LineageDirection.Upstream, environment, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<LineageEdge> downstream = await lakehouse.GetLineageAsync(name, column, LineageDirection.Downstream, environment, cancellationToken).ConfigureAwait(false);
        Markup Columns(IEnumerable<(TableName Table, string? Column)> columns)
        {
            List<(TableName Table, string Column)> shown = [.. columns
                .Where(c => c.Column is not null && access.CanRead(c.Table, c.Column))
                .Select(c => (c.Table, c.Column!))
                .Distinct()
                .OrderBy(c => c.Table.ToString(), StringComparer.Ordinal).ThenBy(c => c.Item2, StringComparer.Ordinal)];
            if (shown.Count == 0)
            {
                return HtmlBuilder.Of($"<p class=\"muted\">{page.T("none")}</p>");
            }

            var list = new HtmlBuilder();
            list.Add(new Markup("<ul class=\"plain\">"));
            foreach ((TableName table, string col) in shown)
            {
                list.Add($"<li><a href=\"{PageContext.TableUrl(table)}?column={Uri.EscapeDataString(col)}{EnvironmentChoice.Query(environment, '&')}#column-lineage\">{table.ToString()}.{col}</a></li>");
            }

            list.Add(new Markup("</ul>"));
            return list.ToMarkup();
        }

        return HtmlBuilder.Of($"""
            <section aria-labelledby="column-lineage"><h2 id="column-lineage">{page.T("Column lineage")}: <code>{name.ToString()}.{column}</code></h2>
            <div class="lineage">
            <div><h3>{page.T("Computed from")}</h3>{Columns(upstream.Select(e => (e.Upstream, e.UpstreamColumn)))}</div>
            <div><h3>{page.T("Feeds")}</h3>{Columns(downstream.Select(e => (e.Downstream, e.DownstreamColumn)))}</div>
            </div></section>
            """);
    }

    /// <summary>How many of a rule's latest checks its history bar shows.</summary>
    private const int QualityHistoryChecks = 30;

    /// <summary>A rule's latest checks as a bar of cells, oldest on the left, each linked to its run, with its failing rows as a tooltip.</summary>
    private static Markup QualityBar(PageContext page, IEnumerable<QualityResultRecord> newestFirst) =>
        JobsPage.StateBar(page, "bar quality-history", newestFirst.Take(QualityHistoryChecks).Reverse().Select(check =>
            (RunsPage.QualityStateClass(check), PageContext.RunUrl(check.RunId),
                $"{RunsPage.QualityStateText(page, check)} · {page.Number(check.FailingRows)} · {check.CheckedAt.UtcDateTime.ToString("g", page.Culture)} UTC")));

    private static string Bytes(long bytes, PageContext page) => bytes switch
    {
        < 1 << 10 => page.Number(bytes) + " B",
        < 1 << 20 => (bytes / 1024.0).ToString("N1", page.Culture) + " KiB",
        < 1 << 30 => (bytes / 1048576.0).ToString("N1", page.Culture) + " MiB",
        _ => (bytes / 1073741824.0).ToString("N2", page.Culture) + " GiB",
    };

    /// <summary>The table's first rows; the audit records the read as the query it amounts to (<c>action</c> <c>preview</c>).</summary>
    private static async Task<Markup> PreviewAsync(PageContext page, string table, string location, CancellationToken cancellationToken)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        AuditEvent audit = AuditEvent.Statement(AuditSource.User(page.Http), AuditSource.Client(page.Http), "web", $"SELECT * FROM {table} LIMIT {PreviewRows}")
            with { Action = "preview", Columns = ["*"] };
        try
        {
            TableSession session = TableSession.Open(location, page.Server.Project.Stores);
            await using (session.ConfigureAwait(false))
            {
                Snapshot snapshot = await session.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                audit = audit with { Tables = [table + "@v" + snapshot.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)] };
                DuckDbDataReader reader = await session.ReadRowsAsync(snapshot, limit: PreviewRows, cancellationToken: cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    ResultTable rows = await ResultTable.ReadAsync(reader, PreviewRows, cancellationToken).ConfigureAwait(false);
                    audit = audit with { Rows = rows.Rows.Count };
                    return rows.ToHtml(page);
                }
            }
        }
        catch (Exception exception)
        {
            audit = audit with { Outcome = exception is OperationCanceledException ? "cancelled" : "error", ErrorMessage = exception.Message };
            throw;
        }
        finally
        {
            await page.Server.Audit.RecordAsync(audit with { Duration = elapsed.Elapsed }, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The preview a restricted user sees: the table through the user's session, masked and filtered as the SQL endpoint serves it.</summary>
    private static async Task<Markup> UserPreviewAsync(HttpContext http, PageContext page, TableName name, string? environment, CancellationToken cancellationToken)
    {
        WebSql engine = http.RequestServices.GetRequiredService<WebSql>();
        string sql = $"SELECT * FROM {DuckDbConnection.QuoteIdentifier(name.Namespace)}.{DuckDbConnection.QuoteIdentifier(name.Name)} LIMIT {PreviewRows}";
        (ResultTable result, _) = await engine.QueryAsync(page.Server, page.UserName, AuditSource.Client(http), sql, PreviewRows, environment, cancellationToken).ConfigureAwait(false);
        return result.ToHtml(page);
    }

    private static Markup Tables(PageContext page, IReadOnlyList<TableName> tables, string? environment)
    {
        if (tables.Count == 0)
        {
            return HtmlBuilder.Of($"<p class=\"muted\">{page.T("none")}</p>");
        }

        var html = new HtmlBuilder();
        html.Add(new Markup("<ul class=\"plain\">"));
        foreach (TableName table in tables)
        {
            html.Add($"<li><span class=\"layer layer-{table.Namespace}\">{table.Namespace}</span> <a href=\"{PageContext.TableUrl(table)}{EnvironmentChoice.Query(environment, '?')}\">{table.ToString()}</a></li>");
        }

        html.Add(new Markup("</ul>"));
        return html.ToMarkup();
    }
}
