using System;
using System.Diagnostics;
using Medallion.Catalog;
using Medallion.Pipelines.Running;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Medallion.Server.Observability;

/// <summary>
/// Traces of the platform's runs: a job run is a trace whose root span is the run, its attempts the pipeline's run spans
/// and each source load and model build a span under them (<see cref="PipelineTracing"/>). They are exported over OTLP
/// when the standard OpenTelemetry variables ask for it, so any collector (the OpenTelemetry Collector, Jaeger, Tempo,
/// Honeycomb) receives them with no Medallion setting.
/// </summary>
public static class Tracing
{
    /// <summary>The activity source of the scheduler's job runs.</summary>
    public const string SchedulerSourceName = "Medallion.Server";

    /// <summary>Tag: the job a run belongs to.</summary>
    public const string JobTag = "medallion.job";

    private static readonly ActivitySource s_scheduler = new(SchedulerSourceName);

    /// <summary>
    /// Starts exporting spans over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>)
    /// is set; returns null, and traces nothing, when neither is. The protocol is OTLP/HTTP with protobuf unless
    /// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> says <c>grpc</c>; the exporter reads the other standard variables (headers,
    /// timeout, <c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>) itself. Disposing the provider flushes what is
    /// buffered.
    /// </summary>
    /// <param name="environment">Reads a variable; the process environment when null.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.TelemetryConfigurationInvalid"/> when the endpoint is not an
    /// absolute http(s) URL or the protocol is unknown.</exception>
    public static TracerProvider? StartFromEnvironment(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        const string Endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT", TracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
        string? variable = !string.IsNullOrWhiteSpace(environment(TracesEndpoint)) ? TracesEndpoint
            : !string.IsNullOrWhiteSpace(environment(Endpoint)) ? Endpoint
            : null;
        if (variable is null)
        {
            return null;
        }

        string endpoint = environment(variable)!.Trim();
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new MedallionException(
                ErrorCode.TelemetryConfigurationInvalid,
                $"{variable} is '{endpoint}', which is not an absolute http or https URL, so no trace can be exported.\nHelp: set it to the collector's base URL, e.g. http://localhost:4318, or unset it.");
        }

        const string ProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";
        string? protocolText = environment("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? environment(ProtocolVariable);
        OtlpExportProtocol protocol = protocolText?.Trim() switch
        {
            null or "" or "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            "grpc" => OtlpExportProtocol.Grpc,
            _ => throw new MedallionException(
                ErrorCode.TelemetryConfigurationInvalid,
                $"{ProtocolVariable} is '{protocolText}'; Medallion exports traces over 'http/protobuf' (the default) or 'grpc'.\nHelp: set it to one of those, or unset it."),
        };

        ResourceBuilder resource = ResourceBuilder.CreateDefault();
        if (string.IsNullOrWhiteSpace(environment("OTEL_SERVICE_NAME")))
        {
            resource.AddService("medallion", serviceVersion: typeof(Tracing).Assembly.GetName().Version?.ToString());
        }

        return Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(SchedulerSourceName, PipelineTracing.Name)
            .AddOtlpExporter(otlp =>
            {
                otlp.Protocol = protocol;
                // Set from the variable that named it, the per-signal one taken as given and the general one with the
                // signal's path appended, as the OpenTelemetry specification has exporters do.
                otlp.Endpoint = variable == TracesEndpoint || protocol == OtlpExportProtocol.Grpc ? uri : new Uri(uri, uri.AbsolutePath.TrimEnd('/') + "/v1/traces");
            })
            .Build();
    }

    /// <summary>Starts the root span of a job's run: a trace of its own, whatever the caller was tracing.</summary>
    internal static Activity? StartJobRun(RunRecord run, string job)
    {
        // A run is queued by a request or a schedule tick but is not part of it: it gets a trace of its own. The change
        // to the ambient activity stays inside the calling async method.
        Activity.Current = null;
        Activity? span = s_scheduler.StartActivity("job " + job);
        span?.SetTag(PipelineTracing.RunIdTag, run.Id);
        span?.SetTag(JobTag, job);
        span?.SetTag("medallion.trigger", run.Trigger.ToString().ToLowerInvariant());
        return span;
    }

    /// <summary>Ends a job run's span with its final state.</summary>
    internal static void EndJobRun(Activity? span, RunStatus status)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(PipelineTracing.OutcomeTag, status.ToString().ToLowerInvariant());
        span.SetStatus(status == RunStatus.Succeeded ? ActivityStatusCode.Ok : status == RunStatus.Failed ? ActivityStatusCode.Error : ActivityStatusCode.Unset);
    }
}
