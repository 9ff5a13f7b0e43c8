using Medallion.Catalog;

namespace Medallion.Pipelines.Tests;

public sealed class JobLoadingTests : IDisposable
{
    private readonly TestProject _project = new();

    public JobLoadingTests()
    {
        _project.WithSources("orders", "customers")
            .Write("models/silver/orders.sql", "/* ---\ntags: [daily]\n--- */\nSELECT * FROM bronze.orders\n")
            .Write("models/gold/revenue.sql", "SELECT count(*) AS n FROM silver.orders\n");
    }

    public void Dispose() => _project.Dispose();

    private async Task<MedallionException> LoadFailsAsync(string jobs)
    {
        _project.Write("jobs/etl.yml", jobs);
        return await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());
    }

    [Fact]
    public async Task A_job_file_loads_every_field()
    {
        _project.Write("jobs/etl.yml", """
            jobs:
              - name: hourly
                select: +gold.revenue
                sources: [orders]
                schedule: "0 * * * *"
                timezone: America/Sao_Paulo
                catchup: all
                retries: {count: 3, backoff: {initial: 10s, max: 5m}, jitter: false}
                timeout: {model: 10m, run: 1h}
                max_active_runs: 2
                paused: true
            """);

        MedallionProject project = await _project.LoadAsync();

        JobDefinition job = Assert.Single(project.Jobs);
        Assert.Equal("hourly", job.Name);
        Assert.Equal("+gold.revenue", job.Select);
        Assert.Equal(["orders"], job.Sources);
        Assert.Equal("0 * * * *", job.Schedule!.Text);
        Assert.Equal("America/Sao_Paulo", job.Schedule.TimeZone.Id);
        Assert.Equal(CatchupPolicy.All, job.Catchup);
        Assert.Equal(new RetryPolicy(3, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5), Jitter: false), job.Retries);
        Assert.Equal(TimeSpan.FromMinutes(10), job.ModelTimeout);
        Assert.Equal(TimeSpan.FromHours(1), job.RunTimeout);
        Assert.Equal(2, job.MaxActiveRuns);
        Assert.True(job.Paused);
        Assert.Equal("jobs/etl.yml:2:5", job.Location.ToString());
    }

    [Fact]
    public async Task A_job_without_options_gets_the_defaults()
    {
        _project.Write("jobs/etl.yml", "jobs:\n  - name: manual\n    select: silver.orders\n");

        JobDefinition job = Assert.Single((await _project.LoadAsync()).Jobs);

        Assert.Null(job.Schedule);
        Assert.Empty(job.OnNewData);
        Assert.Empty(job.After);
        Assert.Equal(CatchupPolicy.Last, job.Catchup);
        Assert.Equal(RetryPolicy.None, job.Retries);
        Assert.Null(job.ModelTimeout);
        Assert.Null(job.RunTimeout);
        Assert.Equal(1, job.MaxActiveRuns);
        Assert.False(job.Paused);
    }

    [Fact]
    public async Task Jobs_in_medallion_yml_come_before_those_of_job_files()
    {
        _project.Write("medallion.yml", "name: shop\njobs:\n  - name: first\n    select: silver.*\n    every: 15m\n")
            .Write("jobs/etl.yml", "jobs:\n  - name: second\n    select: tag:daily\n    on_new_data: [bronze.orders]\n  - name: third\n    sources: customers\n    after: [second]\n");

        MedallionProject project = await _project.LoadAsync();

        Assert.Equal(["first", "second", "third"], project.Jobs.Select(j => j.Name));
        Assert.Equal(TimeSpan.FromMinutes(15), project.Jobs[0].Schedule!.Every);
        Assert.Equal([new TableName("bronze", "orders")], project.Jobs[1].OnNewData);
        Assert.Equal(["second"], project.Jobs[2].After);
        Assert.Equal("medallion.yml:3:5", project.Jobs[0].Location.ToString());
    }

    [Fact]
    public async Task A_retry_count_alone_keeps_the_default_backoff()
    {
        _project.Write("jobs/etl.yml", "jobs:\n  - name: j\n    select: silver.orders\n    retries: 2\n");

        JobDefinition job = Assert.Single((await _project.LoadAsync()).Jobs);

        Assert.Equal(RetryPolicy.None with { Count = 2 }, job.Retries);
    }

    [Fact]
    public async Task An_unknown_key_is_reported_with_its_location_and_the_closest_key()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    select: silver.orders\n    schedul: '@daily'\n");

        Assert.Equal(ErrorCode.ProjectFileInvalid, error.Code);
        Assert.Equal($"jobs/etl.yml:4:5: unknown key 'schedul' in a job. Did you mean 'schedule'? Expected one of: {string.Join(", ", ProjectFiles.JobReader.Keys)}.", error.Message);
    }

    [Fact]
    public async Task A_selection_that_matches_no_model_suggests_the_closest_name()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    select: silver.ordrs+\n");

        Assert.Equal(ErrorCode.JobDefinitionInvalid, error.Code);
        Assert.Equal("jobs/etl.yml:3:13: 'select' of job 'j' matches nothing: 'silver.ordrs+': no model or source is named 'silver.ordrs'. Did you mean silver.orders? Expected model names (silver.orders), namespaces (silver.*), tags (tag:daily), with + for upstream/downstream.", error.Message);
    }

    [Fact]
    public async Task An_unknown_source_suggests_the_closest_source()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    sources: [ordes]\n");

        Assert.Equal(ErrorCode.JobDefinitionInvalid, error.Code);
        Assert.Equal("jobs/etl.yml:3:15: no source is named 'ordes'. Did you mean 'orders'? Expected one of: orders, customers.", error.Message);
    }

    [Fact]
    public async Task An_unknown_watched_table_suggests_the_closest_table()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    select: gold.revenue\n    on_new_data: [bronze.order]\n");

        Assert.Equal(ErrorCode.JobDefinitionInvalid, error.Code);
        Assert.Equal("jobs/etl.yml:4:19: 'on_new_data' names no table or file source of the project: 'bronze.order'. Did you mean 'bronze.orders'? Expected a source target or model as namespace.name (e.g. bronze.orders), or the name of a file source to run when new files match its path.", error.Message);
    }

    [Fact]
    public async Task A_file_source_in_on_new_data_watches_its_new_files_and_a_table_its_versions()
    {
        _project.Write("jobs/etl.yml", "jobs:\n  - name: j\n    select: gold.revenue\n    on_new_data: [Orders, bronze.customers]\n");

        JobDefinition job = Assert.Single((await _project.LoadAsync()).Jobs);

        Assert.Equal(["orders"], job.OnNewFiles);
        Assert.Equal([TableName.Parse("bronze.customers")], job.OnNewData);
    }

    private void WithCdcSource() =>
        _project.Write("medallion.yml", "name: shop\nconnections:\n  pg: {type: postgres, host: localhost}\n")
            .Write("sources/db.yml", "sources:\n  - name: pg_shop\n    connection: pg\n    tables:\n      - {table: public.orders, mode: cdc, target: bronze.pg_orders}\n");

    [Fact]
    public async Task A_continuous_job_streams_its_cdc_sources_with_its_restart_backoff()
    {
        WithCdcSource();
        _project.Write("jobs/etl.yml", "jobs:\n  - name: stream\n    sources: [pg_shop]\n    continuous: true\n    restart: {initial: 5s, max: 2m}\n");

        JobDefinition job = Assert.Single((await _project.LoadAsync()).Jobs);

        Assert.True(job.Continuous);
        Assert.Equal(new RetryPolicy(0, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(2), Jitter: true), job.Restart);
        Assert.Null(job.Schedule);
    }

    [Fact]
    public async Task A_continuous_job_with_a_schedule_is_refused_at_the_schedule()
    {
        WithCdcSource();

        MedallionException error = await LoadFailsAsync("jobs:\n  - name: stream\n    sources: [pg_shop]\n    continuous: true\n    every: 5m\n");

        Assert.Equal(ErrorCode.JobDefinitionInvalid, error.Code);
        Assert.Equal("jobs/etl.yml:5:12: job 'stream' is continuous, so it takes no 'every': it runs from the server's start to its stop. Expected 'continuous: true' with 'sources:' (and optionally 'restart:'), or a job without 'continuous'.", error.Message);
    }

    [Fact]
    public async Task A_continuous_job_that_selects_models_is_refused_pointing_at_a_second_job()
    {
        WithCdcSource();

        MedallionException error = await LoadFailsAsync("jobs:\n  - name: stream\n    select: gold.revenue\n    sources: [pg_shop]\n    continuous: true\n");

        Assert.Equal("jobs/etl.yml:3:13: job 'stream' is continuous, so it takes no 'select': it streams sources into bronze; models over them belong to another job (e.g. 'on_new_data: [bronze.<table>]'). Expected 'continuous: true' with 'sources:' (and optionally 'restart:'), or a job without 'continuous'.", error.Message);
    }

    [Fact]
    public async Task A_continuous_job_over_a_file_source_is_refused_naming_the_source_and_the_streamable_ones()
    {
        WithCdcSource();

        MedallionException error = await LoadFailsAsync("jobs:\n  - name: stream\n    sources: [pg_shop, orders]\n    continuous: true\n");

        Assert.Equal("jobs/etl.yml:3:24: source 'orders' of continuous job 'stream' has no 'mode: cdc' table, so there is nothing to stream. Expected a database source with cdc tables: pg_shop; run other sources on a schedule.", error.Message);
    }

    [Fact]
    public async Task Restart_on_a_job_that_is_not_continuous_is_refused()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    sources: [orders]\n    restart: {initial: 1s}\n");

        Assert.Equal("jobs/etl.yml:4:14: 'restart' applies to continuous jobs, and job 'j' is not one. Expected 'continuous: true' beside it, or 'retries:' for a job that runs and ends.", error.Message);
    }

    [Fact]
    public async Task An_unknown_upstream_job_suggests_the_closest_job()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: load\n    sources: [orders]\n  - name: build\n    select: gold.revenue\n    after: [lod]\n");

        Assert.Equal(ErrorCode.JobDefinitionInvalid, error.Code);
        Assert.Equal("jobs/etl.yml:6:12: 'after' of job 'build' names no job: 'lod'. Did you mean 'load'? Expected one of: load.", error.Message);
    }

    [Fact]
    public async Task Jobs_that_wait_for_each_other_in_a_circle_are_refused()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: a\n    sources: [orders]\n    after: b\n  - name: b\n    select: gold.revenue\n    after: a\n");

        Assert.Equal(ErrorCode.JobDefinitionInvalid, error.Code);
        Assert.Equal("jobs/etl.yml:4:12: jobs wait for each other in a circle: a -> b -> a. Expected 'after:' chains that end.", error.Message);
    }

    [Fact]
    public async Task Two_jobs_with_one_name_are_refused()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    sources: [orders]\n  - name: J\n    sources: [orders]\n");

        Assert.Equal("jobs/etl.yml:4:11: a job named 'J' is already defined at jobs/etl.yml:2:5. Expected one job per name.", error.Message);
    }

    [Fact]
    public async Task A_job_with_nothing_to_run_is_refused()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    every: 5m\n");

        Assert.Equal("jobs/etl.yml:2:5: job 'j' has nothing to run. Expected 'select: <models>' and/or 'sources: [<source names>]'.", error.Message);
    }

    [Fact]
    public async Task Two_triggers_on_one_job_are_refused()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    sources: [orders]\n    schedule: '@daily'\n    every: 5m\n");

        Assert.Equal("jobs/etl.yml:5:12: job 'j' has both 'schedule' and 'every'. Expected one trigger per job: schedule, every, on_new_data or after (or none, to run it only when triggered).", error.Message);
    }

    [Theory]
    [InlineData("'0 25 * * *'", "jobs/etl.yml:4:15: 'schedule': '0 25 * * *' is not a valid cron expression: ")]
    [InlineData("'0 2 * *'", "jobs/etl.yml:4:15: 'schedule': '0 2 * *' has 4 fields. Expected 5 cron fields (minute hour day-of-month month day-of-week), e.g. '0 2 * * *', or one of: @hourly, @daily, @weekly, @monthly, @yearly.")]
    [InlineData("'@dialy'", "jobs/etl.yml:4:15: 'schedule': '@dialy' is not a schedule alias. Did you mean '@daily'? Expected one of: @hourly, @daily, @weekly, @monthly, @yearly, or 5 cron fields.")]
    public async Task A_bad_cron_schedule_says_where_and_what_was_expected(string schedule, string messageStart)
    {
        MedallionException error = await LoadFailsAsync($"jobs:\n  - name: j\n    sources: [orders]\n    schedule: {schedule}\n");

        Assert.Equal(ErrorCode.JobScheduleInvalid, error.Code);
        Assert.StartsWith(messageStart, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_time_zone_suggests_the_closest_zone()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    sources: [orders]\n    schedule: '@daily'\n    timezone: America/Sao_Paolo\n");

        Assert.Equal(ErrorCode.JobScheduleInvalid, error.Code);
        Assert.Equal("jobs/etl.yml:5:15: 'timezone': no time zone is named 'America/Sao_Paolo'. Did you mean 'America/Sao_Paulo'? Expected an IANA zone such as UTC, Europe/Berlin or America/Sao_Paulo.", error.Message);
    }

    [Fact]
    public async Task A_time_zone_without_a_cron_schedule_is_refused()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    sources: [orders]\n    every: 1h\n    timezone: UTC\n");

        Assert.Equal("jobs/etl.yml:5:15: 'timezone' applies to a cron 'schedule', and job 'j' has none. Expected 'schedule: ...' beside it, or no 'timezone'.", error.Message);
    }

    [Fact]
    public async Task A_bad_period_names_the_units()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    sources: [orders]\n    every: a quarter hour\n");

        Assert.Equal("jobs/etl.yml:4:12: 'every' cannot be 'a quarter hour'. Expected a number and a unit: 90s, 30m, 24h, 7d or 2w.", error.Message);
    }

    [Fact]
    public async Task A_backoff_maximum_below_its_initial_delay_is_refused()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    sources: [orders]\n    retries: {count: 2, backoff: {initial: 5m, max: 1m}}\n");

        Assert.Equal("jobs/etl.yml:4:53: 'max' backoff (1m) is shorter than 'initial' (5m). Expected max >= initial.", error.Message);
    }

    [Fact]
    public async Task An_unknown_catchup_policy_suggests_the_closest()
    {
        MedallionException error = await LoadFailsAsync("jobs:\n  - name: j\n    sources: [orders]\n    catchup: al\n");

        Assert.Equal("jobs/etl.yml:4:14: 'catchup' cannot be 'al'. Did you mean 'all'? Expected one of: none, last, all.", error.Message);
    }
}
