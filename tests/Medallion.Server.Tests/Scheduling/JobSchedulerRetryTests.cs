using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Scheduling;

public sealed class JobSchedulerRetryTests : IAsyncLifetime
{
    private readonly SchedulerProject _project;
    private readonly ApiServer _api;
    private int _requests;

    public JobSchedulerRetryTests()
    {
        // Answers 503 twice, then the records: a source that is down for a while.
        _api = new ApiServer(_ => Interlocked.Increment(ref _requests) <= 2
            ? new ApiAnswer(503, "{\"error\":\"maintenance\"}")
            : ApiAnswer.Json("{\"items\":[{\"id\":1},{\"id\":2}]}"));
        _project = new SchedulerProject("jobs:\n  - name: crm\n    sources: [crm_orders]\n    retries: {count: 3, backoff: {initial: 1s, max: 1s}, jitter: false}\n  - name: once\n    sources: [crm_orders]\n");
        _project.Files.Write("sources/api.yml", $"sources:\n  - name: crm_orders\n    url: {_api.BaseUrl}/orders\n    records: items\n    max_attempts: 1\n");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _project.DisposeAsync();
        _api.Dispose();
    }

    [Fact]
    public async Task A_source_that_fails_transiently_is_retried_with_backoff_until_it_answers()
    {
        JobScheduler scheduler = await _project.StartAsync();

        RunRecord triggered = await scheduler.TriggerAsync("crm");
        RunRecord run = Assert.Single(await _project.WaitForRunsAsync("crm", 1));

        Assert.Equal(RunStatus.Succeeded, run.Status);
        RunDetail detail = (await scheduler.Catalog.Runs.GetRunDetailAsync(triggered.Id))!;
        Assert.Equal(
            [(RunStatus.Failed, true), (RunStatus.Failed, true), (RunStatus.Succeeded, false)],
            detail.Attempts.Select(a => (a.Status, a.Transient)));
        Assert.StartsWith("bronze.crm_orders: MDL8101: Source 'crm_orders': GET", detail.Attempts[0].Error, StringComparison.Ordinal);
        // The wait runs on the millisecond monotonic timer and the stamps read the wall clock: the two can disagree by a
        // few milliseconds (one loaded CI run measured just under 1 s), so the gap is checked against the backoff less that slack.
        Assert.InRange(detail.Attempts[1].StartedAt - detail.Attempts[0].FinishedAt!.Value, TimeSpan.FromMilliseconds(950), TimeSpan.FromSeconds(30));
        Assert.Contains(await scheduler.Catalog.Runs.GetRunLogAsync(run.Id), l => l.Level == "warning" && l.Message == "attempt 1 failed transiently at bronze.crm_orders; retrying in 1s");
    }

    [Fact]
    public async Task A_job_without_retries_fails_on_the_first_transient_failure()
    {
        JobScheduler scheduler = await _project.StartAsync();

        await scheduler.TriggerAsync("once");
        RunRecord run = Assert.Single(await _project.WaitForRunsAsync("once", 1));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains(await scheduler.Catalog.Runs.GetRunLogAsync(run.Id), l => l.Message == "attempt 1 failed at bronze.crm_orders (no retries left (0))");
    }

    [Fact]
    public async Task An_unexpected_exception_ends_the_run_as_an_internal_error_with_its_stack_logged_once()
    {
        var log = new RecordingLog();
        JobScheduler scheduler = await _project.StartAsync(random: () => throw new InvalidOperationException("the jitter broke"), logs: log);

        await scheduler.TriggerAsync("crm");
        RunRecord run = Assert.Single(await _project.WaitForRunsAsync("crm", 1));

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.StartsWith(
            "MDL0100: an unexpected error inside Medallion (a bug, not a problem with the data or the definitions); report it with these details: System.InvalidOperationException: the jitter broke\n   at ",
            run.Error,
            StringComparison.Ordinal);
        Assert.StartsWith("Error: run failed: MDL0100: ", Assert.Single(log.Lines, l => l.Contains("the jitter broke", StringComparison.Ordinal)), StringComparison.Ordinal);
    }
}
