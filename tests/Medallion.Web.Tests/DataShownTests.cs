using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Server.Tests;

namespace Medallion.Web.Tests;

/// <summary>
/// What the pages show of the data: an incremental model run twice (the second time with no new rows), with nested
/// columns and a quarantine table, served over HTTP.
/// </summary>
public sealed partial class DataShownTests : IAsyncLifetime
{
    private static readonly TableName s_customers = new("silver", "customers");

    private ServedProject _served = null!;
    private RunResult _emptyRun = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync(options => options with { WatchProject = false }, later: files => files.Write("models/silver/customers.sql", """
            /* ---
            materialized: append
            expectations:
              - not_null: [email]
                severity: warn
              - expression: amount >= 0
                name: amount_positive
                severity: quarantine
            --- */
            SELECT CAST(order_id AS BIGINT) AS order_id, CASE WHEN order_id = 2 THEN NULL ELSE lower(email) END AS email,
                CAST(amount AS DECIMAL(10, 2)) - 15 AS amount, [order_id, order_id * 10] AS codes, {'id': order_id, 'kind': 'retail'} AS profile,
                MAP {'tier': 'gold'} AS attributes
            FROM bronze.orders
            """));
        MedallionProject project = await MedallionProject.LoadAsync(_served.Directory, _ => null);
        // The first build reads every row (one null e-mail, one negative amount); the second has no new rows.
        RunResult first = await ProjectRunner.RunAsync(project, new RunOptions { Select = "silver.customers" });
        Assert.True(first.Succeeded, string.Join("; ", first.Steps.Select(s => s.Error)));
        _emptyRun = await ProjectRunner.RunAsync(project, new RunOptions { Select = "silver.customers" });
        Assert.True(_emptyRun.Succeeded, string.Join("; ", _emptyRun.Steps.Select(s => s.Error)));
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_row_rule_of_an_incremental_build_without_new_rows_shows_as_not_checked_on_the_table_and_run_pages()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);

        (HttpStatusCode tableStatus, string table) = await session.GetAsync("/tables/silver.customers");
        (HttpStatusCode runStatus, string run) = await session.GetAsync("/runs/" + _emptyRun.RunId);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (tableStatus, runStatus));
        Assert.Matches(@"not_null\(email\) <span class=""muted"">\(warn\)</span></td><td><span class=""state state-skipped"">not checked: no new rows</span>", table);
        Assert.DoesNotMatch(@"not_null\(email\) <span class=""muted"">\(warn\)</span></td><td><span class=""state state-succeeded"">", table);
        Assert.Contains(">not checked: no new rows</span>", run, StringComparison.Ordinal);
        Assert.DoesNotContain(">passed</span>", run, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_rest_api_gives_a_rule_not_checked_its_own_status_and_reason()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/runs/" + _emptyRun.RunId, ServedProject.Basic("ana", ServedProject.OperatorPassword));
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement quality = Property(json.RootElement, "quality");
        Assert.Equal(2, quality.GetArrayLength());
        Assert.All(quality.EnumerateArray(), result =>
        {
            Assert.Equal("not checked", Property(result, "status").GetString());
            Assert.Equal("no new rows", Property(result, "notChecked", "not_checked").GetString());
            Assert.False(Property(result, "passed").GetBoolean());
        });
    }

    [Fact]
    public async Task Lists_structs_and_maps_read_as_json_on_the_sql_page_in_previews_and_in_csv()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);
        const string Query = "SELECT codes, profile, attributes FROM silver.customers ORDER BY order_id";

        (_, string preview) = await session.GetAsync("/tables/silver.customers");
        using HttpResponseMessage page = await session.PostFormAsync("/sql", [new("sql", Query)]);
        string html = await page.Content.ReadAsStringAsync();
        using HttpResponseMessage download = await session.PostFormAsync("/sql", [new("sql", Query), new("format", "csv")]);
        string csv = await download.Content.ReadAsStringAsync();

        foreach (string shown in new[] { preview, html })
        {
            Assert.DoesNotContain("System.Collections", shown, StringComparison.Ordinal);
            Assert.Contains("<td>[2,20]</td>", shown, StringComparison.Ordinal);
            Assert.Contains("<td>{&quot;id&quot;:2,&quot;kind&quot;:&quot;retail&quot;}</td>", shown, StringComparison.Ordinal);
            Assert.Contains("<td>{&quot;tier&quot;:&quot;gold&quot;}</td>", shown, StringComparison.Ordinal);
        }

        Assert.Equal("codes,profile,attributes\r\n\"[2,20]\",\"{\"\"id\"\":2,\"\"kind\"\":\"\"retail\"\"}\",\"{\"\"tier\"\":\"\"gold\"\"}\"\r\n", csv);
    }

    [Fact]
    public async Task Every_column_lineage_link_of_a_quarantine_table_answers_a_page()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);

        (HttpStatusCode status, string table) = await session.GetAsync("/tables/silver.customers_quarantine");
        List<string> links = [.. ColumnLineageLink().Matches(table).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value))];

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("/tables/silver.customers_quarantine?column=_quarantine_rules#column-lineage", links);
        foreach (string link in links)
        {
            (HttpStatusCode linked, string html) = await session.GetAsync(link);
            Assert.True(linked == HttpStatusCode.OK, $"{link}: {linked}\n{html}");
            Assert.Contains("id=\"column-lineage\"", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_column_the_table_does_not_have_is_a_404_page_not_a_500()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);

        (HttpStatusCode quarantine, string quarantineHtml) = await session.GetAsync("/tables/silver.customers_quarantine?column=nope#column-lineage");
        (HttpStatusCode model, string modelHtml) = await session.GetAsync("/tables/silver.customers?column=nope#column-lineage");
        (HttpStatusCode missing, _) = await session.GetAsync("/tables/silver.nope?column=email");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (quarantine, model, missing));
        Assert.Contains("Table silver.customers_quarantine has no column &#x27;nope&#x27;.", quarantineHtml, StringComparison.Ordinal);
        Assert.Contains("Table silver.customers has no column &#x27;nope&#x27;.", modelHtml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runs_started_in_the_same_millisecond_show_ids_long_enough_to_tell_them_apart()
    {
        var instant = new FrozenTime(DateTimeOffset.UtcNow);
        string[] ids;
        MedallionProject project = await MedallionProject.LoadAsync(_served.Directory, _ => null);
        CatalogStore catalog = await CatalogStore.OpenAsync(project.Resolve(project.Catalog), instant);
        await using (catalog)
        {
            ids = [(await catalog.Runs.StartRunAsync("backfill a")).Id, (await catalog.Runs.StartRunAsync("backfill b")).Id];
        }

        using WebSession session = new(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);
        (_, string html) = await session.GetAsync("/runs");
        Dictionary<string, string> shown = RunLink().Matches(html).DistinctBy(m => m.Groups[1].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

        Assert.Equal(ids[0][..12], ids[1][..12]);
        Assert.NotEqual(shown[ids[0]], shown[ids[1]]);
        Assert.All(ids, id => Assert.StartsWith(shown[id], id, StringComparison.Ordinal));
        // Only as long as it must be: one character past what the two share.
        int shared = ids[0].AsSpan().CommonPrefixLength(ids[1]);
        Assert.All(ids, id => Assert.Equal(shared + 1, shown[id].Length));
        // Runs that share nothing with the others keep the usual twelve characters.
        string other = _emptyRun.RunId;
        Assert.Equal(other[..12], shown[other]);
    }

    private static JsonElement Property(JsonElement element, params string[] names) =>
        names.Select(n => element.TryGetProperty(n, out JsonElement value) ? value : (JsonElement?)null).FirstOrDefault(v => v is not null)
            ?? throw new KeyNotFoundException($"None of {string.Join(", ", names)} in {element}");

    [GeneratedRegex("href=\"(/tables/[^\"?]+\\?column=[^\"]+)\"")]
    private static partial Regex ColumnLineageLink();

    [GeneratedRegex("href=\"/runs/([0-9a-f]{32})\"><code>([0-9a-f]+)</code>")]
    private static partial Regex RunLink();

    private sealed class FrozenTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
