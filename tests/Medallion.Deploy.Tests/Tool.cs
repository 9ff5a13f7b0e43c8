using System.Diagnostics;

namespace Medallion.Deploy.Tests;

/// <summary>Runs a program the tests check the deployment files with (kubectl, systemd-analyze).</summary>
internal static class Tool
{
    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>Runs <paramref name="program"/> and waits for it.</summary>
    /// <exception cref="InvalidOperationException">The program is not installed, saying which setup script installs it.</exception>
    public static async Task<Result> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException($"{program} is not installed ({exception.Message}); build/test-setup/kubectl.sh installs it, as ./test.sh runs it.", exception);
        }

        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            return new Result(process.ExitCode, await output, await error);
        }
    }
}
