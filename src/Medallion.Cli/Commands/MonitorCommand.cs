using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Cli.Browsing;
using Medallion.Cli.Output;
using Medallion.Platform;
using Medallion.Platform.Observability;

namespace Medallion.Cli.Commands;

/// <summary><c>medallion monitor [table]</c>: each built table's five pillars and its volume and freshness anomalies, from the Delta logs alone.</summary>
internal static class MonitorCommand
{
    public static Command Create(TextWriter output)
    {
        var table = new Argument<string?>("table") { Description = "One table, as namespace.name (or its bare name); every built table when left out.", Arity = ArgumentArity.ZeroOrOne };
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var user = new Option<string?>("--user")
        {
            Description = "Show what this user of the project may see: only tables granted to the user, and no minimum, maximum or distinct estimate of a column the user reads masked (they describe the stored values).",
        };
        var command = new Command("monitor", "Show each table's freshness, volume, schema changes, column nulls, bounds and estimated distinct values, and volume and freshness anomalies (read from the Delta log, no scan).")
        {
            table, format, project, user,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            TableName? name = parsed.GetValue(table) is { } text ? lakehouse.ResolveTable(text) : null;
            DateTimeOffset now = DateTimeOffset.UtcNow;
            IReadOnlyList<TableObservation> observations = await lakehouse.ObserveAsync(name, now, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (parsed.GetValue(user) is { } viewer)
            {
                observations = await ForUserAsync(ProjectOption.Resolve(parsed, project), viewer, observations, cancellationToken).ConfigureAwait(false);
            }

            if (parsed.GetValue(format) == ReportFormat.Json)
            {
                JsonReport.Write(output, json =>
                {
                    json.WriteStartArray();
                    foreach (TableObservation o in observations)
                    {
                        Json(json, o);
                    }

                    json.WriteEndArray();
                });
                return 0;
            }

            foreach (TableObservation o in observations)
            {
                Text(output, o);
            }

            int anomalous = observations.Count(o => o.Anomalies.Count > 0);
            await output.WriteLineAsync($"({BrowsingText.Plural(observations.Count, "table")}, {anomalous} with anomalies)").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>The observations a user may see (see <see cref="Platform.Access.ReaderView.Show(TableObservation)"/>).</summary>
    private static async Task<IReadOnlyList<TableObservation>> ForUserAsync(string projectDirectory, string user, IReadOnlyList<TableObservation> observations, CancellationToken cancellationToken)
    {
        await using CliAccess access = await CliAccess.OpenAsync(projectDirectory, cancellationToken).ConfigureAwait(false);
        Platform.Access.ReaderView reader = await access.ReaderViewAsync(user, cancellationToken).ConfigureAwait(false);
        return [.. observations.Select(reader.Show).OfType<TableObservation>()];
    }

    private static void Text(TextWriter output, TableObservation o)
    {
        output.WriteLine($"{o.Table}  version {o.Version}");
        output.WriteLine($"  freshness     last load {BrowsingText.Time(o.LastDataChange)} ({DurationText.Format(o.Age)} ago)");
        output.WriteLine($"  volume        {BrowsingText.Count(o.TotalRows)} rows, {BrowsingText.Count(o.RowsAddedLastLoad)} added by the last load");
        output.WriteLine(o.SchemaChanges.Count == 0 ? "  schema        no changes in the log" : "  schema        changes:");
        foreach (SchemaChange change in o.SchemaChanges)
        {
            output.WriteLine($"                version {change.Version} at {BrowsingText.Time(change.Timestamp)}: {change.Describe()}");
        }

        output.WriteLine("  distribution");
        var rows = o.Columns.Select(c => new[]
        {
            c.Column, c.Type, BrowsingText.Count(c.NullCount),
            c.NullFraction is double f ? f.ToString("P1", CultureInfo.InvariantCulture) : "-", c.Min ?? "-", c.Max ?? "-",
            c.ApproxDistinct is long d ? "~" + BrowsingText.Count(d) : "-",
        }).ToList();
        using (var indented = new StringWriter(CultureInfo.InvariantCulture))
        {
            TextTable.Write(indented, ["column", "type", "nulls", "null %", "min", "max", "distinct"], [false, false, true, true, false, false, true], rows);
            foreach (string line in indented.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                output.WriteLine("    " + line.TrimEnd('\r'));
            }
        }

        if (o.DistinctCountsVersion is long estimated)
        {
            output.WriteLine($"    distinct: estimated by the build of version {estimated}{(estimated == o.Version ? "" : " (later commits recorded none)")}");
        }

        output.WriteLine(o.Anomalies.Count == 0 ? "  anomalies     none" : "  anomalies");
        foreach (Anomaly anomaly in o.Anomalies)
        {
            output.WriteLine($"    {BrowsingText.Time(anomaly.Score.Point.Time)}  {anomaly.Describe()}");
        }

        output.WriteLine();
    }

    private static void Json(Utf8JsonWriter json, TableObservation o)
    {
        json.WriteStartObject();
        json.WriteString("table", o.Table.ToString());
        json.WriteNumber("version", o.Version);
        json.WriteString("last_commit", o.LastCommit);
        Nullable(json, "last_load", o.LastDataChange);
        json.WriteNumber("age_seconds", Math.Round(o.Age.TotalSeconds));
        json.WriteNumberOrNull("rows", o.TotalRows);
        json.WriteNumberOrNull("rows_added_last_load", o.RowsAddedLastLoad);
        json.WriteNumberOrNull("distinct_counts_version", o.DistinctCountsVersion);
        json.WriteStartArray("schema_changes");
        foreach (SchemaChange change in o.SchemaChanges)
        {
            json.WriteStartObject();
            json.WriteNumber("version", change.Version);
            json.WriteString("time", change.Timestamp);
            Strings(json, "added", change.Added);
            Strings(json, "removed", change.Removed);
            Strings(json, "type_changed", change.TypeChanged);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("columns");
        foreach (ColumnDistribution c in o.Columns)
        {
            json.WriteStartObject();
            json.WriteString("name", c.Column);
            json.WriteString("type", c.Type);
            json.WriteNumberOrNull("null_count", c.NullCount);
            if (c.NullFraction is double fraction)
            {
                json.WriteNumber("null_fraction", fraction);
            }
            else
            {
                json.WriteNull("null_fraction");
            }

            // The bounds are JSON already (numbers, or strings for dates and text).
            Raw(json, "min", c.Min);
            Raw(json, "max", c.Max);
            json.WriteNumberOrNull("approx_distinct", c.ApproxDistinct);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("anomalies");
        foreach (Anomaly a in o.Anomalies)
        {
            json.WriteStartObject();
            json.WriteString("metric", a.Metric.ToString().ToLowerInvariant());
            json.WriteNumberOrNull("version", a.Version);
            json.WriteString("time", a.Score.Point.Time);
            json.WriteBoolean("pending", a.Pending);
            json.WriteNumber("value", Math.Round(a.Score.Point.Value, 3));
            json.WriteNumber("expected", Math.Round(a.Score.Expected, 3));
            json.WriteNumber("score", Math.Round(a.Score.Score, 2));
            json.WriteBoolean("seasonal", a.Score.Seasonal);
            json.WriteString("description", a.Describe());
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Nullable(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } t)
        {
            json.WriteString(name, t);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void Raw(Utf8JsonWriter json, string name, string? value)
    {
        json.WritePropertyName(name);
        if (value is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteRawValue(value);
        }
    }

    private static void Strings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
