using Medallion.Catalog;

namespace Medallion.Server.Tests;

/// <summary>A run of a job that runs after another, on the server: its page links to the upstream run that queued it.</summary>
public sealed class AfterRunPageTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() =>
        _served = await ServedProject.StartAsync(later: files => files.Write("jobs/follow.yml", "jobs:\n  - name: follow\n    select: gold.revenue\n    after: [nightly]\n"));

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_run_queued_after_another_jobs_success_links_to_that_run_on_its_page_and_says_so_in_its_log()
    {
        string nightly = await _served.TriggerAsync("nightly");
        await _served.EndedAsync(nightly);
        RunRecord follow = await WaitForFollowAsync();
        using var web = new WebSession(_served);
        await web.SignInOrFailAsync("vic", ServedProject.ViewerPassword);

        (_, string html) = await web.GetAsync("/runs/" + follow.Id);

        Assert.Equal(nightly, follow.UpstreamRunId);
        Assert.Contains($"<dd id=\"run-upstream\"><a href=\"/runs/{nightly}\">", html, StringComparison.Ordinal);
        Assert.Equal($"queued: run {nightly} of job 'nightly', which this job runs after, succeeded", (await _served.Catalog.Runs.GetRunLogAsync(follow.Id))[0].Message);
    }

    private async Task<RunRecord> WaitForFollowAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if ((await _served.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "follow" })).Runs.SingleOrDefault() is { } run)
            {
                return run;
            }

            Assert.True(DateTime.UtcNow < deadline, "no run of job follow was queued after nightly succeeded");
            await Task.Delay(50);
        }
    }
}
