using System.Text.Json;

namespace Medallion.Server.Tests.Observability;

/// <summary>What a real Prometheus scraping the server holds after one run of a job (see <see cref="ScrapedServer"/>).</summary>
public sealed class PrometheusScrapeTests(ScrapedServer scraped) : IClassFixture<ScrapedServer>
{
    private PrometheusServer Prometheus => scraped.Prometheus;

    [Fact]
    public async Task Prometheus_scrapes_the_server_without_errors()
    {
        (string health, string error) = await Prometheus.TargetAsync();

        Assert.Equal(("up", ""), (health, error));
    }

    [Fact]
    public async Task The_runs_of_the_job_are_counted_as_started_and_succeeded()
    {
        Assert.All(scraped.RunRecords, r => Assert.Equal(Catalog.RunStatus.Succeeded, r.Status));

        Assert.Equal(ScrapedServer.Runs, await Prometheus.WaitForValueAsync($"medallion_runs_started_total{{job=\"{ScrapedServer.Job}\"}}", v => v == ScrapedServer.Runs));
        Assert.Equal(ScrapedServer.Runs, await Prometheus.WaitForValueAsync($"medallion_runs_succeeded_total{{job=\"{ScrapedServer.Job}\"}}", v => v == ScrapedServer.Runs));
        Assert.Equal(ScrapedServer.Runs, await Prometheus.WaitForValueAsync($"medallion_run_duration_seconds_count{{job=\"{ScrapedServer.Job}\",status=\"succeeded\"}}", v => v == ScrapedServer.Runs));
        Assert.Equal(0, await Prometheus.WaitForValueAsync($"medallion_runs_failed_total{{job=\"{ScrapedServer.Job}\"}}"));
    }

    [Fact]
    public async Task Each_model_and_the_source_load_is_counted_with_its_job()
    {
        string[] models = ["bronze.m_orders", "silver.m_orders", "gold.m_total"];

        foreach (string model in models)
        {
            Assert.Equal(ScrapedServer.Runs, await Prometheus.WaitForValueAsync($"medallion_models_succeeded_total{{job=\"{ScrapedServer.Job}\",model=\"{model}\"}}", v => v == ScrapedServer.Runs));
            Assert.Equal(ScrapedServer.Runs, await Prometheus.WaitForValueAsync($"medallion_model_duration_seconds_count{{job=\"{ScrapedServer.Job}\",model=\"{model}\"}}", v => v == ScrapedServer.Runs));
        }
    }

    [Fact]
    public async Task Rows_written_and_loaded_are_the_rows_of_the_source_table()
    {
        // The silver model is a table (overwritten each run): 3 rows, then 4.
        Assert.Equal(ScrapedServer.SourceRows, await Prometheus.WaitForValueAsync($"medallion_source_rows_total{{source=\"{ScrapedServer.Source}\",table=\"bronze.m_orders\"}}", v => v == ScrapedServer.SourceRows));
        Assert.Equal(3 + 4, await Prometheus.WaitForValueAsync("medallion_table_rows_written_total{table=\"silver.m_orders\"}", v => v == 7));
        Assert.Equal(ScrapedServer.Runs, await Prometheus.WaitForValueAsync("medallion_table_rows_written_total{table=\"gold.m_total\"}", v => v == ScrapedServer.Runs));
        Assert.True(await Prometheus.WaitForValueAsync("medallion_table_written_bytes_total{table=\"silver.m_orders\"}") > 0);
    }

    [Fact]
    public async Task Each_table_reports_its_rows_version_files_size_and_freshness_from_the_catalog()
    {
        Assert.Equal(ScrapedServer.SourceRows, await Prometheus.WaitForValueAsync("medallion_table_rows{table=\"silver.m_orders\"}", v => v == ScrapedServer.SourceRows));
        Assert.Equal(ScrapedServer.SourceRows, await Prometheus.WaitForValueAsync("medallion_table_rows{table=\"bronze.m_orders\"}", v => v == ScrapedServer.SourceRows));
        Assert.Equal(1, await Prometheus.WaitForValueAsync("medallion_table_version{table=\"silver.m_orders\"}", v => v == 1));
        Assert.Equal(1, await Prometheus.WaitForValueAsync("medallion_table_files{table=\"silver.m_orders\"}"));
        Assert.True(await Prometheus.WaitForValueAsync("medallion_table_size_bytes{table=\"silver.m_orders\"}") > 0);
        Assert.InRange(await Prometheus.WaitForValueAsync("medallion_table_last_commit_age_seconds{table=\"gold.m_total\"}"), 0, 600);
    }

