using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Cli.Output;
using Medallion.Pipelines;
using Medallion.Pipelines.Environments;
using Medallion.Pipelines.Planning;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion env list</c> (each environment, what it reads and when it last built), <c>medallion env drop</c> (remove an
/// environment's pointers; its tables go to the janitor) and <c>medallion janitor</c> (remove the physical tables no
/// environment has pointed at for longer than a retention).
/// </summary>
internal static class EnvCommands
{
    internal enum EnvFormat
    {
        Text,
        Json,
    }

    public static IEnumerable<Command> Create(TextWriter output)
    {
        var env = new Command("env", "List and drop environments (sets of pointers to physical tables, see medallion apply --env).");
        env.Add(CreateList(output));
        env.Add(CreateDrop(output));
        yield return env;
        yield return CreateJanitor(output);
    }

    private static Option<EnvFormat> FormatOption() =>
        new("--format", "-f") { Description = "Output: text or json.", DefaultValueFactory = _ => EnvFormat.Text };

    private static Command CreateList(TextWriter output)
    {
        Option<EnvFormat> format = FormatOption();
        Option<string> project = ProjectOption.Create();
        var command = new Command("list", "List the environments: prod, the others, and the sets promotions kept for rollback, each with its models, how many are its own tables or read from prod, and when it last built.")
        {
            format, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using ProjectEnvironment env = await ProjectEnvironment.LoadAsync(ProjectOption.Resolve(parsed, project), cancellationToken: cancellationToken).ConfigureAwait(false);
            CatalogStore catalog = await env.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
            List<EnvironmentSummary> summaries = await catalog.Environments.SummarizeAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(parsed.GetValue(format) == EnvFormat.Json ? ListJson(summaries) : ListText(summaries)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command CreateDrop(TextWriter output)
    {
        var name = new Argument<string?>("environment") { Description = "The environment to drop (never prod).", Arity = ArgumentArity.ZeroOrOne };
        var ci = new Option<bool>("--ci") { Description = "Drop the environment medallion ci built for this branch: ci-<branch>, the branch from the CI's variables (GitHub Actions, GitLab CI)." };
        var ifExists = new Option<bool>("--if-exists") { Description = "An environment that holds nothing is no error: there is nothing to drop." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("drop", "Drop an environment: its pointers (and the set a promotion to it kept) go in one catalog transaction; its tables stay until the janitor removes them after its retention.")
        {
            name, ci, ifExists, project,
        };
        command.Validators.Add(r =>
        {
            if ((r.GetValue(name) is null) != r.GetValue(ci))
            {
                r.AddError("Name the environment to drop, or give --ci for the one medallion ci built for this branch (not both).");
            }
        });
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string environment = parsed.GetValue(name) ?? CiCommand.EnvironmentForBranch(Environment.GetEnvironmentVariable);
            string directory = ProjectOption.Resolve(parsed, project);
            await using ProjectEnvironment env = await ProjectEnvironment.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
            int dropped;
            try
            {
                dropped = await ProjectPlanner.DropAsync(env, environment, cancellationToken).ConfigureAwait(false);
            }
            catch (MedallionException e) when (e.Code == ErrorCode.EnvironmentNotFound && parsed.GetValue(ifExists))
            {
                await output.WriteAsync($"Environment {environment} holds nothing: nothing to drop.\n").ConfigureAwait(false);
                return 0;
            }

            await CliAudit.RecordAsync(directory, "environment.drop", environment, JsonSerializer.Serialize(new Dictionary<string, int> { ["pointers"] = dropped }), cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"Dropped environment {environment}: {dropped} pointer(s) removed. Its tables no other environment points at are removed by 'medallion janitor' once unpointed for {Duration(env.Project.Maintenance.JanitorRetention)}.\n")).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command CreateJanitor(TextWriter output)
    {
        var retention = new Option<string?>("--retention") { Description = "How long a table stays unpointed before it goes, e.g. 7d or 36h. Default: maintenance.janitor_retention of medallion.yml, else 7d." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be removed, and remove nothing." };
        Option<EnvFormat> format = FormatOption();
        Option<string> project = ProjectOption.Create();
        var command = new Command("janitor", "Remove the physical tables under _versions/ that no environment (nor a set kept for rollback) has pointed at for longer than the retention, and print them with their sizes.")
        {
            retention, dryRun, format, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string directory = ProjectOption.Resolve(parsed, project);
            await using ProjectEnvironment env = await ProjectEnvironment.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
            TimeSpan keep = ParseRetention(parsed.GetValue(retention)) ?? env.Project.Maintenance.JanitorRetention;
            bool dry = parsed.GetValue(dryRun);
            JanitorReport report = await EnvironmentJanitor.SweepAsync(env, keep, dry, cancellationToken).ConfigureAwait(false);
            if (!dry && report.Removed.Any())
            {
                await CliAudit.RecordAsync(
                    directory,
                    "environment.janitor",
                    string.Join(", ", report.Removed.Select(t => $"{t.Model}:{t.Pointer}")),
                    JsonSerializer.Serialize(new Dictionary<string, long> { ["tables"] = report.Removed.Count(), ["bytes"] = report.BytesRemoved }),
                    cancellationToken).ConfigureAwait(false);
            }

            await output.WriteAsync(parsed.GetValue(format) == EnvFormat.Json ? JanitorJson(report) : JanitorText(report)).ConfigureAwait(false);
            return report.AnyFailed ? 1 : 0;
        });
        return command;
    }

    private static TimeSpan? ParseRetention(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (!DurationText.TryParse(text, out TimeSpan retention))
        {
            throw new MedallionException(ErrorCode.JanitorRetentionInvalid, $"--retention '{text}' is not a duration.\nHelp: write it like 7d or 36h.");
        }

        EnvironmentJanitor.CheckRetention(retention, $"--retention '{text}'");
        return retention;
    }

    private static string ListText(List<EnvironmentSummary> summaries)
    {
        if (summaries.Count == 0)
        {
            return "No environment has built anything yet: 'medallion apply' builds prod, 'medallion apply --env dev' an environment.\n";
        }

        var rows = summaries.Select(s => new[]
        {
            s.Name,
            s.PreviousOf is { } of ? $"kept for 'rollback {of}'" : s.Name == EnvironmentStore.Production ? "production" : "environment",
            s.Models.ToString(CultureInfo.InvariantCulture),
            s.OwnTables?.ToString(CultureInfo.InvariantCulture) ?? "-",
            s.FromProduction?.ToString(CultureInfo.InvariantCulture) ?? "-",
            s.LastBuiltAt is { } at ? Time(at) : "-",
        }).Prepend(["environment", "kind", "models", "own tables", "from prod", "last built"]).ToList();
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (string[] row in rows)
        {
            text.Append(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd()).Append('\n');
        }

        return text.ToString();
    }

    private static string ListJson(List<EnvironmentSummary> summaries) => Json(writer =>
    {
        writer.WriteStartArray();
        foreach (EnvironmentSummary s in summaries)
        {
            writer.WriteStartObject();
            writer.WriteString("name", s.Name);
            writer.WriteString("kind", s.PreviousOf is not null ? "previous" : s.Name == EnvironmentStore.Production ? "production" : "environment");
            writer.WriteString("previous_of", s.PreviousOf);
            writer.WriteNumber("models", s.Models);
            writer.WriteNumberOrNull("own_tables", s.OwnTables);
            writer.WriteNumberOrNull("from_prod", s.FromProduction);
            writer.WriteString("last_built_at", s.LastBuiltAt?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });

    private static string JanitorText(JanitorReport report)
    {
        var text = new StringBuilder();
        List<JanitorTable> removed = report.Removed.ToList();
        text.Append(report.DryRun ? "Janitor (dry run)" : "Janitor").Append(CultureInfo.InvariantCulture, $", retention {Duration(report.Retention)}: ");
        text.Append(removed.Count == 0
            ? (report.DryRun ? "nothing would be removed" : "nothing removed")
            : string.Create(CultureInfo.InvariantCulture, $"{removed.Count} table(s), {Size(report.BytesRemoved)} {(report.DryRun ? "would be removed" : "removed")}"));
        text.Append(CultureInfo.InvariantCulture, $"; {report.Tables.Count(t => t.Outcome == JanitorOutcome.Kept)} unpointed table(s) kept.\n");
        foreach (JanitorTable table in report.Tables)
        {
            string what = table.Outcome switch
            {
                JanitorOutcome.Removed => "removed",
                JanitorOutcome.WouldRemove => "would remove",
                JanitorOutcome.Failed => "FAILED",
                _ => "kept",
            };
            text.Append(CultureInfo.InvariantCulture, $"  {what,-12} {table.Model} {table.Pointer}  {Size(table.SizeBytes)}, {table.Files} file(s)");
            if (table.Reason is { } reason)
            {
                text.Append(": ").Append(reason.Split('\n')[0]);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static string JanitorJson(JanitorReport report) => Json(writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("retention_seconds", (long)report.Retention.TotalSeconds);
        writer.WriteBoolean("dry_run", report.DryRun);
        writer.WriteNumber("removed", report.Removed.Count());
        writer.WriteNumber("removed_bytes", report.BytesRemoved);
        writer.WriteStartArray("tables");
        foreach (JanitorTable table in report.Tables)
        {
            writer.WriteStartObject();
            writer.WriteString("model", table.Model.ToString());
            writer.WriteString("pointer", table.Pointer);
            writer.WriteString("location", table.Location);
            writer.WriteString("outcome", table.Outcome switch
            {
                JanitorOutcome.Removed => "removed",
                JanitorOutcome.WouldRemove => "would_remove",
                JanitorOutcome.Failed => "failed",
                _ => "kept",
            });
            writer.WriteNumber("files", table.Files);
            writer.WriteNumber("size_bytes", table.SizeBytes);
            writer.WriteString("unpointed_at", table.UnpointedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("reason", table.Reason);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Duration(TimeSpan span) =>
        span.TotalDays >= 1 && span.Ticks % TimeSpan.TicksPerDay == 0 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalDays:0}d")
        : span.Ticks % TimeSpan.TicksPerHour == 0 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalHours:0}h")
        : span.ToString("c", CultureInfo.InvariantCulture);

    /// <summary>A size for people: bytes up to a KiB, then KiB, MiB, GiB with one decimal.</summary>
    internal static string Size(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }

        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
