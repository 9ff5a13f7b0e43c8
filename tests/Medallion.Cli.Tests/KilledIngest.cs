using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Medallion.DuckDb;

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
    /// <returns>
    /// How many transactions the writer committed, and what the last (draining) ingest printed after a line for each
    /// kill: when it landed and the newest bronze version before and after it.
    /// </returns>
    public static async Task<(int Transactions, string Drained)> RunAsync(IngestProject project, string bronzeTable, Func<CancellationToken, Task<int>> writeChanges)
    {
        string log = Path.Combine(project.Directory, "warehouse", "bronze", bronzeTable, "_delta_log");
        string firstCommit = Path.Combine(log, "00000000000000000000.json");
        var kills = new StringBuilder();
        using var stopWriter = new CancellationTokenSource();
        Task<int> writer = Task.FromResult(0);
        int killed = 0;
        foreach (TimeSpan killAfter in s_killAfter)
        {
            using Process ingest = StartIngest(project.Directory);
            var running = Stopwatch.StartNew();
            long atStart = NewestVersion(log);
            if (killed == 0)
            {
                // Changes start once the snapshot of the (empty) table is committed, so every change is a change event.
                await WaitForAsync(() => File.Exists(firstCommit) || ingest.HasExited, TimeSpan.FromSeconds(60));
                Assert.False(ingest.HasExited, ingest.HasExited ? await ingest.StandardError.ReadToEndAsync() : null);
                writer = writeChanges(stopWriter.Token);
            }

            await Task.Delay(killAfter);
            Assert.False(ingest.HasExited, ingest.HasExited ? $"The ingest process ended by itself: {await ingest.StandardError.ReadToEndAsync()}" : null);
            long atKill = NewestVersion(log);
            ingest.Kill();
            await ingest.WaitForExitAsync();
            killed++;
            kills.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"kill {killed}: {running.ElapsedMilliseconds} ms after the start; newest bronze version {atStart} at the start, {atKill} when the kill was sent, {NewestVersion(log)} after the process died");
        }

        await stopWriter.CancelAsync();
        int transactions = await writer;
        Cli.Result drain = await Cli.RunAsync("ingest", "--project", project.Directory);
        Assert.True(drain.ExitCode == 0, drain.Error);
        Assert.Equal(s_killAfter.Length, killed);
        return (transactions, kills + drain.Output);
    }

    /// <summary>The newest version in a table's log folder (-1 before the first commit), read from the folder, not through the reader under test.</summary>
    private static long NewestVersion(string log) => Directory.Exists(log)
        ? Directory.EnumerateFiles(log, "*.json").Select(f => long.TryParse(Path.GetFileNameWithoutExtension(f), out long v) ? v : -1).DefaultIfEmpty(-1).Max()
        : -1;

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

        Process process = Process.Start(start.WithoutDiagnosticFiles())!;
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

    /// <summary>
    /// Says where bronze and the source's history part, for a failed comparison to explain itself: the first line that
    /// differs, and every change bronze holds more than once (same <paramref name="positionColumns"/>), each copy with
    /// the Delta version that added it and the source position committed with that version.
    /// </summary>
    /// <param name="project">The project whose bronze table is read.</param>
    /// <param name="bronzeTable">The bronze table's folder name under warehouse/bronze.</param>
    /// <param name="positionColumns">The bronze columns that identify a change, e.g. <c>_lsn, _seq</c>.</param>
    /// <param name="history">The source's history, one change a line.</param>
    /// <param name="bronze">Bronze's changes in the same form and order.</param>
    /// <param name="drained">The kills' timings and what the last ingest, which drains the source after the kills, printed.</param>
    public static async Task<string> DescribeDifferenceAsync(IngestProject project, string bronzeTable, string positionColumns, List<string> history, List<string> bronze, string drained)
    {
        var report = new StringBuilder($"history holds {history.Count} changes, bronze {bronze.Count}; the kills, and what the draining ingest printed:\n{drained.Trim()}");
        int first = 0;
        while (first < history.Count && first < bronze.Count && history[first] == bronze[first])
        {
            first++;
        }

        report.Append($"\nThey part at change {first}: history {string.Join(" | ", history.Skip(Math.Max(0, first - 2)).Take(5))}; bronze {string.Join(" | ", bronze.Skip(Math.Max(0, first - 2)).Take(5))}.");

        // Which commit added each data file, and the position that commit stored: read from the Delta log itself, so
        // the report does not depend on the reader under test.
        string table = Path.Combine(project.Directory, "warehouse", "bronze", bronzeTable);
        var files = new List<(string Path, long Version, string Position)>();
        foreach (string commit in Directory.GetFiles(Path.Combine(table, "_delta_log"), "*.json"))
        {
            long version = long.Parse(Path.GetFileNameWithoutExtension(commit), System.Globalization.CultureInfo.InvariantCulture);
            var added = new List<string>();
            string position = "";
            foreach (string line in await File.ReadAllLinesAsync(commit))
            {
                using JsonDocument action = JsonDocument.Parse(line);
                if (action.RootElement.TryGetProperty("add", out JsonElement add))
                {
                    added.Add(Path.Combine(table, Uri.UnescapeDataString(add.GetProperty("path").GetString()!)));
                }
                else if (action.RootElement.TryGetProperty("domainMetadata", out JsonElement domain))
                {
                    position = domain.GetProperty("configuration").GetString()!;
                }
            }

            files.AddRange(added.Select(path => (path, version, position)));
        }

        if (files.Count == 0)
        {
            return report.ToString();
        }

        static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
        string versions = string.Join(", ", files.Select(f => $"({Literal(f.Path)}, {f.Version}, {Literal(f.Position)})"));
        List<string> doubled = await ChangeWorkload.ReadLinesAsync(new DuckDbConnection(), $"""
            WITH versions(filename, version, position) AS (VALUES {versions})
            SELECT CAST(struct_pack({positionColumns}, _op, _commit_ts, id, v) AS VARCHAR) || ' in version ' || version || ', committed with ' || position
            FROM read_parquet([{string.Join(", ", files.Select(f => Literal(f.Path)))}], filename = true, union_by_name = true) JOIN versions USING (filename)
            WHERE _op <> 'snapshot'
            QUALIFY count(*) OVER (PARTITION BY {positionColumns}) > 1
            ORDER BY {positionColumns}, version
            """);
        report.Append(doubled.Count == 0 ? "\nNo change is in bronze twice." : "\nChanges in bronze more than once:\n" + string.Join("\n", doubled));
        return report.ToString();
    }
}
