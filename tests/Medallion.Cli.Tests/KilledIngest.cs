using System.Data.Common;
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

    /// <summary>
    /// Writes one transaction after another to table <c>kt (id, v)</c> of the source (1 to 3 inserts, updates or deletes
    /// each, in the source's SQL for updating and deleting one random row) until stopped; returns how many committed.
    /// </summary>
    public static async Task<int> WriteChangesAsync(DbConnection connection, string updateOneRow, string deleteOneRow, CancellationToken stop)
    {
        await using (connection)
        {
            var random = new Random(6);
            int transactions = 0;
            await connection.OpenAsync(CancellationToken.None);
            while (!stop.IsCancellationRequested)
            {
                await using (DbTransaction transaction = await connection.BeginTransactionAsync(CancellationToken.None))
                {
                    for (int i = random.Next(1, 4); i > 0; i--)
                    {
                        await using DbCommand command = connection.CreateCommand();
                        command.Transaction = transaction;
                        command.CommandText = random.Next(10) switch
                        {
                            < 5 => $"INSERT INTO kt (v) VALUES ({random.Next(1000)})",
                            < 8 => updateOneRow,
                            _ => deleteOneRow,
                        };
                        await command.ExecuteNonQueryAsync(CancellationToken.None);
                    }

                    await transaction.CommitAsync(CancellationToken.None);
                }

                transactions++;
                await Task.Delay(random.Next(2, 15), CancellationToken.None);
            }

            return transactions;
        }
    }

    /// <summary>The first column of each row of <paramref name="sql"/> on the source, in order.</summary>
    public static async Task<List<string>> ReadLinesAsync(DbConnection connection, string sql)
    {
        await using (connection)
        {
            await connection.OpenAsync();
            await using DbCommand command = connection.CreateCommand();
            command.CommandText = sql;
            await using DbDataReader reader = await command.ExecuteReaderAsync();
            var lines = new List<string>();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }

            return lines;
        }
    }
}
