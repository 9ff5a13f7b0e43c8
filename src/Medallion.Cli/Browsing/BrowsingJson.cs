using System.Text.Json;
using Medallion.Catalog;
using Medallion.Cli.Output;
using Medallion.Platform;

namespace Medallion.Cli.Browsing;

/// <summary>The JSON shapes of the catalog commands (snake_case keys, ISO-8601 UTC times, null for unknown), shared with the quickstart.</summary>
internal static class BrowsingJson
{
    public static void Table(Utf8JsonWriter json, TableSummary table)
    {
        json.WriteStartObject();
        json.WriteString("table", table.Name.ToString());
        json.WriteString("namespace", table.Name.Namespace);
        json.WriteString("name", table.Name.Name);
        json.WriteString("kind", table.Kind.ToString().ToLowerInvariant());
        JsonReport.Number(json, "rows", table.Rows);
        JsonReport.Number(json, "version", table.Version);
        JsonReport.Time(json, "last_updated", table.UpdatedAt);
        JsonReport.String(json, "owner", table.Owner);
        JsonReport.Strings(json, "tags", table.Tags);
        JsonReport.String(json, "description", table.Description);
        json.WriteString("location", table.Location);
        json.WriteEndObject();
    }

    public static void Version(Utf8JsonWriter json, TableVersionInfo version)
    {
        json.WriteStartObject();
        json.WriteNumber("version", version.Version);
        JsonReport.Time(json, "timestamp", version.Timestamp);
        JsonReport.String(json, "operation", version.Operation);
        JsonReport.Number(json, "rows", version.Rows);
        JsonReport.String(json, "run_id", version.RunId);
        json.WriteEndObject();
    }

    public static void Column(Utf8JsonWriter json, ColumnInfo column)
    {
        json.WriteStartObject();
        json.WriteString("name", column.Name);
        json.WriteString("type", column.DataType);
        json.WriteBoolean("nullable", column.Nullable);
        JsonReport.String(json, "description", column.Description);
        JsonReport.String(json, "classification", column.Classification);
        JsonReport.Strings(json, "tags", column.Tags);
        json.WriteEndObject();
    }

    public static void Quality(Utf8JsonWriter json, QualityResultRecord result)
    {
        json.WriteStartObject();
        json.WriteString("run_id", result.RunId);
        json.WriteString("model", result.Model.ToString());
        json.WriteString("rule", result.Rule);
        json.WriteString("severity", result.Severity);
        json.WriteBoolean("passed", result.Passed);
        json.WriteString("status", result.Status);
        JsonReport.String(json, "not_checked", result.NotChecked);
        json.WriteNumber("failing_rows", result.FailingRows);
        JsonReport.Raw(json, "sample_rows", result.SampleRowsJson);
        JsonReport.Time(json, "checked_at", result.CheckedAt);
        json.WriteEndObject();
    }

    public static void Run(Utf8JsonWriter json, RunRecord run, RunSummary? counts)
    {
        json.WriteStartObject();
        json.WriteString("run_id", run.Id);
        JsonReport.Time(json, "started_at", run.StartedAt);
        JsonReport.Time(json, "finished_at", run.FinishedAt);
        if (run.FinishedAt is { } finished)
        {
            json.WriteNumber("duration_ms", (long)(finished - run.StartedAt).TotalMilliseconds);
        }
        else
        {
            json.WriteNull("duration_ms");
        }

        json.WriteString("status", BrowsingText.Status(run.Status));
        JsonReport.String(json, "selection", run.Selection);
        JsonReport.String(json, "error", run.Error);
        if (counts is not null)
        {
            json.WriteNumber("models_succeeded", counts.Succeeded);
            json.WriteNumber("models_failed", counts.Failed);
            json.WriteNumber("models_skipped", counts.Skipped);
        }

        json.WriteEndObject();
    }

    public static void ModelRun(Utf8JsonWriter json, ModelRunRecord model)
    {
        json.WriteStartObject();
        json.WriteString("run_id", model.RunId);
        json.WriteString("model", model.Model.ToString());
        json.WriteString("status", BrowsingText.Status(model.Status));
        JsonReport.Number(json, "rows_written", model.RowsWritten);
        json.WriteNumber("duration_ms", (long)model.Duration.TotalMilliseconds);
        JsonReport.Number(json, "committed_version", model.CommittedVersion);
        json.WriteStartObject("upstream_versions");
        foreach ((string table, long version) in model.UpstreamVersions)
        {
            json.WriteNumber(table, version);
        }

        json.WriteEndObject();
        JsonReport.String(json, "error", model.Error);
        json.WriteEndObject();
    }

    public static void SourceRun(Utf8JsonWriter json, SourceRunRecord pass)
    {
        json.WriteStartObject();
        json.WriteString("run_id", pass.RunId);
        json.WriteString("table", pass.Target.ToString());
        json.WriteNumber("pass", pass.Pass);
        json.WriteString("source", pass.Source);
        json.WriteString("source_table", pass.SourceTable);
        json.WriteString("mode", pass.Mode);
        json.WriteNumber("rows", pass.Rows);
        json.WriteNumber("batches", pass.Batches);
        JsonReport.Number(json, "committed_version", pass.CommittedVersion);
        JsonReport.String(json, "position", pass.Position);
        JsonReport.Number(json, "slot_lag_bytes", pass.SlotLagBytes);
        JsonReport.Time(json, "recorded_at", pass.RecordedAt);
        json.WriteEndObject();
    }
}
