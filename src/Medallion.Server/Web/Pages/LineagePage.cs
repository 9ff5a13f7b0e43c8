using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Platform;
using Medallion.Platform.Audit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary>
/// <c>/lineage</c>: the project's tables as a graph in lanes (bronze → silver → gold, other namespaces after), drawn
/// by the server as SVG, each table marked with its last run, freshness and failing rules; a <c>--select</c> expression
/// (<c>?select=+gold.daily_revenue</c>) highlights the tables <c>medallion run</c> would build; selecting a table
/// highlights everything upstream and downstream of it and links to its page. Internal tables (the audit log) show
/// only with <c>?internal=1</c>. With <c>?environment=dev</c> the edges are those the catalog recorded of the tables dev
/// reads (prod's for a model it did not build), and a table's marks are of the runs and checks that built what dev reads
/// (freshness, read from prod's tables, is left out); the selection stays the project files' own, as <c>--select</c> reads it.
/// </summary>
internal static class LineagePage
{
    private const int LaneWidth = 300;
    private const int NodeWidth = 220;
    private const int NodeHeight = 28;
    private const int RowHeight = 44;
    private const int Top = 48;
    private const int Left = 10;

    /// <summary>How many times the rows of every lane are reordered by their neighbours' mean row, each way (Sugiyama's barycenter heuristic).</summary>
    private const int OrderingSweeps = 4;

    /// <summary>The radius of an edge's corners where it turns in a channel.</summary>
    private const int CornerRadius = 8;

    /// <summary>The last drawing of each loaded project's graph; weak, so a graph a reload replaced goes with its drawing.</summary>
    private static readonly ConditionalWeakTable<ModelGraph, Drawing> s_drawings = [];

    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/lineage", RenderAsync);

    private static async Task<IResult> RenderAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        ServerContext server = page.Server;
        ModelGraph graph = server.Graph;
        bool showInternal = string.Equals(http.Request.Query["internal"], "1", StringComparison.Ordinal);
        string expression = http.Request.Query["select"].ToString().Trim();
        string? environment = http.Request.Query["environment"].ToString() is { Length: > 0 } chosen ? chosen : null;
        if (environment is not null)
        {
            try
            {
                await server.Catalog.Environments.RequireAsync(environment, cancellationToken).ConfigureAwait(false);
            }
            catch (MedallionException refused) when (EnvironmentChoice.Refusal(page, page.T("Lineage"), "Lineage", refused) is { } refusal)
            {
                return refusal;
            }
        }

        List<TableName> readable;
        Platform.Access.ReaderView access;
        Lakehouse lakehouse = await server.OpenLakehouseAsync(null, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            // A table the user may not read is absent from the graph, as from the catalog; edges to it go with it.
            access = await ReaderAccess.ForAsync(server, page.UserName, cancellationToken).ConfigureAwait(false);
            readable = [.. lakehouse.TableNames.Where(access.CanRead)];
        }

        int internalCount = readable.Count(IsInternal);
        List<TableName> tables = showInternal ? readable : [.. readable.Where(t => !IsInternal(t))];
        Dictionary<TableName, TableStatus> status = await StatusAsync(server, access, environment, cancellationToken).ConfigureAwait(false);

        // The selection is the CLI's own reading of --select, so the page highlights what `medallion run --select` builds,
        // among the tables the user may read: a hidden table is unknown to it, and no suggestion names one.
        HashSet<TableName>? picked = null;
        string? selectionError = null;
        if (expression.Length > 0)
        {
            try
            {
                picked = [.. graph.SelectAmong(expression, access.CanRead)];
            }
            catch (MedallionException e) when (e.Code == ErrorCode.ModelSelectionInvalid)
            {
                selectionError = e.Message;
            }
        }

