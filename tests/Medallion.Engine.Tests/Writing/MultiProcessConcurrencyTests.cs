using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Medallion.Engine.WriterHost;
using Xunit.Abstractions;

namespace Medallion.Engine.Tests.Writing;

/// <summary>
/// Several writer processes on one local table: the put-if-absent of each commit file (link(2)) must let exactly one
/// process win each version, blind appends must never conflict, and concurrent MERGEs must either commit correctly or
/// fail naming the winning version and its operation.
/// </summary>
public sealed partial class MultiProcessConcurrencyTests(ITestOutputHelper output) : IDisposable
{
    private const int Appenders = 4, Appends = 100, Mergers = 2, Merges = 15;
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    [GeneratedRegex(@"^conflict (\d+) MERGE on the Delta table at '.*' \(read at version (\d+)\) conflicts with version (\d+) \(([A-Z ]+)\), committed concurrently: .+Help: run the MERGE again")]
    private static partial Regex ConflictLine();

    [Fact]
    public async Task Four_appending_and_two_merging_processes_end_with_exactly_the_expected_rows()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, ConcurrencyWorkload.Table);

        var processes = new List<(string Kind, WriterProcess Process)>();
        try
        {
            for (int a = 0; a < Appenders; a++)
            {
                processes.Add(("append", WriterProcess.Start("append", path, a, Appends)));
            }

            for (int m = 0; m < Mergers; m++)
            {
                processes.Add(("merge", WriterProcess.Start("merge", path, m, Merges)));
            }

            foreach ((_, WriterProcess p) in processes)
            {
                await p.WaitForSuccessAsync(TimeSpan.FromMinutes(8));
            }

            var versions = new Dictionary<long, string>();
            var committedMerges = new List<(long Version, long Token)>();
            int conflicts = 0;
            foreach ((string kind, WriterProcess p) in processes)
            {
                foreach (string line in p.Lines.Where(l => l != "ready"))
                {
                    string[] parts = line.Split(' ', 3);
                    if (parts[0] == "committed")
                    {
                        long version = long.Parse(parts[1], CultureInfo.InvariantCulture);
                        // One winner per version, across processes: the put-if-absent held.
                        Assert.True(versions.TryAdd(version, parts[2]), $"version {version} reported by both '{versions.GetValueOrDefault(version)}' and '{parts[2]}'");
                        if (kind == "merge")
                        {
                            committedMerges.Add((version, long.Parse(parts[2], CultureInfo.InvariantCulture)));
                        }

                        continue;
                    }

                    Assert.Equal("merge", kind);
                    Match m = ConflictLine().Match(line);
                    Assert.True(m.Success, line);
                    long winner = long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
                    Assert.True(winner > long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), line);
                    // The named winner really is that operation, and under WriteSerializable only a MERGE can beat a MERGE.
                    Assert.Equal(m.Groups[4].Value, CommitOperation(path, winner));
                    Assert.Equal("MERGE", m.Groups[4].Value);
                    conflicts++;
                }
            }

            long last = (await _f.SnapshotAsync(path)).Version;
            Assert.Equal(Appenders * Appends, versions.Values.Count(v => v.StartsWith("a-", StringComparison.Ordinal)));
            Assert.Equal(Enumerable.Range(1, (int)last).Select(v => (long)v), versions.Keys.Order());
            Assert.Equal(Mergers * Merges, committedMerges.Count + conflicts);
            Assert.NotEmpty(committedMerges);

            long lastToken = committedMerges.MaxBy(c => c.Version).Token;
            var expected = new List<string>();
            for (int a = 0; a < Appenders; a++)
            {
                for (int n = 0; n < Appends; n++)
                {
                    expected.Add($"a-{a}-{n}|{n}");
                }
            }

            for (int k = 0; k < ConcurrencyWorkload.MergeKeys; k++)
            {
                expected.Add($"m-{k}|{lastToken}");
            }

            expected.Sort(StringComparer.Ordinal);
            Assert.Equal(expected, await _f.ReadAsync(path));
            output.WriteLine($"{last} versions: {Appenders * Appends} appends, {committedMerges.Count} merges committed, {conflicts} merges reported a conflict");
        }
        finally
        {
            foreach ((_, WriterProcess p) in processes)
            {
                p.Dispose();
            }
        }
    }

    private string CommitOperation(string path, long version)
    {
        using JsonDocument doc = JsonDocument.Parse(_f.LogLines(path, version)[0]);
        return doc.RootElement.GetProperty("commitInfo").GetProperty("operation").GetString()!;
    }
}
