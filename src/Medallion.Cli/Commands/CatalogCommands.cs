using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Cli.Browsing;
using Medallion.Cli.Output;
using Medallion.Platform;
using Medallion.Platform.Json;

namespace Medallion.Cli.Commands;

/// <summary>
/// The catalog commands: <c>medallion tables</c>, <c>describe &lt;table&gt;</c>, <c>history &lt;table&gt;</c> and
/// <c>runs [run-id]</c>. Each reads the project, its catalog and the tables' Delta logs, and changes nothing.
/// </summary>
internal static class CatalogCommands
{
    public static IEnumerable<Command> Create(TextWriter output)
    {
        yield return Tables(output);
        yield return Describe(output);
        yield return History(output);
        yield return Runs(output);
    }

    private static Command Tables(TextWriter output)
    {
        var ns = new Option<string?>("--namespace", "-n") { Description = "Only the tables of this namespace (e.g. silver)." };
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var command = new Command("tables", "List the project's tables: rows, version, last update, owner, tags and description.") { ns, format, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            IReadOnlyList<TableSummary> tables = await lakehouse.ListTablesAsync(parsed.GetValue(ns), cancellationToken).ConfigureAwait(false);
            if (parsed.GetValue(format) == ReportFormat.Json)
            {
                JsonReport.Write(output, json => RecordJson.Write(json, tables));
                return 0;
            }

            BrowsingText.WriteTables(output, tables);
            await output.WriteLineAsync($"({BrowsingText.Plural(tables.Count, "table")}, {tables.Count(t => t.Built)} built)").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Describe(TextWriter output)
    {
        var table = new Argument<string>("table") { Description = "The table, as namespace.name (or its bare name when only one namespace has it)." };
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        var environment = new Option<string?>("--env", "-e")
        {
            Description = "Show the table this environment reads (prod, or one built with medallion apply --env; prod's for a model it did not build), with its versions, last run, quality and lineage there. Without it, prod's table with the lineage of the project's files.",
        };
        Option<string> project = ProjectOption.Create();
        var command = new Command("describe", "Show a table: location, schema with column docs and PII classes, owner, tags, versions, last run, quality, lineage.")
        {
            table, format, environment, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            TableDetails details = await lakehouse.DescribeTableAsync(lakehouse.ResolveTable(parsed.GetRequiredValue(table)), parsed.GetValue(environment), cancellationToken).ConfigureAwait(false);
            if (parsed.GetValue(format) == ReportFormat.Json)
            {
                JsonReport.Write(output, json => RecordJson.Write(json, details));
            }
            else
            {
                WriteDescribeText(output, details, parsed.GetValue(environment));
            }

            return 0;
        });
        return command;
    }

    private static Command History(TextWriter output)
    {
        var table = new Argument<string>("table") { Description = "The table, as namespace.name." };
        var last = new Option<int>("--last") { Description = "How many versions to show, newest first.", DefaultValueFactory = _ => 25 };
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var command = new Command("history", "List a table's versions from its Delta log: version, timestamp, operation, rows and the run that wrote it.")
        {
            table, last, format, project,
        };
        last.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError("--last must be a positive number of versions.");
            }
        });
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            TableName name = lakehouse.ResolveTable(parsed.GetRequiredValue(table));
            IReadOnlyList<TableVersionInfo> versions = await lakehouse.GetTableHistoryAsync(name, parsed.GetValue(last), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (parsed.GetValue(format) == ReportFormat.Json)
            {
                JsonReport.Write(output, json => RecordJson.Write(json, versions));
                return 0;
            }

            await output.WriteLineAsync(name.ToString()).ConfigureAwait(false);
            BrowsingText.WriteVersions(output, versions);
            await output.WriteLineAsync($"({BrowsingText.Plural(versions.Count, "version")})").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Runs(TextWriter output)
    {
        var runId = new Argument<string?>("run-id") { Description = "Show this run's models and quality results (a unique prefix of the id is enough).", Arity = ArgumentArity.ZeroOrOne };
        var last = new Option<int>("--last") { Description = "How many runs to list, newest first.", DefaultValueFactory = _ => 20 };
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var command = new Command("runs", "List recent runs (status, duration, models ok/failed/skipped), or one run's models and quality results.")
        {
            runId, last, format, project, PruneRuns(output),
        };
        last.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError("--last must be a positive number of runs.");
            }
        });
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            if (parsed.GetValue(runId) is { } id)
            {
                WriteRun(output, parsed.GetValue(format), await lakehouse.GetRunAsync(id, cancellationToken).ConfigureAwait(false));
                return 0;
            }

            IReadOnlyList<RunSummary> runs = await lakehouse.ListRunsAsync(parsed.GetValue(last), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (parsed.GetValue(format) == ReportFormat.Json)
            {
                JsonReport.Write(output, json => RecordJson.Write(json, runs));
                return 0;
            }

            if (runs.Count == 0)
            {
                await output.WriteLineAsync("No runs yet.\nHelp: 'medallion run' builds the project's tables and records the run.").ConfigureAwait(false);
                return 0;
            }

            BrowsingText.WriteRuns(output, runs);
            await output.WriteLineAsync($"({BrowsingText.Plural(runs.Count, "run")}; 'medallion runs <run>' shows one)").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command PruneRuns(TextWriter output)
    {
        var olderThan = new Option<string>("--older-than") { Description = "Prune the runs that started longer ago than this (e.g. 30d); the project's 'history: {keep}' (90d by default) when absent." };
        SqlEndpointArguments.AcceptOnlyDurations(olderThan, "30d, 12w or 36h", TimeSpan.FromMinutes(1));
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would be pruned; change nothing." };
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var command = new Command("prune", "Remove old finished runs (with their models, attempts, logs and quality results) from the catalog; running and queued runs and each job's latest run stay.")
        {
            olderThan, dryRun, format, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            TimeSpan? keep = parsed.GetValue(olderThan) is null ? lakehouse.Project.History.Keep : SqlEndpointArguments.ReadDuration(parsed, olderThan);
            if (keep is null)
            {
                await output.WriteLineAsync("The project keeps its run history forever (history: {keep: forever}); nothing pruned.\nHelp: pass --older-than 90d to prune once all the same.").ConfigureAwait(false);
                return 0;
            }

            RunPruning pruned = await lakehouse.PruneRunsAsync(DateTimeOffset.UtcNow - keep.Value, parsed.GetValue(dryRun), cancellationToken).ConfigureAwait(false);
            if (parsed.GetValue(format) == ReportFormat.Json)
            {
                JsonReport.Write(output, json =>
                {
                    json.WriteStartObject();
                    JsonReport.Time(json, "before", pruned.Before);
                    json.WriteBoolean("dry_run", pruned.DryRun);
                    json.WriteNumber("runs", pruned.Runs);
                    json.WriteNumber("model_runs", pruned.ModelRuns);
                    json.WriteNumber("source_runs", pruned.SourceRuns);
                    json.WriteNumber("attempts", pruned.Attempts);
                    json.WriteNumber("logs", pruned.Logs);
                    json.WriteNumber("quality_results", pruned.QualityResults);
                    json.WriteNumber("table_versions", pruned.TableVersions);
                    json.WriteNumber("backfills", pruned.Backfills);
                    json.WriteNumber("kept_runs", pruned.KeptRuns);
                    if (pruned.BytesFreed is long freed)
                    {
                        json.WriteNumber("bytes_freed", freed);
                    }
                    else
                    {
                        json.WriteNull("bytes_freed");
                    }
                    json.WriteEndObject();
                });
                return 0;
            }

            string verb = pruned.DryRun ? "Would prune" : "Pruned";
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{verb} {BrowsingText.Plural(pruned.Runs, "run")} that started before {JsonReport.FormatTime(pruned.Before)}: {pruned.ModelRuns} model runs, {pruned.SourceRuns} source passes, {pruned.Attempts} attempts, {pruned.Logs} log lines, {pruned.QualityResults} quality results, {pruned.TableVersions} table version records, {pruned.Backfills} backfills.")).ConfigureAwait(false);
            if (pruned.KeptRuns > 0)
            {
                await output.WriteLineAsync($"Kept {BrowsingText.Plural(pruned.KeptRuns, "older run")}: running or queued, the latest of a job, or the last to build a model or feed a source table.").ConfigureAwait(false);
            }

            if (!pruned.DryRun)
            {
                await output.WriteLineAsync(pruned.BytesFreed is long freed
                    ? string.Create(CultureInfo.InvariantCulture, $"The catalog file shrank by {freed / 1024.0:0.#} KB.")
                    : "The catalog's database keeps the freed space for the next runs (PostgreSQL's VACUUM).").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    private static void WriteRun(TextWriter output, ReportFormat format, RunDetails details)
    {
        if (format == ReportFormat.Json)
        {
            JsonReport.Write(output, json => RecordJson.Write(json, details));
            return;
        }

        (RunRecord run, IReadOnlyList<ModelRunRecord> models, IReadOnlyList<QualityResultRecord> quality, IReadOnlyList<SourceRunRecord> sources) = details;
        output.WriteLine($"Run {run.Id}: {BrowsingText.Status(run.Status)}");
        output.WriteLine($"  started   {BrowsingText.Time(run.StartedAt)}");
        output.WriteLine($"  finished  {BrowsingText.Time(run.FinishedAt)} ({BrowsingText.Duration(run.FinishedAt - run.StartedAt)})");
        output.WriteLine($"  selection {run.Selection ?? "everything"}");
        if (run.Error is not null)
        {
            output.WriteLine($"  error     {run.Error}");
        }

        output.WriteLine();
        output.WriteLine("Models");
        BrowsingText.WriteModelRuns(output, models);
        if (sources.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Database sources");
            BrowsingText.WriteSourceRuns(output, sources);
        }

        output.WriteLine();
        output.WriteLine("Quality");
        if (quality.Count == 0)
        {
            output.WriteLine("  (no expectations were checked)");
        }
        else
        {
            BrowsingText.WriteQuality(output, quality, withModel: true);
        }
    }

    private static void WriteDescribeText(TextWriter output, TableDetails details, string? environment)
    {
        TableSummary table = details.Summary;
        output.WriteLine($"{table.Name} ({table.Kind.ToString().ToLowerInvariant()}{(environment is null ? string.Empty : ", as environment " + environment + " reads it")})");
        if (table.Description is not null)
        {
            output.WriteLine("  " + table.Description.Trim().ReplaceLineEndings("\n  "));
        }

        output.WriteLine();
        var facts = new List<(string, string)>
        {
            ("owner", table.Owner ?? "-"),
            ("tags", table.Tags.Count == 0 ? "-" : string.Join(", ", table.Tags)),
            ("defined in", details.Definition ?? "-"),
            ("location", table.Location),
            ("version", table.Built ? $"{table.Version} ({BrowsingText.Count(table.Rows)} rows, committed {BrowsingText.Time(table.UpdatedAt)})" : "not built yet"),
            ("partitions", details.PartitionColumns.Count == 0 ? "-" : string.Join(", ", details.PartitionColumns)),
            ("upstream", details.Upstream.Count == 0 ? "-" : string.Join(", ", details.Upstream)),
            ("downstream", details.Downstream.Count == 0 ? "-" : string.Join(", ", details.Downstream)),
        };
        foreach ((string label, string value) in facts)
        {
            output.WriteLine($"  {label,-11}{value}");
        }

        output.WriteLine();
        output.WriteLine("Columns");
        TextTable.Write(
            output,
            ["column", "type", "nullable", "classification", "description"],
            [false, false, false, false, false],
            details.Columns.Select(c => new[]
            {
                c.Name, c.DataType.Length == 0 ? "?" : c.DataType, c.Nullable ? "yes" : "no", c.Classification ?? "-", BrowsingText.Shorten(c.Description, 70),
            }).ToList());

        output.WriteLine();
        output.WriteLine("Versions (newest first; 'medallion history' lists them all)");
        if (details.RecentVersions.Count == 0)
        {
            output.WriteLine("  (none)");
        }
        else
        {
            BrowsingText.WriteVersions(output, details.RecentVersions);
        }

        output.WriteLine();
        output.WriteLine("Last run");
        output.WriteLine(details.LastRun is { } run
            ? $"  {run.RunId}: {BrowsingText.Status(run.Status)}, {BrowsingText.Count(run.RowsWritten)} rows written in {BrowsingText.Duration(run.Duration)}"
              + (run.CommittedVersion is long v ? $", committed version {v.ToString(CultureInfo.InvariantCulture)}" : string.Empty)
              + (run.Error is null ? string.Empty : $"\n  error: {run.Error}")
            : "  (never run)");

        output.WriteLine();
        output.WriteLine("Quality (latest result of each rule)");
        if (details.Quality.Count == 0)
        {
            output.WriteLine("  (no results yet)");
        }
        else
        {
            BrowsingText.WriteQuality(output, details.Quality, withModel: false);
        }
    }
}
