using Medallion.Cli.Commands;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion ci</c> on a project built in prod and then changed, as on a pull request.</summary>
public sealed class CiCommandTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-ci-project-" + Guid.NewGuid().ToString("N"));

    public CiCommandTests()
    {
        Write("medallion.yml", "name: shop\n");
        Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/*.csv\n    target: bronze.orders\n");
        Write("models/silver/orders.sql", "/* ---\nexpectations:\n  - unique: [id]\n--- */\nSELECT id, amount FROM bronze.orders");
        Write("models/gold/revenue.sql", "SELECT sum(amount) AS revenue FROM silver.orders");
    }

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.Combine(_project, Path.GetDirectoryName(path)!));
        File.WriteAllText(Path.Combine(_project, path), text);
    }

    private async Task BuildProdAsync()
    {
        await Cli.RunAsync("delta", "write", Path.Combine(_project, "warehouse", "bronze", "orders"), "--from", "SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project)).ExitCode);
    }

    [Fact]
    public async Task A_breaking_change_is_built_beside_prod_reported_with_its_diff_and_fails_the_check()
    {
        await BuildProdAsync();
        Write("models/silver/orders.sql", "/* ---\nexpectations:\n  - unique: [id]\n--- */\nSELECT id, amount * 2 AS amount FROM bronze.orders");

        Cli.Result result = await Cli.RunAsync("ci", "--env", "pr-7", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("**Result:** ❌ breaking change: `silver.orders` (breaking); allow with `medallion ci --allow-breaking`", result.Output, StringComparison.Ordinal);
        Assert.Contains("| `silver.orders` | succeeded | 2 |", result.Output, StringComparison.Ordinal);
        Assert.Contains("2 rows on pr-7, 2 on prod (matched by id): 0 only on pr-7, 0 only on prod, 2 changed.", result.Output, StringComparison.Ordinal);
        Assert.Equal(["30"], (await Cli.RunAsync("sql", "SELECT revenue FROM gold.revenue", "--format", "csv", "--project", _project)).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
    }

    [Fact]
    public async Task An_allowed_breaking_change_passes_the_check()
    {
        await BuildProdAsync();
        Write("models/silver/orders.sql", "/* ---\nexpectations:\n  - unique: [id]\n--- */\nSELECT id, amount * 2 AS amount FROM bronze.orders");

        Cli.Result result = await Cli.RunAsync("ci", "--env", "pr-7", "--allow-breaking", "--project", _project);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("**Result:** ⚠️ breaking change, allowed: `silver.orders`", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_whose_expectations_break_fails_the_check_naming_the_rule()
    {
        await BuildProdAsync();
        Write("models/silver/orders.sql", "/* ---\nexpectations:\n  - unique: [id]\n--- */\nSELECT 1 AS id, amount FROM bronze.orders");

        Cli.Result result = await Cli.RunAsync("ci", "--env", "pr-8", "--allow-breaking", "--output", Path.Combine(_project, "report.md"), "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("**Result:** ❌ the changed models did not all build", result.Output, StringComparison.Ordinal);
        Assert.Contains("unique(id) [fail] (2 rows)", result.Output, StringComparison.Ordinal);
        Assert.Equal(result.Output, File.ReadAllText(Path.Combine(_project, "report.md")));
    }

    [Fact]
    public void The_environment_is_named_after_the_branch_the_ci_system_names()
    {
        Dictionary<string, string> github = new() { ["GITHUB_HEAD_REF"] = "feature/Revenue Tax!", ["GITHUB_REF_NAME"] = "7/merge" };
        Dictionary<string, string> gitlab = new() { ["CI_COMMIT_REF_NAME"] = "fix-42" };

        Assert.Equal(
            ("ci-feature-revenue-tax", "ci-fix-42", "ci"),
            (CiCommand.EnvironmentForBranch(github.GetValueOrDefault), CiCommand.EnvironmentForBranch(gitlab.GetValueOrDefault), CiCommand.EnvironmentForBranch(_ => null)));
    }
}
