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
using Medallion.Platform;
using Medallion.Platform.Json;
using Medallion.Server;
using Medallion.Server.Http;
using Medallion.Server.Scheduling;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion jobs</c>, <c>trigger &lt;job&gt;</c>, <c>cancel &lt;run or backfill&gt;</c> and <c>rerun &lt;run&gt; --from-failure</c>:
/// the run controls of a running <c>medallion server</c>, over its REST API (found through the project's runtime file).
/// They hold no scheduling logic: the server plans, queues and records; these ask and render.
/// </summary>
internal static class JobCommands
{
    public static IEnumerable<Command> Create(TextWriter output)
    {
        yield return Jobs(output);
        yield return Trigger(output);
        yield return Cancel(output);
        yield return Rerun(output);
        yield return BackfillCommand.Create(output);
        yield return BackfillCommand.List(output);
    }

    private static Command Jobs(TextWriter output)
    {
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var command = new Command("jobs", "List the running server's jobs: schedule and time zone, paused, last run, next run.") { format, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            using ServerClient server = await ServerClient.ConnectAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            IReadOnlyList<JobView> jobs = await server.GetJobsAsync(cancellationToken).ConfigureAwait(false);
            var lastRuns = new List<RunRecord?>();
            foreach (JobView job in jobs)
            {
                IReadOnlyList<RunRecord> newest = (await server.GetRunsAsync(job.Name, 1, null, cancellationToken).ConfigureAwait(false)).Runs;
                lastRuns.Add(newest.Count == 0 ? null : newest[0]);
            }

            if (parsed.GetValue(format) == ReportFormat.Json)
            {
                JsonReport.Write(output, w => RecordJson.Write<IReadOnlyList<JobSummary>>(w, [.. jobs.Zip(lastRuns, (job, last) => new JobSummary(job, last))]));
                return 0;
            }

            var rows = new List<string[]>();
            foreach ((JobView job, RunRecord? last) in jobs.Zip(lastRuns))
            {
                rows.Add([
                    job.Name,
                    TriggerText(job),
                    job.Paused ? "yes" : "no",
                    last is null ? "never run" : $"{Status(last.Status)} {Time(last.StartedAt, job.TimeZone)}",
                    job.NextRuns.Count == 0 ? "-" : Time(job.NextRuns[0], job.TimeZone),
                ]);
            }

            TextTable.Write(output, ["job", "trigger", "paused", "last run", "next run"], [false, false, false, false, false], rows);
            await output.WriteLineAsync($"({(jobs.Count == 1 ? "1 job" : $"{jobs.Count} jobs")}; times in each job's time zone)").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Trigger(TextWriter output)
    {
        var job = new Argument<string?>("job") { Description = "The job, as medallion jobs lists it; leave it out with --select.", Arity = ArgumentArity.ZeroOrOne };
        var select = new Option<string?>("--select", "-s")
        {
            Description = "Build these tables instead of a job's, in a run of no job: models and sources as medallion run --select reads them (+gold.daily_revenue, silver.*, tag:daily).",
            HelpName = "selection",
        };
        var variables = new Option<string[]>("--var")
        {
            Description = "A variable for the run's model SQL, read with getvariable('name'); repeat for more.",
            HelpName = "name=value",
            DefaultValueFactory = _ => [],
        };
        Option<string> project = ProjectOption.Create();
        var command = new Command("trigger", "Queue a run of a job (paused or not), or of a selection of tables, now on the running server.") { job, select, variables, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string pair in parsed.GetValue(variables) ?? [])
            {
                int equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new MedallionException(ErrorCode.CommandLineInvalid, $"--var '{pair}' is not name=value. Help: write it like --var region=south.");
                }

                values[pair[..equals]] = pair[(equals + 1)..];
            }

            string? jobName = parsed.GetValue(job);
            string? selection = parsed.GetValue(select);
            if ((jobName is null) == (selection is null))
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, jobName is null
                    ? "trigger needs a job or --select. Help: medallion trigger nightly, or medallion trigger --select +gold.daily_revenue; medallion jobs lists the jobs."
                    : $"trigger takes a job or --select, not both (job '{jobName}', --select '{selection}'). Help: a job builds its own selection; leave out one of them.");
            }

