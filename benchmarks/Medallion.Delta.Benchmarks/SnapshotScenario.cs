using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Delta.Log;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine.Parquet;
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
        Timing list = await MeasureWithCpuAsync(async () =>
        {
            listed = 0;
            await foreach (ObjectInfo _ in store.ListAsync("_delta_log/"))
            {
                listed++;
            }
        });

        Snapshot? latest = null;
        Timing latestMs = await MeasureWithCpuAsync(async () => latest = await new DeltaTable(store, parquet).GetSnapshotAsync());
        Snapshot? old = null;
        Timing oldMs = await MeasureWithCpuAsync(async () => old = await new DeltaTable(store, parquet).GetSnapshotAsync(oldVersion));
        if (latest!.Version != commits - 1 || old!.Version != oldVersion)
        {
            throw new InvalidOperationException($"loaded versions {latest.Version} and {old!.Version}, expected {commits - 1} and {oldVersion}");
        }

        // Where the latest load spends its time: building the log segment (hint + listing), reading the checkpoint, reading the tail commits.
        LogSegment segment = await LogSegmentBuilder.BuildAsync(store, null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, default);
        double segmentMs = await MeasureAsync(async () => segment = await LogSegmentBuilder.BuildAsync(store, null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, default));
        double checkpointMs = await MeasureAsync(async () =>
        {
            await foreach (List<Actions.DeltaAction> _ in CheckpointReader.ReadAsync(store, parquet, segment.CheckpointParts, CheckpointPass.State, default))
            {
            }
        });
        double duckDbMs = await MeasureAsync(async () =>
        {
            foreach (LogFile part in segment.CheckpointParts)
            {
                await foreach (string _ in parquet.ReadRowsAsJsonAsync(store, part.Key, [.. Actions.ActionParser.CheckpointColumns.Where(c => c != "remove")], default))
                {
                }
            }
        });
        double tailMs = await MeasureAsync(async () =>
        {
            foreach (LogFile commit in segment.Commits)
            {
                await CommitReader.ReadAsync(store, commit.Key, default);
            }
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    latest load breakdown: log segment {segmentMs:0.00} ms, checkpoint ({segment.CheckpointVersion}) {checkpointMs:0.00} ms (of which DuckDB rows as JSON {duckDbMs:0.00} ms), {segment.Commits.Count} tail commits {tailMs:0.00} ms"));
        return new Result(commits, listed, latest.Files.Count, list, latestMs, oldVersion, old.Files.Count, oldMs);
    }

    private async Task<double> MeasureAsync(Func<Task> action) => (await MeasureWithCpuAsync(action)).WallMs;

    /// <summary>
    /// Median wall time and median process CPU time of <c>runs</c> runs after warm-up. CPU time (all threads, DuckDB's
    /// included) does not grow when other processes load the machine, so it is the fairer figure on a shared host.
    /// </summary>
    private async Task<Timing> MeasureWithCpuAsync(Func<Task> action)
    {
        for (int i = 0; i < 3; i++)
        {
            await action();
        }

        using var process = Process.GetCurrentProcess();
        var wall = new List<double>(runs);
        var cpu = new List<double>(runs);
        for (int i = 0; i < runs; i++)
        {
            process.Refresh();
            TimeSpan cpuStart = process.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            await action();
            wall.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpuStart).TotalMilliseconds);
        }

        wall.Sort();
        cpu.Sort();
        return new Timing(wall[wall.Count / 2], cpu[cpu.Count / 2]);
    }

    internal readonly record struct Timing(double WallMs, double CpuMs);

    internal sealed record Result(int Commits, int LogFiles, int LiveFiles, Timing List, Timing Latest, long OldVersion, int OldLiveFiles, Timing Old)
    {
        public override string ToString()
        {
            CultureInfo inv = CultureInfo.InvariantCulture;
            return string.Create(inv,
                $"{Commits,7:N0} commits ({LogFiles:N0} log files, {LiveFiles:N0} live files):\n" +
                $"    list _delta_log                     {List.WallMs,8:0.00} ms wall {List.CpuMs,8:0.00} ms CPU\n" +
                $"    latest snapshot (v{Commits - 1})             {Latest.WallMs,8:0.00} ms wall {Latest.CpuMs,8:0.00} ms CPU  ({Latest.WallMs / List.WallMs:0.0}x list wall)\n" +
                $"    version {OldVersion} ({OldVersion % 100} after checkpoint) {Old.WallMs,8:0.00} ms wall {Old.CpuMs,8:0.00} ms CPU  ({Old.WallMs / List.WallMs:0.0}x list wall, {OldLiveFiles:N0} files)");
        }
    }
}
