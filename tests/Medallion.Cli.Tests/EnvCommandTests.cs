using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion env list</c>, <c>env drop</c>, <c>janitor</c> and a vacuum that keeps what shallow clones read, over a project built once.</summary>
public sealed class EnvCommandTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-env-project-" + Guid.NewGuid().ToString("N"));

    public EnvCommandTests()
    {
        Write("medallion.yml", "name: shop\n");
        Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/*.csv\n    target: bronze.orders\n");
        Write("models/silver/orders.sql", "SELECT id, amount FROM bronze.orders");
        Write("models/gold/revenue.sql", "SELECT sum(amount) AS revenue FROM silver.orders");
    }

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.Combine(_project, Path.GetDirectoryName(path)!));
        File.WriteAllText(Path.Combine(_project, path), text);
    }

    /// <summary>Builds prod, then applies a change of silver.orders to dev (forward-only: a shallow clone of prod's table).</summary>
    private async Task BuildDevAsync(params string[] applyOptions)
    {
        await Cli.RunAsync("delta", "write", Path.Combine(_project, "warehouse", "bronze", "orders"), "--from", "SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project)).ExitCode);
        Write("models/silver/orders.sql", "SELECT id, amount * 100 AS amount FROM bronze.orders");
        Assert.Equal(0, (await Cli.RunAsync(["apply", "--env", "dev", "--project", _project, .. applyOptions])).ExitCode);
    }

    [Fact]
    public async Task Env_list_shows_each_environments_own_tables_and_after_a_promotion_the_set_kept_for_rollback()
    {
        await BuildDevAsync();

        Cli.Result text = await Cli.RunAsync("env", "list", "--project", _project);
        Assert.Equal(0, (await Cli.RunAsync("promote", "dev", "--project", _project)).ExitCode);
        Cli.Result json = await Cli.RunAsync("env", "list", "--format", "json", "--project", _project);

        string[] lines = text.Output.Split('\n');
        Assert.Equal(["environment", "kind", "models", "own tables", "from prod", "last built"], lines[0].Split("  ", StringSplitOptions.RemoveEmptyEntries).Select(c => c.Trim()));
        Assert.Equal(["prod", "production", "2", "-", "-"], lines[1].Split("  ", StringSplitOptions.RemoveEmptyEntries).Take(5).Select(c => c.Trim()));
        Assert.Equal(["dev", "environment", "2", "2", "0"], lines[2].Split("  ", StringSplitOptions.RemoveEmptyEntries).Take(5).Select(c => c.Trim()));
        using JsonDocument document = JsonDocument.Parse(json.Output);
        Assert.Equal(
            [("prod", "production", 2, null), ("prod~previous", "previous", 2, null), ("dev", "environment", 2, (int?)0)],
            document.RootElement.EnumerateArray().Select(e => (
                e.GetProperty("name").GetString(),
                e.GetProperty("kind").GetString(),
                e.GetProperty("models").GetInt32(),
                e.GetProperty("own_tables").ValueKind == JsonValueKind.Null ? null : (int?)e.GetProperty("own_tables").GetInt32())));
    }

    [Fact]
    public async Task Env_drop_removes_the_environments_pointers_and_the_janitor_keeps_its_tables_within_the_retention()
    {
        await BuildDevAsync();

        Cli.Result drop = await Cli.RunAsync("env", "drop", "dev", "--project", _project);
        Cli.Result list = await Cli.RunAsync("env", "list", "--format", "json", "--project", _project);
        Cli.Result janitor = await Cli.RunAsync("janitor", "--dry-run", "--format", "json", "--project", _project);

        Assert.Equal((0, "Dropped environment dev: 2 pointer(s) removed. Its tables no other environment points at are removed by 'medallion janitor' once unpointed for 7d.\n"), (drop.ExitCode, drop.Output));
        using JsonDocument environments = JsonDocument.Parse(list.Output);
        Assert.Equal(["prod"], environments.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        Assert.Equal(0, janitor.ExitCode);
        using JsonDocument report = JsonDocument.Parse(janitor.Output);
        Assert.Equal((604800, true, 0), (report.RootElement.GetProperty("retention_seconds").GetInt64(), report.RootElement.GetProperty("dry_run").GetBoolean(), report.RootElement.GetProperty("removed").GetInt32()));
        Assert.Equal(
            [("gold.revenue", "kept"), ("silver.orders", "kept")],
            report.RootElement.GetProperty("tables").EnumerateArray().Select(t => (t.GetProperty("model").GetString(), t.GetProperty("outcome").GetString())));
        Assert.All(report.RootElement.GetProperty("tables").EnumerateArray(), t => Assert.True(t.GetProperty("size_bytes").GetInt64() > 0));
        Assert.True(Directory.Exists(Path.Combine(_project, "warehouse", "silver", "_versions", "orders")));
    }

    [Fact]
    public async Task Env_drop_prod_is_refused_with_its_code()
    {
        await BuildDevAsync();

        Cli.Result result = await Cli.RunAsync("env", "drop", "prod", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL6405: Environment 'prod' cannot be dropped: it is what every reader reads.", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../x", "it starts with '.', not a lowercase letter")]
    [InlineData("Dev", "it starts with 'D', not a lowercase letter")]
    [InlineData("dev/../../prod", "its character 4, '/', is not a lowercase letter, digit, '_' or '-'")]
    public async Task Env_drop_of_a_name_that_is_no_environments_is_refused_with_its_code(string name, string why)
    {
        Cli.Result result = await Cli.RunAsync("env", "drop", name, "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"Error MDL6401: '{name}' cannot name an environment: {why}.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Env_drop_if_exists_forgives_an_environment_that_holds_nothing_and_a_name_with_ci_is_a_usage_error()
    {
        await BuildDevAsync();
        Assert.Equal(0, (await Cli.RunAsync("apply", "--env", "ci-feature-x", "--project", _project)).ExitCode);

        Cli.Result first = await Cli.RunAsync("env", "drop", "ci-feature-x", "--if-exists", "--project", _project);
        Cli.Result second = await Cli.RunAsync("env", "drop", "ci-feature-x", "--if-exists", "--project", _project);
        Cli.Result without = await Cli.RunAsync("env", "drop", "ci-feature-x", "--project", _project);
        Cli.Result both = await Cli.RunAsync("env", "drop", "ci-feature-x", "--ci", "--project", _project);

        Assert.Equal((0, "Dropped environment ci-feature-x: 2 pointer(s) removed."), (first.ExitCode, first.Output[..first.Output.IndexOf(" Its", StringComparison.Ordinal)]));
        Assert.Equal((0, "Environment ci-feature-x holds nothing: nothing to drop.\n"), (second.ExitCode, second.Output));
        Assert.StartsWith("Error MDL6403: Environment 'ci-feature-x' holds no model, so there is nothing to drop.", without.Error, StringComparison.Ordinal);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("Name the environment to drop, or give --ci for the one medallion ci built for this branch (not both).", both.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0s", "Error MDL6409: --retention '0s' is 00:00:00, which is not a positive duration")]
    [InlineData("soon", "Error MDL6409: --retention 'soon' is not a duration.")]
    public async Task The_janitor_refuses_a_retention_that_is_not_a_positive_duration(string retention, string error)
    {
        Cli.Result result = await Cli.RunAsync("janitor", "--retention", retention, "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(error, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delta_vacuum_of_prods_table_keeps_the_files_a_dev_clone_reads_and_says_so()
    {
        await BuildDevAsync("--forward-only");
        string prod = Path.Combine(_project, "warehouse", "silver", "orders");
        string[] cloned = Directory.GetFiles(prod, "*.parquet");
        Assert.Equal(0, (await Cli.RunAsync("run", "--select", "silver.orders", "--project", _project)).ExitCode);

        Cli.Result vacuum = await Cli.RunAsync("delta", "vacuum", prod, "--retain", "0h", "--force");

        Assert.Equal(0, vacuum.ExitCode);
        Assert.StartsWith($"VACUUM of {prod}: 0 file(s) deleted. {cloned.Length} unreferenced file(s) kept: a shallow clone of the table still reads them.", vacuum.Output, StringComparison.Ordinal);
        Assert.All(cloned, f => Assert.True(File.Exists(f), f));
        Cli.Result dev = await Cli.RunAsync("sql", "SELECT sum(amount) AS total FROM silver.orders", "--env", "dev", "--format", "csv", "--project", _project);
        Assert.Equal("total\n30\n", dev.Output);
    }
}
