using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Npgsql;

namespace Medallion.Ingestion.Benchmarks;

/// <summary>
/// CDC under a steady write load: generator workers on connections of their own commit transactions of 10 changes
/// (6 inserts, 3 updates, 1 delete, each touching exactly one row) at a fixed rate while the continuous ingestion
/// runs in a child; a watcher notes when each bronze version's log file appears. Latency of a change = that time
/// for the version holding it minus its source commit time (<c>_commit_ts</c>, same machine clock).
/// </summary>
internal static class CdcLoad
{
    /// <summary>How many writers generate the load, each on ids of its own (<c>(worker + 1) * 10^9 + n</c>).</summary>
    public const int Workers = 4;

    /// <summary>Rows per writer in the table before the load starts.</summary>
    public const int Seed = 1000;
    private const int Inserts = 6, Updates = 3, Deletes = 1;
    private const int ChangesPerTransaction = Inserts + Updates + Deletes;

    public static async Task RunAsync(string root, string postgres, int seconds, int rate)
    {
        await Data.ResetCdcTableAsync(postgres, Workers, Seed);
        Console.WriteLine($"CDC: {Workers} writers, transactions of {ChangesPerTransaction} changes ({Inserts} inserts, {Updates} updates, {Deletes} delete), {rate:N0} changes/s for {seconds} s; ingest --continuous --interval 1 in a child");
        using Process child = Child.Start("cdc", root, postgres, input: true);
        string table = (await child.StandardOutput.ReadLineAsync())!["table ".Length..];
        using var watcher = new LogWatcher(Path.Combine(table, "_delta_log"));
        if (!watcher.WaitFor(0, TimeSpan.FromSeconds(120)))
        {
            throw new InvalidOperationException("the CDC child committed no snapshot within 120 s");
        }

        double loadBefore = double.Parse(Child.LoadAverage(), CultureInfo.InvariantCulture);
        DateTime began = DateTime.UtcNow;
        long[] changes = await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => GenerateAsync(postgres, w, rate / (double)Workers, seconds)));
        DateTime ended = DateTime.UtcNow;
        long total = changes.Sum();

        // Caught up when no version appeared for 3 s (the stream commits at most a second after a change).
        watcher.WaitQuiet(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(120));
        await child.StandardInput.DisposeAsync();
        (string[] lines, double peakMb) = Child.Finish(child, "cdc");
        IReadOnlyDictionary<long, DateTime> seen = watcher.Seen;

        var worst = new List<(long Version, long Rows, double Max)>();
        List<double> latencies = Latencies(table, seen, worst);
        latencies.Sort();
        DateTime lastVisible = seen.Values.Max();
        double generated = total / (ended - began).TotalSeconds;
        double sustained = latencies.Count / (lastVisible - began).TotalSeconds;
        double p50 = Percentile(latencies, 0.50), p99 = Percentile(latencies, 0.99), max = latencies.Count > 0 ? latencies[^1] : double.NaN;
        bool complete = latencies.Count == total;
        bool keepsUp = complete && generated >= rate * 0.95 && (lastVisible - ended).TotalSeconds <= 2.5;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  source: {total:N0} changes committed in {(ended - began).TotalSeconds:0.0} s = {generated:N0} changes/s (asked {rate:N0})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  bronze: {latencies.Count:N0} changes in {seen.Count - 1} commits after the snapshot ({(complete ? "all" : "MISSING " + (total - latencies.Count).ToString("N0", CultureInfo.InvariantCulture))}), sustained {sustained:N0} changes/s, last visible {(lastVisible - ended).TotalSeconds:0.00} s after the last source commit; child: {string.Join(" ", lines)}, peak {peakMb:N0} MB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  slowest commits (where the tail comes from): {string.Join(", ", worst.OrderByDescending(w => w.Max).Take(5).Select(w => string.Create(CultureInfo.InvariantCulture, $"version {w.Version} at {seen[w.Version]:HH:mm:ss.fff} ({w.Rows:N0} changes, oldest {w.Max:0.000} s, {(seen[w.Version] - seen.GetValueOrDefault(w.Version - 1, seen[w.Version])).TotalSeconds:0.000} s after the one before)")))}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CDC: commit-to-visible latency p50 {p50:0.000} s, p99 {p99:0.000} s, max {max:0.000} s; keeps up: {(keepsUp ? "yes" : "NO")} (target, issue 45: keeps up, p99 <= 0.5 s: {(keepsUp && p99 <= 0.5 ? "met" : "MISSED")}); load average {loadBefore:0.00} before, {Child.LoadAverage()} after"));
    }

    /// <summary>
    /// One writer: transactions at a fixed pace (catching up without sleeping when late); returns the rows changed.
    /// <paramref name="committed"/> hears of each commit: the writer, the highest id it has inserted, and when the commit returned.
    /// </summary>
    public static async Task<long> GenerateAsync(string postgres, int worker, double changesPerSecond, int seconds, Action<int, long, DateTime>? committed = null)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        var random = new Random(worker);
        long low = ((worker + 1) * 1_000_000_000L), high = low + Seed, changed = 0;
        double interval = ChangesPerTransaction / changesPerSecond;
        long transactions = (long)(seconds / interval);
        var clock = Stopwatch.StartNew();
        for (long t = 0; t < transactions; t++)
        {
            double wait = (t * interval) - clock.Elapsed.TotalSeconds;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait));
            }

            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync();
            await using var batch = new NpgsqlBatch(connection, transaction);
            for (int i = 0; i < Inserts; i++)
            {
                long id = high++;
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"INSERT INTO bench_cdc (id, qty, amount, note) VALUES ({id}, {i}, {id % 100000}.25, 'new {id}')"));
            }

            for (int i = 0; i < Updates; i++)
            {
                long id = low + 1 + random.NextInt64(high - low - 1);
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"UPDATE bench_cdc SET qty = qty + 1, note = 'updated', updated_at = now() WHERE id = {id}"));
            }

            for (int i = 0; i < Deletes; i++)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"DELETE FROM bench_cdc WHERE id = {low++}"));
            }

            changed += await batch.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
            committed?.Invoke(worker, high - 1, DateTime.UtcNow);
        }

        return changed;
    }

    /// <summary>Seconds from source commit to visibility, one per change (snapshot rows excluded).</summary>
    private static List<double> Latencies(string table, IReadOnlyDictionary<long, DateTime> seen, List<(long Version, long Rows, double Max)> worst)
    {
        var latencies = new List<double>();
        using var connection = new DuckDbConnection();
        connection.Open();
        foreach ((long version, DateTime visible) in seen.OrderBy(v => v.Key))
        {
            string[] files = File.ReadAllLines(Path.Combine(table, "_delta_log", $"{version:D20}.json"))
                .Select(line => JsonDocument.Parse(line).RootElement)
                .Where(action => action.TryGetProperty("add", out _))
                .Select(action => Path.Combine(table, Uri.UnescapeDataString(action.GetProperty("add").GetProperty("path").GetString()!)))
                .ToArray();
            if (files.Length == 0)
            {
                continue;
            }

            using DuckDbCommand command = connection.CreateCommand();
            command.CommandText = $"SELECT epoch_us(_commit_ts) FROM read_parquet([{string.Join(", ", files.Select(f => "'" + f.Replace("'", "''", StringComparison.Ordinal) + "'"))}]) WHERE _op <> 'snapshot'";
            using DuckDbDataReader reader = command.ExecuteReader();
            long visibleUs = (visible - DateTime.UnixEpoch).Ticks / 10;
            int before = latencies.Count;
            while (reader.Read())
            {
                latencies.Add((visibleUs - reader.GetInt64(0)) / 1e6);
            }

            if (latencies.Count > before)
            {
                worst.Add((version, latencies.Count - before, latencies.Skip(before).Max()));
            }
        }

        return latencies;
    }

    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>Polls the table's log for the next version file and notes when each appeared.</summary>
    private sealed class LogWatcher : IDisposable
    {
        private readonly string _log;
        private readonly ConcurrentDictionary<long, DateTime> _seen = new();
        private readonly Thread _thread;
        private volatile bool _stopped;
        private long _next;

        public LogWatcher(string log)
        {
            _log = log;
            _thread = new Thread(Poll) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
            _thread.Start();
        }

        public IReadOnlyDictionary<long, DateTime> Seen => _seen;

        public bool WaitFor(long version, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (!_seen.ContainsKey(version))
            {
                if (clock.Elapsed > timeout)
                {
                    return false;
                }

                Thread.Sleep(20);
            }

            return true;
        }

        public void WaitQuiet(TimeSpan quiet, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < timeout && DateTime.UtcNow - _seen.Values.Max() < quiet)
            {
                Thread.Sleep(50);
            }
        }

        private void Poll()
        {
            while (!_stopped)
            {
                if (File.Exists(Path.Combine(_log, $"{_next:D20}.json")))
                {
                    _seen[_next] = DateTime.UtcNow;
                    _next++;
                    continue;
                }

                Thread.Sleep(5);
            }
        }

        public void Dispose()
        {
            _stopped = true;
            _thread.Join();
        }
    }
}