        Drawing drawing = environment is null ? Draw(graph, tables) : Layout(await RecordedEdgesAsync(server, environment, tables, cancellationToken).ConfigureAwait(false), tables);
        Markup selector = await EnvironmentChoice.SelectorAsync(page, "/lineage", environment, Kept(expression, showInternal), cancellationToken).ConfigureAwait(false);
        var body = new HtmlBuilder();
        body.Add($"""
            {selector}
            <p id="lineage-environment">{page.T("Environment")}: <strong>{environment ?? EnvironmentStore.Production}</strong>{(environment is null ? HtmlBuilder.Of($" <span class=\"muted small\">({page.T("as the project's files say")})</span>") : Markup.Empty)}</p>
            <p class="muted">{page.T("Select a table to highlight what it is computed from and what is computed from it.")} {page.Number(tables.Count)} {page.T("Tables").ToLowerInvariant()}, {page.Number(drawing.Edges)} {page.T("edges")}.</p>
            <form class="lineage-select" method="get" action="/lineage" role="search">
            <label for="lineage-select">{page.T("Select")}</label> <input id="lineage-select" name="select" value="{expression}" placeholder="+gold.daily_revenue silver.orders+" spellcheck="false" autocomplete="off" aria-describedby="lineage-select-help">
            {(showInternal ? HtmlBuilder.Of($"<input type=\"hidden\" name=\"internal\" value=\"1\">") : Markup.Empty)}{(environment is null ? Markup.Empty : HtmlBuilder.Of($"<input type=\"hidden\" name=\"environment\" value=\"{environment}\">"))}<button type="submit">{page.T("Highlight")}</button>
            </form>
            <p id="lineage-select-help" class="muted small">{page.T("As medallion run --select reads it: silver.orders, silver.*, tag:daily, +model (with upstream), model+ (with downstream); separate several with spaces.")}</p>
            """);
        if (selectionError is not null)
        {
            body.Add($"<p id=\"lineage-selection\" class=\"error\" role=\"alert\">{page.Message(selectionError)}</p>");
        }
        else if (picked is not null)
        {
            int shown = tables.Count(picked.Contains);
            // Dagster's "materialize selected": the server builds what is highlighted, in a run of no job.
            Markup run = picked.Count == 0 ? Markup.Empty : page.Action("/api/runs", "Run the selected tables", then: "run", body: JsonSerializer.Serialize(new { select = expression }));
            body.Add($"<p id=\"lineage-selection\" role=\"status\">{page.T("{0} tables selected.", page.Number(shown))} <a href=\"{Url(null, showInternal, environment)}\">{page.T("Clear")}</a> {run}</p>");
        }

