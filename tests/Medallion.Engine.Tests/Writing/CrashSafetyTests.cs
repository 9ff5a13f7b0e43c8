using System.Diagnostics;
using Medallion.Delta.Snapshots;
using Medallion.Engine.WriterHost;
using Xunit.Abstractions;

namespace Medallion.Engine.Tests.Writing;

/// <summary>
/// SIGKILLs a writer process at random points of appends, overwrites, merges, optimizes and checkpoints (seeded, so a
/// failure replays), and checks after each kill that the table reads at a consistent version: at most the killed
/// operation's commit is new, every committed version has exactly its rows, and a retry succeeds (an idempotent
/// append or overwrite adds its rows once). VACUUM then removes what the killed writers left.
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 50;
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task A_writer_killed_at_50_random_points_never_leaves_a_partial_or_inconsistent_table()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, CrashWorkload.Table);
        var table = new ModelTable(_f, path);
        var random = new Random(20261122);

        // One full run of each operation in its own process gives the time a kill should fall within.
        var durationMs = new Dictionary<string, double>();
        int step = 0;
        foreach (string operation in CrashWorkload.Operations)
        {
            step++;
            using WriterProcess p = WriterProcess.Start(operation, path, step);
            await p.Ready.WaitAsync(TimeSpan.FromMinutes(2));
            var clock = Stopwatch.StartNew();
            await p.WaitForSuccessAsync(TimeSpan.FromMinutes(2));
            durationMs[operation] = Math.Max(20, clock.Elapsed.TotalMilliseconds);
            await table.ObserveAsync(operation, step);
        }

        int midOperation = 0;
        var killedDuring = new Dictionary<string, int>();
        for (int kill = 0; kill < Kills; kill++)
        {
            step++;
            string operation = CrashWorkload.Operations[random.Next(CrashWorkload.Operations.Length)];
            double fraction = random.NextDouble();
            double aimedMs = fraction * durationMs[operation];
            using (WriterProcess p = WriterProcess.Start(operation, path, step))
            {
                await p.Ready.WaitAsync(TimeSpan.FromMinutes(2));
                await Task.Delay(TimeSpan.FromMilliseconds(aimedMs));
                if (await p.KillAsync())
                {
                    midOperation++;
                    killedDuring[operation] = killedDuring.GetValueOrDefault(operation) + 1;
                }
                else
                {
                    // The operation finished first: the machine got faster than when it was timed, so aim earlier.
                    durationMs[operation] = Math.Max(20, durationMs[operation] / 2);
                }
            }

            string where = $"kill {kill + 1} ({operation} of step {step} after {aimedMs:F0} ms)";
            await table.ObserveAsync(operation, step, where);

            await CrashWorkload.RunAsync(_f.Writer, operation, path, step);
            await table.ObserveAsync(operation, step, where + ", then its retry");
        }

        await table.CheckEveryVersionAsync();
        output.WriteLine($"{midOperation} of {Kills} kills landed while the operation ran ({string.Join(", ", killedDuring.Select(k => $"{k.Key} {k.Value}"))}); {table.Version} versions; durations {string.Join(", ", durationMs.Select(d => $"{d.Key} {d.Value:F0} ms"))}");
        Assert.True(midOperation >= Kills / 4, $"only {midOperation} of {Kills} kills landed while the operation ran");

        // VACUUM removes every file the killed writers left; the table still reads.
        await _f.Writer.VacuumAsync(path, TimeSpan.Zero, force: true);
        Snapshot last = await _f.SnapshotAsync(path);
        var live = last.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        string[] onDisk = Directory.EnumerateFiles(path, "*.parquet", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(path, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("_delta_log/", StringComparison.Ordinal))
            .ToArray();
        Assert.All(onDisk, f => Assert.Contains(f, live));
        Assert.Equal(table.Expected(table.Version), await _f.ReadAsync(path));
    }

    /// <summary>The model of the table: the exact rows of every committed version, advanced as operations commit.</summary>
    private sealed class ModelTable(WriterFixture f, string path)
    {
        private readonly Dictionary<long, List<string>> _versions = new() { [0] = [] };
        private Dictionary<long, long> _rows = [];

        public long Version { get; private set; }

        public List<string> Expected(long version) => _versions[version];

        /// <summary>Reads the newest version: it is the last known one or the next, and has exactly the model's rows.</summary>
        public async Task ObserveAsync(string operation, int step, string? where = null)
        {
            Snapshot s = await f.SnapshotAsync(path);
            Assert.True(s.Version == Version || s.Version == Version + 1, $"version {s.Version} after version {Version} at {where ?? operation}");
            if (s.Version == Version + 1)
            {
                _rows = CrashWorkload.Apply(operation, step, _rows);
                Version++;
                _versions[Version] = CrashWorkload.Render(_rows);
            }

            List<string> actual = await f.ReadAsync(path);
            Assert.True(_versions[Version].SequenceEqual(actual), $"version {Version} has {actual.Count} rows, the model {_versions[Version].Count}, at {where ?? operation}");
        }

        public async Task CheckEveryVersionAsync()
        {
            foreach ((long version, List<string> rows) in _versions)
            {
                List<string> actual = await f.ReadAsync(path, version);
                Assert.True(rows.SequenceEqual(actual), $"version {version} has {actual.Count} rows, the model {rows.Count}");
            }
        }
    }
}
