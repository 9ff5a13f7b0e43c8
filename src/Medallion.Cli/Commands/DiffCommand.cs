using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Cli.Output;
using Medallion.Platform;

namespace Medallion.Cli.Commands;

/// <summary><c>medallion diff &lt;table&gt;</c>: what differs between two versions of a table, computed in DuckDB.</summary>
internal static class DiffCommand
{
    internal enum DiffFormat
    {
        Text,
        Json,
        Markdown,
    }

    public static Command Create(TextWriter output)
    {
        var table = new Argument<string>("table") { Description = "The table, as namespace.name (e.g. gold.daily_revenue), or its bare name when only one namespace has it." };
        var environment = new Option<string?>("--env", "-e") { Description = "The environment whose table is compared (dev, pr-42: its own table for a model it built, else prod's). With --against, the default is prod." };
        var againstEnvironment = new Option<string?>("--against") { Description = "The environment compared against (default prod when --env is given)." };
        var version = new Option<long?>("--version") { Description = "The version compared. Default: the newest." };
        var against = new Option<long?>("--against-version") { Description = "The version compared against. Default: the one before --version, or the newest of --against's table." };
        var key = new Option<string[]>("--key", "-k") { Description = "A column that identifies a row (repeat for several): rows are matched by it and changed columns are named. Without it, whole rows are compared.", AllowMultipleArgumentsPerToken = true };
        var sample = new Option<int>("--sample") { Description = "How many differing rows to show of each kind.", DefaultValueFactory = _ => 5 };
        var format = new Option<DiffFormat>("--format", "-f") { Description = "Output: text, json or markdown (a pull request comment).", DefaultValueFactory = _ => DiffFormat.Text };
        Option<string> project = ProjectOption.Create();
        var user = new Option<string?>("--user")
        {
            Description = "Compare as this user of the project. A diff shows rows, so it is refused unless the user reads the table in full (every column granted, none masked, no row filter).",
        };
        var command = new Command("diff", "Compare a table in two environments (--env dev --against prod) or two versions of it: row counts, rows only on one side, changed rows by key with the columns that changed and a sample, and per-column statistics.")
        {
            table, environment, againstEnvironment, version, against, key, sample, format, project, user,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string directory = ProjectOption.Resolve(parsed, project);
            string? reader = parsed.GetValue(user);
            await using CliAccess? access = reader is null ? null : await CliAccess.OpenAsync(directory, cancellationToken).ConfigureAwait(false);
            await using Lakehouse lakehouse = access is null || reader is null
                ? await Lakehouse.OpenAsync(directory, cancellationToken).ConfigureAwait(false)
                : await access.OpenLakehouseAsAsync(reader, cancellationToken).ConfigureAwait(false);
            TableName name = lakehouse.ResolveTable(parsed.GetRequiredValue(table));
            long? left = parsed.GetValue(version);
            long? right = parsed.GetValue(against);
            string? leftEnvironment = parsed.GetValue(environment);
            string? rightEnvironment = parsed.GetValue(againstEnvironment);
            DiffSide leftSide, rightSide;
            if (leftEnvironment is not null || rightEnvironment is not null)
            {
                // Environments: the same model in two of them, each at its newest version unless one is named.
                leftSide = await lakehouse.EnvironmentSideAsync(name, leftEnvironment ?? EnvironmentStore.Production, left, cancellationToken).ConfigureAwait(false);
                rightSide = await lakehouse.EnvironmentSideAsync(name, rightEnvironment ?? EnvironmentStore.Production, right, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (right is null)
                {
                    long newest = left ?? (await lakehouse.GetTableHistoryAsync(name, 1, cancellationToken: cancellationToken).ConfigureAwait(false))[0].Version;
                    right = newest > 0 ? newest - 1
                        : throw new MedallionException(ErrorCode.CommandLineInvalid, $"{name} has only version 0, so there is no version before it to compare with.\nHelp: give --against-version, or run it again first.");
                }

                (leftSide, rightSide) = (lakehouse.VersionSide(name, left), lakehouse.VersionSide(name, right));
            }

            TableDiff diff = await lakehouse.DiffAsync(name, leftSide, rightSide, parsed.GetValue(key) ?? [], parsed.GetValue(sample), cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(Render(diff, parsed.GetValue(format))).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>A diff as the command prints it.</summary>
    internal static string Render(TableDiff diff, DiffFormat format) => format switch
    {
        DiffFormat.Json => Json(diff),
        DiffFormat.Markdown => Markdown(diff),
        _ => Text(diff),
    };

    private static string Counts(TableDiff diff)
    {
        string matched = diff.Key.Count == 0 ? "rows compared whole" : $"matched by {string.Join(", ", diff.Key)}";
        return $"{diff.LeftRows:N0} rows on {diff.Left.Label}, {diff.RightRows:N0} on {diff.Right.Label} ({matched}): "
            + $"{diff.OnlyLeft:N0} only on {diff.Left.Label}, {diff.OnlyRight:N0} only on {diff.Right.Label}"
            + (diff.Changed is long changed ? $", {changed:N0} changed" : string.Empty);
    }

    private static string Text(TableDiff diff)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{diff.Table}: {(diff.Same ? "no difference" : "differs")}\n  {Counts(diff)}\n");
        foreach (ColumnDiff column in diff.Columns.Where(c => c.LeftType != c.RightType || c.ChangedRows > 0))
        {
            string what = column.LeftType is null ? $"only on {diff.Right.Label} ({column.RightType})"
                : column.RightType is null ? $"only on {diff.Left.Label} ({column.LeftType})"
                : column.LeftType != column.RightType ? $"{column.LeftType} on {diff.Left.Label}, {column.RightType} on {diff.Right.Label}"
                : $"{column.ChangedRows:N0} rows changed";
            text.Append(CultureInfo.InvariantCulture, $"  column {column.Name}: {what}\n");
        }

        foreach (DiffSample sample in diff.Samples)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {Kind(diff, sample)}: {string.Join(", ", sample.Values.Select(v => $"{v.Key}={v.Value ?? "NULL"}"))}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"  statistics ({diff.Left.Label} | {diff.Right.Label}{DistinctSampleNote(diff, "; ")}):\n");
        foreach (ColumnDiff column in diff.Columns)
        {
            text.Append(CultureInfo.InvariantCulture, $"    {column.Name}: {Stats(column.Left)} | {Stats(column.Right)}\n");
        }

        return text.ToString();
    }

    /// <summary>A sample's kind with the side it is on: <c>only on version 3</c>.</summary>
    private static string Kind(TableDiff diff, DiffSample sample) => sample.Kind switch
    {
        "only left" => $"only on {diff.Left.Label}",
        "only right" => $"only on {diff.Right.Label}",
        _ => sample.Kind,
    };

    /// <summary>
    /// Says which side's distinct counts were estimated in a sample (<see cref="ColumnStats.DistinctSampleRows"/>) and of
    /// how many rows, after <paramref name="separator"/>; empty when both were counted over every row.
    /// </summary>
    private static string DistinctSampleNote(TableDiff diff, string separator)
    {
        long? left = diff.Columns.Select(c => c.Left?.DistinctSampleRows).FirstOrDefault(r => r is not null);
        long? right = diff.Columns.Select(c => c.Right?.DistinctSampleRows).FirstOrDefault(r => r is not null);
        List<string> sides = [.. new[] { (diff.Left.Label, left), (diff.Right.Label, right) }
            .Where(s => s.Item2 is not null).Select(s => $"{s.Item2:N0} rows of {s.Item1}")];
        return sides.Count == 0 ? string.Empty : $"{separator}distinct values estimated in a sample of {string.Join(" and ", sides)}";
    }

    private static string Stats(ColumnStats? stats) => stats is null
        ? "-"
        : $"nulls {stats.Nulls:N0}, distinct ~{stats.Distinct:N0}" + (stats.Min is null ? "" : $", min {stats.Min}, max {stats.Max}") + (stats.Mean is double mean ? $", mean {mean.ToString("G6", CultureInfo.InvariantCulture)}" : "");

    private static string Markdown(TableDiff diff)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"#### `{diff.Table}`: {(diff.Same ? "no difference" : "differs")}\n\n{Counts(diff)}.\n\n");
        text.Append(CultureInfo.InvariantCulture, $"| column | type on {diff.Left.Label} | type on {diff.Right.Label} | changed rows | nulls ({diff.Right.Label} → {diff.Left.Label}) | distinct ({diff.Right.Label} → {diff.Left.Label}) |\n|---|---|---|---|---|---|\n");
        foreach (ColumnDiff column in diff.Columns)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"| `{column.Name}` | {column.LeftType ?? "-"} | {column.RightType ?? "-"} | {(column.ChangedRows?.ToString("N0", CultureInfo.InvariantCulture) ?? "-")} | {column.Right?.Nulls.ToString("N0", CultureInfo.InvariantCulture) ?? "-"} → {column.Left?.Nulls.ToString("N0", CultureInfo.InvariantCulture) ?? "-"} | {column.Right?.Distinct.ToString("N0", CultureInfo.InvariantCulture) ?? "-"} → {column.Left?.Distinct.ToString("N0", CultureInfo.InvariantCulture) ?? "-"} |\n");
        }

        string note = DistinctSampleNote(diff, string.Empty);
        if (note.Length > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{char.ToUpperInvariant(note[0])}{note[1..]}.\n");
        }

        if (diff.Samples.Count > 0)
        {
            text.Append("\n<details><summary>sample of differing rows</summary>\n\n");
            foreach (DiffSample sample in diff.Samples)
            {
                text.Append(CultureInfo.InvariantCulture, $"- {Kind(diff, sample)}: {string.Join(", ", sample.Values.Select(v => $"`{v.Key}`={v.Value ?? "NULL"}"))}\n");
            }

            text.Append("\n</details>\n");
        }

        return text.ToString();
    }

    private static string Json(TableDiff diff)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("table", diff.Table.ToString());
            json.WriteString("left", diff.Left.Label);
            json.WriteString("right", diff.Right.Label);
            json.WriteStartArray("key");
            diff.Key.ToList().ForEach(json.WriteStringValue);
            json.WriteEndArray();
            json.WriteBoolean("same", diff.Same);
            json.WriteNumber("left_rows", diff.LeftRows);
            json.WriteNumber("right_rows", diff.RightRows);
            json.WriteNumber("only_left", diff.OnlyLeft);
            json.WriteNumber("only_right", diff.OnlyRight);
            json.WriteNumberOrNull("changed", diff.Changed);

            json.WriteStartArray("columns");
            foreach (ColumnDiff column in diff.Columns)
            {
                json.WriteStartObject();
                json.WriteString("name", column.Name);
                json.WriteString("left_type", column.LeftType);
                json.WriteString("right_type", column.RightType);
                json.WriteNumberOrNull("changed_rows", column.ChangedRows);

                WriteStats(json, "left_stats", column.Left);
                WriteStats(json, "right_stats", column.Right);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("samples");
            foreach (DiffSample sample in diff.Samples)
            {
                json.WriteStartObject();
                json.WriteString("kind", sample.Kind);
                json.WriteStartObject("values");
                foreach ((string column, string? value) in sample.Values)
                {
                    json.WriteString(column, value);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteStats(Utf8JsonWriter json, string name, ColumnStats? stats)
    {
        if (stats is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteNumber("nulls", stats.Nulls);
        json.WriteNumber("distinct", stats.Distinct);
        json.WriteString("min", stats.Min);
        json.WriteString("max", stats.Max);
        json.WriteNumberOrNull("mean", stats.Mean);
        json.WriteNumberOrNull("distinct_sample_rows", stats.DistinctSampleRows);

        json.WriteEndObject();
    }

}
