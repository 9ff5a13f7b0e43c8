namespace Medallion.Cli.Tests;

/// <summary><c>--interval</c> of <c>run</c> and <c>ingest</c>: one rule, checked when the command line is read.</summary>
public sealed class ContinuousIntervalTests
{
    [Theory]
    [InlineData("run", "0")]
    [InlineData("ingest", "0")]
    [InlineData("run", "7200")]
    [InlineData("ingest", "-1")]
    public async Task An_interval_out_of_range_is_a_usage_error_before_the_project_is_read(string command, string seconds)
    {
        Cli.Result result = await Cli.RunAsync(command, "--continuous", "--interval", seconds, "--project", Path.Combine(Path.GetTempPath(), "medallion-no-such-project"));

        Assert.Equal(
            (2, $"Error MDL1101: --interval must be more than 0 and at most 3600 seconds, not {seconds}. Help: 1 streams CDC sources in one-second micro-batches.\nHelp: medallion {command} --help\n"),
            (result.ExitCode, result.Error));
    }
}
