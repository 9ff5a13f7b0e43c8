using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Platform;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary>
/// <c>/catalog</c>: one search box over tables, columns, descriptions, tags, owners and classifications, with
/// filters by layer (namespace), owner, tag and classification (which tables hold personal data); name matches rank first.
/// </summary>
internal static class CatalogPage
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/catalog", RenderAsync);

    private static async Task<IResult> RenderAsync(HttpContext http, string? q, string? layer, string? owner, string? tag, string? classification, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        List<TableSummary> tables;
        List<CatalogSearch.Entry> entries;
        var hits = new List<(CatalogSearch.Hit Hit, TableSummary Table)>();
        // Opened as the viewer sees the project: only the tables, and the columns, they may read are searched.
        Lakehouse lakehouse = await ReaderAccess.OpenLakehouseAsync(page.Server, page.UserName, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            tables = [.. lakehouse.ListTablesWithoutLogs()];
            IReadOnlyDictionary<TableName, IReadOnlyList<ColumnInfo>> columns = await lakehouse.ListDocumentedColumnsAsync(cancellationToken).ConfigureAwait(false);
            entries = [.. tables.Select(t => new CatalogSearch.Entry(t, columns.GetValueOrDefault(t.Name) ?? []))];
            // The search needs only the docs; the Delta logs (for the rows shown) are read for the tables that matched.
            foreach (CatalogSearch.Hit hit in CatalogSearch.Search(entries, q, layer, owner, tag, classification))
            {
                hits.Add((hit, await lakehouse.SummarizeTableAsync(hit.Table.Name, cancellationToken).ConfigureAwait(false)));
            }
        }

        var html = new HtmlBuilder();
        html.Add($"""
            <form method="get" action="/catalog" class="search" role="search">
            <label for="q" class="visually-hidden">{page.T("Search")}</label>
            <input id="q" name="q" type="search" value="{q}" placeholder="{page.T("Search tables, columns, descriptions, tags, owners")}" autofocus>
            {Select("layer", page.T("Layer"), page.T("All layers"), tables.Select(t => t.Name.Namespace), layer)}
            {Select("owner", page.T("Owner"), page.T("All owners"), tables.Select(t => t.Owner), owner)}
            {Select("tag", page.T("Tag"), page.T("Tags"), tables.SelectMany(t => t.Tags).Concat(entries.SelectMany(e => e.Columns.SelectMany(c => c.Tags))), tag)}
            {Select("classification", page.T("Classification"), page.T("Any classification"), entries.SelectMany(e => e.Columns.Select(c => c.Classification)), classification)}
            <button type="submit">{page.T("Search")}</button>
            </form>
            """);
        if (hits.Count == 0)
        {
            html.Add($"<p class=\"muted\">{page.T("No table matches.")}</p>");
        }
        else
        {
            html.Add($"<table class=\"catalog\"><thead><tr><th>{page.T("Table")}</th><th>{page.T("Description")}</th><th>{page.T("Owner")}</th><th>{page.T("Tags")}</th><th>{page.T("Rows")}</th>{(string.IsNullOrWhiteSpace(q) ? Markup.Empty : HtmlBuilder.Of($"<th>{page.T("Matches")}</th>"))}</tr></thead><tbody>");
            foreach ((CatalogSearch.Hit hit, TableSummary table) in hits)
            {
                html.Add($"""
                    <tr><td><span class="layer layer-{table.Name.Namespace}">{table.Name.Namespace}</span> <a href="{PageContext.TableUrl(table.Name)}">{table.Name.ToString()}</a></td>
                    <td>{table.Description}</td><td>{table.Owner}</td><td>{string.Join(", ", table.Tags)}</td><td class="num">{page.Number(table.Rows)}</td>
                    {(string.IsNullOrWhiteSpace(q) ? Markup.Empty : HtmlBuilder.Of($"<td class=\"muted small\">{string.Join(", ", hit.Matches.Select(m => page.T(m.Field) + (m.Detail is null ? string.Empty : " " + m.Detail)))}</td>"))}</tr>
                    """);
            }

            html.Add(new Markup("</tbody></table>"));
        }

        return page.Render(page.T("Catalog"), "Catalog", html.ToMarkup());
    }

    /// <summary>A filter's drop-down: <paramref name="label"/> names it to screen readers, <paramref name="all"/> is its choice of no filter.</summary>
    private static Markup Select(string name, string label, string all, IEnumerable<string?> values, string? chosen)
    {
        var html = new HtmlBuilder();
        html.Add($"<label for=\"{name}\" class=\"visually-hidden\">{label}</label><select id=\"{name}\" name=\"{name}\"><option value=\"\">{all}</option>");
        foreach (string value in values.OfType<string>().Where(v => v.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
        {
            html.Add($"<option{(string.Equals(value, chosen, StringComparison.OrdinalIgnoreCase) ? new Markup(" selected") : Markup.Empty)}>{value}</option>");
        }

        html.Add(new Markup("</select>"));
        return html.ToMarkup();
    }
}
