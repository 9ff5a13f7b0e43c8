using System.Text.RegularExpressions;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.ObjectStores;

/// <summary>
/// What a run asks of an S3 store, counted by a proxy in front of moto: every request is a round trip on the run's
/// path, so a step must not read back what it (or the step before it) already knows.
/// </summary>
public sealed partial class S3RunRequestTests : IDisposable
{
    private readonly StoreProxy _proxy;
    private readonly TestProject _project;

    public S3RunRequestTests()
    {
        ObjectStoreProjectTests.ServersReady.GetAwaiter().GetResult();
        _proxy = new StoreProxy(new Uri(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3")!));
        _project = new TestProject($"name: shop\nstorage: s3://medallion-pipeline-tests/r-{Guid.NewGuid():N}\nstorage_options:\n  AWS_ENDPOINT_URL_S3: {_proxy.Endpoint}\ncache:\n  path: .cache\n  max_size: 1GB\n");
        _project.WithSources("orders")
            .Write("data/orders/1.csv", "id,amount\n1,10\n2,20\n")
            .Write("models/silver/orders.sql", "/* ---\nmaterialized: append\n--- */\nSELECT id, amount FROM bronze.orders")
            .Write("models/gold/revenue.sql", "SELECT count(*) AS orders, sum(amount) AS revenue FROM silver.orders");
    }

    public void Dispose()
    {
        _project.Dispose();
        _proxy.Dispose();
    }

    [Fact]
    public async Task A_run_never_reads_back_a_commit_it_made_and_a_model_reads_its_upstream_from_the_snapshot_the_run_already_has()
    {
        RunResult run = await ProjectRunner.RunAsync(await _project.LoadAsync(), new RunOptions { Threads = 1 });

        Assert.True(run.Succeeded, string.Join("; ", run.Steps.Select(s => s.Error)));
        // A commit's snapshot is built from the commit itself: the catalog record takes it as it is, nothing reloads the
        // table to see whether a checkpoint is due (the commit knows), and the model reading the table next lists the
        // log from that snapshot on.
        List<string> commitReads = [.. _proxy.Requests.Select(r => CommitRead().Match(r)).Where(m => m.Success).Select(m => m.Value)];
        Assert.Empty(commitReads);
    }

    [Fact]
    public async Task A_second_run_reads_its_source_tables_log_once_and_after_that_only_the_commit_it_added()
    {
        MedallionProject project = await _project.LoadAsync();
        Assert.True((await ProjectRunner.RunAsync(project, new RunOptions { Threads = 1 })).Succeeded);
        _project.Write("data/orders/2.csv", "id,amount\n3,30\n");
        int before = _proxy.Requests.Count;

        RunResult run = await ProjectRunner.RunAsync(project, new RunOptions { Threads = 1 });

        Assert.True(run.Succeeded, string.Join("; ", run.Steps.Select(s => s.Error)));
        // bronze@0: the load reads the table once (its commit then lists the log from there); silver's incremental build
        // reads the version it consumed last time, to compare schemas. bronze@1: silver's plan of the changes since,
        // which lists the log from version 1 on and reads that commit alone (the catalog record takes the commit's own snapshot).
        List<string> bronzeReads = [.. _proxy.Requests.Skip(before).Select(r => CommitRead().Match(r)).Where(m => m.Success && m.Groups["table"].Value == "bronze/orders")
            .Select(m => "bronze/orders@" + long.Parse(m.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal(["bronze/orders@0", "bronze/orders@0", "bronze/orders@1"], bronzeReads.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_second_run_finds_a_models_table_by_loading_it_without_a_listing_to_see_whether_it_exists_first()
    {
        MedallionProject project = await _project.LoadAsync();
        Assert.True((await ProjectRunner.RunAsync(project, new RunOptions { Threads = 1 })).Succeeded);
        int before = _proxy.Requests.Count;

        RunResult run = await ProjectRunner.RunAsync(project, new RunOptions { Threads = 1 });

        Assert.True(run.Succeeded, string.Join("; ", run.Steps.Select(s => s.Error)));
        // gold.revenue is read by no other step: each request on its log is its own build's.
        List<string> goldLog = [.. _proxy.Requests.Skip(before).Where(r => r.Contains("gold/revenue/_delta_log/", StringComparison.Ordinal) || r.Contains("gold%2Frevenue%2F_delta_log%2F", StringComparison.Ordinal))];
        Assert.DoesNotContain(goldLog, r => r.Contains("max-keys=", StringComparison.Ordinal));
        Assert.Contains(goldLog, r => r.Contains("list-type=2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Loading_a_project_on_a_store_sends_the_store_a_first_request_while_the_command_goes_on()
    {
        MedallionProject project = await _project.LoadAsync();

        // The warm-up runs in the background: nothing has read a table yet, and the store has already been asked one thing.
        string first = await FirstRequestAsync();
        Assert.Equal($"GET /{project.Storage["s3://".Length..]}/_delta_log/_last_checkpoint HTTP/1.1", first);
    }

    private async Task<string> FirstRequestAsync()
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (_proxy.Requests.Count == 0 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }

        Assert.True(_proxy.Requests.Count > 0, "The store was asked nothing in the 30 s after the project loaded.");
        return _proxy.Requests[0];
    }

    [GeneratedRegex(@"^GET /[^/]+/r-[0-9a-f]+/(?<table>[^/]+/[^/]+)/_delta_log/(?<version>\d{20})\.json HTTP/1\.1$")]
    private static partial Regex CommitRead();
}
