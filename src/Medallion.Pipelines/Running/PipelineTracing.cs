using System;
using System.Diagnostics;
using Medallion.Catalog;

namespace Medallion.Pipelines.Running;

/// <summary>
/// The pipeline's spans, as <see cref="Activity"/> objects of the source <see cref="Name"/>: a run is a span and each of
/// its steps (a source load or a model build) a child span carrying its table, rows, committed version and outcome.
/// A tracer (the server's OTLP exporter) picks the source by name; without one no activity is created, so an untraced run
/// pays nothing.
/// </summary>
public static class PipelineTracing
{
    /// <summary>The activity source's name, for tracers that pick it.</summary>
    public const string Name = "Medallion.Pipelines";

    /// <summary>Tag: the run's id in the catalog.</summary>
    public const string RunIdTag = "medallion.run_id";

    /// <summary>Tag: the table a step writes, <c>namespace.name</c>.</summary>
    public const string TableTag = "medallion.table";

    /// <summary>Tag: how a step or run ended (succeeded, failed, skipped, cancelled).</summary>
    public const string OutcomeTag = "medallion.outcome";

    /// <summary>Tag: rows a step wrote or loaded.</summary>
    public const string RowsTag = "medallion.rows";

    /// <summary>Tag: the table version a step committed.</summary>
    public const string VersionTag = "medallion.version";

    private static readonly ActivitySource s_source = new(Name);

    internal static Activity? StartRun(string runId, string? selection)
    {
        Activity? span = s_source.StartActivity("run");
        span?.SetTag(RunIdTag, runId);
        if (selection is not null)
        {
            span?.SetTag("medallion.select", selection);
        }

        return span;
    }

    internal static void EndRun(Activity? span, RunStatus status, string? error)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(OutcomeTag, status.ToString().ToLowerInvariant());
        if (status == RunStatus.Failed)
        {
            span.SetStatus(ActivityStatusCode.Error, error);
        }
    }

    internal static Activity? StartStep(string runId, TableName table, StepKind kind)
    {
        // Low-cardinality names (the table is a tag too) so tracing back ends can group the spans of one model.
        Activity? span = s_source.StartActivity(kind == StepKind.Source ? "source " + table : "model " + table);
        span?.SetTag(RunIdTag, runId);
        span?.SetTag(TableTag, table.ToString());
        span?.SetTag("medallion.step", kind == StepKind.Source ? "source" : "model");
        return span;
    }

    internal static void EndStep(Activity? span, StepResult result)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(OutcomeTag, result.State.ToString().ToLowerInvariant());
        span.SetTag("medallion.mode", result.Mode == RunMode.Incremental ? "incremental" : "full");
        if (result.RowsWritten is long rows)
        {
            span.SetTag(RowsTag, rows);
        }

        if (result.CommittedVersion is long version)
        {
            span.SetTag(VersionTag, version);
        }

        if (result.State == StepState.Failed)
        {
            span.SetStatus(ActivityStatusCode.Error, result.Error);
            if (result.ErrorCode is { } code)
            {
                span.SetTag("medallion.error_code", ErrorCodes.Format(code));
            }
        }
        else if (result.State == StepState.Succeeded)
        {
            span.SetStatus(ActivityStatusCode.Ok);
        }
    }
}
