using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Planning;
using Medallion.Pipelines.Running;
using Medallion.Platform;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion ci</c>: a pull request's check. Plans the project's files against prod into an environment named after
/// the branch, applies it there (the changed models build with their expectations, reading prod for the rest), diffs
/// each rebuilt model against prod, and prints one markdown report for a pull request comment.
/// </summary>
internal static class CiCommand
{
    /// <summary>The CI systems' variables that name the branch under test, in the order they are asked.</summary>
    private static readonly string[] s_branchVariables = ["GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "BRANCH_NAME"];

    public static Command Create(TextWriter output)
    {
        var environment = new Option<string?>("--env", "-e") { Description = "The environment to build the change in. Default: ci-<branch>, the branch from the CI's variables (GitHub Actions, GitLab CI)." };
        var allowBreaking = new Option<bool>("--allow-breaking") { Description = "Exit 0 even when the change is breaking (a model changed so that what is downstream must rebuild, or removed)." };
        var report = new Option<string?>("--output", "-o") { Description = "Also write the markdown report to this file (e.g. $GITHUB_STEP_SUMMARY, or a file a later step posts as a comment)." };
        var sample = new Option<int>("--sample") { Description = "How many differing rows each diff shows of each kind.", DefaultValueFactory = _ => 5 };
        Option<string> project = ProjectOption.Create();
        var command = new Command("ci", "Check a pull request: plan against prod into an environment named after the branch, build the changed models and their expectations there, diff them against prod, and print one markdown report; exit 1 on a failed build or a breaking change (unless --allow-breaking).")
        {
            environment, allowBreaking, report, sample, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string directory = ProjectOption.Resolve(parsed, project);
            string env = parsed.GetValue(environment) ?? EnvironmentForBranch(Environment.GetEnvironmentVariable);
            EnvironmentStore.CheckName(env);
            if (env == EnvironmentStore.Production)
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, "medallion ci builds a change beside prod, never in it.\nHelp: give --env another name, or leave it out for ci-<branch>.");
            }

            // The report's plan is prod's (what merging would change); the build goes to the branch's environment, which
            // a re-run of the same branch finds built already for what did not change since.
            ProjectPlan plan;
            ApplyResult applied;
            await using (ProjectEnvironment project = await ProjectEnvironment.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                plan = await ProjectPlanner.PlanAsync(project, new PlanOptions(), cancellationToken).ConfigureAwait(false);
                applied = await ProjectPlanner.ApplyAsync(project, new ApplyOptions { Plan = new PlanOptions { Environment = env } }, cancellationToken).ConfigureAwait(false);
            }

            var diffs = new List<(TableName Model, TableDiff? Diff, string? Error)>();
            if (applied.Succeeded && plan.Rebuilds.Count > 0)
            {
                await using Lakehouse lakehouse = await Lakehouse.OpenAsync(directory, cancellationToken).ConfigureAwait(false);
                foreach (TableName model in plan.Rebuilds)
                {
                    diffs.Add(await DiffAsync(lakehouse, model, env, parsed.GetValue(sample), cancellationToken).ConfigureAwait(false));
                }
            }

            List<ModelChange> breaking = [.. plan.Changes.Where(c => c.Kind is ModelChangeKind.Breaking or ModelChangeKind.Removed)];
            bool failed = !applied.Succeeded || (breaking.Count > 0 && !parsed.GetValue(allowBreaking));
            string markdown = Report(env, plan, applied, diffs, breaking, parsed.GetValue(allowBreaking));
            await output.WriteAsync(markdown).ConfigureAwait(false);
            if (parsed.GetValue(report) is { } path)
            {
                await File.AppendAllTextAsync(path, markdown, cancellationToken).ConfigureAwait(false);
            }

            return failed ? 1 : 0;
        });
        return command;
    }

    /// <summary>ci-&lt;branch&gt; from the CI's variables, in the characters an environment's name may hold; <c>ci</c> when none names a branch.</summary>
    internal static string EnvironmentForBranch(Func<string, string?> variables)
    {
        string? branch = s_branchVariables.Select(variables).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        if (branch is null)
        {
            return "ci";
        }

        var name = new StringBuilder("ci-");
        foreach (char c in branch.Trim().ToLowerInvariant())
        {
            name.Append(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' ? c : '-');
        }

        return name.ToString(0, Math.Min(name.Length, 63)).TrimEnd('-');
    }

    /// <summary>
    /// A rebuilt model against prod, matched by its key where it has one (a merge's unique key, a primary key, else the
    /// columns of a fail-severity <c>unique</c> rule, its grain), else by whole rows; an scd2 table keeps several rows per
    /// key, so it is compared whole.
    /// </summary>
    private static async Task<(TableName, TableDiff?, string?)> DiffAsync(Lakehouse lakehouse, TableName model, string env, int sample, CancellationToken cancellationToken)
    {
        ModelConfig? config = lakehouse.Project.Models.FirstOrDefault(m => m.Name.Equals(model))?.Config;
        IReadOnlyList<string> key = config is null || config.Materialized == Materialization.Scd2 ? []
            : config.UniqueKey.Count > 0 ? config.UniqueKey
            : config.Constraints.Concat(config.Columns.SelectMany(c => c.Constraints)).FirstOrDefault(c => c.Kind == ConstraintKind.PrimaryKey)?.Columns
                ?? config.Expectations.FirstOrDefault(e => e.Kind == ExpectationKind.Unique && e.Severity == ExpectationSeverity.Fail)?.Columns
                ?? [];
        try
        {
            DiffSide built = await lakehouse.EnvironmentSideAsync(model, env, cancellationToken: cancellationToken).ConfigureAwait(false);
            DiffSide prod = await lakehouse.EnvironmentSideAsync(model, EnvironmentStore.Production, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (model, await lakehouse.DiffAsync(model, built, prod, key, sample, cancellationToken).ConfigureAwait(false), null);
        }
        catch (MedallionException e)
        {
            // A model new in this change has no table in prod to compare with, which the report says instead of failing.
            return (model, null, e.Message.Split('\n')[0]);
        }
    }

    private static string Report(string env, ProjectPlan plan, ApplyResult applied, List<(TableName Model, TableDiff? Diff, string? Error)> diffs, List<ModelChange> breaking, bool allowBreaking)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"## Medallion CI: `{env}` against prod\n\n");
        string verdict = !applied.Succeeded ? "❌ the changed models did not all build (see below)"
            : breaking.Count > 0 && !allowBreaking ? $"❌ breaking change{(breaking.Count == 1 ? "" : "s")}: {string.Join(", ", breaking.Select(c => $"`{c.Model}` ({PlanCommands.KindName(c.Kind)})"))}; allow with `medallion ci --allow-breaking`"
            : breaking.Count > 0 ? $"⚠️ breaking change{(breaking.Count == 1 ? "" : "s")}, allowed: {string.Join(", ", breaking.Select(c => $"`{c.Model}`"))}"
            : plan.IsEmpty ? "✅ nothing changes" : "✅ the change builds and no change is breaking";
        text.Append("**Result:** ").Append(verdict).Append("\n\n").Append(PlanCommands.Render(plan, PlanCommands.PlanFormat.Markdown)).Append('\n');
        if (applied.Run is null && !plan.IsEmpty)
        {
            text.Append(CultureInfo.InvariantCulture, $"### Build and expectations in `{env}`\n\nNothing rebuilt: `{env}` already holds these models as the files define them (an earlier check of this branch built them, with their expectations).\n\n");
        }

        if (applied.Run is { } run)
        {
            text.Append(CultureInfo.InvariantCulture, $"### Build and expectations in `{env}`\n\n| model | result | rows | notes |\n|---|---|---|---|\n");
            foreach (StepResult step in run.Steps)
            {
                string notes = step.Error ?? string.Join("; ", step.Notes);
                text.Append(CultureInfo.InvariantCulture, $"| `{step.Table}` | {step.State.ToString().ToLowerInvariant()} | {step.RowsWritten:N0} | {Cell(notes)} |\n");
            }

            text.Append('\n');
        }

        if (diffs.Count > 0)
        {
            text.Append("### Data diffs against prod\n\n");
            foreach ((TableName model, TableDiff? diff, string? error) in diffs)
            {
                text.Append(diff is null ? $"#### `{model}`\n\nnot compared: {Cell(error!)}\n\n" : DiffCommand.Render(diff, DiffCommand.DiffFormat.Markdown) + "\n");
            }
        }

        return text.ToString();
    }

    /// <summary>Text for one markdown table cell: one line, pipes escaped.</summary>
    private static string Cell(string text) => text.Replace("\n", " ", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);
}