        body.Add($"""
            <p class="lineage-options">{LegendMarkup(page)} {InternalToggle(page, expression, showInternal, internalCount, environment)}</p>
            <p id="lineage-selected" class="selected" data-open="{page.T("Open")}" data-query="{EnvironmentChoice.Query(environment, '?')}"></p>
            <p class="zoom"><button type="button" data-zoom="in" aria-label="{page.T("Zoom in")}">+</button> <button type="button" data-zoom="out" aria-label="{page.T("Zoom out")}">−</button> <button type="button" data-zoom="fit">{page.T("Fit")}</button> <span class="muted small">{page.T("Drag to pan, scroll to zoom.")}</span></p>
            <div class="scroll graph-box">
            """);
        AddSvg(body, page, drawing, status, picked);
        body.Add(new Markup("</div>"));
        return page.Render(page.T("Lineage"), "Lineage", body.ToMarkup());
    }

    /// <summary>The audit log's tables: written by the platform about its users, not part of the project's data flow.</summary>
    private static bool IsInternal(TableName table) => string.Equals(table.Namespace, AuditLog.Namespace, StringComparison.OrdinalIgnoreCase);

    /// <summary>The page's query parameters other than the environment, which its environment selector keeps.</summary>
    private static List<(string Name, string Value)> Kept(string? expression, bool showInternal)
    {
        var query = new List<(string Name, string Value)>();
        if (!string.IsNullOrEmpty(expression))
        {
            query.Add(("select", expression));
        }

        if (showInternal)
        {
            query.Add(("internal", "1"));
        }

        return query;
    }

    private static string Url(string? expression, bool showInternal, string? environment)
    {
        List<string> query = [.. Kept(expression, showInternal).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value))];
        return "/lineage" + (query.Count == 0 ? string.Empty : "?" + string.Join('&', query)) + EnvironmentChoice.Query(environment, query.Count == 0 ? '?' : '&');
    }

    private static Markup InternalToggle(PageContext page, string expression, bool showInternal, int internalCount, string? environment) => internalCount == 0 && !showInternal
        ? Markup.Empty
        : HtmlBuilder.Of($"<a id=\"lineage-internal\" href=\"{Url(expression, !showInternal, environment)}\" role=\"switch\" aria-checked=\"{(showInternal ? "true" : "false")}\">{page.T(showInternal ? "Hide internal tables" : "Show internal tables")} ({page.Number(internalCount)})</a>");

    private static Markup LegendMarkup(PageContext page) => HtmlBuilder.Of($"""
        <span class="legend"><span><span class="mark status-ok"></span>{page.T("last run succeeded, fresh, rules pass")}</span> <span><span class="mark status-warn"></span>{page.T("stale (warn)")}</span> <span><span class="mark status-bad"></span>{page.T("failed, stale or a rule broken")}</span> <span><span class="mark status-none"></span>{page.T("not run yet")}</span></span>
        """);

    /// <summary>What the page marks on a table: its newest step's state (null: never run), its freshness (null: no rule) and the rules it breaks.</summary>
    private sealed record TableStatus(RunStatus? LastRun, StaleTable? Stale, bool HasFreshnessRule, IReadOnlyList<string> BrokenRules)
    {
        public string Mark => LastRun is RunStatus.Failed or RunStatus.Interrupted || Stale is { Error: true } || BrokenRules.Count > 0
            ? "bad"
            : Stale is not null ? "warn"
            : LastRun is null ? "none"
            : LastRun is RunStatus.Running or RunStatus.Queued ? "running"
            : "ok";
    }

    /// <summary>
    /// Every readable table's status, asked per request (a run or a check changes it any moment) with one query for each kind.
    /// In an environment, a table's last run is the newest of the environment that built what it reads (its own for a model it
    /// built, prod's for the others), its rules those checked of that table, and freshness, which prod's tables give, is left out.
    /// </summary>
    private static async Task<Dictionary<TableName, TableStatus>> StatusAsync(ServerContext server, Platform.Access.ReaderView access, string? environment, CancellationToken cancellationToken)
    {
        DateTimeOffset now = server.Time.GetUtcNow();
        Dictionary<TableName, RunStatus> prod = (await server.Catalog.Runs.GetLatestModelRunsAsync(EnvironmentStore.Production, cancellationToken).ConfigureAwait(false))
            .ToDictionary(r => r.Model, r => r.Status);
        Dictionary<TableName, RunStatus> lastRuns = prod;
        if (environment is not null)
        {
            ModelTables tables = await ModelTables.LoadAsync(server.Project, server.Catalog, environment, cancellationToken).ConfigureAwait(false);
            Dictionary<TableName, RunStatus> own = (await server.Catalog.Runs.GetLatestModelRunsAsync(environment, cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.Model, r => r.Status);
            lastRuns = prod.Keys.Concat(own.Keys).Distinct()
                .Select(t => (Table: t, Runs: tables.IsOwn(t) ? own : prod))
                .Where(t => t.Runs.ContainsKey(t.Table))
                .ToDictionary(t => t.Table, t => t.Runs[t.Table]);
        }

        ILookup<TableName, string> broken = (await server.Catalog.Quality.GetBrokenRulesAsync(now.AddDays(-1), environment ?? EnvironmentStore.Production, cancellationToken: cancellationToken).ConfigureAwait(false))
            .ToLookup(b => b.Latest.Model, b => b.Latest.Rule);
        bool fresh = environment is null or EnvironmentStore.Production;
        Dictionary<TableName, StaleTable> stale = fresh ? (await TableFreshness.StaleTablesAsync(server, access, now, cancellationToken).ConfigureAwait(false)).ToDictionary(s => s.Table) : [];
        IEnumerable<TableName> freshness = fresh ? server.Project.Freshness.Keys : [];
        var status = new Dictionary<TableName, TableStatus>();
        foreach (TableName table in lastRuns.Keys.Concat(broken.Select(g => g.Key)).Concat(freshness).Distinct().Where(access.CanRead))
        {
            status[table] = new TableStatus(
                lastRuns.TryGetValue(table, out RunStatus last) ? last : null,
                stale.GetValueOrDefault(table),
                fresh && server.Project.Freshness.ContainsKey(table),
                [.. broken[table].Order(StringComparer.Ordinal)]);
        }

        return status;
    }

    /// <summary>A table's status in words, for its tooltip and its accessible label.</summary>
    private static string Describe(PageContext page, TableStatus? status)
    {
        var parts = new List<string>
        {
            status?.LastRun is { } last ? page.T("Last run") + ": " + page.T(PageContext.StateName(last)) : page.T("not run yet"),
        };
        if (status is { HasFreshnessRule: true })
        {
            parts.Add(status.Stale is { } stale
                ? page.T(stale.Error ? "stale: older than its error limit of {0}" : "stale: older than its warn limit of {0}", page.Duration(stale.Limit))
                : page.T("fresh"));
        }

        if (status is { BrokenRules.Count: > 0 })
        {
            parts.Add(page.T("failing rules") + ": " + string.Join(", ", status.BrokenRules));
        }

        return string.Join("; ", parts);
    }

    /// <summary>
    /// The SVG: the cached drawing's frame and edges, and each table's box with this request's status and selection
    /// (cheap string work; the layout, which costs, is the drawing's).
    /// </summary>
    private static void AddSvg(HtmlBuilder svg, PageContext page, Drawing drawing, Dictionary<TableName, TableStatus> status, HashSet<TableName>? picked)
    {
        svg.Add($"<svg id=\"lineage-graph\" class=\"graph{(picked is null ? string.Empty : " picking")}\" width=\"{drawing.Width}\" height=\"{drawing.Height}\" viewBox=\"0 0 {drawing.Width} {drawing.Height}\" role=\"img\" aria-label=\"{page.T("Lineage")}\">");
        svg.Add(drawing.Frame);
        foreach (Edge edge in drawing.EdgeList)
        {
            bool lit = picked is not null && picked.Contains(edge.From) && picked.Contains(edge.To);
            svg.Add($"<path class=\"edge{(lit ? " picked" : string.Empty)}\" data-from=\"{edge.From.ToString()}\" data-to=\"{edge.To.ToString()}\" d=\"{edge.Path}\"/>");
        }

        foreach (Box box in drawing.Boxes)
        {
            TableStatus? state = status.GetValueOrDefault(box.Table);
            string mark = state?.Mark ?? "none";
            string described = Describe(page, state);
            string name = box.Table.ToString();
            svg.Add($"""
                <g class="node layer-{box.Table.Namespace} status-{mark}{(picked is not null && picked.Contains(box.Table) ? " picked" : string.Empty)}" data-table="{name}" data-status="{mark}" tabindex="0" role="button" aria-label="{name}: {described}"><title>{name}&#10;{described}</title><rect x="{box.X}" y="{box.Y}" width="{NodeWidth}" height="{NodeHeight}" rx="5"/><text x="{box.X + 10}" y="{box.Y + 18}">{box.Table.Name}</text><circle class="mark" cx="{box.X + NodeWidth - 14}" cy="{box.Y + NodeHeight / 2}" r="5"/></g>
                """);
        }

        svg.Add(new Markup("</svg>"));
    }

    /// <summary>
    /// The graph's layout for these tables: drawn once per loaded project (a reload brings a new graph) and reused while the
    /// tables shown stay the same, as ordering and routing a thousand tables costs more than the rest of the page.
    /// </summary>
    private static Drawing Draw(ModelGraph graph, IReadOnlyList<TableName> tables)
    {
        string[] names = [.. tables.Select(t => t.ToString())];
        if (s_drawings.TryGetValue(graph, out Drawing? drawing) && drawing.Tables.SequenceEqual(names, StringComparer.Ordinal))
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

        drawing = Layout(edges, tables);
        s_drawings.AddOrUpdate(graph, drawing);
        return drawing;
    }

    /// <summary>
    /// The table-level edges <paramref name="environment"/> built, as the catalog recorded them, named as the page names its
    /// tables (the catalog keeps names lowercase, the drawing's edges and boxes must match).
    /// </summary>
    private static async Task<HashSet<(TableName From, TableName To)>> RecordedEdgesAsync(ServerContext server, string environment, IReadOnlyList<TableName> tables, CancellationToken cancellationToken)
    {
        Dictionary<TableName, TableName> spelled = tables.ToDictionary(t => t);
        return [.. (await server.Catalog.Tables.GetTableLineageAsync(environment, cancellationToken).ConfigureAwait(false))
            .Select(e => (spelled.GetValueOrDefault(e.Upstream, e.Upstream), spelled.GetValueOrDefault(e.Downstream, e.Downstream)))];
    }

    /// <summary>Lays out <paramref name="tables"/> in lanes with <paramref name="edges"/> among them routed between the lanes.</summary>
    private static Drawing Layout(HashSet<(TableName From, TableName To)> edges, IReadOnlyList<TableName> tables)
    {
        string[] names = [.. tables.Select(t => t.ToString())];

        // Table names come in data-flow order (bronze, silver, gold, then other namespaces): one lane per namespace.
        List<string> laneNames = tables.Select(t => t.Namespace).Distinct(StringComparer.Ordinal).ToList();
        var laneOf = tables.ToDictionary(t => t, t => laneNames.IndexOf(t.Namespace));
        List<(TableName From, TableName To)> drawn = [.. edges.Where(e => laneOf.ContainsKey(e.From) && laneOf.ContainsKey(e.To))
            .OrderBy(e => e.From.ToString(), StringComparer.Ordinal).ThenBy(e => e.To.ToString(), StringComparer.Ordinal)];
        Dictionary<TableName, int> rowOf = OrderRows(tables, laneNames.Count, laneOf, drawn);

        int width = Math.Max(1, laneNames.Count) * LaneWidth;
        int rows = rowOf.Count == 0 ? 1 : rowOf.Values.Max() + 1;
        int height = Top + rows * RowHeight + 10;
        var frame = new HtmlBuilder();
        // Two arrowheads, as a marker's colour cannot follow its edge's: the highlighted edges point with the accent.
        frame.Add($"""<defs><marker id="lineage-arrow" class="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0 L10 5 L0 10 z"/></marker><marker id="lineage-arrow-lit" class="arrow lit" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0 L10 5 L0 10 z"/></marker></defs>""");
        for (int lane = 0; lane < laneNames.Count; lane++)
        {
            frame.Add($"<text class=\"lane lane-{laneNames[lane]}\" x=\"{LaneX(lane)}\" y=\"22\">{laneNames[lane]}</text>");
        }

        List<Edge> edgeList = [.. drawn.Select(e => new Edge(e.From, e.To, Route(laneOf[e.From], rowOf[e.From], laneOf[e.To], rowOf[e.To])))];
        List<Box> boxes = [.. tables.Select(t => new Box(t, LaneX(laneOf[t]), RowY(rowOf[t])))];
        return new Drawing(names, width, height, frame.ToMarkup(), edgeList, boxes, edges.Count);
    }

    private static int LaneX(int lane) => lane * LaneWidth + Left;

    private static int RowY(int row) => Top + row * RowHeight;

    /// <summary>The y of the free gap just above <paramref name="row"/>: every lane shares the rows, so a line there crosses no box.</summary>
    private static int GapAbove(int row) => RowY(row) - (RowHeight - NodeHeight) / 2;

    /// <summary>
    /// Each table's row in its lane: lanes start in name order, then a few sweeps reorder each lane by the mean row of its
    /// tables' neighbours in the lanes before (left to right), then after (right to left), which untangles most crossings
    /// (the barycenter heuristic Sugiyama's layered drawing and dagre use) in time linear in the edges per sweep.
    /// </summary>
    private static Dictionary<TableName, int> OrderRows(IReadOnlyList<TableName> tables, int laneCount, Dictionary<TableName, int> laneOf, List<(TableName From, TableName To)> edges)
    {
        var lanes = new List<TableName>[laneCount];
        for (int lane = 0; lane < laneCount; lane++)
        {
            lanes[lane] = [];
        }

        foreach (TableName table in tables)
        {
            lanes[laneOf[table]].Add(table);
        }

        var rowOf = new Dictionary<TableName, int>();
        void Number(List<TableName> lane)
        {
            for (int row = 0; row < lane.Count; row++)
            {
                rowOf[lane[row]] = row;
            }
        }

        foreach (List<TableName> lane in lanes)
        {
            Number(lane);
        }

        ILookup<TableName, TableName> upstream = edges.ToLookup(e => e.To, e => e.From);
        ILookup<TableName, TableName> downstream = edges.ToLookup(e => e.From, e => e.To);
        void Reorder(int lane, ILookup<TableName, TableName> neighbours, Func<int, bool> counts)
        {
            // A table with no neighbour on that side keeps its row as its weight, so it stays about where it was.
            List<TableName> ordered = [.. lanes[lane].OrderBy(t =>
            {
                double sum = 0;
                int count = 0;
                foreach (TableName other in neighbours[t])
                {
                    if (counts(laneOf[other]))
                    {
                        sum += rowOf[other];
                        count++;
                    }
                }

                return count == 0 ? rowOf[t] : sum / count;
            })];
            lanes[lane] = ordered;
            Number(ordered);
        }

        for (int sweep = 0; sweep < OrderingSweeps; sweep++)
        {
            for (int lane = 1; lane < laneCount; lane++)
            {
                Reorder(lane, upstream, other => other < lane);
            }

            for (int lane = laneCount - 2; lane >= 0; lane--)
            {
                Reorder(lane, downstream, other => other > lane);
            }
        }

        return rowOf;
    }

    /// <summary>
    /// An edge's path from the right side of its upstream box to its downstream box, never across a box: to the next lane
    /// a plain curve through the channel between them; further, down the channel after the upstream lane to the row gap
    /// nearest halfway, along that gap past the lanes between, and up the channel before the downstream lane. An edge
    /// within a lane or back to an earlier one enters its box from the right.
    /// </summary>
    private static string Route(int fromLane, int fromRow, int toLane, int toRow)
    {
        int x1 = LaneX(fromLane) + NodeWidth, y1 = RowY(fromRow) + NodeHeight / 2, y2 = RowY(toRow) + NodeHeight / 2;
        if (toLane == fromLane + 1)
        {
            int x2 = LaneX(toLane), bend = (x2 - x1) / 2;
            return FormattableString.Invariant($"M{x1} {y1} C{x1 + bend} {y1} {x2 - bend} {y2} {x2} {y2}");
        }

        // Spread the runs in a channel by the target row, so the edges into different tables do not share one line.
        int channel = LaneWidth - NodeWidth, spread = channel - 2 * 14;
        int ChannelX(int lane) => LaneX(lane) + NodeWidth + 14 + toRow * 11 % spread;
        int low = Math.Min(fromRow, toRow), high = Math.Max(fromRow, toRow);
        int gap = GapAbove(low == high ? low + 1 : (low + high + 1) / 2);
        if (toLane == fromLane)
        {
            int cx = ChannelX(fromLane);
            return Rounded([(x1, y1), (cx, y1), (cx, y2), (x1, y2)]);
        }

        if (toLane > fromLane)
        {
            int x2 = LaneX(toLane);
            return Rounded([(x1, y1), (ChannelX(fromLane), y1), (ChannelX(fromLane), gap), (ChannelX(toLane - 1), gap), (ChannelX(toLane - 1), y2), (x2, y2)]);
        }

        int back = LaneX(toLane) + NodeWidth;
        return Rounded([(x1, y1), (ChannelX(fromLane), y1), (ChannelX(fromLane), gap), (ChannelX(toLane), gap), (ChannelX(toLane), y2), (back, y2)]);
    }

    /// <summary>A path through the points with straight runs and rounded corners; points on a line with their neighbours are dropped.</summary>
    private static string Rounded(List<(int X, int Y)> points)
    {
        var kept = new List<(int X, int Y)> { points[0] };
        for (int i = 1; i < points.Count; i++)
        {
            (int X, int Y) p = points[i];
            if (p == kept[^1])
            {
                continue;
            }

            if (kept.Count >= 2 && (kept[^2].X == kept[^1].X && kept[^1].X == p.X || kept[^2].Y == kept[^1].Y && kept[^1].Y == p.Y))
            {
                kept[^1] = p;
                continue;
            }

            kept.Add(p);
        }

        var path = new System.Text.StringBuilder(FormattableString.Invariant($"M{kept[0].X} {kept[0].Y}"));
        for (int i = 1; i < kept.Count - 1; i++)
        {
            (int X, int Y) a = kept[i - 1], p = kept[i], b = kept[i + 1];
            int r = Math.Min(CornerRadius, Math.Min(Length(a, p), Length(p, b)) / 2);
            (int dx1, int dy1) = (Math.Sign(p.X - a.X), Math.Sign(p.Y - a.Y));
            (int dx2, int dy2) = (Math.Sign(b.X - p.X), Math.Sign(b.Y - p.Y));
            path.Append(FormattableString.Invariant($" L{p.X - dx1 * r} {p.Y - dy1 * r} Q{p.X} {p.Y} {p.X + dx2 * r} {p.Y + dy2 * r}"));
        }

        path.Append(FormattableString.Invariant($" L{kept[^1].X} {kept[^1].Y}"));
        return path.ToString();
    }

    private static int Length((int X, int Y) a, (int X, int Y) b) => Math.Abs(a.X - b.X) + Math.Abs(a.Y - b.Y);

    /// <summary>An edge and its path.</summary>
    private sealed record Edge(TableName From, TableName To, string Path);

    /// <summary>A table's box: its top-left corner.</summary>
    private sealed record Box(TableName Table, int X, int Y);

    /// <summary>
    /// One drawing of a graph: for which tables (in order), its size, its frame (arrowheads, lane titles), its
    /// routed edges and its boxes, and how many edges the project has.
    /// </summary>
    private sealed record Drawing(string[] Tables, int Width, int Height, Markup Frame, List<Edge> EdgeList, List<Box> Boxes, int Edges);
}
