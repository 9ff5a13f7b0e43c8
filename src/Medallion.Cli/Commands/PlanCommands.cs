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
using Medallion.Pipelines;
using Medallion.Pipelines.Planning;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion plan</c> (what applying the project's files to an environment would change, model by model) and
/// <c>medallion apply</c> (do it, one apply per environment at a time), <c>medallion promote</c> (point an environment at
/// another's tables, no recompute) and <c>medallion rollback</c> (point it back).
/// </summary>
internal static class PlanCommands
{
    internal enum PlanFormat
    {
        Text,
        Json,
        Markdown,
    }

    public static IEnumerable<Command> Create(TextWriter output)
    {
        yield return CreatePlan(output);
        yield return CreateApply(output);
        yield return CreatePromote(output);
        yield return CreateRollback(output);
    }

    private static Option<string> EnvironmentOption() =>
        new("--env", "-e")
        {
            Description = "The environment: prod, or any other name (dev, pr-42): its own tables for the models it changes, prod's for the others.",
            DefaultValueFactory = _ => ProjectPlanner.ProductionEnvironment,
        };

    private static Option<bool> NoWaitOption() =>
        new("--no-wait") { Description = "Refuse at once, rather than wait, when another apply to the environment is under way." };

    private static Command CreatePromote(TextWriter output)
    {
        var from = new Argument<string>("environment") { Description = "The environment whose tables to promote (e.g. dev)." };
        var to = new Option<string>("--to") { Description = "The environment to point at them.", DefaultValueFactory = _ => ProjectPlanner.ProductionEnvironment };
        Option<bool> noWait = NoWaitOption();
        Option<string> project = ProjectOption.Create();
        var command = new Command("promote", "Point an environment (prod by default) at the tables another built, in one catalog transaction: no model is recomputed and no table written. The tables it held are kept for medallion rollback.")
        {
            from, to, noWait, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string source = parsed.GetValue(from)!;
            string target = parsed.GetValue(to)!;
            if (source == target)
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, $"'{source}' cannot be promoted to itself.\nHelp: name another environment with --to (prod by default).");
            }

            string directory = ProjectOption.Resolve(parsed, project);
            await using ProjectEnvironment env = await ProjectEnvironment.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
            int count = await ProjectPlanner.PromoteAsync(env, source, target, new ApplyOptions { NoWait = parsed.GetValue(noWait) }, cancellationToken).ConfigureAwait(false);
            // Changing which tables an environment serves is an act on what its readers see, so the audit keeps it.
            await CliAudit.RecordAsync(directory, "environment.promote", target, JsonSerializer.Serialize(new Dictionary<string, object> { ["from"] = source, ["models"] = count }), cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"Promoted {source} to {target}: {target} now reads {count} model(s) from {source}'s tables, with no recompute. 'medallion rollback {target}' points it back.\n")).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command CreateRollback(TextWriter output)
    {
        var name = new Argument<string>("environment") { Description = "The environment to point back at its tables before its last promotion.", DefaultValueFactory = _ => ProjectPlanner.ProductionEnvironment };
        Option<bool> noWait = NoWaitOption();
        Option<string> project = ProjectOption.Create();
        var command = new Command("rollback", "Point an environment (prod by default) back at the tables it held before its last promotion, in one catalog transaction; a second rollback undoes the first.")
        {
            name, noWait, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string environment = parsed.GetValue(name)!;
            string directory = ProjectOption.Resolve(parsed, project);
            await using ProjectEnvironment env = await ProjectEnvironment.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
            int count = await ProjectPlanner.RollbackAsync(env, environment, new ApplyOptions { NoWait = parsed.GetValue(noWait) }, cancellationToken).ConfigureAwait(false);
            await CliAudit.RecordAsync(directory, "environment.rollback", environment, JsonSerializer.Serialize(new Dictionary<string, int> { ["models"] = count }), cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"Rolled {environment} back: it reads {count} model(s) from the tables it held before its last promotion, with no recompute.\n")).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Option<bool> ForwardOnlyOption() =>
        new("--forward-only") { Description = "Every change applies to new data only: nothing is rebuilt." };

    private static Command CreatePlan(TextWriter output)
    {
        Option<string> environment = EnvironmentOption();
        Option<bool> forwardOnly = ForwardOnlyOption();
        var format = new Option<PlanFormat>("--format", "-f") { Description = "Output: text, json or markdown (a pull request comment).", DefaultValueFactory = _ => PlanFormat.Text };
        Option<string> project = ProjectOption.Create();
        var command = new Command("plan", "Show what applying the project's files to an environment would change: per model added, removed, breaking, non-breaking, forward-only or metadata-only, with the SQL diff and the columns affected.")
        {
            environment, forwardOnly, format, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var options = new PlanOptions { Environment = parsed.GetValue(environment)!, ForwardOnly = parsed.GetValue(forwardOnly) };
            await using ProjectEnvironment env = await ProjectEnvironment.LoadAsync(ProjectOption.Resolve(parsed, project), cancellationToken: cancellationToken).ConfigureAwait(false);
            ProjectPlan plan = await ProjectPlanner.PlanAsync(env, options, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(Render(plan, parsed.GetValue(format))).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command CreateApply(TextWriter output)
    {
        Option<string> environment = EnvironmentOption();
        Option<bool> forwardOnly = ForwardOnlyOption();
        Option<bool> noWait = NoWaitOption();
        var threads = new Option<int>("--threads", "-t") { Description = "How many models rebuild at once. Default: the processor count.", DefaultValueFactory = _ => Environment.ProcessorCount };
        Option<string> project = ProjectOption.Create();
        var command = new Command("apply", "Apply the plan: rebuild the models it rebuilds (reading their sources as they are), record the new state of the others, one apply per environment at a time.")
        {
            environment, forwardOnly, noWait, threads, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            int threadCount = parsed.GetValue(threads);
            if (threadCount < 1)
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, $"--threads must be at least 1, not {threadCount}. Help: leave it out to use one thread per processor.");
            }

            var options = new ApplyOptions
            {
                Plan = new PlanOptions { Environment = parsed.GetValue(environment)!, ForwardOnly = parsed.GetValue(forwardOnly) },
                NoWait = parsed.GetValue(noWait),
                Threads = threadCount,
            };
            await using ProjectEnvironment env = await ProjectEnvironment.LoadAsync(ProjectOption.Resolve(parsed, project), cancellationToken: cancellationToken).ConfigureAwait(false);
            ApplyResult result = await ProjectPlanner.ApplyAsync(env, options, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(RenderApplied(result)).ConfigureAwait(false);
            return result.Succeeded ? 0 : 1;
        });
        return command;
    }

    /// <summary>The plan as the command prints it.</summary>
    /// <remarks>
    /// The JSON shape is stable: <c>{"environment", "forward_only", "empty", "unchanged", "rebuild": [model],
    /// "changes": [{"model", "change", "rebuild", "causes": [model], "changed_columns": [column],
    /// "affected_columns": ["ns.table.column"], "sql_diff", "old_fingerprint", "new_fingerprint"}]}</c>, where
    /// <c>change</c> is one of <c>added</c>, <c>removed</c>, <c>breaking</c>, <c>non-breaking</c>, <c>forward-only</c>,
    /// <c>metadata-only</c>, <c>indirect</c>, <c>indirect-non-breaking</c>; <c>sql_diff</c> and the fingerprints may be null.
    /// </remarks>
    internal static string Render(ProjectPlan plan, PlanFormat format) => format switch
    {
        PlanFormat.Json => Json(plan),
        PlanFormat.Markdown => Markdown(plan),
        _ => Text(plan),
    };

    internal static string KindName(ModelChangeKind kind) => kind switch
    {
        ModelChangeKind.Added => "added",
        ModelChangeKind.Removed => "removed",
        ModelChangeKind.Breaking => "breaking",
        ModelChangeKind.NonBreaking => "non-breaking",
        ModelChangeKind.ForwardOnly => "forward-only",
        ModelChangeKind.MetadataOnly => "metadata-only",
        ModelChangeKind.Indirect => "indirect",
        ModelChangeKind.IndirectNonBreaking => "indirect-non-breaking",
        _ => "unchanged",
    };

    private static string Effect(ModelChange change) => change.Kind switch
    {
        ModelChangeKind.Added => "built",
        ModelChangeKind.Removed => "forgotten by the environment; its table is kept",
        ModelChangeKind.Breaking => "rebuilt, with everything downstream",
        ModelChangeKind.NonBreaking => "rebuilt; nothing downstream",
        ModelChangeKind.ForwardOnly => "no rebuild: the next runs use the new definition",
        ModelChangeKind.MetadataOnly => "no rebuild: docs only",
        ModelChangeKind.Indirect => $"rebuilt: downstream of {string.Join(", ", change.Causes)}",
        ModelChangeKind.IndirectNonBreaking => $"no rebuild: downstream of {string.Join(", ", change.Causes)}, whose changes keep its columns",
        _ => string.Empty,
    };

    private static string Summary(ProjectPlan plan) =>
        string.Join(", ", plan.Changes.GroupBy(c => c.Kind).OrderBy(g => g.Key).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {KindName(g.Key)}")))
        + string.Create(CultureInfo.InvariantCulture, $"; {plan.UnchangedCount} unchanged; {plan.Rebuilds.Count} to rebuild");

    private static string Text(ProjectPlan plan)
    {
        var text = new StringBuilder();
        text.Append("Plan against ").Append(plan.Environment).Append(plan.ForwardOnly ? " (forward-only)" : string.Empty).Append(": ");
        if (plan.IsEmpty)
        {
            text.Append(CultureInfo.InvariantCulture, $"nothing to do; {plan.UnchangedCount} model(s) unchanged.\n");
            return text.ToString();
        }

        text.Append(Summary(plan)).Append(".\n");
        foreach (ModelChange change in plan.Changes)
        {
            text.Append('\n').Append(change.Model).Append("  ").Append(KindName(change.Kind)).Append(": ").Append(Effect(change)).Append('\n');
            if (change.ChangedColumns.Count > 0)
            {
                text.Append("  columns changed: ").AppendJoin(", ", change.ChangedColumns).Append('\n');
            }

            if (change.AffectedColumns.Count > 0)
            {
                text.Append("  columns affected downstream: ").AppendJoin(", ", change.AffectedColumns).Append('\n');
            }

            if (change.SqlDiff is { } diff && change.Kind != ModelChangeKind.Removed)
            {
                foreach (string line in diff.TrimEnd('\n').Split('\n'))
                {
                    text.Append("    ").Append(line).Append('\n');
                }
            }
        }

        text.Append("\nApply it with 'medallion apply")
            .Append(plan.Environment == ProjectPlanner.ProductionEnvironment ? string.Empty : " --env " + plan.Environment)
            .Append(plan.ForwardOnly ? " --forward-only" : string.Empty).Append("'.\n");
        return text.ToString();
    }

    private static string Markdown(ProjectPlan plan)
    {
        var text = new StringBuilder();
        text.Append("### Medallion plan against `").Append(plan.Environment).Append("`\n\n");
        if (plan.IsEmpty)
        {
            text.Append(CultureInfo.InvariantCulture, $"Nothing to do: {plan.UnchangedCount} model(s) unchanged.\n");
            return text.ToString();
        }

        text.Append(Summary(plan)).Append(".\n\n| model | change | effect | columns changed | columns affected downstream |\n| --- | --- | --- | --- | --- |\n");
        foreach (ModelChange change in plan.Changes)
        {
            text.Append("| `").Append(change.Model).Append("` | ").Append(KindName(change.Kind)).Append(" | ").Append(Effect(change).Replace("|", "\\|", StringComparison.Ordinal))
                .Append(" | ").AppendJoin(", ", change.ChangedColumns.Select(c => $"`{c}`"))
                .Append(" | ").AppendJoin(", ", change.AffectedColumns.Select(c => $"`{c}`")).Append(" |\n");
        }

        foreach (ModelChange change in plan.Changes.Where(c => c.SqlDiff is not null && c.Kind != ModelChangeKind.Removed))
        {
            text.Append("\n<details><summary><code>").Append(change.Model).Append("</code> SQL diff</summary>\n\n```diff\n")
                .Append(string.Concat(change.SqlDiff!.Split('\n').Select(l => l.Length >= 2 && l[0] is '+' or '-' ? l[0] + l[2..] + "\n" : l.Length == 0 ? string.Empty : " " + l.TrimStart() + "\n")))
                .Append("```\n\n</details>\n");
        }

        return text.ToString();
    }

    private static string Json(ProjectPlan plan)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("environment", plan.Environment);
            writer.WriteBoolean("forward_only", plan.ForwardOnly);
            writer.WriteBoolean("empty", plan.IsEmpty);
            writer.WriteNumber("unchanged", plan.UnchangedCount);
            WriteStrings(writer, "rebuild", plan.Rebuilds.Select(t => t.ToString()));
            writer.WriteStartArray("changes");
            foreach (ModelChange change in plan.Changes)
            {
                writer.WriteStartObject();
                writer.WriteString("model", change.Model.ToString());
                writer.WriteString("change", KindName(change.Kind));
                writer.WriteBoolean("rebuild", change.Rebuild);
                WriteStrings(writer, "causes", change.Causes.Select(t => t.ToString()));
                WriteStrings(writer, "changed_columns", change.ChangedColumns);
                WriteStrings(writer, "affected_columns", change.AffectedColumns);
                writer.WriteString("sql_diff", change.SqlDiff);
                writer.WriteString("old_fingerprint", change.OldFingerprint);
                writer.WriteString("new_fingerprint", change.NewFingerprint);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static string RenderApplied(ApplyResult result)
    {
        var text = new StringBuilder();
        ProjectPlan plan = result.Plan;
        if (plan.IsEmpty)
        {
            text.Append("Nothing to apply to ").Append(plan.Environment).Append(CultureInfo.InvariantCulture, $": {plan.UnchangedCount} model(s) unchanged.\n");
            return text.ToString();
        }

        text.Append("Applied to ").Append(plan.Environment).Append(": ").Append(Summary(plan)).Append(".\n");
        if (result.Run is { } run)
        {
            foreach (Pipelines.Running.StepResult step in run.Steps)
            {
                text.Append("  ").Append(step.Table).Append(' ').Append(step.State.ToString().ToLowerInvariant());
                if (step.CommittedVersion is long version)
                {
                    text.Append(CultureInfo.InvariantCulture, $" v{version}");
                }

                if (step.Error is { } error)
                {
                    text.Append(": ").Append(error);
                }

                text.Append('\n');
            }

            text.Append("Run ").Append(run.RunId).Append(' ').Append(run.Status.ToString().ToLowerInvariant()).Append(".\n");
        }

        if (result.Reused.Count > 0)
        {
            text.Append("Pointed at tables already built with the same fingerprint (no rebuild): ").AppendJoin(", ", result.Reused).Append(".\n");
        }

        if (result.Cloned.Count > 0)
        {
            text.Append("Forward-only, starting from a zero-copy shallow clone of prod's table: ").AppendJoin(", ", result.Cloned).Append(".\n");
        }

        foreach (string note in result.Notes)
        {
            text.Append("Note: ").Append(note).Append(".\n");
        }

        if (result.Recorded.Count > 0)
        {
            text.Append("Recorded without a rebuild: ").AppendJoin(", ", result.Recorded).Append(".\n");
        }

        if (result.Forgotten.Count > 0)
        {
            text.Append("Forgotten (tables kept): ").AppendJoin(", ", result.Forgotten).Append(".\n");
        }

        return text.ToString();
    }
}
