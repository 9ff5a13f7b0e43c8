using System.Diagnostics;

namespace Medallion.Cli.Tests;

/// <summary>The real <c>./medallion</c> launcher at the repository root, run as a process.</summary>
public sealed class LauncherTests
{
    [Fact]
    public async Task Launcher_builds_if_needed_runs_sql_and_passes_the_exit_code_through()
    {
        string root = RepositoryRoot();
        var start = new ProcessStartInfo(Path.Combine(root, "medallion"))
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { "sql", "select 42 as answer", "--format", "json" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start.WithoutDiagnosticFiles())!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        // The first build publishes the CLI ReadyToRun: about two minutes on an idle two-core machine, many more on a busy
        // one. No fixed limit fits every machine, so the launcher may take as long as its build makes progress (writes
        // files), and fails only after StalledAfter without any.
        Task exited = process.WaitForExitAsync();
        string artifacts = Path.Combine(root, "artifacts");
        DateTime lastProgress = DateTime.UtcNow;
        while (!exited.IsCompleted)
        {
            await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(5)));
            DateTime newest = NewestWrite(artifacts);
            if (newest > lastProgress)
            {
                lastProgress = newest;
            }
            else if (!exited.IsCompleted && DateTime.UtcNow - lastProgress > StalledAfter)
            {
                // A build left running would load the machine under the rest of the suite.
                process.Kill(entireProcessTree: true);
                Assert.Fail($"./medallion wrote nothing under {artifacts} for {StalledAfter.TotalMinutes:0} minutes; stderr so far: {await error}");
            }
        }

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}; stderr: {await error}");
        Assert.Equal("[{\"answer\":42}]\n", await output);
    }

    private static readonly TimeSpan StalledAfter = TimeSpan.FromMinutes(5);

    /// <summary>When anything under <paramref name="folder"/> (the build's outputs and intermediates) was last written.</summary>
    private static DateTime NewestWrite(string folder)
    {
        DateTime newest = DateTime.MinValue;
        foreach (FileSystemInfo entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
        {
            if (entry.LastWriteTimeUtc > newest)
            {
                newest = entry.LastWriteTimeUtc;
            }
        }

        return newest;
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "medallion")) && File.Exists(Path.Combine(directory.FullName, "Medallion.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No directory above {AppContext.BaseDirectory} holds both 'medallion' and 'Medallion.slnx'.");
    }
}
