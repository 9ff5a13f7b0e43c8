using System.Globalization;
using Medallion.Engine.Tests.Writing;
using Medallion.Engine.WriterHost;

namespace Medallion.Engine.Tests.ObjectStores;

/// <summary>
/// Several writer processes appending to one table on an object store, sharing the machine's object cache: the
/// store's conditional put must give each version to exactly one process, and the losers rebase their blind appends,
/// so every row lands once. Run on moto (S3 If-None-Match), on Azurite (If-None-Match answered with 409) and on the GCS
/// test server (ifGenerationMatch=0 answered with 412).
/// </summary>
public abstract class RemoteConcurrencyTests : IDisposable
{
    private const int Appenders = 4, Appends = 15;
    private readonly WriterFixture _f = new();

    /// <summary>"s3", "az" or "gs".</summary>
    protected abstract string Kind { get; }

    public void Dispose()
    {
        _f.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Four_appending_processes_end_with_every_row_once_and_one_commit_per_version()
    {
        string uri = await TestObjectStores.NewTableAsync(Kind);
        await _f.Writer.CreateTableAsync(uri, ConcurrencyWorkload.Table);
        var processes = new List<WriterProcess>();
        try
        {
            for (int a = 0; a < Appenders; a++)
            {
                processes.Add(WriterProcess.Start("append", uri, a, Appends));
            }

            foreach (WriterProcess p in processes)
            {
                await p.WaitForSuccessAsync(TimeSpan.FromMinutes(8));
            }

            var versions = new Dictionary<long, string>();
            foreach (string line in processes.SelectMany(p => p.Lines).Where(l => l != "ready"))
            {
                string[] parts = line.Split(' ', 3);
                Assert.Equal("committed", parts[0]);
                long version = long.Parse(parts[1], CultureInfo.InvariantCulture);
                Assert.True(versions.TryAdd(version, parts[2]), $"version {version} reported by both '{versions.GetValueOrDefault(version)}' and '{parts[2]}'");
            }

            long last = (await _f.SnapshotAsync(uri)).Version;
            Assert.Equal(Appenders * Appends, last);
            Assert.Equal(Enumerable.Range(1, (int)last).Select(v => (long)v), versions.Keys.Order());
            var expected = new List<string>();
            for (int a = 0; a < Appenders; a++)
            {
                for (int n = 0; n < Appends; n++)
                {
                    expected.Add($"a-{a}-{n}|{n}");
                }
            }

            expected.Sort(StringComparer.Ordinal);
            Assert.Equal(expected, await _f.ReadAsync(uri));
        }
        finally
        {
            foreach (WriterProcess p in processes)
            {
                p.Dispose();
            }
        }
    }
}

public sealed class S3ConcurrencyTests : RemoteConcurrencyTests
{
    protected override string Kind => "s3";
}

public sealed class AzureBlobConcurrencyTests : RemoteConcurrencyTests
{
    protected override string Kind => "az";
}

public sealed class GcsConcurrencyTests : RemoteConcurrencyTests
{
    protected override string Kind => "gs";
}
