using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Cli.Output;
using Medallion.Server;
using Medallion.Server.Http;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion jobs</c>, <c>trigger &lt;job&gt;</c>, <c>cancel &lt;run&gt;</c> and <c>rerun &lt;run&gt; --from-failure</c>:
/// the run controls of a running <c>medallion server</c>, over its REST API (found through the project's runtime file).
/// They hold no scheduling logic: the server plans, queues and records; these ask and render.
/// </summary>
internal static class JobCommands
{
    public static IEnumerable<Command> Create(TextWriter output, TextWriter error)
    {
        yield return Jobs(output);
        yield return Trigger(output, error);
        yield return Cancel(output);
        yield return Rerun(output, error);
        yield return BackfillCommand.Create(output, error);
    }

    private static Command Jobs(TextWriter output)
    {
        Option<string> project = ProjectOption.Create();
        var command = new Command("jobs", "List the running server's jobs: schedule and time zone, paused, last run, next run.") { project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            using ServerClient server = await ServerClient.ConnectAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            IReadOnlyList<JobView> jobs = await server.GetJobsAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<string[]>();
            foreach (JobView job in jobs)
            {
                RunPage last = await server.GetRunsAsync(job.Name, 1, null, cancellationToken).ConfigureAwait(false);
                rows.Add([
                    job.Name,
                    TriggerText(job),
                    job.Paused ? "yes" : "no",
                    last.Runs.Count == 0 ? "never run" : $"{Status(last.Runs[0].Status)} {Time(last.Runs[0].StartedAt, job.TimeZone)}",
                    job.NextRuns.Count == 0 ? "-" : Time(job.NextRuns[0], job.TimeZone),
                ]);
            }

            TextTable.Write(output, ["job", "trigger", "paused", "last run", "next run"], [false, false, false, false, false], rows);
            await output.WriteLineAsync($"({(jobs.Count == 1 ? "1 job" : $"{jobs.Count} jobs")}; times in each job's time zone)").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Trigger(TextWriter output, TextWriter error)
    {
        var job = new Argument<string>("job") { Description = "The job, as medallion jobs lists it." };
        var variables = new Option<string[]>("--var")
        {
            Description = "A variable for the run's model SQL, read with getvariable('name'); repeat for more.",
            HelpName = "name=value",
            DefaultValueFactory = _ => [],
        };
        Option<string> project = ProjectOption.Create();
        var command = new Command("trigger", "Queue a run of a job now on the running server (paused or not).") { job, variables, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string pair in parsed.GetValue(variables) ?? [])
            {
                int equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    await error.WriteLineAsync($"error: --var '{pair}' is not name=value. Help: write it like --var region=south.").ConfigureAwait(false);
                    return MedallionCli.UsageError;
                }

                values[pair[..equals]] = pair[(equals + 1)..];
            }

            using ServerClient server = await ServerClient.ConnectAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            RunRecord run = await server.TriggerAsync(parsed.GetRequiredValue(job), values, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Queued run {run.Id} of job {run.Job}{(values.Count == 0 ? string.Empty : " with " + string.Join(", ", values.Select(v => v.Key + "=" + v.Value)))}.").ConfigureAwait(false);
            await output.WriteLineAsync($"Help: follow it with medallion runs {run.Id}; stop it with medallion cancel {run.Id}.").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Cancel(TextWriter output)
    {
        var run = new Argument<string>("run") { Description = "The run's id, as trigger, backfill or medallion runs show it." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("cancel", "Cancel a queued or running run on the running server; its running models commit nothing.") { run, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            using ServerClient server = await ServerClient.ConnectAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            CancelResult result = await server.CancelRunAsync(parsed.GetRequiredValue(run), cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Cancelled run {result.RunId}: a queued run ends now; a running one stops its models, which commit nothing.").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Rerun(TextWriter output, TextWriter error)
    {
        var run = new Argument<string>("run") { Description = "The finished run to re-run, as medallion runs shows it." };
        var fromFailure = new Option<bool>("--from-failure") { Description = "Re-run only the models that failed, were skipped or cancelled (with the run's data interval and variables)." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("rerun", "Re-run the failed and skipped models of a run on the running server (Airflow's clear failed, Dagster's re-execute from failure).")
        {
            run, fromFailure, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            if (!parsed.GetValue(fromFailure))
            {
                await error.WriteLineAsync("error: rerun re-runs from failure only; pass --from-failure. Help: to run the whole job again, use medallion trigger <job>.").ConfigureAwait(false);
                return MedallionCli.UsageError;
            }

            using ServerClient server = await ServerClient.ConnectAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            RunRecord queued = await server.RerunFromFailureAsync(parsed.GetRequiredValue(run), cancellationToken).ConfigureAwait(false);
            string interval = queued.IntervalStart is { } start && queued.IntervalEnd is { } end ? $", interval {start:yyyy-MM-dd HH:mm}Z to {end:yyyy-MM-dd HH:mm}Z" : string.Empty;
            await output.WriteLineAsync($"Queued run {queued.Id} of job {queued.Job}, re-running {queued.Selection} from run {queued.ParentId}{interval}.").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>What fires the job: its schedule with the time zone, data triggers, or nothing (trigger only).</summary>
    private static string TriggerText(JobView job)
    {
        var parts = new List<string>();
        if (job.Schedule is { } schedule)
        {
            parts.Add(schedule.StartsWith("every ", StringComparison.Ordinal) || schedule.Contains('(', StringComparison.Ordinal) ? schedule : $"{schedule} ({job.TimeZone})");
        }

        if (job.OnNewData.Count > 0)
        {
            parts.Add("on new data in " + string.Join(", ", job.OnNewData));
        }

        if (job.After.Count > 0)
        {
            parts.Add("after " + string.Join(", ", job.After));
        }

        return parts.Count == 0 ? "manual (trigger only)" : string.Join("; ", parts);
    }

    internal static string Status(RunStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>An instant as the job's wall clock shows it, with its offset, so a São Paulo job reads in São Paulo time.</summary>
    internal static string Time(DateTimeOffset instant, string timeZone)
    {
        TimeZoneInfo zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        DateTimeOffset local = TimeZoneInfo.ConvertTime(instant, zone);
        return local.Offset == TimeSpan.Zero
            ? local.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture)
            : local.ToString("yyyy-MM-dd HH:mmzzz", CultureInfo.InvariantCulture);
    }
}
