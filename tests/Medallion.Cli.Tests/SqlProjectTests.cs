namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion sql --project</c> over a project whose storage holds a copy of the conformance table
/// dat-basic_append (version 0: 3 rows, version 1: 5 rows) as <c>gold.basic_append</c>.
/// </summary>
public sealed class SqlProjectTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-sql-project-" + Guid.NewGuid().ToString("N"));

    public SqlProjectTests() => SharedConformance.CreateShopProject(_project);

    public void Dispose() => Directory.Delete(_project, recursive: true);

    [Fact]
    public async Task Sql_in_a_project_reads_its_tables_at_the_latest_version_and_as_of_a_version()
    {
        Cli.Result result = await Cli.RunAsync("sql", "--project", _project, "--format", "json",
            "SELECT count(*) AS latest, (SELECT count(*) FROM gold.basic_append AT (VERSION => 0)) AS first FROM gold.basic_append");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("[{\"latest\":5,\"first\":3}]", result.Output.Trim());
    }

    [Fact]
    public async Task Sql_in_a_project_names_the_table_and_its_times_for_a_timestamp_before_its_first_commit_and_never_its_path()
    {
        Cli.Result result = await Cli.RunAsync("sql", "--project", _project, "SELECT count(*) FROM gold.basic_append AT (TIMESTAMP => TIMESTAMP '1990-01-01')");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL2102: Table gold.basic_append has no version at 1990-01-01 00:00:00Z: its first commit (version 0) is at ", result.Error, StringComparison.Ordinal);
        Assert.Contains(", and its newest (version 1) at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(_project, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sql_in_a_project_refuses_statements_that_change_data()
    {
        Cli.Result result = await Cli.RunAsync("sql", "--project", _project, "DROP VIEW gold.basic_append");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL2103: Statement 1 is a DROP statement, and this session is read-only", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sql_in_a_project_names_close_tables_when_one_is_misspelt()
    {
        Cli.Result result = await Cli.RunAsync("sql", "--project", _project, "SELECT * FROM gold.basic_appendd");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error MDL2101: Table gold.basic_appendd does not exist in the lakehouse. Did you mean gold.basic_append?", result.Error.Trim());
    }

    [Fact]
    public async Task Sql_in_a_project_names_a_table_whose_name_holds_the_one_written()
    {
        Cli.Result result = await Cli.RunAsync("sql", "--project", _project, "SELECT * FROM gold.append");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error MDL2101: Table gold.append does not exist in the lakehouse. Did you mean gold.basic_append?", result.Error.Trim());
    }

    [Fact]
    public async Task The_shell_lists_lakehouse_tables_as_tables()
    {
        Cli.Result result = await Cli.RunWithInputAsync("\\f csv\n\\d\n", "sql", "--project", _project);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("gold,basic_append,table", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("EXPLAIN (ANALYZE) COPY (SELECT 42 AS x) TO '{file}'")]
    [InlineData("EXPLAIN/**/ANALYZE COPY (SELECT 42 AS x) TO '{file}'")]
    [InlineData("PREPARE p AS COPY (SELECT 42 AS x) TO '{file}'")]
    public async Task Sql_in_a_project_refuses_a_write_hidden_in_explain_or_prepare_and_writes_no_file(string attack)
    {
        string file = Path.Combine(_project, "pwned.csv");

        Cli.Result result = await Cli.RunAsync("sql", "--project", _project, attack.Replace("{file}", file, StringComparison.Ordinal));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL2103: Statement 1 is a COPY statement, and this session is read-only", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task Sql_in_a_project_refuses_a_table_function_that_changes_the_database()
    {
        Cli.Result result = await Cli.RunAsync("sql", "--project", _project, "SELECT * FROM enable_logging('QueryLog')");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error MDL2104: Statement 1 calls the table function enable_logging(), which this session does not allow: it changes the database's state or reveals what the shell does not show.", result.Error.Trim());
    }

    [Fact]
    public async Task Sql_in_a_project_still_reads_a_local_csv_file()
    {
        string csv = Path.Combine(_project, "people.csv");
        await File.WriteAllTextAsync(csv, "name,age\nana,31\n");

        Cli.Result result = await Cli.RunAsync("sql", "--project", _project, "--format", "csv", $"SELECT name, age FROM read_csv('{csv}')");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("name,age\nana,31", result.Output.Trim().ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("SET profiling_output = '/tmp/medallion-profile.json'", "profiling_output")]
    [InlineData("SET GLOBAL enable_external_access = true", "enable_external_access")]
    public async Task Sql_in_a_project_refuses_a_setting_that_writes_files_or_widens_access(string sql, string setting)
    {
        Cli.Result result = await Cli.RunAsync("sql", "--project", _project, sql);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"Error MDL2103: Statement 1 changes the setting {setting}, which this session does not allow", result.Error, StringComparison.Ordinal);
    }
}
