using System.Diagnostics;

namespace Medallion.Cli.Tests;

/// <summary>
/// Runs <c>medallion ingest --continuous</c> in a process of its own and SIGKILLs it at several points while a writer
/// changes the source table, then drains what is left with one more ingest: what bronze holds afterwards is what
/// the kills left, for the caller to compare with the source's own history.
/// </summary>
internal static class KilledIngest
{
    private static readonly TimeSpan[] s_killAfter = [TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(1.6), TimeSpan.FromSeconds(2.4), TimeSpan.FromSeconds(3.5)];

    /// <param name="project">The project whose one source is the table read by CDC.</param>
    /// <param name="bronzeTable">Its bronze table's folder name under warehouse/bronze.</param>
    /// <param name="writeChanges">Writes transactions until cancelled; returns how many committed.</param>
    /// <returns>How many transactions the writer committed.</returns>
    public static async Task<int> RunAsync(IngestProject project, string bronzeTable, Func<CancellationToken, Task<int>> writeChanges)
    {
        string firstCommit = Path.Combine(project.Directory, "warehouse", "bronze", bronzeTable, "_delta_log", "00000000000000000000.json");
        using var stopWriter = new CancellationTokenSource();
        Task<int> writer = Task.FromResult(0);
        int killed = 0;
        foreach (TimeSpan killAfter in s_killAfter)
        {
            using Process ingest = StartIngest(project.Directory);
            if (killed == 0)
            {
                // Changes start once the snapshot of the (empty) table is committed, so every change is a change event.
                await WaitForAsync(() => File.Exists(firstCommit) || ingest.HasExited, TimeSpan.FromSeconds(60));
                Assert.False(ingest.HasExited, ingest.HasExited ? await ingest.StandardError.ReadToEndAsync() : null);
                writer = writeChanges(stopWriter.Token);
            }

            await Task.Delay(killAfter);
            Assert.False(ingest.HasExited, ingest.HasExited ? $"The ingest process ended by itself: {await ingest.StandardError.ReadToEndAsync()}" : null);
            ingest.Kill();
            await ingest.WaitForExitAsync();
            killed++;
        }

        await stopWriter.CancelAsync();
        int transactions = await writer;
        Cli.Result drain = await Cli.RunAsync("ingest", "--project", project.Directory);
        Assert.True(drain.ExitCode == 0, drain.Error);
        Assert.Equal(s_killAfter.Length, killed);
        return transactions;
    }

    private static Process StartIngest(string projectDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "medallion.dll"), "ingest", "--continuous", "--interval", "0.2", "--project", projectDirectory })
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start)!;
        // Drain the pipes so a chatty process never blocks on a full one.
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, $"Gave up waiting after {timeout}.");
            await Task.Delay(50);
        }
    }
}
