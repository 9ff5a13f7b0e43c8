using Medallion.Catalog;
using Medallion.Pipelines.Running;
using Medallion.Server.Observability;
using Medallion.Server.Scheduling;
using Medallion.Server.Tests.Scheduling;
using OpenTelemetry.Trace;

namespace Medallion.Server.Tests.Observability;

/// <summary>Runs traced through the real OTLP exporter into a receiver that decodes what arrives.</summary>
public sealed class TracingTests : IAsyncLifetime
{
    private readonly SchedulerProject _project = new("jobs:\n  - name: nightly\n    select: silver.orders\n  - name: broken\n    select: silver.broken\n");
    private OtlpReceiver? _receiver;

    public TracingTests() =>
        // Fails when it runs (the cast), not when the project loads.
        _project.Files.Write("models/silver/broken.sql", "SELECT CAST('not a number' AS INTEGER) AS id FROM bronze.orders");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _project.DisposeAsync();
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_job_run_is_one_trace_whose_sources_and_models_are_spans_under_its_run()
    {
        (List<OtlpSpan> spans, RunRecord run) = await TraceJobAsync("nightly");

        OtlpSpan job = Assert.Single(spans, s => s.Name == "job nightly");
        OtlpSpan attempt = Assert.Single(spans, s => s.Name == "run");
        OtlpSpan source = Assert.Single(spans, s => s.Name == "source bronze.orders");
        OtlpSpan model = Assert.Single(spans, s => s.Name == "model silver.orders");
        Assert.Null(job.ParentSpanId);
        Assert.Equal(job.SpanId, attempt.ParentSpanId);
        Assert.Equal((attempt.SpanId, attempt.SpanId), (source.ParentSpanId, model.ParentSpanId));
        Assert.Single(spans.Select(s => s.TraceId).Distinct());
        Assert.Equal(("nightly", "succeeded", OtlpSpan.Ok), (job[Tracing.JobTag], job[PipelineTracing.OutcomeTag], job.StatusCode));
        Assert.Equal(run.Id, model[PipelineTracing.RunIdTag]);
        Assert.Equal(("silver.orders", 2L, 0L, "succeeded"), (model[PipelineTracing.TableTag], model[PipelineTracing.RowsTag], model[PipelineTracing.VersionTag], model[PipelineTracing.OutcomeTag]));
        Assert.Equal(("bronze.orders", 2L), (source[PipelineTracing.TableTag], source[PipelineTracing.RowsTag]));
    }

    [Fact]
    public async Task A_failed_model_is_an_error_span_with_the_error_and_the_run_is_an_error_too()
    {
        (List<OtlpSpan> spans, _) = await TraceJobAsync("broken");

        OtlpSpan model = Assert.Single(spans, s => s.Name == "model silver.broken");
        Assert.Equal(("failed", OtlpSpan.Error), (model[PipelineTracing.OutcomeTag], model.StatusCode));
        Assert.Contains("not a number", model.StatusMessage, StringComparison.Ordinal);
        Assert.Equal(OtlpSpan.Error, Assert.Single(spans, s => s.Name == "job broken").StatusCode);
    }

    [Fact]
    public async Task The_exporter_posts_to_the_traces_path_under_the_endpoint_over_http_protobuf()
    {
        await TraceJobAsync("nightly");

        Assert.All(_receiver!.Paths, path => Assert.Equal("/v1/traces", path));
    }

    [Fact]
    public void Without_an_endpoint_variable_nothing_is_traced()
    {
        Assert.Null(Tracing.StartFromEnvironment(_ => null));
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector/v1/traces")]
    public void An_endpoint_that_is_not_an_http_url_is_refused_naming_the_variable_and_value(string variable, string value)
    {
        MedallionException refused = Assert.Throws<MedallionException>(() => Tracing.StartFromEnvironment(name => name == variable ? value : null));

        Assert.Equal(ErrorCode.TelemetryConfigurationInvalid, refused.Code);
        Assert.StartsWith($"{variable} is '{value}', which is not an absolute http or https URL", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_protocol_is_refused_naming_the_ones_there_are()
    {
        MedallionException refused = Assert.Throws<MedallionException>(() => Tracing.StartFromEnvironment(name => name switch
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT" => "http://127.0.0.1:4318",
            "OTEL_EXPORTER_OTLP_PROTOCOL" => "http/json",
            _ => null,
        }));

        Assert.Contains("'http/json'; Medallion exports traces over 'http/protobuf' (the default) or 'grpc'", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Triggers a job with tracing on, flushes, and returns the spans of its run.</summary>
    private async Task<(List<OtlpSpan> Spans, RunRecord Run)> TraceJobAsync(string job)
    {
        _receiver = await OtlpReceiver.StartAsync();
        using TracerProvider tracing = Tracing.StartFromEnvironment(name => name == "OTEL_EXPORTER_OTLP_ENDPOINT" ? _receiver.Endpoint.ToString() : null)!;
        JobScheduler scheduler = await _project.StartAsync();
        await scheduler.TriggerAsync(job);
        RunRecord run = Assert.Single(await _project.WaitForRunsAsync(job, 1));
        Assert.True(tracing.ForceFlush(10_000));
        // Other tests of this process run jobs too while the tracer listens: keep this run's spans.
        List<OtlpSpan> all = await _receiver.WaitForAsync(spans => spans.Any(s => s.Name == "job " + job && Equals(s[PipelineTracing.RunIdTag], run.Id)));
        string trace = all.First(s => s.Name == "job " + job && Equals(s[PipelineTracing.RunIdTag], run.Id)).TraceId;
        return ([.. all.Where(s => s.TraceId == trace)], run);
    }
}
