namespace Medallion.Cli.Tests;

/// <summary>Runs the CLI in-process and captures what it prints.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Task<Result> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>Runs with <paramref name="input"/> as standard input (null: none).</summary>
    public static async Task<Result> RunWithInputAsync(string? input, params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        using var reader = input is null ? null : new StringReader(input);
        int exitCode = await MedallionCli.RunAsync(args, output, error, reader);
        return new Result(exitCode, output.ToString(), error.ToString());
    }
}
