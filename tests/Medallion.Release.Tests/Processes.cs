using System.Diagnostics;

namespace Medallion.Release.Tests;

/// <summary>What a finished process printed, and how it ended.</summary>
public sealed record ProcessResult(int ExitCode, string Output, string Error)
{
    /// <summary>Everything it printed, for assertion messages.</summary>
    public string Printed => $"exit code {ExitCode}\n{Output}\n--- stderr ---\n{Error}";
}

/// <summary>Runs programs to their end: the build scripts, buildah, and the release's own binary.</summary>
internal static class Processes
{
    /// <summary>Runs <paramref name="fileName"/> and waits for its exit; <paramref name="environment"/> adds to (or, with a null value, removes from) the test's own.</summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new ProcessResult(process.ExitCode, await output, await error);
    }

    /// <summary>Like <see cref="RunAsync"/>, and fails the test with what it printed unless it exits 0.</summary>
    public static async Task<ProcessResult> RunCheckedAsync(
        string fileName, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        ProcessResult result = await RunAsync(fileName, arguments, workingDirectory, environment);
        Assert.True(result.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)}: {result.Printed}");
        return result;
    }
}
