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
using Medallion.Server;
using Medallion.Server.Http;
using Medallion.Server.Scheduling;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion backfill &lt;job&gt; --from --to</c>: one run per data interval of the range on the running server. Like
/// Airflow's <c>airflow dags backfill</c>, it stays and shows each interval as it ends, exiting 0 only when every one
/// succeeded; <c>--no-wait</c> returns once the runs are queued (the server runs them either way, and Ctrl+C only stops
/// watching). Dates without a time are days in the job's time zone: <c>--from</c> is the first day's midnight,
/// <c>--to</c> includes its whole day. The backfill is one object on the server (<c>medallion backfills</c> shows it,
/// <c>medallion cancel &lt;backfill&gt;</c> stops it).
/// </summary>
internal static class BackfillCommand
{
    private static readonly string[] s_dateFormats = ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss"];

    private static readonly string[] s_instantFormats = ["yyyy-MM-dd'T'HH:mmzzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", "yyyy-MM-dd'T'HH:mm'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"];

    public static Command Create(TextWriter output)
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
                    throw new MedallionException(ErrorCode.CommandLineInvalid, $"{option.Name} '{parsed.GetRequiredValue(option)}' is not a date. Help: write a day like 2026-01-31, or a time like 2026-01-31T06:00 or 2026-01-31T06:00:00+00:00.");
                }
            }

            TryParseBound(parsed.GetRequiredValue(from), zone, endOfDay: false, out DateTimeOffset start);
            TryParseBound(parsed.GetRequiredValue(to), zone, endOfDay: true, out DateTimeOffset end);

            if (end < start)
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, $"--to ({end:O}) is before --from ({start:O}). Help: swap them.");
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
                await output.WriteLineAsync($"Help: the server runs them; follow with medallion backfills {backfill.Id}, stop them all with medallion cancel {backfill.Id}.").ConfigureAwait(false);
                return 0;
            }

            return await FollowAsync(output, server, definition, backfill.Id, view.Runs.Count, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Follows the backfill on the server (<c>GET /api/backfills/{id}</c>), printing each interval as its run ends, until
    /// the backfill ends: exit 0 when it succeeded. Ctrl+C stops watching only: the backfill is the server's and goes on.
    /// </summary>
    private static async Task<int> FollowAsync(TextWriter output, ServerClient server, JobView job, string backfillId, int queued, CancellationToken cancellationToken)
    {
        var printed = new HashSet<string>(StringComparer.Ordinal);
        BackfillDetail detail;
        try
        {
            do
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
                detail = await server.GetBackfillAsync(backfillId, cancellationToken).ConfigureAwait(false);
                foreach (RunRecord run in detail.Runs.Where(r => r.Status is not (RunStatus.Queued or RunStatus.Running) && printed.Add(r.Id)))
                {
                    string interval = $"{JobCommands.Time(run.IntervalStart!.Value, job.TimeZone)} to {JobCommands.Time(run.IntervalEnd!.Value, job.TimeZone)}";
                    await output.WriteLineAsync(
                        $"[{printed.Count}/{queued}] {interval}: {JobCommands.Status(run.Status)} (run {run.Id}){(run.Error is { } e ? ": " + e : string.Empty)}").ConfigureAwait(false);
                }
            }
            while (detail.Backfill.Status == RunStatus.Running);
        }
        catch (OperationCanceledException)
        {
            await output.WriteLineAsync($"Stopped watching; the server goes on with backfill {backfillId}. Help: follow it with medallion backfills {backfillId}; stop it with medallion cancel {backfillId}.").ConfigureAwait(false);
            throw;
        }

        await output.WriteLineAsync($"Backfill {backfillId} {JobCommands.Status(detail.Backfill.Status)}: {detail.Progress.Succeeded} of {queued} interval(s) succeeded.").ConfigureAwait(false);
        return detail.Backfill.Status == RunStatus.Succeeded ? 0 : MedallionCli.Failure;
    }

    /// <summary>
    /// <c>medallion backfills [id] [--job j]</c>: the newest backfills with their state and progress, or one backfill with
    /// each of its intervals' runs.
    /// </summary>
    internal static Command List(TextWriter output)
    {
        var id = new Argument<string?>("backfill") { Description = "One backfill's id, to show each of its runs.", Arity = ArgumentArity.ZeroOrOne };
        var job = new Option<string?>("--job") { Description = "Only the backfills of this job." };
        var limit = new Option<int>("--limit") { Description = "How many backfills at most, newest first.", DefaultValueFactory = _ => 20 };
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var command = new Command("backfills", "List the running server's backfills (newest first) with state and progress, or show one with its runs.")
        {
            id, job, limit, format, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            using ServerClient server = await ServerClient.ConnectAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            Dictionary<string, string> zones = (await server.GetJobsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(j => j.Name, j => j.TimeZone, StringComparer.Ordinal);
            string Zone(string name) => zones.GetValueOrDefault(name, "UTC");
            bool json = parsed.GetValue(format) == ReportFormat.Json;
            if (parsed.GetValue(id) is { } one)
            {
                BackfillDetail detail = await server.GetBackfillAsync(one, cancellationToken).ConfigureAwait(false);
                if (json)
                {
                    JsonReport.Write(output, w => WriteJson(w, detail));
                    return 0;
                }

                BackfillRecord b = detail.Backfill;
                string zone = Zone(b.Job);
                await output.WriteLineAsync($"Backfill {b.Id} of job {b.Job}: {JobCommands.Status(b.Status)}, {ProgressText(detail.Progress)}").ConfigureAwait(false);
                await output.WriteLineAsync($"Range {JobCommands.Time(b.RangeStart, zone)} to {JobCommands.Time(b.RangeEnd, zone)}, reprocess {b.Reprocess}, at most {b.MaxActive} at once; started by {b.StartedBy ?? "-"} at {JobCommands.Time(b.CreatedAt, zone)}.").ConfigureAwait(false);
                TextTable.Write(output, ["interval start", "interval end", "status", "run", "error"], [false, false, false, false, false], [.. detail.Runs.Select(r => new[]
                {
                    JobCommands.Time(r.IntervalStart!.Value, zone), JobCommands.Time(r.IntervalEnd!.Value, zone), JobCommands.Status(r.Status), r.Id, r.Error ?? string.Empty,
                })]);
                return 0;
            }

            IReadOnlyList<BackfillDetail> backfills = await server.GetBackfillsAsync(parsed.GetValue(job), Math.Clamp(parsed.GetValue(limit), 1, 1000), cancellationToken).ConfigureAwait(false);
            if (json)
            {
                JsonReport.Write(output, w =>
                {
                    w.WriteStartArray();
                    foreach (BackfillDetail detail in backfills)
                    {
                        WriteJson(w, detail);
                    }

                    w.WriteEndArray();
                });
                return 0;
            }

            TextTable.Write(output, ["backfill", "job", "range", "state", "progress", "started by", "created"], [false, false, false, false, false, false, false], [.. backfills.Select(d => new[]
            {
                d.Backfill.Id, d.Backfill.Job, $"{JobCommands.Time(d.Backfill.RangeStart, Zone(d.Backfill.Job))} to {JobCommands.Time(d.Backfill.RangeEnd, Zone(d.Backfill.Job))}",
                JobCommands.Status(d.Backfill.Status), ProgressText(d.Progress), d.Backfill.StartedBy ?? "-", JobCommands.Time(d.Backfill.CreatedAt, Zone(d.Backfill.Job)),
            })]);
            await output.WriteLineAsync($"({(backfills.Count == 1 ? "1 backfill" : $"{backfills.Count} backfills")}; times in each job's time zone)").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>Progress as people read it: intervals ended of the total, then each non-zero count (<c>3/5 ended: 2 succeeded, 1 failed, 2 queued</c>).</summary>
    internal static string ProgressText(BackfillProgress p)
    {
        int ended = p.Succeeded + p.Failed + p.Cancelled + p.Skipped;
        IEnumerable<string> parts = new (int Count, string Name)[]
        {
            (p.Succeeded, "succeeded"), (p.Failed, "failed"), (p.Cancelled, "cancelled"), (p.Skipped, "skipped"), (p.Running, "running"), (p.Queued, "queued"),
        }.Where(c => c.Count > 0).Select(c => $"{c.Count} {c.Name}");
        return $"{ended}/{p.Total} ended" + (p.Total == 0 ? string.Empty : ": " + string.Join(", ", parts));
    }

    private static void WriteJson(System.Text.Json.Utf8JsonWriter w, BackfillDetail detail)
    {
        BackfillRecord b = detail.Backfill;
        BackfillProgress p = detail.Progress;
        w.WriteStartObject();
        w.WriteString("id", b.Id);
        w.WriteString("job", b.Job);
        JsonReport.Time(w, "range_start", b.RangeStart);
        JsonReport.Time(w, "range_end", b.RangeEnd);
        w.WriteString("reprocess", b.Reprocess);
        w.WriteNumber("max_active", b.MaxActive);
        w.WriteString("state", JobCommands.Status(b.Status));
        JsonReport.String(w, "started_by", b.StartedBy);
        JsonReport.Time(w, "created_at", b.CreatedAt);
        JsonReport.Time(w, "finished_at", b.FinishedAt);
        w.WriteStartObject("progress");
        w.WriteNumber("total", p.Total);
        w.WriteNumber("queued", p.Queued);
        w.WriteNumber("running", p.Running);
        w.WriteNumber("succeeded", p.Succeeded);
        w.WriteNumber("failed", p.Failed);
        w.WriteNumber("cancelled", p.Cancelled);
        w.WriteNumber("skipped", p.Skipped);
        w.WriteEndObject();
        w.WriteStartArray("runs");
        foreach (RunRecord r in detail.Runs)
        {
            w.WriteStartObject();
            w.WriteString("id", r.Id);
            JsonReport.Time(w, "interval_start", r.IntervalStart);
            JsonReport.Time(w, "interval_end", r.IntervalEnd);
            w.WriteString("status", JobCommands.Status(r.Status));
            JsonReport.String(w, "error", r.Error);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
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
