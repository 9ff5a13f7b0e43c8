using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.Pipelines.Running;

namespace Medallion.Cli.Output;

/// <summary>How <c>medallion run</c> prints a result: an aligned summary table for people, or JSON for programs.</summary>
internal static class RunReport
{
    public static string State(StepState state) => state.ToString().ToLowerInvariant();

    public static string Rows(StepResult step) => step.RowsWritten?.ToString(CultureInfo.InvariantCulture) ?? "-";

    public static string Version(StepResult step) => step.CommittedVersion is long v ? "v" + v.ToString(CultureInfo.InvariantCulture) : "-";

    public static string Mode(StepResult step) => step.State == StepState.Succeeded && step.Kind == StepKind.Model ? step.Mode.ToString().ToLowerInvariant() : "-";

    /// <summary>What to say after the figures: the error of a failed step, else its notes.</summary>
    public static string Detail(StepResult step) => StepError(step) ?? string.Join("; ", step.Notes);

    /// <summary>
    /// A step's error where the report has named the step already (its row, "silver.orders failed:"): an error that does
    /// not name its table itself carries it in front, for where it is read alone (the run's error, alerts), not here.
    /// </summary>
    private static string? StepError(StepResult step) =>
        step.Error is { } error && error.StartsWith(step.Table + ": ", StringComparison.Ordinal) ? error[(step.Table.ToString().Length + 2)..] : step.Error;

    public static string Summary(RunResult result)
    {
        string[] header = ["table", "kind", "state", "mode", "rows", "version", "time", "notes"];
        var rows = result.Steps.Select(s => new[]
        {
            s.Table.ToString(), s.Kind.ToString().ToLowerInvariant(), State(s.State), Mode(s), Rows(s), Version(s), DurationText.Format(s.Duration),
            FirstLine(Detail(s)),
        }).ToList();
        int[] widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder("\n");
        void Line(string[] cells) => text.Append(string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd()).Append('\n');
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToArray());
        rows.ForEach(Line);
        int count(StepState state) => result.Steps.Count(s => s.State == state);
        text.Append(CultureInfo.InvariantCulture,
            $"\nRun {result.RunId} {result.Status.ToString().ToLowerInvariant()} in {DurationText.Format(result.Duration)}: {count(StepState.Succeeded)} succeeded, {count(StepState.Failed)} failed, {count(StepState.Skipped)} skipped, {count(StepState.Cancelled)} cancelled.\n");
        foreach (StepResult failed in result.Steps.Where(s => s.State == StepState.Failed))
        {
            (string message, string? help) = FlagHelp.Combine(StepError(failed) ?? string.Empty, FlagHelp.For(failed.ErrorCode, "run"));
            text.Append('\n').Append(failed.Table).Append(" failed:\n  ").Append(message.Replace("\n", "\n  ", StringComparison.Ordinal)).Append('\n');
            if (help is not null)
            {
                text.Append("  Help: ").Append(help).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string FirstLine(string text) => text.Split('\n')[0];

    public static string Json(RunResult result)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("run_id", result.RunId);
            writer.WriteString("status", result.Status.ToString().ToLowerInvariant());
            writer.WriteNumber("duration_ms", (long)result.Duration.TotalMilliseconds);
            writer.WriteStartArray("steps");
            foreach (StepResult step in result.Steps)
            {
                writer.WriteStartObject();
                writer.WriteString("table", step.Table.ToString());
                writer.WriteString("kind", step.Kind.ToString().ToLowerInvariant());
                writer.WriteString("state", State(step.State));
                writer.WriteString("mode", step.Mode.ToString().ToLowerInvariant());
                writer.WriteNumberOrNull("rows_written", step.RowsWritten);
                writer.WriteNumberOrNull("committed_version", step.CommittedVersion);
                writer.WriteStartObject("upstream_versions");
                foreach ((string table, long version) in step.UpstreamVersions.OrderBy(v => v.Key, StringComparer.Ordinal))
                {
                    writer.WriteNumber(table, version);
                }

                writer.WriteEndObject();
                writer.WriteNumber("duration_ms", (long)step.Duration.TotalMilliseconds);
                if (step.Error is null)
                {
                    writer.WriteNull("error");
                }
                else
                {
                    writer.WriteString("error", step.Error);
                }

                writer.WriteStartArray("notes");
                step.Notes.ToList().ForEach(writer.WriteStringValue);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>The step a progress line names, e.g. <c>silver.orders (model)</c>.</summary>
    public static string Step(TableName table, StepKind kind) => $"{table} ({kind.ToString().ToLowerInvariant()})";
}
