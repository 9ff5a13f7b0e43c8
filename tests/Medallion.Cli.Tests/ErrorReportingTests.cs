namespace Medallion.Cli.Tests;

/// <summary>Errors reach the user with a code and the exit code of its row in the error table, never as an unexplained exception.</summary>
public sealed class ErrorReportingTests
{
    [Fact]
    public async Task A_retention_that_is_not_a_duration_is_a_command_line_error()
    {
        Cli.Result result = await Cli.RunAsync("delta", "vacuum", Path.Combine(Path.GetTempPath(), "medallion-no-table"), "--retain", "soon");

        Assert.Equal((2, "Error MDL1101: --retain 'soon' is not a duration. Help: write it like 168h or 7d.\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task A_property_without_an_equals_sign_is_a_command_line_error()
    {
        Cli.Result result = await Cli.RunAsync("delta", "create", Path.Combine(Path.GetTempPath(), "medallion-no-table"), "--schema", "id long", "--property", "delta.appendOnly");

        Assert.Equal((2, "Error MDL1101: --property 'delta.appendOnly' is not key=value. Help: write it like --property delta.appendOnly=true.\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task A_thread_count_below_one_is_a_command_line_error()
    {
        Cli.Result result = await Cli.RunAsync("run", "--threads", "0", "--project", Path.GetTempPath());

        Assert.Equal((2, "Error MDL1101: --threads must be at least 1, not 0. Help: leave it out to use one thread per processor.\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task A_vacuum_below_the_table_retention_names_the_force_flag()
    {
        using var directory = new TempDirectory();
        string table = Path.Combine(directory.Path, "orders");
        Assert.Equal(0, (await Cli.RunAsync("delta", "write", table, "--from", "SELECT 1 AS id")).ExitCode);

        Cli.Result result = await Cli.RunAsync("delta", "vacuum", table, "--retain", "0h");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL4009: ", result.Error, StringComparison.Ordinal);
        Assert.Matches("\nHelp: [^\n]+ --force vacuums with the shorter retention anyway\\.\n$", result.Error);
    }

    [Fact]
    public async Task A_folder_without_a_project_gets_the_init_command_and_the_project_flag()
    {
        using var directory = new TempDirectory();

        Cli.Result result = await Cli.RunAsync("tables", "--project", directory.Path);

        Assert.Equal(
            (1, $"Error MDL6002: No medallion.yml in '{directory.Path}'.\nHelp: create a project there, or point at the folder that holds one. "
                + "'medallion init <dir>' creates a project; --project <dir> points at another folder.\n"),
            (result.ExitCode, result.Error));
    }
}
