using Microsoft.Data.Sqlite;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion role</c>, <c>grant</c>, <c>revoke</c>, <c>user add --role/--admin</c> and <c>sql --user</c> over a project
/// whose storage holds <c>gold.basic_append</c> (5 rows at its latest version).
/// </summary>
public sealed class AccessCommandTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-access-project-" + Guid.NewGuid().ToString("N"));

    public AccessCommandTests() => SharedConformance.CreateShopProject(_project);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_project, recursive: true);
    }

    [Fact]
    public async Task A_role_granted_a_namespace_is_listed_with_its_members_and_grants()
    {
        await Cli.RunAsync("role", "create", "analysts", "--project", _project);
        await Cli.RunWithInputAsync("pw\n", "user", "add", "ana", "--role", "analysts", "--project", _project);

        Cli.Result granted = await Cli.RunAsync("grant", "select", "on", "gold", "to", "analysts", "--project", _project);
        Cli.Result listed = await Cli.RunAsync("role", "list", "--project", _project);

        Assert.Equal((0, "Granted select on gold to analysts.\n"), (granted.ExitCode, granted.Output));
        Assert.Equal("analysts\tmembers: ana\tgrants: select on gold\n", listed.Output);
    }

    [Fact]
    public async Task A_grant_on_a_misspelt_table_fails_and_suggests_the_table()
    {
        await Cli.RunAsync("role", "create", "analysts", "--project", _project);

        Cli.Result result = await Cli.RunAsync("grant", "select", "on", "gold.basic_apend", "to", "analysts", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("There is no table 'gold.basic_apend'. Did you mean gold.basic_append?", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("()", "gold.basic_append", "the column list '()' names no columns")]
    [InlineData("(letter)", "namespace gold", "columns are listed only on a table, not on a namespace.")]
    public async Task A_column_list_the_grant_cannot_honour_is_refused_rather_than_granting_every_column(string columns, string target, string why)
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "ana", "--project", _project);

        Cli.Result result = await Cli.RunAsync(["grant", "select", columns, "on", .. target.Split(' '), "to", "ana", "--project", _project]);
        Cli.Result read = await Cli.RunAsync("sql", "SELECT count(*) AS n FROM gold.basic_append", "--user", "ana", "--format", "csv", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"is not a grant: {why}", result.Error, StringComparison.Ordinal);
        Assert.Contains("permission denied for table gold.basic_append", read.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_grant_to_a_misspelt_role_fails_and_suggests_the_role()
    {
        await Cli.RunAsync("role", "create", "analysts", "--project", _project);

        Cli.Result result = await Cli.RunAsync("grant", "select", "on", "gold", "to", "analyst", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("There is no role or user 'analyst'. Did you mean 'analysts'?", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_user_of_a_project_without_an_admin_is_told_how_to_create_one()
    {
        Cli.Result added = await Cli.RunWithInputAsync("pw\n", "user", "add", "bi", "--project", _project);

        Assert.Equal(0, added.ExitCode);
        Assert.Contains("the project has no admin yet. Help: add one with medallion user add <name> --admin", added.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sql_as_a_user_without_a_grant_is_denied_and_reads_once_granted()
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "ana", "--project", _project);

        Cli.Result denied = await Cli.RunAsync("sql", "SELECT count(*) AS n FROM gold.basic_append", "--user", "ana", "--format", "csv", "--project", _project);
        await Cli.RunAsync("grant", "select", "on", "gold.basic_append", "to", "ana", "--project", _project);
        Cli.Result granted = await Cli.RunAsync("sql", "SELECT count(*) AS n FROM gold.basic_append", "--user", "ana", "--format", "csv", "--project", _project);

        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("permission denied for table gold.basic_append", denied.Error, StringComparison.Ordinal);
        Assert.Equal((0, "n\n5\n"), (granted.ExitCode, granted.Output));
    }

    [Fact]
    public async Task Sql_as_a_user_refuses_to_read_a_warehouse_file_by_its_path()
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "ana", "--project", _project);
        await Cli.RunAsync("grant", "select", "on", "gold", "to", "ana", "--project", _project);

        Cli.Result result = await Cli.RunAsync("sql", $"SELECT * FROM glob('{_project}/**')", "--user", "ana", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("glob()", result.Error, StringComparison.Ordinal);
    }
}

/// <summary><c>medallion access plan|apply</c> over a project that declares its policy in <c>access/*.yml</c>.</summary>
public sealed class DeclaredAccessCommandTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-declared-access-" + Guid.NewGuid().ToString("N"));

    public DeclaredAccessCommandTests()
    {
        SharedConformance.CreateShopProject(_project);
        Directory.CreateDirectory(Path.Combine(_project, "access"));
        File.WriteAllText(Path.Combine(_project, "access", "analysts.yml"), """
            roles:
              analysts:
                members: [ana]
                grants: [select on gold]
            masking:
              pii: partial
            """);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_project, recursive: true);
    }

    [Fact]
    public async Task Plan_shows_the_declared_policy_and_apply_writes_it_once()
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "ana", "--project", _project);

        Cli.Result plan = await Cli.RunAsync("access", "plan", "--project", _project);
        Cli.Result apply = await Cli.RunAsync("access", "apply", "--project", _project);
        Cli.Result again = await Cli.RunAsync("access", "plan", "--project", _project);

        Assert.Equal(
            "+ role analysts (access/analysts.yml)\n+ member ana of role analysts (access/analysts.yml)\n+ grant select on gold to role analysts (access/analysts.yml)\n"
            + "+ masking of pii: partial (access/analysts.yml)\n4 change(s). Help: medallion access apply makes them.\n",
            plan.Output);
        Assert.Equal(0, apply.ExitCode);
        Assert.Equal("The catalog matches the declared access policy.\n", again.Output);
    }

    [Fact]
    public async Task Apply_of_a_grant_on_a_missing_table_is_refused_at_its_line_and_changes_nothing()
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "ana", "--project", _project);
        File.WriteAllText(Path.Combine(_project, "access", "analysts.yml"),
            "roles:\n  analysts:\n    members: [ana]\n    grants: [select on gold, select on gold.nope]\nmasking:\n  pii: partial\n");

        Cli.Result apply = await Cli.RunAsync("access", "apply", "--project", _project);
        Cli.Result plan = await Cli.RunAsync("access", "plan", "--project", _project);

        Assert.Equal(1, apply.ExitCode);
        Assert.Contains("access/analysts.yml:4:30: There is no table 'gold.nope'.", apply.Error, StringComparison.Ordinal);
        Assert.StartsWith("+ role analysts (access/analysts.yml)\n", plan.Output, StringComparison.Ordinal);
        Assert.Contains("5 change(s).", plan.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_command_line_refuses_to_revoke_a_declared_grant_and_names_its_file()
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "ana", "--project", _project);
        await Cli.RunAsync("access", "apply", "--project", _project);

        Cli.Result revoked = await Cli.RunAsync("revoke", "select", "on", "gold", "from", "analysts", "--project", _project);

        Assert.Equal(1, revoked.ExitCode);
        Assert.Contains("is declared in access/analysts.yml, so it changes there", revoked.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_grant_removed_from_the_files_is_revoked_by_the_next_apply()
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "ana", "--project", _project);
        await Cli.RunAsync("access", "apply", "--project", _project);
        File.WriteAllText(Path.Combine(_project, "access", "analysts.yml"), "roles:\n  analysts:\n    members: [ana]\nmasking:\n  pii: partial\n");

        Cli.Result plan = await Cli.RunAsync("access", "plan", "--project", _project);

        Assert.Equal("- grant select on gold to role analysts (access/analysts.yml)\n1 change(s). Help: medallion access apply makes them.\n", plan.Output);
    }
}

