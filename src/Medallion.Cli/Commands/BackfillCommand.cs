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
using Medallion.Server.Scheduling;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion backfill &lt;job&gt; --from --to</c>: one run per data interval of the range on the running server. Like
/// Airflow's <c>airflow dags backfill</c>, it stays and shows each interval as it ends, exiting 0 only when every one
/// succeeded; <c>--no-wait</c> returns once the runs are queued (the server runs them either way, and Ctrl+C only stops
/// watching). Dates without a time are days in the job's time zone: <c>--from</c> is the first day's midnight,
/// <c>--to</c> includes its whole day.
/// </summary>
internal static class BackfillCommand
{
    private static readonly string[] s_dateFormats = ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss"];

    private static readonly string[] s_instantFormats = ["yyyy-MM-dd'T'HH:mmzzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", "yyyy-MM-dd'T'HH:mm'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var job = new Argument<string>("job") { Description = "The scheduled job, as medallion jobs lists it." };
        var from = new Option<string>("--from") { Description = "The range's start: a day (2026-01-01) or a time, in the job's time zone unless it has an offset.", Required = true, HelpName = "date" };
        var to = new Option<string>("--to") { Description = "The range's end, inclusive: a day (its whole day) or a time.", Required = true, HelpName = "date" };
        var reprocess = new Option<BackfillReprocess>("--reprocess")
        {
            Description = "Which intervals run: missing (never succeeded), failed (latest run failed, cancelled or interrupted), or all.",
            DefaultValueFactory = _ => BackfillReprocess.Missing,
        };
        var maxActive = new Option<int>("--max-active") { Description = "How many of the backfill's runs at once.", DefaultValueFactory = _ => 1 };
        var dryRun = new Option<bool>("--dry-run") { Description = "List each interval and whether it would run; queue nothing." };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the runs are queued instead of following them to the end." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("backfill", "Run a scheduled job once per data interval of a range on the running server, each run replacing its interval's rows.")
        {
            job, from, to, reprocess, maxActive, dryRun, noWait, project,
        };
        maxActive.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--max-active must be at least 1.");
            }
        });
        command.SetAction(async (parsed, cancellationToken) =>
        {
            using ServerClient server = await ServerClient.ConnectAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            JobView definition = await server.GetJobAsync(parsed.GetRequiredValue(job), cancellationToken).ConfigureAwait(false);
            TimeZoneInfo zone = TimeZoneInfo.FindSystemTimeZoneById(definition.TimeZone);
            foreach ((Option<string> option, bool endOfDay) in new[] { (from, false), (to, true) })
            {
                if (!TryParseBound(parsed.GetRequiredValue(option), zone, endOfDay, out _))
                {
                    await error.WriteLineAsync($"error: {option.Name} '{parsed.GetRequiredValue(option)}' is not a date. Help: write a day like 2026-01-31, or a time like 2026-01-31T06:00 or 2026-01-31T06:00:00+00:00.").ConfigureAwait(false);
                    return MedallionCli.UsageError;
                }
            }

            TryParseBound(parsed.GetRequiredValue(from), zone, endOfDay: false, out DateTimeOffset start);
            TryParseBound(parsed.GetRequiredValue(to), zone, endOfDay: true, out DateTimeOffset end);

            if (end < start)
            {
                await error.WriteLineAsync($"error: --to ({end:O}) is before --from ({start:O}). Help: swap them.").ConfigureAwait(false);
                return MedallionCli.UsageError;
            }

            bool dry = parsed.GetValue(dryRun);
            BackfillReprocess which = parsed.GetValue(reprocess);
            BackfillView view = await server.BackfillAsync(
                definition.Name, new BackfillRequest(start, end, which, parsed.GetValue(maxActive), dry), cancellationToken).ConfigureAwait(false);
            if (dry)
            {
                WriteIntervals(output, view.Intervals, definition.TimeZone);
                int running = view.Intervals.Count(i => i.WillRun);
                await output.WriteLineAsync($"{running} of {view.Intervals.Count} interval(s) would run (reprocess {which.ToString().ToLowerInvariant()}). Dry run: nothing was queued.").ConfigureAwait(false);
                return 0;
            }

            BackfillRecord backfill = view.Backfill!;
            await output.WriteLineAsync(
                $"Backfill {backfill.Id} of job {definition.Name}: {view.Runs.Count} of {view.Intervals.Count} interval(s) queued, at most {backfill.MaxActive} at once (reprocess {backfill.Reprocess}).").ConfigureAwait(false);
            if (view.Runs.Count == 0)
            {
                await output.WriteLineAsync("Nothing to run: every interval already succeeded. Help: --reprocess all runs them again.").ConfigureAwait(false);
                return 0;
            }

            if (parsed.GetValue(noWait))
            {
                await output.WriteLineAsync($"Help: the server runs them; follow with medallion runs, stop one with medallion cancel <run>.").ConfigureAwait(false);
                return 0;
            }

            return await FollowAsync(output, server, definition, view.Runs, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Prints each run as it ends, oldest interval first within each poll, until all have ended: exit 0 when all
    /// succeeded. Ctrl+C stops watching only: the backfill is the server's and goes on.
    /// </summary>
    private static async Task<int> FollowAsync(TextWriter output, ServerClient server, JobView job, IReadOnlyList<RunRecord> queued, CancellationToken cancellationToken)
    {
        var pending = queued.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var ended = new List<RunRecord>();
        try
        {
            while (pending.Count > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
                foreach (RunRecord run in (await EndedAsync(server, job.Name, pending, cancellationToken).ConfigureAwait(false)).OrderBy(r => r.IntervalStart))
                {
                    pending.Remove(run.Id);
                    ended.Add(run);
                    string interval = $"{JobCommands.Time(run.IntervalStart!.Value, job.TimeZone)} to {JobCommands.Time(run.IntervalEnd!.Value, job.TimeZone)}";
                    await output.WriteLineAsync(
                        $"[{ended.Count}/{queued.Count}] {interval}: {JobCommands.Status(run.Status)} (run {run.Id}){(run.Error is { } e ? ": " + e : string.Empty)}").ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            await output.WriteLineAsync($"Stopped watching; the server goes on with the {pending.Count} run(s) not yet ended. Help: medallion cancel <run> stops one.").ConfigureAwait(false);
            throw;
        }

        int succeeded = ended.Count(r => r.Status == RunStatus.Succeeded);
        await output.WriteLineAsync($"{succeeded} of {queued.Count} interval(s) succeeded.").ConfigureAwait(false);
        return succeeded == queued.Count ? 0 : MedallionCli.Failure;
    }

    /// <summary>The pending runs that have ended, read from the job's run list newest first (a backfill's runs are its newest).</summary>
    private static async Task<List<RunRecord>> EndedAsync(ServerClient server, string job, Dictionary<string, RunRecord> pending, CancellationToken cancellationToken)
    {
        var ended = new List<RunRecord>();
        int seen = 0;
        string? cursor = null;
        do
        {
            RunPage page = await server.GetRunsAsync(job, 200, cursor, cancellationToken).ConfigureAwait(false);
            foreach (RunRecord run in page.Runs.Where(r => pending.ContainsKey(r.Id)))
            {
                seen++;
                if (run.Status is not (RunStatus.Queued or RunStatus.Running))
                {
                    ended.Add(run);
                }
            }

            cursor = page.NextCursor;
        }
        while (seen < pending.Count && cursor is not null);
        return ended;
    }

    private static void WriteIntervals(TextWriter output, IReadOnlyList<BackfillInterval> intervals, string timeZone) =>
        TextTable.Write(output, ["interval start", "interval end", "last run", "runs"], [false, false, false, false], [.. intervals.Select(i => new[]
        {
            JobCommands.Time(i.Start, timeZone),
            JobCommands.Time(i.End, timeZone),
            i.LastStatus is { } status ? JobCommands.Status(status) : "never run",
            i.WillRun ? "yes" : "no",
        })]);

    /// <summary>
    /// A range bound: a day is its midnight in <paramref name="zone"/> (for the end, the next midnight, so the whole day
    /// is in); a time without an offset is in <paramref name="zone"/>; a time with one is that instant.
    /// </summary>
    internal static bool TryParseBound(string text, TimeZoneInfo zone, bool endOfDay, out DateTimeOffset bound)
    {
        string trimmed = text.Trim();
        if (DateTime.TryParseExact(trimmed, s_dateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime local))
        {
            if (endOfDay && local.TimeOfDay == TimeSpan.Zero && trimmed.Length == 10)
            {
                local = local.AddDays(1);
            }

            // A midnight that a DST change skips starts the day at the first time that exists.
            while (zone.IsInvalidTime(local))
            {
                local = local.AddMinutes(30);
            }

            bound = new DateTimeOffset(local, zone.GetUtcOffset(local));
            return true;
        }

        return DateTimeOffset.TryParseExact(trimmed, s_instantFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out bound);
    }
}
