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
        await using ProjectEnvironment environment = new(await LoadAsync($"sources:\n  - name: crm\n    url: {server.BaseUrl}/orders\n    records: items\n"));
        MedallionProject project = environment.Project;

        List<IngestPass> passes = await ToListAsync(SourceIngestion.IngestOnceAsync(environment, SourceIngestion.Select(project, [])));

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
        await using ProjectEnvironment environment = new(await LoadAsync($"sources:\n  - name: crm\n    url: {server.BaseUrl}/orders\n    records: items\n    incremental: {{field: at, param: since}}\n"));
        MedallionProject project = environment.Project;

        List<IngestPass> passes = await ToListAsync(
            SourceIngestion.IngestContinuouslyAsync(environment, SourceIngestion.Select(project, ["CRM"]), TimeSpan.FromMilliseconds(20), cancellationToken: stop.Token));

        Assert.Equal([(1L, 2L), (2L, 1L)], passes.Select(p => (p.Record.Pass, p.Record.Rows)));
        Assert.True(calls >= 5, $"The server was called {calls} times; the ingest should have polled until stopped.");
        RunDetails run = await GetRunAsync(passes[0].Record.RunId);
        Assert.Equal(RunStatus.Succeeded, run.Run.Status);
        Assert.Equal(2, run.Sources.Count);
    }

    [Fact]
    public async Task A_stop_lets_the_api_pass_under_way_commit_and_then_ends_the_continuous_ingest()
    {
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        using var release = new ManualResetEventSlim();
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = new ApiServer(_ =>
        {
            asked.TrySetResult();
            release.Wait(TimeSpan.FromMinutes(2));
            return ApiAnswer.Json("{\"items\":[{\"id\":1},{\"id\":2}]}");
        });
        await using ProjectEnvironment environment = new(await LoadAsync($"sources:\n  - name: crm\n    url: {server.BaseUrl}/orders\n    records: items\n"));
        MedallionProject project = environment.Project;
        Task<List<IngestPass>> ingesting = ToListAsync(SourceIngestion.IngestContinuouslyAsync(environment, SourceIngestion.Select(project, []), TimeSpan.FromMinutes(10), stop.Token, abort.Token));
        await asked.Task.WaitAsync(TimeSpan.FromMinutes(2));

        await stop.CancelAsync();
        release.Set();

        IngestPass pass = Assert.Single(await ingesting.WaitAsync(TimeSpan.FromMinutes(2)));
        Assert.Equal((2L, 0L), (pass.Result.Result.Rows, pass.Result.CommittedVersion!.Value));
        Assert.True(File.Exists(Path.Combine(_project.Directory, "lake", "bronze", "crm", "_delta_log", "00000000000000000000.json")));
    }

    [Fact]
    public async Task An_abort_after_the_stop_cancels_the_api_pass_under_way_which_commits_nothing()
    {
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        using var release = new ManualResetEventSlim();
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = new ApiServer(_ =>
        {
            asked.TrySetResult();
            release.Wait(TimeSpan.FromMinutes(2));
            return ApiAnswer.Json("{\"items\":[{\"id\":1},{\"id\":2}]}");
        });
        await using ProjectEnvironment environment = new(await LoadAsync($"sources:\n  - name: crm\n    url: {server.BaseUrl}/orders\n    records: items\n"));
        MedallionProject project = environment.Project;
        Task<List<IngestPass>> ingesting = ToListAsync(SourceIngestion.IngestContinuouslyAsync(environment, SourceIngestion.Select(project, []), TimeSpan.FromMinutes(10), stop.Token, abort.Token));
        await asked.Task.WaitAsync(TimeSpan.FromMinutes(2));

        await stop.CancelAsync();
        await abort.CancelAsync();
        List<IngestPass> passes = await ingesting.WaitAsync(TimeSpan.FromMinutes(2));
        release.Set();

        Assert.Empty(passes);
        Assert.False(Directory.Exists(Path.Combine(_project.Directory, "lake", "bronze", "crm", "_delta_log")));
    }

    [Fact]
    public async Task A_source_that_fails_ends_the_ingest_with_its_error_and_the_run_recorded_as_failed_with_it()
    {
        using var server = new ApiServer(_ => new ApiAnswer(401, "{}"));
        await using ProjectEnvironment environment = new(await LoadAsync($"sources:\n  - name: crm\n    url: {server.BaseUrl}/orders\n    records: items\n"));
        MedallionProject project = environment.Project;

        var error = await Assert.ThrowsAsync<MedallionException>(() => ToListAsync(SourceIngestion.IngestOnceAsync(environment, SourceIngestion.Select(project, []))));

        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_project.Directory);
        RunSummary run = Assert.Single(await lakehouse.ListRunsAsync(5));
        Assert.Equal((RunStatus.Failed, $"{error.CodeText}: {error.Message}"), (run.Run.Status, run.Run.Error));
    }

    [Fact]
    public async Task Selecting_a_source_the_project_does_not_have_is_refused_naming_the_sources_it_has()
    {
        await using ProjectEnvironment environment = new(await LoadAsync("sources:\n  - name: crm\n    url: http://127.0.0.1:9/orders\n"));
        MedallionProject project = environment.Project;

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
