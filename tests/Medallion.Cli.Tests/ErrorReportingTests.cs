namespace Medallion.Cli.Tests;

/// <summary>Input errors reach the user with a code and exit 1, never as an unexplained exception.</summary>
public sealed class ErrorReportingTests
{
    [Fact]
    public async Task A_retention_that_is_not_a_duration_is_a_command_line_error()
    {
        Cli.Result result = await Cli.RunAsync("delta", "vacuum", Path.Combine(Path.GetTempPath(), "medallion-no-table"), "--retain", "soon");

        Assert.Equal((1, "Error MDL1101: --retain 'soon' is not a duration. Help: write it like 168h or 7d.\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task A_property_without_an_equals_sign_is_a_command_line_error()
    {
        Cli.Result result = await Cli.RunAsync("delta", "create", Path.Combine(Path.GetTempPath(), "medallion-no-table"), "--schema", "id long", "--property", "delta.appendOnly");

        Assert.Equal((1, "Error MDL1101: --property 'delta.appendOnly' is not key=value. Help: write it like --property delta.appendOnly=true.\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task A_table_name_without_a_namespace_is_refused_with_its_code()
    {
        Cli.Result result = await Cli.RunAsync("lineage", "orders", "--project", Path.GetTempPath());

        Assert.Equal((1, "Error MDL6013: 'orders' is not a table name. Help: write it as namespace.name, e.g. silver.orders.\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task A_thread_count_below_one_is_a_command_line_error()
    {
        Cli.Result result = await Cli.RunAsync("run", "--threads", "0", "--project", Path.GetTempPath());

        Assert.Equal((1, "Error MDL1101: --threads must be at least 1, not 0. Help: leave it out to use one thread per processor.\n"), (result.ExitCode, result.Error));
    }
}
