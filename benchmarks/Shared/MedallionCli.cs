using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

namespace Medallion.Benchmarks;

/// <summary>
/// The <c>medallion</c> launcher of this repository, as users run it: it builds the CLI (Release, ReadyToRun) when a
/// source changed, then runs it. Benchmarks measure the product through it.
/// </summary>
internal static class MedallionCli
{
    /// <summary>The launcher's path: the first directory above this program that holds both it and the solution.</summary>
    public static string Launcher()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string launcher = Path.Combine(directory.FullName, "medallion");
            if (File.Exists(launcher) && File.Exists(Path.Combine(directory.FullName, "Medallion.slnx")))
            {
                return launcher;
            }
        }

        throw new InvalidOperationException($"No directory above {AppContext.BaseDirectory} holds both 'medallion' and 'Medallion.slnx'.");
    }

    /// <summary>Builds the CLI if a source changed (<c>medallion --version</c>), so that no timed run pays for it; returns the version line.</summary>
    public static string Build()
    {
        (string output, _) = Run("--version");
        return output.Trim();
    }

    /// <summary>Starts <c>medallion &lt;arguments&gt;</c> (a long-running command such as <c>serve</c>) with its output redirected; the caller stops it.</summary>
    public static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo(Launcher()) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    /// <summary>Runs <c>medallion &lt;arguments&gt;</c> to its end; returns its standard output and its wall time.</summary>
    /// <exception cref="InvalidOperationException">It exited with an error (the message holds what it printed).</exception>
    public static (string Output, double Seconds) Run(params string[] arguments) => RunProcess(Launcher(), arguments);

    /// <summary>
    /// Runs the CLI the launcher built (<see cref="Build"/> first) without the launcher, as an installed <c>medallion</c>
    /// starts: no look for changed sources before it. For timing a short command's cold start.
    /// </summary>
    /// <exception cref="InvalidOperationException">It exited with an error (the message holds what it printed).</exception>
    public static (string Output, double Seconds) RunBuilt(params string[] arguments) =>
        RunProcess("dotnet", [Path.Combine(Path.GetDirectoryName(Launcher())!, "artifacts", "cli", "medallion.dll"), .. arguments]);

    /// <summary>Runs <paramref name="program"/> to its end; returns its standard output and its wall time, start to exit.</summary>
    /// <exception cref="InvalidOperationException">It exited with an error (the message holds what it printed).</exception>
    public static (string Output, double Seconds) RunProcess(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        long began = Stopwatch.GetTimestamp();
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        double seconds = Stopwatch.GetElapsedTime(began).TotalSeconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{output}{error.Result}");
        }

        return (output, seconds);
    }
}
