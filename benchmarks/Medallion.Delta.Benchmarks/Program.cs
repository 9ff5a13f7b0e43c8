using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Medallion.Delta.Benchmarks;
using Medallion.DuckDb;

// Snapshot loading against the cost of listing the log (issue 3): tables of 1,000 and 10,000 commits with a
// checkpoint every 100. Usage: Medallion.Delta.Benchmarks [runs] [commit counts...]
int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
int[] sizes = args.Length > 1 ? args.Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1_000, 10_000];
const int CheckpointInterval = 100;
const double TargetMs = 50;

using var connection = new DuckDbConnection();
connection.Open();
Console.WriteLine($"Delta snapshot loading, local disk, checkpoint every {CheckpointInterval} commits, median of {runs} fresh loads");
SnapshotScenario.Result? largest = null;
foreach (int commits in sizes)
{
    string root = Directory.CreateTempSubdirectory("medallion-delta-bench-").FullName;
    try
    {
        DateTime start = DateTime.UtcNow;
        TableBuilder.Build(root, commits, CheckpointInterval, connection);
        Console.WriteLine($"  built {commits:N0} commits in {(DateTime.UtcNow - start).TotalSeconds:0.0} s");
        // An arbitrary old version: the middle of the history, 37 commits after the checkpoint before it.
        long oldVersion = (commits / 2 / CheckpointInterval * CheckpointInterval) + 37;
        SnapshotScenario.Result result = await new SnapshotScenario(root, commits, runs).RunAsync(connection, oldVersion);
        Console.WriteLine(result);
        largest = result;
    }
    finally
    {
        Directory.Delete(root, recursive: true);
    }
}

if (largest is not null)
{
    string verdict = largest.Latest.WallMs < TargetMs ? "met" : "MISSED";
    Console.WriteLine($"Target: latest snapshot of the {largest.Commits:N0}-commit table under {TargetMs} ms wall: {verdict} ({largest.Latest.WallMs:0.00} ms wall, {largest.Latest.CpuMs:0.00} ms CPU; load average {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(" ")[0] : "n/a")} on {Environment.ProcessorCount} cores)");
}