/// <summary><c>medallion monitor --user</c>: file statistics and estimates describe stored values, so a masked column's bounds and distinct estimate are left out.</summary>
public sealed class MonitorAsUserTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-monitor-user-" + Guid.NewGuid().ToString("N"));

    public MonitorAsUserTests() => SharedConformance.CreateShopProject(_project);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_project, recursive: true);
    }

    [Fact]
    public async Task Monitor_as_a_masked_user_leaves_out_the_bounds_of_the_masked_column_only()
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "ana", "--project", _project);
        await Cli.RunAsync("grant", "select", "on", "gold", "to", "ana", "--project", _project);
        await using (var catalog = await Medallion.Catalog.CatalogStore.OpenAsync(Path.Combine(_project, ".medallion", "catalog.db")))
        {
            var name = new Medallion.Catalog.TableName("gold", "basic_append");
            await catalog.Tables.UpsertTableAsync(new Medallion.Catalog.CatalogTable(name, Path.Combine(_project, "warehouse", "gold", "basic_append")));
            await catalog.Tables.SetColumnsAsync(name, [new("letter", "VARCHAR", Classification: "pii"), new("number", "BIGINT")]);
        }

        Cli.Result admin = await Cli.RunAsync("monitor", "gold.basic_append", "--format", "json", "--project", _project);
        Cli.Result masked = await Cli.RunAsync("monitor", "gold.basic_append", "--user", "ana", "--format", "json", "--project", _project);

        Assert.Equal(0, masked.ExitCode);
        Assert.NotNull(Bound(admin.Output, "letter"));
        Assert.Null(Bound(masked.Output, "letter"));
        Assert.Equal(Bound(admin.Output, "number"), Bound(masked.Output, "number"));
    }

    [Fact]
    public async Task Monitor_as_a_masked_user_leaves_out_the_distinct_estimate_of_the_masked_column_only()
    {
        Directory.CreateDirectory(Path.Combine(_project, "models", "gold"));
        File.WriteAllText(
            Path.Combine(_project, "models", "gold", "visits.sql"),
            "/* ---\ncolumns:\n  email:\n    classification: pii\nexpectations:\n  - not_null: [id]\n--- */\nSELECT i AS id, 'user' || (i % 10) || '@x.com' AS email FROM range(100) t(i)\n");
        Cli.Result run = await Cli.RunAsync("run", "--project", _project);
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        await Cli.RunWithInputAsync("pw\n", "user", "add", "ana", "--project", _project);
        await Cli.RunAsync("grant", "select", "on", "gold", "to", "ana", "--project", _project);

        Cli.Result admin = await Cli.RunAsync("monitor", "gold.visits", "--format", "json", "--project", _project);
        Cli.Result masked = await Cli.RunAsync("monitor", "gold.visits", "--user", "ana", "--format", "json", "--project", _project);

        Assert.Equal(0, masked.ExitCode);
        Assert.Equal(("10", "null"), (Column(admin.Output, "email", "approx_distinct"), Column(masked.Output, "email", "approx_distinct")));
        Assert.Equal(Column(admin.Output, "id", "approx_distinct"), Column(masked.Output, "id", "approx_distinct"));
    }

    private static string? Bound(string json, string column) => Column(json, column, "min") is { } min && min != "null" ? min : null;

    private static string Column(string json, string column, string property)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        System.Text.Json.JsonElement found = document.RootElement[0].GetProperty("columns").EnumerateArray().First(c => c.GetProperty("name").GetString() == column);
        return found.GetProperty(property).GetRawText();
    }
}
