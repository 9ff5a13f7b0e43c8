using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine.Delta;
using Medallion.Storage;

namespace Medallion.Delta.Benchmarks;

/// <summary>
/// Times, on one table and in the same run: listing <c>_delta_log</c> (the baseline every load pays), loading the
/// latest snapshot, and loading an old version some commits after a checkpoint. Each figure is the median of
/// <c>runs</c> fresh loads (new <see cref="DeltaTable"/>, so nothing is cached between runs) after warm-up.
/// </summary>
internal sealed class SnapshotScenario(string root, int commits, int runs)
{
    public async Task<Result> RunAsync(DuckDbConnection connection, long oldVersion)
    {
        var store = new LocalObjectStore(root);
        var parquet = new DuckDbParquetHandler(connection);
        int listed = 0;
        double list = await MeasureAsync(async () =>
        {
            listed = 0;
            await foreach (ObjectInfo _ in store.ListAsync("_delta_log/"))
            {
                listed++;
            }
        });

        Snapshot? latest = null;
        double latestMs = await MeasureAsync(async () => latest = await new DeltaTable(store, parquet).GetSnapshotAsync());
        Snapshot? old = null;
        double oldMs = await MeasureAsync(async () => old = await new DeltaTable(store, parquet).GetSnapshotAsync(oldVersion));
        if (latest!.Version != commits - 1 || old!.Version != oldVersion)
        {
            throw new InvalidOperationException($"loaded versions {latest.Version} and {old!.Version}, expected {commits - 1} and {oldVersion}");
        }

        return new Result(commits, listed, latest.Files.Count, list, latestMs, oldVersion, old.Files.Count, oldMs);
    }

    private async Task<double> MeasureAsync(Func<Task> action)
    {
        for (int i = 0; i < 3; i++)
        {
            await action();
        }

        var times = new List<double>(runs);
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await action();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    internal sealed record Result(int Commits, int LogFiles, int LiveFiles, double ListMs, double LatestMs, long OldVersion, int OldLiveFiles, double OldMs)
    {
        public override string ToString()
        {
            CultureInfo inv = CultureInfo.InvariantCulture;
            return string.Create(inv,
                $"{Commits,7:N0} commits ({LogFiles:N0} log files, {LiveFiles:N0} live files): list _delta_log {ListMs,7:0.00} ms | latest snapshot {LatestMs,7:0.00} ms ({LatestMs / ListMs:0.0}x list) | version {OldVersion} ({OldLiveFiles:N0} files, {OldVersion % 100} commits after its checkpoint) {OldMs,7:0.00} ms ({OldMs / ListMs:0.0}x list)");
        }
    }
}
