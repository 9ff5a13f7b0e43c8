using System.Globalization;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>
/// Issue 18's lineage graph at the size it promises to handle: 500 tables (200 bronze sources, 200 silver models of two
/// bronze tables each, 100 gold models of three silver ones), served without ever being built, in Chromium.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LargeLineageTests : IAsyncLifetime
{
    private const int Bronze = 200;
    private const int Silver = 200;
    private const int Gold = 100;

    /// <summary>What each model reads.</summary>
    private static readonly Dictionary<string, string[]> s_reads = Reads();

    private UnbuiltLineageProject _project = null!;

    public async Task InitializeAsync() => _project = await UnbuiltLineageProject.StartAsync("big", Enumerable.Range(0, Bronze).Select(i => $"b{i}"), s_reads);

    public async Task DisposeAsync() => await _project.DisposeAsync();

    [Fact]
    public async Task The_lineage_graph_of_500_tables_draws_every_lane_and_node_highlights_a_selected_tables_neighbours_and_still_zooms_and_pans()
    {
        await using BrowserScenario scenario = await _project.OpenLineageAsync("lineage-500");
        IPage page = scenario.Page;

        ILocator graph = page.Locator("#lineage-graph");
        // The audit table, written once an audited act (a query, a preview) wrote its first batch, is internal: hidden here.
        await Expect(graph.Locator("text.lane")).ToHaveTextAsync(["bronze", "silver", "gold"]);
        await Expect(graph.Locator("g.node.layer-bronze")).ToHaveCountAsync(Bronze);
        await Expect(graph.Locator("g.node.layer-silver")).ToHaveCountAsync(Silver);
        await Expect(graph.Locator("g.node.layer-gold")).ToHaveCountAsync(Gold);
        await Expect(graph.Locator("path.edge")).ToHaveCountAsync(s_reads.Sum(r => r.Value.Length));

        const string Chosen = "silver.s10";
        (HashSet<string> up, HashSet<string> down) = Neighbours(Chosen);
        await graph.Locator($"g.node[data-table='{Chosen}']").ClickAsync();
        await Expect(graph.Locator("g.node.lit")).ToHaveCountAsync(up.Union(down).Count());
        await Expect(graph.Locator("g.node.chosen")).ToHaveAttributeAsync("data-table", Chosen);
        int litEdges = s_reads.Sum(model => model.Value.Count(from => (up.Contains(from) && up.Contains(model.Key)) || (down.Contains(from) && down.Contains(model.Key))));
        await Expect(graph.Locator("path.edge.lit")).ToHaveCountAsync(litEdges);
        await Expect(page.Locator("#lineage-selected a")).ToHaveAttributeAsync("href", "/tables/" + Chosen);

        double[] fit = await ViewBoxAsync(graph);
        // Clicking scrolled the chosen table's row into view; back at the top, the lane labels are where the drag starts.
        await page.Locator(".graph-box").EvaluateAsync("box => box.scrollTop = 0");
        LocatorBoundingBoxResult box = (await graph.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + 100, box.Y + 100);
        await page.Mouse.WheelAsync(0, -300);
        await Expect(graph).Not.ToHaveAttributeAsync("viewBox", string.Join(' ', fit.Select(v => v.ToString(CultureInfo.InvariantCulture))));
        double[] zoomed = await ViewBoxAsync(graph);
        // Over the lane labels, clear of every node, so the drag pans rather than selects.
        await page.Mouse.MoveAsync(box.X + 3, box.Y + 3);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + 53, box.Y + 43, new() { Steps = 5 });
        await page.Mouse.UpAsync();
        double[] panned = await ViewBoxAsync(graph);

        Assert.True(zoomed[2] < fit[2], $"zooming in left the view {zoomed[2]} wide, not narrower than {fit[2]}");
        Assert.True(panned[0] < zoomed[0] && panned[1] < zoomed[1], $"dragging right and down moved the view from ({zoomed[0]}, {zoomed[1]}) to ({panned[0]}, {panned[1]})");
        Assert.Equal(zoomed[2], panned[2]);
        await page.ClickAsync("button[data-zoom=fit]");
        Assert.Equal(fit, await ViewBoxAsync(graph));
        await scenario.FinishAsync();
    }

    private static async Task<double[]> ViewBoxAsync(ILocator graph) =>
        [.. (await graph.GetAttributeAsync("viewBox"))!.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture))];

    /// <summary>Silver s<i>i</i> reads two bronze tables, gold g<i>i</i> three silver ones: a silver table has upstream and downstream.</summary>
    private static Dictionary<string, string[]> Reads()
    {
        var reads = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (int i = 0; i < Silver; i++)
        {
            reads[$"silver.s{i}"] = [$"bronze.b{i}", $"bronze.b{(i * 7 + 3) % Bronze}"];
        }

        for (int i = 0; i < Gold; i++)
        {
            // Distinct: the third can be one of the first two (g36 reads s73 twice), and the graph draws one edge for it.
            reads[$"gold.g{i}"] = new[] { $"silver.s{2 * i}", $"silver.s{2 * i + 1}", $"silver.s{(i * 13 + 5) % Silver}" }.Distinct(StringComparer.Ordinal).ToArray();
        }

        return reads;
    }

    /// <summary>The table with everything upstream of it, and the table with everything downstream of it.</summary>
    private static (HashSet<string> Up, HashSet<string> Down) Neighbours(string table)
    {
        HashSet<string> Walk(Func<string, IEnumerable<string>> next)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal) { table };
            var queue = new Queue<string>([table]);
            while (queue.TryDequeue(out string? current))
            {
                foreach (string other in next(current).Where(seen.Add))
                {
                    queue.Enqueue(other);
                }
            }

            return seen;
        }

        return (
            Walk(t => s_reads.GetValueOrDefault(t) ?? []),
            Walk(t => s_reads.Where(r => r.Value.Contains(t, StringComparer.Ordinal)).Select(r => r.Key)));
    }
}