            using ServerClient server = await ServerClient.ConnectAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            RunRecord run = jobName is not null
                ? await server.TriggerAsync(jobName, values, cancellationToken).ConfigureAwait(false)
                : await server.RunSelectionAsync(selection!, values, cancellationToken).ConfigureAwait(false);
            string what = run.Job is null ? $"of {run.Selection}" : $"of job {run.Job}";
            await output.WriteLineAsync($"Queued run {run.Id} {what}{(values.Count == 0 ? string.Empty : " with " + string.Join(", ", values.Select(v => v.Key + "=" + v.Value)))}.").ConfigureAwait(false);
            await output.WriteLineAsync($"Help: follow it with medallion runs {run.Id}; stop it with medallion cancel {run.Id}.").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Cancel(TextWriter output)
    {
        var id = new Argument<string>("id") { Description = "A run's id (as trigger or medallion runs show it) or a backfill's (as backfill or medallion backfills show it)." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("cancel", "Cancel a queued or running run, or a whole backfill, on the running server; running models commit nothing.") { id, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            using ServerClient server = await ServerClient.ConnectAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            string target = parsed.GetRequiredValue(id);
            try
            {
                CancelResult result = await server.CancelRunAsync(target, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"Cancelled run {result.RunId}: a queued run ends now; a running one stops its models, which commit nothing.").ConfigureAwait(false);
                return 0;
            }
            catch (MedallionException notRun) when (notRun.Code == ErrorCode.CatalogObjectNotFound)
            {
                BackfillDetail backfill;
                try
                {
                    backfill = await server.GetBackfillAsync(target, cancellationToken).ConfigureAwait(false);
                }
                catch (MedallionException notBackfill) when (notBackfill.Code == ErrorCode.CatalogObjectNotFound)
                {
                    // A finished run is named as a run; an id that is neither gets both answers.
                    if (notBackfill.Message.Contains("is a run, not a backfill", StringComparison.Ordinal))
                    {
                        throw notRun;
                    }

                    throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"{notRun.Message}; {char.ToLowerInvariant(notBackfill.Message[0])}{notBackfill.Message[1..]}", notBackfill);
                }

                if (backfill.Backfill.Status != RunStatus.Running)
                {
                    await output.WriteLineAsync($"Backfill {target} of job {backfill.Backfill.Job} had already ended {Status(backfill.Backfill.Status)}; nothing to cancel.").ConfigureAwait(false);
                    return 0;
                }

                BackfillDetail cancelled = await server.CancelBackfillAsync(target, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync(
                    $"Cancelled backfill {target} of job {cancelled.Backfill.Job}: its queued intervals will not run and its running runs stop, committing nothing ({BackfillCommand.ProgressText(cancelled.Progress)}).\n"
                    + $"Help: follow it with medallion backfills {target}.").ConfigureAwait(false);
                return 0;
            }
        });
        return command;
    }

    private static Command Rerun(TextWriter output)
    {
        var run = new Argument<string>("run") { Description = "The finished run to re-run, as medallion runs shows it." };
        var fromFailure = new Option<bool>("--from-failure") { Description = "Re-run only the models that failed, were skipped or cancelled; without it, every model the run selected." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("rerun", "Re-run a finished run on the running server, with its data interval and variables: every model it selected (Airflow's clear, Dagster's re-execute all), or with --from-failure only the failed and skipped ones.")
        {
            run, fromFailure, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            using ServerClient server = await ServerClient.ConnectAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            string id = parsed.GetRequiredValue(run);
            RunRecord queued = parsed.GetValue(fromFailure)
                ? await server.RerunFromFailureAsync(id, cancellationToken).ConfigureAwait(false)
                : await server.RetryRunAsync(id, cancellationToken).ConfigureAwait(false);
            string interval = queued.IntervalStart is { } start && queued.IntervalEnd is { } end ? $", interval {start:yyyy-MM-dd HH:mm}Z to {end:yyyy-MM-dd HH:mm}Z" : string.Empty;
            string of = queued.Job is null ? string.Empty : $" of job {queued.Job}";
            await output.WriteLineAsync($"Queued run {queued.Id}{of}, re-running {queued.Selection ?? "the job's sources"} from run {queued.ParentId}{interval}.").ConfigureAwait(false);
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
