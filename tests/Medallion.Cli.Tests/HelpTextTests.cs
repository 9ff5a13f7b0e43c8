namespace Medallion.Cli.Tests;

/// <summary><c>--help</c> shows what may be left out in brackets and enum choices as they are typed.</summary>
public sealed class HelpTextTests
{
    [Fact]
    public async Task The_command_list_shows_an_argument_that_may_be_left_out_in_brackets()
    {
        Cli.Result result = await Cli.RunAsync("--help");

        Assert.Matches(@"(?m)^  init \[<dir>\] +Create a project: medallion\.yml, sources/, models/ and sample data\.$", result.Output);
    }

    [Fact]
    public async Task The_command_list_keeps_a_required_argument_without_brackets()
    {
        Cli.Result result = await Cli.RunAsync("--help");

        Assert.Matches(@"(?m)^  lineage <table> +Show where", result.Output);
    }

    [Fact]
    public async Task A_commands_arguments_show_one_that_may_be_left_out_in_brackets()
    {
        Cli.Result result = await Cli.RunAsync("init", "--help");

        Assert.Contains("\nArguments:\n  [<dir>]  Where to create the project", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enum_choices_and_their_default_are_shown_in_lower_case()
    {
        Cli.Result result = await Cli.RunAsync("lineage", "--help");

        Assert.Matches(@"(?m)^  -f, --format <text\|mermaid\|dot\|json> +Output format: text, mermaid, dot or json\. \[default: text\]$", result.Output);
    }

    [Fact]
    public async Task An_enum_arguments_choices_are_shown_in_lower_case()
    {
        Cli.Result result = await Cli.RunAsync("user", "role", "--help");

        Assert.Matches(@"(?m)^  <viewer\|operator> +viewer \(reads jobs", result.Output);
    }

    [Fact]
    public async Task Help_of_a_command_whose_argument_is_missing_is_shown_without_an_error()
    {
        Cli.Result result = await Cli.RunAsync("lineage", "--help");

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Error));
        Assert.StartsWith("Description:\n", result.Output, StringComparison.Ordinal);
    }
}
