namespace Medallion.Cli.Tests;

/// <summary>Runs the CLI in-process and captures what it prints.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Task<Result> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>Runs with <paramref name="input"/> as standard input (null: none).</summary>
    public static Task<Result> RunWithInputAsync(string? input, params string[] args) => RunCoreAsync(input, null, args);

    /// <summary>Runs with <paramref name="environment"/> as the process's variables (for the options a command takes from them).</summary>
    public static Task<Result> RunWithEnvironmentAsync(Func<string, string?> environment, params string[] args) => RunCoreAsync(null, environment, args);

    private static async Task<Result> RunCoreAsync(string? input, Func<string, string?>? environment, string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        using var reader = input is null ? null : new StringReader(input);
        int exitCode = await MedallionCli.RunAsync(args, output, error, reader, environment: environment);
        return new Result(exitCode, output.ToString(), error.ToString());
    }
}
