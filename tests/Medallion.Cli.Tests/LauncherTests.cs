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

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        // The first build publishes the CLI ReadyToRun: about two minutes on an idle two-core machine, several on a busy one.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A build left running would load the machine under the rest of the suite.
            process.Kill(entireProcessTree: true);
            Assert.Fail($"./medallion did not end within 15 minutes; stderr so far: {await error}");
        }

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}; stderr: {await error}");
        Assert.Equal("[{\"answer\":42}]\n", await output);
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
