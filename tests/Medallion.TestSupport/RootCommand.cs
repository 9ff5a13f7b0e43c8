using System.Diagnostics;

namespace Medallion.TestSupport;

/// <summary>
/// Runs a system program that needs root (mount, chattr), as the tests and CI run: a test that needs one fails saying so
/// without root, never passes without having run.
/// </summary>
public static class RootCommand
{
    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/> and waits for it.</summary>
    /// <exception cref="InvalidOperationException">The program failed, with its own words.</exception>
    public static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{program} {string.Join(' ', arguments)}' failed with exit code {process.ExitCode}: {error.Trim()}\nThis test needs root (as the tests and CI run); run it as root.");
        }
    }
}
