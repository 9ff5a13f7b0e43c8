using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
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
/// <c>/lineage</c>: the project's tables as a graph in lanes (bronze → silver → gold, other namespaces after), drawn
/// by the server as SVG; selecting a table highlights everything upstream and downstream of it and links to its page.
/// </summary>
internal static class LineagePage
{
    private const int LaneWidth = 280;
    private const int NodeWidth = 220;
    private const int NodeHeight = 28;
    private const int RowHeight = 38;
    private const int Top = 40;

    /// <summary>The last drawing of each loaded project's graph; weak, so a graph a reload replaced goes with its drawing.</summary>
    private static readonly ConditionalWeakTable<ModelGraph, Drawing> s_drawings = [];

    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/lineage", RenderAsync);

    private static async Task<IResult> RenderAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        ModelGraph graph = page.Server.Graph;
        IReadOnlyList<TableName> tables;
        Lakehouse lakehouse = await page.Server.OpenLakehouseAsync(null, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            // A table the user may not read is absent from the graph, as from the catalog; edges to it go with it.
            Platform.Access.ReaderView access = await ReaderAccess.ForAsync(page.Server, page.UserName, cancellationToken).ConfigureAwait(false);
            tables = [.. lakehouse.TableNames.Where(access.CanRead)];
        }

        Drawing drawing = Draw(page, graph, tables);
        Markup body = HtmlBuilder.Of($"""
            <p class="muted">{page.T("Select a table to highlight what it is computed from and what is computed from it.")} {page.Number(tables.Count)} {page.T("Tables").ToLowerInvariant()}, {page.Number(drawing.Edges)} {page.T("edges")}.</p>
            <p id="lineage-selected" class="selected" data-open="{page.T("Open")}"></p>
            <p class="zoom"><button type="button" data-zoom="in" aria-label="{page.T("Zoom in")}">+</button> <button type="button" data-zoom="out" aria-label="{page.T("Zoom out")}">−</button> <button type="button" data-zoom="fit">{page.T("Fit")}</button> <span class="muted small">{page.T("Drag to pan, scroll to zoom.")}</span></p>
            <div class="scroll graph-box">{drawing.Svg}</div>
            """);
        return page.Render(page.T("Lineage"), "Lineage", body);
    }

    /// <summary>
    /// The graph's SVG for these tables: drawn once per loaded project (a reload brings a new graph) and reused while the
    /// tables shown and the language stay the same, as drawing a thousand tables costs more than the rest of the page.
    /// </summary>
    private static Drawing Draw(PageContext page, ModelGraph graph, IReadOnlyList<TableName> tables)
    {
        string[] names = [.. tables.Select(t => t.ToString())];
        if (s_drawings.TryGetValue(graph, out Drawing? drawing)
            && string.Equals(drawing.Language, page.Language, StringComparison.Ordinal) && drawing.Tables.SequenceEqual(names, StringComparer.Ordinal))
        {
            return drawing;
        }

        // Each model's own reads: together they are every edge of the project's table-level lineage.
        var edges = new HashSet<(TableName From, TableName To)>();
        foreach (ModelDefinition model in graph.Models)
        {
            foreach (TableName upstream in graph.GetUpstream(model.Name))
            {
                edges.Add((upstream, model.Name));
            }
        }

        // Table names come in data-flow order (bronze, silver, gold, then other namespaces): one lane per namespace.
        List<string> lanes = tables.Select(t => t.Namespace).Distinct(StringComparer.Ordinal).ToList();
        var position = new Dictionary<TableName, (int X, int Y)>();
        var rows = new int[lanes.Count];
        foreach (TableName table in tables)
        {
            int lane = lanes.IndexOf(table.Namespace);
            position[table] = (lane * LaneWidth + 10, Top + rows[lane]++ * RowHeight);
        }

        int width = Math.Max(1, lanes.Count) * LaneWidth;
        int height = Top + Math.Max(1, rows.DefaultIfEmpty(0).Max()) * RowHeight + 10;
        var svg = new HtmlBuilder();
        svg.Add($"<svg id=\"lineage-graph\" class=\"graph\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{page.T("Lineage")}\">");
        for (int lane = 0; lane < lanes.Count; lane++)
        {
            svg.Add($"<text class=\"lane lane-{lanes[lane]}\" x=\"{lane * LaneWidth + 10}\" y=\"22\">{lanes[lane]}</text>");
        }

        foreach ((TableName from, TableName to) in edges.OrderBy(e => e.From.ToString(), StringComparer.Ordinal).ThenBy(e => e.To.ToString(), StringComparer.Ordinal))
        {
            if (!position.TryGetValue(from, out (int X, int Y) a) || !position.TryGetValue(to, out (int X, int Y) b))
            {
                continue;
            }

            int x1 = a.X + NodeWidth, y1 = a.Y + NodeHeight / 2, x2 = b.X, y2 = b.Y + NodeHeight / 2, bend = Math.Max(30, Math.Abs(x2 - x1) / 2);
            svg.Add($"<path class=\"edge\" data-from=\"{from.ToString()}\" data-to=\"{to.ToString()}\" d=\"M{x1} {y1} C{x1 + bend} {y1} {x2 - bend} {y2} {x2} {y2}\"/>");
        }

        foreach (TableName table in tables)
        {
            (int x, int y) = position[table];
            svg.Add($"""
                <g class="node layer-{table.Namespace}" data-table="{table.ToString()}" tabindex="0" role="button" aria-label="{table.ToString()}"><rect x="{x}" y="{y}" width="{NodeWidth}" height="{NodeHeight}" rx="5"/><text x="{x + 10}" y="{y + 18}">{table.Name}</text></g>
                """);
        }

        svg.Add(new Markup("</svg>"));
        drawing = new Drawing(page.Language, names, svg.ToMarkup(), edges.Count);
        s_drawings.AddOrUpdate(graph, drawing);
        return drawing;
    }

    /// <summary>One drawing of a graph: for which language and tables (in order), the SVG, and how many edges the project has.</summary>
    private sealed record Drawing(string Language, string[] Tables, Markup Svg, int Edges);
}
