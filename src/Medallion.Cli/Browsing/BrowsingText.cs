using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Medallion.Catalog;
using Medallion.Cli.Output;
using Medallion.Platform;

namespace Medallion.Cli.Browsing;

/// <summary>The people-facing renderings of the catalog commands, shared with the quickstart's summary.</summary>
internal static class BrowsingText
{
    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";

    public static string Count(long? value) => value is long n ? n.ToString("N0", CultureInfo.InvariantCulture) : "-";

    public static string Duration(TimeSpan? duration) => duration is { } d ? DurationText.Format(d) : "-";

    public static string Status(RunStatus status) => status.ToString().ToLowerInvariant();

    public static string Plural(int count, string singular) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + (count == 1 ? singular : singular + "s");

    public static void WriteTables(TextWriter output, IReadOnlyList<TableSummary> tables)
    {
        TextTable.Write(
            output,
            ["namespace", "name", "rows", "version", "last updated", "owner", "tags", "description"],
            [false, false, true, true, false, false, false, false],
            tables.Select(t => new[]
            {
                t.Name.Namespace, t.Name.Name, Count(t.Rows), t.Version?.ToString(CultureInfo.InvariantCulture) ?? "-",
                t.Built ? Time(t.UpdatedAt) : "not built", t.Owner ?? "-", t.Tags.Count == 0 ? "-" : string.Join(", ", t.Tags), Shorten(t.Description),
            }).ToList());
    }

    public static void WriteVersions(TextWriter output, IReadOnlyList<TableVersionInfo> versions) =>
        TextTable.Write(
            output,
            ["version", "committed", "operation", "rows", "run"],
            [true, false, false, true, false],
            versions.Select(v => new[]
            {
                v.Version.ToString(CultureInfo.InvariantCulture), Time(v.Timestamp), v.Operation ?? "-", Count(v.Rows), v.RunId ?? "-",
            }).ToList());

    public static void WriteQuality(TextWriter output, IReadOnlyList<QualityResultRecord> results, bool withModel) =>
        TextTable.Write(
            output,
            withModel ? ["model", "rule", "severity", "result", "failing rows"] : ["rule", "severity", "result", "failing rows"],
            withModel ? [false, false, false, false, true] : [false, false, false, true],
            results.Select(r =>
            {
                string[] row = [r.Rule, r.Severity, Outcome(r), Count(r.FailingRows)];
                return withModel ? [r.Model.ToString(), .. row] : row;
            }).ToList());

    /// <summary>passed, not checked (and why), or what the severity did with the failing rows.</summary>
    public static string Outcome(QualityResultRecord result) => !result.Broken
        ? result.StatusText
        : result.Severity.ToLowerInvariant() switch
        {
            "warn" => "warned",
            "quarantine" => "quarantined",
            _ => "FAILED",
        };

    public static void WriteRuns(TextWriter output, IReadOnlyList<RunSummary> runs) =>
        TextTable.Write(
            output,
            ["run", "env", "started", "duration", "status", "ok", "failed", "skipped"],
            [false, false, false, true, false, true, true, true],
            runs.Select(r => new[]
            {
                r.Run.Id, r.Run.Environment, Time(r.Run.StartedAt), Duration(r.Duration), Status(r.Run.Status),
                r.Succeeded.ToString(CultureInfo.InvariantCulture), r.Failed.ToString(CultureInfo.InvariantCulture), r.Skipped.ToString(CultureInfo.InvariantCulture),
            }).ToList());

    public static void WriteModelRuns(TextWriter output, IReadOnlyList<ModelRunRecord> models) =>
        TextTable.Write(
            output,
            ["model", "status", "rows written", "duration", "version", "error"],
            [false, false, true, true, true, false],
            models.Select(m => new[]
            {
                m.Model.ToString(), Status(m.Status), Count(m.RowsWritten), Duration(m.Duration),
                m.CommittedVersion?.ToString(CultureInfo.InvariantCulture) ?? "-", Shorten(m.Error),
            }).ToList());

    public static void WriteSourceRuns(TextWriter output, IReadOnlyList<SourceRunRecord> passes) =>
        TextTable.Write(
            output,
            ["table", "pass", "source", "mode", "rows", "batches", "version", "position", "slot lag"],
            [false, true, false, false, true, true, true, false, true],
            passes.Select(p => new[]
            {
                p.Target.ToString(), p.Pass.ToString(CultureInfo.InvariantCulture), $"{p.Source}: {p.SourceTable}", p.Mode,
                p.Rows.ToString(CultureInfo.InvariantCulture), p.Batches.ToString(CultureInfo.InvariantCulture),
                p.CommittedVersion?.ToString(CultureInfo.InvariantCulture) ?? "-", p.Position ?? "-", Bytes(p.SlotLagBytes),
            }).ToList());

    /// <summary>A byte count as people read it (1.5 MB), or "-".</summary>
    public static string Bytes(long? bytes) => bytes switch
    {
        null => "-",
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} kB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB"),
    };

    /// <summary>The first line of a text, cut to fit a table cell.</summary>
    public static string Shorten(string? text, int width = 60)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "-";
        }

        string line = text.Trim().ReplaceLineEndings("\n").Split('\n')[0];
        return line.Length <= width ? line : line[..(width - 1)] + "…";
    }
}
