using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Medallion.Web.Tests;

/// <summary>
/// How the lineage graph draws a mid-size project (31 tables in four lanes, with models that skip a lane, read their own
/// lane and feed a later namespace), served without ever being built, in Chromium: arrowheads, edges around the boxes,
/// and a phone's width.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LineageLayoutTests : IAsyncLifetime
{
    /// <summary>What each model reads.</summary>
    private static readonly Dictionary<string, string[]> s_reads = new(StringComparer.Ordinal)
    {
        ["silver.customers"] = ["bronze.crm_customers", "bronze.web_signups"],
        ["silver.orders"] = ["bronze.shop_orders", "bronze.pos_orders"],
        ["silver.order_lines"] = ["bronze.shop_orders", "bronze.pos_orders"],
        ["silver.payments"] = ["bronze.payments"],
        ["silver.refunds"] = ["bronze.payments"],
        ["silver.products"] = ["bronze.catalog"],
        ["silver.stock"] = ["bronze.warehouse"],
        ["silver.shipments"] = ["bronze.warehouse", "bronze.shop_orders"],
        ["silver.sessions"] = ["bronze.web_signups"],
        ["silver.campaigns"] = ["bronze.crm_customers"],
        ["silver.order_facts"] = ["silver.orders", "silver.order_lines", "silver.products"],
        ["silver.customer_facts"] = ["silver.customers", "silver.order_facts"],
        ["gold.daily_revenue"] = ["silver.order_facts", "silver.payments", "silver.refunds"],
        ["gold.customer_ltv"] = ["silver.customer_facts", "silver.refunds"],
        ["gold.stock_cover"] = ["silver.stock", "silver.order_lines"],
        ["gold.delivery_times"] = ["silver.shipments", "bronze.warehouse"],
        ["gold.signup_funnel"] = ["silver.sessions", "bronze.web_signups", "silver.campaigns"],
        ["gold.top_products"] = ["silver.products", "gold.daily_revenue"],
        ["gold.churn"] = ["gold.customer_ltv", "silver.sessions"],
        ["gold.margins"] = ["gold.daily_revenue", "bronze.catalog"],
        ["reporting.board_pack"] = ["gold.daily_revenue", "gold.churn", "silver.customers"],
        ["reporting.ops_pack"] = ["gold.stock_cover", "gold.delivery_times", "bronze.warehouse"],
        ["reporting.marketing_pack"] = ["gold.signup_funnel", "silver.campaigns"],
    };

    private static readonly string[] s_sources = ["crm_customers", "web_signups", "shop_orders", "pos_orders", "payments", "catalog", "warehouse", "returns"];

    private UnbuiltLineageProject _project = null!;

    public async Task InitializeAsync() => _project = await UnbuiltLineageProject.StartAsync("shop", s_sources, s_reads);

    public async Task DisposeAsync() => await _project.DisposeAsync();

    [Fact]
    public async Task Every_edge_ends_in_an_arrowhead_on_the_side_of_the_table_it_feeds()
    {
        await using BrowserScenario scenario = await OpenAsync("lineage-arrowheads");

        string[] wrong = await scenario.Page.EvaluateAsync<string[]>("""
            () => {
              const svg = document.getElementById('lineage-graph');
              const arrow = document.querySelector('#lineage-arrow path');
              if (!arrow || arrow.getBBox().width === 0) return ['no arrowhead marker'];
              const wrong = [];
              for (const edge of svg.querySelectorAll('path.edge')) {
                const name = edge.dataset.from + ' -> ' + edge.dataset.to;
                if (!getComputedStyle(edge).markerEnd.includes('#lineage-arrow')) wrong.push(name + ': no arrowhead');
                const rect = svg.querySelector('g.node[data-table="' + edge.dataset.to + '"] rect');
                const x = +rect.getAttribute('x'), y = +rect.getAttribute('y'), w = +rect.getAttribute('width'), h = +rect.getAttribute('height');
                const length = edge.getTotalLength(), end = edge.getPointAtLength(length), before = edge.getPointAtLength(length - 3);
                const intoLeft = Math.abs(end.x - x) < 0.5 && before.x < end.x, intoRight = Math.abs(end.x - (x + w)) < 0.5 && before.x > end.x;
                if (!(intoLeft || intoRight) || Math.abs(end.y - (y + h / 2)) > 0.5) wrong.push(name + ': ends at ' + end.x + ',' + end.y);
              }
              return wrong;
            }
            """);

        Assert.Empty(wrong);
        await Expect(scenario.Page.Locator("#lineage-graph path.edge")).ToHaveCountAsync(s_reads.Sum(r => r.Value.Length));
        await scenario.FinishAsync();
    }

    [Fact]
    public async Task No_edge_crosses_a_table_box_though_some_skip_a_lane()
    {
        await using BrowserScenario scenario = await OpenAsync("lineage-routed");

        string[] crossings = await scenario.Page.EvaluateAsync<string[]>("""
            () => {
              const svg = document.getElementById('lineage-graph');
              const boxes = [...svg.querySelectorAll('g.node')].map(g => {
                const r = g.querySelector('rect');
                return { table: g.dataset.table, x: +r.getAttribute('x'), y: +r.getAttribute('y'), w: +r.getAttribute('width'), h: +r.getAttribute('height') };
              });
              const crossings = new Set();
              for (const edge of svg.querySelectorAll('path.edge')) {
                const length = edge.getTotalLength();
                for (let at = 0; at <= length; at += 2) {
                  const p = edge.getPointAtLength(at);
                  for (const b of boxes) {
                    if (p.x > b.x + 1 && p.x < b.x + b.w - 1 && p.y > b.y + 1 && p.y < b.y + b.h - 1) {
                      crossings.add(edge.dataset.from + ' -> ' + edge.dataset.to + ' crosses ' + b.table);
                    }
                  }
                }
              }
              return [...crossings];
            }
            """);

        Assert.Empty(crossings);
        // Lanes bronze, silver, gold, reporting: these edges pass a lane on their way, where one straight curve would cross its boxes.
        Assert.Contains(s_reads, r => r.Key.StartsWith("gold.", StringComparison.Ordinal) && r.Value.Any(v => v.StartsWith("bronze.", StringComparison.Ordinal)));
        await Expect(scenario.Page.Locator("#lineage-graph path.edge[data-from='bronze.warehouse'][data-to='reporting.ops_pack']")).ToHaveCountAsync(1);
        await scenario.FinishAsync();
    }

    [Theory]
    [InlineData("en-US", "Highlight")]
    [InlineData("pt-BR", "Destacar")]
    public async Task The_lineage_page_fits_a_phone_without_sideways_scroll(string locale, string button)
    {
        await using BrowserScenario scenario = await OpenAsync("lineage-phone-" + locale, locale, BrowserScenario.Phone);

        await Expect(scenario.Page.Locator("form.lineage-select button")).ToHaveTextAsync(button);
        int overflow = await scenario.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");

        Assert.True(overflow <= 0, $"the page scrolls {overflow} px sideways");
        await scenario.FinishAsync();
    }

    private async Task<BrowserScenario> OpenAsync(string name, string locale = "en-US", ViewportSize? viewport = null)
    {
        BrowserScenario scenario = await _project.OpenLineageAsync(name, locale, viewport);
        await Expect(scenario.Page.Locator("#lineage-graph g.node")).ToHaveCountAsync(s_sources.Length + s_reads.Count);
        return scenario;
    }
}
