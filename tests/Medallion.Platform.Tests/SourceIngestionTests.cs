using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.Pipelines;
using Medallion.Pipelines.Tests;

namespace Medallion.Platform.Tests;

/// <summary><see cref="SourceIngestion"/> landing an HTTP API source served on loopback, with its passes kept in the catalog.</summary>
public sealed class SourceIngestionTests : IDisposable
{
    private readonly TestProject _project = new("name: shop\nstorage: lake\n");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _project.Dispose();
    }

    [Fact]
    public async Task A_single_ingest_yields_each_pass_and_keeps_it_under_one_succeeded_run()
    {
        using var server = new ApiServer(_ => ApiAnswer.Json("{\"items\":[{\"id\":1},{\"id\":2}]}"));
        MedallionProject project = await LoadAsync($"sources:\n  - name: crm\n    url: {server.BaseUrl}/orders\n    records: items\n");

        List<IngestPass> passes = await ToListAsync(SourceIngestion.IngestOnceAsync(project, SourceIngestion.Select(project, [])));

        IngestPass pass = Assert.Single(passes);
        Assert.Equal((2L, 0L, 1L), (pass.Result.Result.Rows, pass.Result.Version!.Value, pass.Record.Pass));
        RunDetails run = await GetRunAsync(pass.Record.RunId);
        Assert.Equal((RunStatus.Succeeded, "ingest crm", null), (run.Run.Status, run.Run.Selection, run.Run.Error));
        Assert.Equal([(new TableName("bronze", "crm"), 2L, 0L)], run.Sources.Select(s => (s.Target, s.Rows, s.CommittedVersion!.Value)));
    }

    [Fact]
    public async Task A_continuous_ingest_yields_the_passes_that_moved_rows_and_ends_normally_when_stopped()
    {
        using var stop = new CancellationTokenSource();
        int calls = 0;
        using var server = new ApiServer(r =>
        {
            if (Interlocked.Increment(ref calls) == 5)
            {
                stop.Cancel();
            }

            string query = r.Url!.Query;
            return query.Contains("since=2026-01-03", StringComparison.Ordinal) ? ApiAnswer.Json("{\"items\":[]}")
                : query.Contains("since=", StringComparison.Ordinal) ? ApiAnswer.Json("{\"items\":[{\"id\":3,\"at\":\"2026-01-03\"}]}")
                : ApiAnswer.Json("{\"items\":[{\"id\":1,\"at\":\"2026-01-01\"},{\"id\":2,\"at\":\"2026-01-02\"}]}");
        });
        MedallionProject project = await LoadAsync($"sources:\n  - name: crm\n    url: {server.BaseUrl}/orders\n    records: items\n    incremental: {{field: at, param: since}}\n");

        List<IngestPass> passes = await ToListAsync(
            SourceIngestion.IngestContinuouslyAsync(project, SourceIngestion.Select(project, ["CRM"]), TimeSpan.FromMilliseconds(20), cancellationToken: stop.Token));

        Assert.Equal([(1L, 2L), (2L, 1L)], passes.Select(p => (p.Record.Pass, p.Record.Rows)));
        Assert.True(calls >= 5, $"The server was called {calls} times; the ingest should have polled until stopped.");
        RunDetails run = await GetRunAsync(passes[0].Record.RunId);
        Assert.Equal(RunStatus.Succeeded, run.Run.Status);
        Assert.Equal(2, run.Sources.Count);
    }

    [Fact]
    public async Task A_source_that_fails_ends_the_ingest_with_its_error_and_the_run_recorded_as_failed_with_it()
    {
        using var server = new ApiServer(_ => new ApiAnswer(401, "{}"));
        MedallionProject project = await LoadAsync($"sources:\n  - name: crm\n    url: {server.BaseUrl}/orders\n    records: items\n");

        var error = await Assert.ThrowsAsync<MedallionException>(() => ToListAsync(SourceIngestion.IngestOnceAsync(project, SourceIngestion.Select(project, []))));

        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_project.Directory);
        RunSummary run = Assert.Single(await lakehouse.ListRunsAsync(5));
        Assert.Equal((RunStatus.Failed, $"{error.CodeText}: {error.Message}"), (run.Run.Status, run.Run.Error));
    }

    [Fact]
    public async Task Selecting_a_source_the_project_does_not_have_is_refused_naming_the_sources_it_has()
    {
        MedallionProject project = await LoadAsync("sources:\n  - name: crm\n    url: http://127.0.0.1:9/orders\n");

        var error = Assert.Throws<MedallionException>(() => SourceIngestion.Select(project, ["erp"]));

        Assert.Equal(ErrorCode.ProjectFileInvalid, error.Code);
        Assert.Equal("The project has no source 'erp'.\nHelp: the project's sources are crm.", error.Message);
    }

    private async Task<MedallionProject> LoadAsync(string sources)
    {
        _project.Write("sources/api.yml", sources);
        return await _project.LoadAsync();
    }

    private async Task<RunDetails> GetRunAsync(string runId)
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_project.Directory);
        return await lakehouse.GetRunAsync(runId);
    }

    private static async Task<List<IngestPass>> ToListAsync(IAsyncEnumerable<IngestPass> passes)
    {
        var list = new List<IngestPass>();
        await foreach (IngestPass pass in passes)
        {
            list.Add(pass);
        }

        return list;
    }
}
