using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Medallion.Cli.Tests;

/// <summary>
/// Faults of the object store under a project's <c>medallion run</c>: the quickstart's project (five sources, silver and
/// gold models, quarantine) on moto and Azurite behind the fault-injecting proxy. Transient faults on its uploads,
/// commits and reads are retried and every table ends as a run without faults leaves it; a store that keeps refusing one
/// table's commit fails the run naming the object and the table, leaves each table at its old version or a whole new
/// one, and the next run without the fault completes the tables with no row twice.
/// </summary>
public sealed class StoreRunFaultTests : IDisposable
{
    private readonly StoreCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    public async Task The_quickstart_run_through_transient_store_faults_builds_every_table_as_a_run_without_faults_does(string kind)
    {
        string uri = await StoreCli.NewTableAsync(kind);
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        // Every few requests of each kind fails, each object's once: the SDK's retry of it passes even when other
        // requests run between (a retry that was faulted again could run out of attempts, which is not this test's fault).
        StoreFaultRule uploads = proxy.Inject(StoreFault.Status(503), "PUT", StoreFaultTests.DataFile, every: 3, oncePerTarget: true);
        StoreFaultRule commits = proxy.Inject(StoreFault.Reset(afterServer: true), "PUT", StoreFaultTests.AnyCommit, every: 4, oncePerTarget: true);
        StoreFaultRule reads = proxy.Inject(StoreFault.Status(500), "GET", StoreFaultTests.AnyCommit, every: 5, oncePerTarget: true);

        (int exit, string output, string error) = await _cli.RunAsync(StoreCli.Variables(kind, proxy.Endpoint), "quickstart", Path.Combine(_cli.Directory, "demo"), "--storage", uri);
        Assert.True(exit == 0, $"exit {exit}: {output}\n{error}");
        Dictionary<string, (long Rows, long Version)> faulted = await TablesAsync(kind, "demo");
        Dictionary<string, (long Rows, long Version)> expected = await ReferenceAsync(kind, secondBatch: false);

        Assert.True(uploads.Injected > 0 && commits.Injected > 0 && reads.Injected > 0, $"{uploads.Injected} uploads, {commits.Injected} commits, {reads.Injected} reads faulted");
        Assert.Equal(expected, faulted);
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    public async Task A_run_whose_commit_the_store_keeps_refusing_fails_naming_it_leaves_whole_versions_and_the_next_run_completes_it_without_doubled_rows(string kind)
    {
        string uri = await StoreCli.NewTableAsync(kind);
        await _cli.RunOkAsync(kind, "quickstart", Path.Combine(_cli.Directory, "demo"), "--storage", uri);
        Dictionary<string, (long Rows, long Version)> before = await TablesAsync(kind, "demo");
        AddCustomers("demo");
        Dictionary<string, (long Rows, long Version)> expected = await ReferenceAsync(kind, secondBatch: true);
        using var proxy = new StoreProxy(StoreCli.Server(kind));
        StoreFaultRule refused = proxy.Inject(StoreFault.Status(503), "PUT", "/silver/customers" + StoreFaultTests.AnyCommit);

        (int exit, string output, string error) = await _cli.RunAsync(StoreCli.Variables(kind, proxy.Endpoint), "run", "--project", Project("demo"));
        Dictionary<string, (long Rows, long Version)> failed = await TablesAsync(kind, "demo");
        refused.Lift();
        (int nextExit, string next, string nextError) = await _cli.RunAsync(StoreCli.Variables(kind, proxy.Endpoint), "run", "--project", Project("demo"));
        Dictionary<string, (long Rows, long Version)> after = await TablesAsync(kind, "demo");

        Assert.Equal(1, exit);
        Assert.True(refused.Injected > 0);
        Assert.Contains("silver.customers", output + error, StringComparison.Ordinal);
        Assert.Matches($"Could not write '_delta_log/\\d{{20}}\\.json' in '{Regex.Escape(uri)}/silver/customers'", output + error);
        Assert.Equal(before["silver.customers"], failed["silver.customers"]);
        Assert.All(failed, t => Assert.True(t.Value == before[t.Key] || t.Value == expected[t.Key], $"{t.Key} after the failed run: {t.Value}, neither {before[t.Key]} nor {expected[t.Key]}"));
        Assert.True(nextExit == 0, $"exit {nextExit}: {next}\n{nextError}");
        Assert.Equal(expected.ToDictionary(t => t.Key, t => t.Value.Rows), after.ToDictionary(t => t.Key, t => t.Value.Rows));
    }

    private string Project(string name) => Path.Combine(_cli.Directory, name);

    /// <summary>
    /// The tables of the quickstart's project built the same way on the local disk without a proxy: its two runs, and a
    /// third after <see cref="AddCustomers"/> when <paramref name="secondBatch"/>.
    /// </summary>
    private async Task<Dictionary<string, (long Rows, long Version)>> ReferenceAsync(string kind, bool secondBatch)
    {
        await _cli.RunOkAsync(kind, "quickstart", Project("reference"));
        if (secondBatch)
        {
            AddCustomers("reference");
            await _cli.RunOkAsync(kind, "run", "--project", Project("reference"));
        }

        return await TablesAsync(kind, "reference");
    }

    /// <summary>Drops a file of five new customers (the first five of the first batch under new ids) into a quickstart project's data.</summary>
    private void AddCustomers(string project)
    {
        string[] first = File.ReadAllLines(Path.Combine(Project(project), "data", "customers", "customers_001.csv"));
        IEnumerable<string> added = first.Skip(1).Take(5).Select((line, i) => (900_000 + i).ToString(CultureInfo.InvariantCulture) + line[line.IndexOf(',', StringComparison.Ordinal)..]);
        File.WriteAllLines(Path.Combine(Project(project), "data", "customers", "customers_900.csv"), [first[0], .. added]);
    }

    /// <summary>Each table of the project (but the audit's, whose events differ between runs) with its rows and version, read directly.</summary>
    private async Task<Dictionary<string, (long Rows, long Version)>> TablesAsync(string kind, string project)
    {
        JsonElement tables = JsonDocument.Parse(await _cli.RunOkAsync(kind, "tables", "--project", Project(project), "--format", "json")).RootElement;
        return tables.EnumerateArray()
            .Where(t => !CatalogCommandTests.Name(t.GetProperty("name")).StartsWith("medallion_audit.", StringComparison.Ordinal))
            .ToDictionary(t => CatalogCommandTests.Name(t.GetProperty("name")), t => (t.GetProperty("rows").GetInt64(), t.GetProperty("version").GetInt64()));
    }
}
