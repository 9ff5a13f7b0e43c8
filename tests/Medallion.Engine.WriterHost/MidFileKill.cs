using System.Diagnostics;

namespace Medallion.Engine.WriterHost;

/// <summary>
/// Kills this process (SIGKILL) the moment a new data file appears in a table's folder: the kill lands while DuckDB is
/// writing the file, a phase no hook in the product can reach since the write runs inside DuckDB. The test checks that
/// it did (the file left behind has no Parquet footer).
/// </summary>
public static class MidFileKill
{
    public static void Arm(string tableFolder)
    {
        var before = new HashSet<string>(Directory.EnumerateFiles(tableFolder, "*.parquet"), StringComparer.Ordinal);
        var watcher = new Thread(() =>
        {
            while (!Directory.EnumerateFiles(tableFolder, "*.parquet").Any(f => !before.Contains(f)))
            {
                Thread.SpinWait(1000);
            }

            using Process self = Process.GetCurrentProcess();
            self.Kill();
        })
        { IsBackground = true, Priority = ThreadPriority.Highest };
        watcher.Start();
    }
}