    [Fact]
    public async Task The_broken_warn_rule_is_counted_under_its_severity_once_per_run()
    {
        Assert.Equal(ScrapedServer.Runs, await Prometheus.WaitForValueAsync("medallion_quality_rules_broken_total{model=\"silver.m_orders\",severity=\"warn\"}", v => v == ScrapedServer.Runs));
    }

    [Fact]
    public async Task The_cdc_source_reports_its_slot_lag_the_age_of_its_position_and_the_latency_of_the_streamed_change()
    {
        // One streamed transaction, so one bronze commit carrying a source commit time (the snapshot carries none).
        Assert.Equal(1, await Prometheus.WaitForValueAsync($"medallion_source_commit_to_bronze_seconds_count{{source=\"{ScrapedServer.Source}\"}}"));
        Assert.True(await Prometheus.WaitForValueAsync($"medallion_source_slot_lag_bytes{{source=\"{ScrapedServer.Source}\",table=\"public.m_orders\"}}") >= 0);
        Assert.InRange(await Prometheus.WaitForValueAsync($"medallion_source_position_age_seconds{{source=\"{ScrapedServer.Source}\",table=\"public.m_orders\"}}"), 0, 600);
    }

    [Fact]
    public async Task The_scheduler_reports_the_start_delay_of_the_run_and_nothing_left_running()
    {
        Assert.Equal(ScrapedServer.Runs, await Prometheus.WaitForValueAsync($"medallion_scheduler_start_delay_seconds_count{{job=\"{ScrapedServer.Job}\"}}", v => v == ScrapedServer.Runs));
        Assert.Equal(0, await Prometheus.WaitForValueAsync("medallion_scheduler_running_runs", v => v == 0));
        Assert.Equal(0, await Prometheus.WaitForValueAsync("medallion_scheduler_running_models", v => v == 0));
    }

    [Fact]
    public async Task The_sql_endpoint_reports_its_query_and_the_bytes_it_sent()
    {
        Assert.True(await Prometheus.WaitForValueAsync("sum(medallion_sql_queries_total{outcome=\"ok\"})") >= 1);
        Assert.True(await Prometheus.WaitForValueAsync("sum(medallion_sql_query_duration_seconds_count)") >= 1);
        Assert.True(await Prometheus.WaitForValueAsync("sum(medallion_sql_sent_bytes_total)") > 0);
    }

    [Fact]
    public async Task The_process_reports_cpu_memory_gc_and_thread_pool()
    {
        foreach (string metric in new[] { "process_cpu_seconds_total", "process_working_set_bytes", "dotnet_total_memory_bytes", "dotnet_threadpool_threads" })
        {
            Assert.True(await Prometheus.WaitForValueAsync($"max({metric})") > 0, metric);
        }

        Assert.NotEmpty(await Prometheus.QueryAsync("dotnet_collection_count_total"));
    }

    [Fact]
    public async Task Every_expression_of_the_grafana_dashboard_runs_and_returns_series()
    {
        List<(string Panel, string Expr)> expressions = GrafanaDashboard.Expressions(GrafanaDashboard.Load());
        // The series the panels read exist by now.
        await Prometheus.WaitForValueAsync($"medallion_runs_succeeded_total{{job=\"{ScrapedServer.Job}\"}}");
        await Prometheus.WaitForValueAsync("sum(medallion_sql_queries_total)");

        // A rate() needs two scrapes after its counter first moved, so an expression may come back empty for a few
        // scrape intervals; each is asked again until a deadline, and one that never returns series fails the test.
        var empty = new List<string>();
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        foreach ((string panel, string expr) in expressions)
        {
            string promql = GrafanaDashboard.Substitute(expr);
            JsonElement[] result = await Prometheus.QueryAsync(promql);
            while (result.Length == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                result = await Prometheus.QueryAsync(promql);
            }

            if (result.Length == 0)
            {
                empty.Add($"{panel}: {promql}");
            }
        }

        Assert.True(expressions.Count >= 10, $"only {expressions.Count} expressions");
        Assert.Empty(empty);
    }
}
