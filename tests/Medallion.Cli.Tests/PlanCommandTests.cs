using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion plan</c> and <c>medallion apply</c> over a project run once, then edited.</summary>
public sealed class PlanCommandTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-plan-project-" + Guid.NewGuid().ToString("N"));

    public PlanCommandTests()
    {
        foreach ((string path, string text) in new[]
        {
            ("medallion.yml", "name: shop\n"),
            ("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/*.csv\n    target: bronze.orders\n"),
            ("models/silver/orders.sql", "SELECT id, amount FROM bronze.orders"),
            ("models/gold/revenue.sql", "SELECT sum(amount) AS revenue FROM silver.orders"),
        })
        {
            Write(path, text);
        }
    }

    public void Dispose() => Directory.Delete(_project, recursive: true);

    /// <summary>Writes (or replaces) a project file, as a user edits one between a run and a plan.</summary>
    private void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.Combine(_project, Path.GetDirectoryName(path)!));
        File.WriteAllText(Path.Combine(_project, path), text);
    }

    private async Task BuildAsync()
    {
        await Cli.RunAsync("delta", "write", Path.Combine(_project, "warehouse", "bronze", "orders"), "--from", "SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project)).ExitCode);
    }

    [Fact]
    public async Task Plan_with_format_json_prints_each_change_with_its_kind_columns_and_diff()
    {
        await BuildAsync();
        Write("models/silver/orders.sql", "SELECT id, amount * 100 AS amount FROM bronze.orders");

        Cli.Result result = await Cli.RunAsync("plan", "--project", _project, "--format", "json");

        Assert.Equal(0, result.ExitCode);
        using JsonDocument json = JsonDocument.Parse(result.Output);
        JsonElement root = json.RootElement;
        Assert.Equal(("prod", false, false, 0), (root.GetProperty("environment").GetString(), root.GetProperty("forward_only").GetBoolean(), root.GetProperty("empty").GetBoolean(), root.GetProperty("unchanged").GetInt32()));
        Assert.Equal(["silver.orders", "gold.revenue"], root.GetProperty("rebuild").EnumerateArray().Select(e => e.GetString()));
        JsonElement orders = root.GetProperty("changes")[0];
        Assert.Equal(
            ["model", "change", "rebuild", "causes", "changed_columns", "affected_columns", "sql_diff", "old_fingerprint", "new_fingerprint"],
            orders.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("silver.orders", "breaking", true), (orders.GetProperty("model").GetString(), orders.GetProperty("change").GetString(), orders.GetProperty("rebuild").GetBoolean()));
        Assert.Equal(["amount"], orders.GetProperty("changed_columns").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["gold.revenue.revenue"], orders.GetProperty("affected_columns").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("- SELECT id, amount FROM bronze.orders\n+ SELECT id, amount * 100 AS amount FROM bronze.orders\n", orders.GetProperty("sql_diff").GetString());
        Assert.Matches("^[0-9a-f]{64}$", orders.GetProperty("old_fingerprint").GetString()!);
        JsonElement revenue = root.GetProperty("changes")[1];
        Assert.Equal(("indirect", "silver.orders"), (revenue.GetProperty("change").GetString(), revenue.GetProperty("causes")[0].GetString()));
    }

    [Fact]
    public async Task Plan_prints_a_readable_plan_and_markdown_for_a_pull_request()
    {
        await BuildAsync();
        Write("models/silver/orders.sql", "SELECT id, amount, id * 2 AS double_id FROM bronze.orders");

        Cli.Result text = await Cli.RunAsync("plan", "--project", _project);
        Cli.Result markdown = await Cli.RunAsync("plan", "--project", _project, "--format", "markdown");

        Assert.StartsWith("Plan against prod: 1 non-breaking, 1 indirect-non-breaking; 0 unchanged; 1 to rebuild.\n\nsilver.orders  non-breaking: rebuilt; nothing downstream\n  columns changed: double_id\n", text.Output, StringComparison.Ordinal);
        Assert.EndsWith("\nApply it with 'medallion apply'.\n", text.Output, StringComparison.Ordinal);
        Assert.StartsWith("### Medallion plan against `prod`\n\n", markdown.Output, StringComparison.Ordinal);
        Assert.Contains("| `silver.orders` | non-breaking | rebuilt; nothing downstream | `double_id` |  |\n", markdown.Output, StringComparison.Ordinal);
        Assert.Contains("```diff\n-SELECT id, amount FROM bronze.orders\n+SELECT id, amount, id * 2 AS double_id FROM bronze.orders\n```", markdown.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_prints_what_it_rebuilt_and_a_second_apply_has_nothing_to_do()
    {
        await BuildAsync();
        Write("models/gold/revenue.sql", "SELECT sum(amount) AS revenue, count(*) AS orders FROM silver.orders");

        Cli.Result first = await Cli.RunAsync("apply", "--project", _project);
        Cli.Result second = await Cli.RunAsync("apply", "--project", _project);
        Cli.Result plan = await Cli.RunAsync("plan", "--project", _project);

        Assert.Equal(0, first.ExitCode);
        Assert.StartsWith("Applied to prod: 1 non-breaking; 1 unchanged; 1 to rebuild.\n  gold.revenue succeeded v1\nRun ", first.Output, StringComparison.Ordinal);
        Assert.Equal((0, "Nothing to apply to prod: 2 model(s) unchanged.\n"), (second.ExitCode, second.Output));
        Assert.Equal("Plan against prod: nothing to do; 2 model(s) unchanged.\n", plan.Output);
    }

    private async Task<string> SqlAsync(string environment, string query)
    {
        Cli.Result result = await Cli.RunAsync("sql", query, "--env", environment, "--format", "csv", "--project", _project);
        Assert.Equal(0, result.ExitCode);
        return result.Output;
    }

    [Fact]
    public async Task A_change_applied_to_dev_is_served_by_sql_in_dev_only_until_it_is_promoted_and_rolled_back()
    {
        await BuildAsync();
        Write("models/silver/orders.sql", "SELECT id, amount * 100 AS amount FROM bronze.orders");

        Cli.Result plan = await Cli.RunAsync("plan", "--env", "dev", "--project", _project);
        Cli.Result apply = await Cli.RunAsync("apply", "--env", "dev", "--project", _project);
        string devRevenue = await SqlAsync("dev", "SELECT revenue FROM gold.revenue");
        string prodRevenue = await SqlAsync("prod", "SELECT revenue FROM gold.revenue");
        Cli.Result promote = await Cli.RunAsync("promote", "dev", "--project", _project);
        string promoted = await SqlAsync("prod", "SELECT revenue FROM gold.revenue");
        Cli.Result rollback = await Cli.RunAsync("rollback", "prod", "--project", _project);
        string rolledBack = await SqlAsync("prod", "SELECT revenue FROM gold.revenue");

        Assert.StartsWith("Plan against dev: 1 breaking, 1 indirect; 0 unchanged; 2 to rebuild.\n", plan.Output, StringComparison.Ordinal);
        Assert.EndsWith("\nApply it with 'medallion apply --env dev'.\n", plan.Output, StringComparison.Ordinal);
        Assert.StartsWith("Applied to dev: 1 breaking, 1 indirect; 0 unchanged; 2 to rebuild.\n", apply.Output, StringComparison.Ordinal);
        Assert.Equal(("revenue\n3000\n", "revenue\n30\n"), (devRevenue, prodRevenue));
        Assert.Equal((0, "Promoted dev to prod: prod now reads 2 model(s) from dev's tables, with no recompute. 'medallion rollback prod' points it back.\n"), (promote.ExitCode, promote.Output));
        Assert.Equal("revenue\n3000\n", promoted);
        Assert.Equal(0, rollback.ExitCode);
        Assert.Equal("revenue\n30\n", rolledBack);
    }

    [Fact]
    public async Task A_promotion_and_a_rollback_are_recorded_in_the_audit_with_what_they_pointed()
    {
        await BuildAsync();
        Write("models/silver/orders.sql", "SELECT id, amount * 100 AS amount FROM bronze.orders");
        Assert.Equal(0, (await Cli.RunAsync("apply", "--env", "dev", "--project", _project)).ExitCode);

        Assert.Equal(0, (await Cli.RunAsync("promote", "dev", "--project", _project)).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync("rollback", "prod", "--project", _project)).ExitCode);

        Assert.Equal(
            "action,target,details\nenvironment.promote,prod,\"{\"\"from\"\":\"\"dev\"\",\"\"models\"\":2}\"\nenvironment.rollback,prod,\"{\"\"models\"\":2}\"\n",
            await SqlAsync("prod", "SELECT action, target, details FROM medallion_audit.events WHERE action LIKE 'environment.%' AND channel = 'cli' ORDER BY action"));
    }

    [Fact]
    public async Task A_change_applied_to_dev_leaves_the_docs_the_catalog_serves_for_prod_as_they_were()
    {
        Write("models/silver/orders.sql", "/* ---\ndescription: Orders, cleaned\nowner: sales\ntags: [daily]\n--- */\nSELECT id, amount FROM bronze.orders");
        await BuildAsync();
        Write("models/silver/orders.sql", "/* ---\ndescription: Orders in cents\nowner: finance\ntags: [trial]\n--- */\nSELECT id, amount * 100 AS amount FROM bronze.orders");
        Write("models/gold/orders_by_id.sql", "/* ---\ndescription: New in dev\n--- */\nSELECT id, sum(amount) AS amount FROM silver.orders GROUP BY id");

        Assert.Equal(0, (await Cli.RunAsync("apply", "--env", "dev", "--project", _project)).ExitCode);

        await using Medallion.Catalog.CatalogStore catalog = await Medallion.Catalog.CatalogStore.OpenAsync(Medallion.Catalog.CatalogStore.DefaultPath(_project));
        Medallion.Catalog.CatalogTable orders = (await catalog.Tables.GetTableAsync(new("silver", "orders")))!;
        Assert.Equal(("Orders, cleaned", "sales"), (orders.Description, orders.Owner));
        Assert.Equal(["daily"], orders.Tags);
        Assert.Equal("New in dev", (await catalog.Tables.GetTableAsync(new("gold", "orders_by_id")))!.Description);
    }

    [Fact]
    public async Task The_runs_list_names_the_environment_each_run_built()
    {
        await BuildAsync();
        Write("models/silver/orders.sql", "SELECT id, amount * 100 AS amount FROM bronze.orders");
        Assert.Equal(0, (await Cli.RunAsync("apply", "--env", "dev", "--project", _project)).ExitCode);

        Cli.Result runs = await Cli.RunAsync("runs", "--project", _project);
        Cli.Result json = await Cli.RunAsync("runs", "--format", "json", "--project", _project);

        string[] lines = runs.Output.Split('\n');
        Assert.Equal(["run", "env", "started"], lines[0].Split('│').Take(3).Select(c => c.Trim()));
        Assert.Equal(["dev", "prod"], lines.Skip(2).Take(2).Select(l => l.Split('│')[1].Trim()));
        Assert.Contains("\"environment\": \"dev\"", json.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plan", "--env", "Dev")]
    [InlineData("apply", "--env", "Dev")]
    [InlineData("sql", "--env", "Dev")]
    [InlineData("promote", "Dev")]
    [InlineData("rollback", "Dev")]
    public async Task A_name_that_is_no_environments_is_refused_with_its_code(params string[] arguments)
    {
        Cli.Result result = await Cli.RunAsync([.. arguments, "--project", _project]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL6401: 'Dev' cannot name an environment: it starts with 'D', not a lowercase letter.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rolling_back_an_environment_nothing_was_promoted_to_is_refused_with_its_code()
    {
        await BuildAsync();

        Cli.Result result = await Cli.RunAsync("rollback", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL6403: Environment 'prod' has no earlier set of tables to go back to", result.Error, StringComparison.Ordinal);
    }
}
