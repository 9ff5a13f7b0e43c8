using System.Net;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Planning;

namespace Medallion.Server.Tests;

/// <summary>
/// A table's lineage, details and quality as an environment built them (<c>?environment=dev</c>) on the REST API and the web
/// UI: dev's physical table, runs and recorded lineage for a model dev built, prod's for one it did not, through the same
/// grants and masks as prod's answers; an environment that holds nothing or a name none could have is refused, never
/// answered with prod's data under its name.
/// </summary>
public sealed class EnvironmentBrowsingTests : IAsyncLifetime
{
    /// <summary>silver.orders as dev changes it: read from bronze.customers instead of bronze.orders.</summary>
    private const string DevOrders = """
        /* ---
        columns:
          email:
            classification: pii
        --- */
        SELECT CAST(order_id AS BIGINT) AS order_id, lower(email) AS email, CAST(amount AS DECIMAL(10, 2)) AS amount FROM bronze.customers
        """;

    private ServedProject _served = null!;
    private string _devRun = null!;

    public async Task InitializeAsync()
    {
        // Not watched: a server that reloads the project registers its files' lineage as prod's, and prod's must stay what it ran.
        _served = await ServedProject.StartAsync(options => options with { WatchProject = false }, more: files => files
            .Write("sources/customers.yml", "sources:\n  - name: customers\n    format: csv\n    path: data/customers/*.csv\n    target: bronze.customers\n")
            .Write("data/customers/1.csv", "order_id,email,amount\n7,C@X.COM,70\n")
            .Write("models/silver/customer_emails.sql", "SELECT lower(email) AS email FROM bronze.customers\n"));
        // mia reads silver.orders without its e-mail, and no bronze table.
        await _served.Catalog.Identity.SetUserAsync("mia", Medallion.PgWire.PgUserStore.CreateScramVerifier("mia-secret"));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Columns, "silver.orders", ["order_id", "amount"], GranteeKind.User, "mia"), ["silver.orders"]);
        File.WriteAllText(Path.Combine(_served.Directory, "models", "silver", "orders.sql"), DevOrders);
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_served.Directory);
        Assert.True((await ProjectPlanner.ApplyAsync(environment, new ApplyOptions { Plan = new PlanOptions { Environment = "dev" } })).Succeeded);
        _devRun = Assert.Single((await _served.Catalog.Runs.QueryRunsAsync(new RunQuery { Environment = "dev", Limit = 10 })).Runs).Id;
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, string user = "vic", string password = ServedProject.ViewerPassword)
    {
        using HttpResponseMessage response = await _served.GetAsync(path, ServedProject.Basic(user, password));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The edges of a lineage answer as <c>ns.table[.column] -> ns.table[.column]</c>, in order.</summary>
    private async Task<List<string>> EdgesAsync(string path, string user = "vic", string password = ServedProject.ViewerPassword)
    {
        (HttpStatusCode status, string body) = await GetAsync(path, user, password);
        Assert.True(status == HttpStatusCode.OK, body);
        using var lineage = JsonDocument.Parse(body);
        static string End(JsonElement edge, string side) =>
            edge.GetProperty(side).GetProperty("namespace").GetString() + "." + edge.GetProperty(side).GetProperty("name").GetString()
            + (edge.GetProperty(side + "_column").GetString() is { } column ? "." + column : string.Empty);
        return [.. lineage.RootElement.EnumerateArray().Select(e => End(e, "upstream") + " -> " + End(e, "downstream")).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task The_lineage_api_answers_what_dev_built_for_a_model_dev_changed_and_prods_recorded_edges_for_prod()
    {
        List<string> dev = await EdgesAsync("/api/tables/gold.revenue/lineage?direction=upstream&environment=dev");
        List<string> prod = await EdgesAsync("/api/tables/gold.revenue/lineage?direction=upstream&environment=prod");

        // Transitively, as the project's answer: gold.revenue reads silver.orders, which dev builds from bronze.customers.
        Assert.Equal(["bronze.customers -> silver.orders", "silver.orders -> gold.revenue"], dev);
        Assert.Equal(["bronze.orders -> silver.orders", "silver.orders -> gold.revenue"], prod);
    }

    [Fact]
    public async Task The_lineage_api_follows_a_column_through_devs_edges()
    {
        List<string> dev = await EdgesAsync("/api/tables/gold.revenue/lineage?direction=upstream&column=revenue&environment=dev");
        List<string> prod = await EdgesAsync("/api/tables/gold.revenue/lineage?direction=upstream&column=revenue&environment=prod");

        Assert.Equal(["bronze.customers.amount -> silver.orders.amount", "silver.orders.amount -> gold.revenue.revenue"], dev);
        Assert.Equal(["bronze.orders.amount -> silver.orders.amount", "silver.orders.amount -> gold.revenue.revenue"], prod);
    }

    [Fact]
    public async Task A_model_dev_did_not_build_keeps_prods_edges_beside_the_ones_dev_built()
    {
        List<string> dev = await EdgesAsync("/api/tables/bronze.customers/lineage?direction=downstream&environment=dev");
        List<string> prod = await EdgesAsync("/api/tables/bronze.customers/lineage?direction=downstream&environment=prod");

        Assert.Equal(["bronze.customers -> silver.customer_emails", "bronze.customers -> silver.orders", "silver.orders -> gold.revenue"], dev);
        Assert.Equal(["bronze.customers -> silver.customer_emails"], prod);
    }

    [Fact]
    public async Task The_lineage_api_refuses_an_environment_that_holds_nothing_with_404_and_a_hostile_name_with_400()
    {
        using HttpResponseMessage missing = await _served.GetAsync("/api/tables/silver.orders/lineage?environment=staging", ServedProject.Basic("vic", ServedProject.ViewerPassword));
        using HttpResponseMessage hostile = await _served.GetAsync("/api/tables/silver.orders/lineage?environment=" + Uri.EscapeDataString("<script>x</script>"), ServedProject.Basic("vic", ServedProject.ViewerPassword));

        (HttpStatusCode missingStatus, string missingCode, _, string missingDetail) = await ServedProject.ProblemAsync(missing);
        (HttpStatusCode hostileStatus, string hostileCode, _, _) = await ServedProject.ProblemAsync(hostile);
        Assert.Equal((HttpStatusCode.NotFound, "MDL6403"), (missingStatus, missingCode));
        Assert.StartsWith("There is no environment 'staging'.", missingDetail, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.BadRequest, "MDL6401"), (hostileStatus, hostileCode));
    }

    [Fact]
    public async Task A_user_sees_no_more_of_devs_lineage_than_of_prods()
    {
        List<string> dev = await EdgesAsync("/api/tables/silver.orders/lineage?environment=dev", "mia", "mia-secret");
        List<string> prod = await EdgesAsync("/api/tables/silver.orders/lineage?environment=prod", "mia", "mia-secret");
        (HttpStatusCode masked, string body) = await GetAsync("/api/tables/silver.orders/lineage?column=email&environment=dev", "mia", "mia-secret");

        // mia reads neither bronze table nor gold.revenue, nor silver.orders' e-mail.
        Assert.Empty(dev);
        Assert.Empty(prod);
        Assert.Equal(HttpStatusCode.NotFound, masked);
        Assert.Contains("Table silver.orders has no column 'email'.", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_table_api_answers_devs_physical_table_versions_last_run_and_upstream()
    {
        (HttpStatusCode status, string body) = await GetAsync("/api/tables/silver.orders?environment=dev");
        (_, string prodBody) = await GetAsync("/api/tables/silver.orders");
        using var dev = JsonDocument.Parse(body);
        using var prod = JsonDocument.Parse(prodBody);

        Assert.Equal(HttpStatusCode.OK, status);
        JsonElement summary = dev.RootElement.GetProperty("summary");
        Assert.Contains("_versions", summary.GetProperty("location").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("_versions", prod.RootElement.GetProperty("summary").GetProperty("location").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, summary.GetProperty("rows").GetInt64());
        Assert.Equal(_devRun, dev.RootElement.GetProperty("last_run").GetProperty("run_id").GetString());
        Assert.NotEqual(_devRun, prod.RootElement.GetProperty("last_run").GetProperty("run_id").GetString());
        Assert.Equal(_devRun, dev.RootElement.GetProperty("recent_versions")[0].GetProperty("run_id").GetString());
        Assert.Equal(["customers"], dev.RootElement.GetProperty("upstream").EnumerateArray().Select(u => u.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task The_table_api_answers_prods_table_for_a_model_dev_did_not_build()
    {
        (_, string body) = await GetAsync("/api/tables/silver.customer_emails?environment=dev");
        (_, string prodBody) = await GetAsync("/api/tables/silver.customer_emails");
        using var dev = JsonDocument.Parse(body);
        using var prod = JsonDocument.Parse(prodBody);

        Assert.Equal(prod.RootElement.GetProperty("summary").GetProperty("location").GetString(), dev.RootElement.GetProperty("summary").GetProperty("location").GetString());
        Assert.Equal(prod.RootElement.GetProperty("last_run").GetProperty("run_id").GetString(), dev.RootElement.GetProperty("last_run").GetProperty("run_id").GetString());
    }

    [Fact]
    public async Task The_table_api_refuses_an_environment_that_holds_nothing_with_404_and_a_hostile_name_with_400()
    {
        (HttpStatusCode missing, string missingBody) = await GetAsync("/api/tables/silver.orders?environment=staging");
        (HttpStatusCode hostile, string hostileBody) = await GetAsync("/api/tables/silver.orders?environment=" + Uri.EscapeDataString("dev' OR '1'='1"));

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.BadRequest), (missing, hostile));
        Assert.Contains("MDL6403", missingBody, StringComparison.Ordinal);
        Assert.Contains("MDL6401", hostileBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_sees_no_more_of_devs_table_than_of_prods()
    {
        (_, string body) = await GetAsync("/api/tables/silver.orders?environment=dev", "mia", "mia-secret");
        using var dev = JsonDocument.Parse(body);

        Assert.Equal(["order_id", "amount"], dev.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Empty(dev.RootElement.GetProperty("upstream").EnumerateArray());
    }

    private async Task<(HttpStatusCode Status, string Html)> PageAsync(string path)
    {
        using var web = new WebSession(_served);
        await web.SignInOrFailAsync("vic", ServedProject.ViewerPassword);
        return await web.GetAsync(path);
    }

    [Fact]
    public async Task The_table_page_shows_devs_table_names_its_environment_and_keeps_it_in_its_links()
    {
        (HttpStatusCode status, string html) = await PageAsync("/tables/silver.orders?environment=dev");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<dd id=\"table-environment\">dev</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<option value=\"dev\" selected>dev</option>", html, StringComparison.Ordinal);
        Assert.Matches("id=\"table-location\">[^<]*_versions", html);
        Assert.Contains("href=\"/tables/bronze.customers?environment=dev\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/lineage?environment=dev\"", html, StringComparison.Ordinal);
        Assert.Contains("?column=email&amp;environment=dev#column-lineage", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_table_page_shows_prods_table_by_default_with_prod_selected()
    {
        (_, string html) = await PageAsync("/tables/silver.orders");

        Assert.Contains("<dd id=\"table-environment\">prod</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<option value=\"prod\" selected>prod</option>", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("id=\"table-location\">[^<]*_versions", html);
    }

    [Fact]
    public async Task The_table_pages_column_lineage_follows_devs_edges()
    {
        (_, string html) = await PageAsync("/tables/silver.orders?column=amount&environment=dev");

        Assert.Contains("href=\"/tables/bronze.customers?column=amount&amp;environment=dev#column-lineage\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("/tables/bronze.orders?column=amount", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/tables/silver.orders")]
    [InlineData("/lineage")]
    public async Task A_page_refuses_an_environment_that_holds_nothing_naming_it_and_shows_a_hostile_name_only_encoded(string path)
    {
        (HttpStatusCode missing, string missingHtml) = await PageAsync(path + "?environment=staging");
        (HttpStatusCode hostile, string hostileHtml) = await PageAsync(path + "?environment=" + Uri.EscapeDataString("<script>x</script>"));

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.BadRequest), (missing, hostile));
        Assert.Contains("There is no environment &#x27;staging&#x27;.", missingHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("table-rows", missingHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>x", hostileHtml, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", hostileHtml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_lineage_page_draws_devs_edges_and_keeps_the_environment_when_a_table_is_opened()
    {
        (HttpStatusCode status, string dev) = await PageAsync("/lineage?environment=dev");
        (_, string prod) = await PageAsync("/lineage?environment=prod");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("data-from=\"bronze.customers\" data-to=\"silver.orders\"", dev, StringComparison.Ordinal);
        Assert.DoesNotContain("data-from=\"bronze.orders\" data-to=\"silver.orders\"", dev, StringComparison.Ordinal);
        Assert.Contains("data-from=\"bronze.orders\" data-to=\"silver.orders\"", prod, StringComparison.Ordinal);
        Assert.Contains("data-query=\"?environment=dev\"", dev, StringComparison.Ordinal);
        Assert.Contains("<option value=\"dev\" selected>dev</option>", dev, StringComparison.Ordinal);
        Assert.Contains("<p id=\"lineage-environment\">", dev, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_dev_build_marks_devs_lineage_graph_and_leaves_prods_as_prod_ran()
    {
        (_, string before) = await PageAsync("/lineage");
        RunRecord failed = await _served.Catalog.Runs.StartRunAsync(null, "dev");
        await _served.Catalog.Runs.RecordModelRunAsync(new ModelRunRecord(failed.Id, new TableName("gold", "revenue"), RunStatus.Failed, null, new Dictionary<string, long>(), TimeSpan.FromSeconds(1), "boom"));

        (_, string prod) = await PageAsync("/lineage");
        (_, string dev) = await PageAsync("/lineage?environment=dev");

        Assert.Equal("bad", NodeStatus(dev, "gold.revenue"));
        Assert.Equal(("ok", "ok"), (NodeStatus(before, "gold.revenue"), NodeStatus(prod, "gold.revenue")));
    }

    /// <summary>The status mark the lineage graph gives a table's node.</summary>
    private static string NodeStatus(string html, string table) =>
        System.Text.RegularExpressions.Regex.Match(html, $"data-table=\"{System.Text.RegularExpressions.Regex.Escape(table)}\" data-status=\"([a-z]+)\"").Groups[1].Value;
}
