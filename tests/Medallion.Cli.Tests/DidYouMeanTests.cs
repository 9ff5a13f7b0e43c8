namespace Medallion.Cli.Tests;

/// <summary>
/// A misspelt command, option or table is named back with what the user most likely meant, the same way for every
/// command that takes a table; the tables are those of a project made by <c>medallion init</c> (not built).
/// </summary>
public sealed class DidYouMeanTests : IAsyncLifetime
{
    private readonly TempDirectory _project = new("did-you-mean");

    public async Task InitializeAsync()
    {
        Cli.Result init = await Cli.RunAsync("init", _project.Path);
        Assert.True(init.ExitCode == 0, init.Output + init.Error);
    }

    public Task DisposeAsync()
    {
        _project.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("Unknown command 'runn'. Did you mean 'run'?\nHelp: medallion --help", "runn")]
    [InlineData("Unknown command 'delta vacum'. Did you mean 'delta vacuum'?\nHelp: medallion delta --help", "delta", "vacum", "warehouse/gold/daily_revenue")]
    [InlineData("Unknown command 'lin'. Did you mean 'lineage'?\nHelp: medallion --help", "lin", "gold.daily_revenue")]
    [InlineData("Unknown command 'xyzzy'.\nHelp: medallion --help", "xyzzy")]
    public async Task An_unknown_command_is_named_with_the_command_it_most_likely_meant_if_any(string expected, params string[] args)
    {
        Cli.Result result = await Cli.RunAsync(args);

        Assert.Equal((2, $"Error MDL1101: {expected}\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task An_unknown_option_is_named_with_the_option_of_its_command_it_is_a_typo_of()
    {
        Cli.Result result = await Cli.RunAsync("run", "--full-refres", "--project", _project.Path);

        Assert.Equal((2, "Error MDL1101: Unknown option '--full-refres'. Did you mean '--full-refresh'?\nHelp: medallion run --help\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task A_misspelt_option_before_an_argument_is_named_as_an_unknown_option_not_taken_for_the_argument()
    {
        Cli.Result result = await Cli.RunAsync("describe", "--formt", "json", "--project", _project.Path);

        Assert.Equal((2, "Error MDL1101: Unknown option '--formt'. Did you mean '--format'?\nHelp: medallion describe --help\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task A_misspelt_option_alone_where_the_argument_goes_is_named_as_an_unknown_option()
    {
        Cli.Result result = await Cli.RunAsync("describe", "--formt", "--project", _project.Path);

        Assert.Equal((2, "Error MDL1101: Unknown option '--formt'. Did you mean '--format'?\nHelp: medallion describe --help\n"), (result.ExitCode, result.Error));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("test")]
    public async Task A_selection_of_an_unknown_model_names_the_tables_closest_to_it_as_the_table_commands_do(string command)
    {
        Cli.Result result = await Cli.RunAsync(command, "--select", "gold.orders", "--project", _project.Path);

        Assert.StartsWith("Error MDL6008: Selection 'gold.orders': no model or source is named 'gold.orders'. Did you mean bronze.orders or silver.orders?\n", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Split('\n'), line => line.StartsWith("Help:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("lineage")]
    [InlineData("describe")]
    [InlineData("history")]
    [InlineData("monitor")]
    [InlineData("pii", "scan")]
    public async Task Every_command_that_takes_a_table_names_the_tables_closest_to_an_unknown_one(params string[] command)
    {
        Cli.Result result = await Cli.RunAsync([.. command, "gold.revenue", "--project", _project.Path]);

        Assert.Equal(
            (1, "Error MDL6903: The project has no table gold.revenue. Did you mean gold.daily_revenue?\nHelp: check the name against the project's tables. 'medallion tables' lists the project's tables.\n"),
            (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task A_misspelt_table_name_is_matched_as_a_typo()
    {
        Cli.Result result = await Cli.RunAsync("lineage", "silver.ordrs", "--project", _project.Path);

        Assert.StartsWith("Error MDL6903: The project has no table silver.ordrs. Did you mean silver.orders?\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_named_in_the_wrong_namespace_is_found_in_its_own()
    {
        Cli.Result result = await Cli.RunAsync("describe", "gold.orders", "--project", _project.Path);

        Assert.StartsWith("Error MDL6903: The project has no table gold.orders. Did you mean bronze.orders or silver.orders?\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lineage_takes_the_bare_name_of_a_table_as_the_other_table_commands_do()
    {
        Cli.Result result = await Cli.RunAsync("lineage", "daily_revenue", "--project", _project.Path);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("gold.daily_revenue\n  ", result.Output, StringComparison.Ordinal);
    }
}
