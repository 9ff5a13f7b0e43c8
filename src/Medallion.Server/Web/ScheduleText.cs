using System;
using System.Globalization;
using Medallion.Pipelines;

namespace Medallion.Server.Web;

/// <summary>A job's schedule in words ("every day at 03:00 (America/Sao_Paulo time)"); schedules too irregular for a sentence are shown as written.</summary>
internal static class ScheduleText
{
    public static string Describe(JobSchedule? schedule, PageContext page)
    {
        if (schedule is null)
        {
            return page.T("no schedule");
        }

        if (schedule.Every is { } every)
        {
            return page.T("every {0}", schedule.Text["every ".Length..]);
        }

        string text = schedule.Text.ToLowerInvariant() switch
        {
            "@hourly" => "0 * * * *",
            "@daily" => "0 0 * * *",
            "@weekly" => "0 0 * * 0",
            "@monthly" => "0 0 1 * *",
            _ => schedule.Text,
        };
        string zone = " " + page.T("({0} time)", schedule.TimeZone.Id);
        string[] f = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length != 5)
        {
            return page.T("cron {0}", schedule.Text) + zone;
        }

        bool minute = int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int m);
        bool hour = int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h);
        string at = minute && hour ? new DateTime(2000, 1, 1, h % 24, m % 60, 0).ToString("t", page.Culture) : string.Empty;
        return (f[0], f[1], f[2], f[3], f[4]) switch
        {
            ("*", "*", "*", "*", "*") => page.T("every minute"),
            (var s, "*", "*", "*", "*") when s.StartsWith("*/", StringComparison.Ordinal) => page.T("every {0} minutes", s[2..]),
            (_, "*", "*", "*", "*") when minute => page.T("every hour at minute {0}", m),
            (_, _, "*", "*", "*") when minute && hour => page.T("every day at {0}", at) + zone,
            (_, _, "*", "*", var d) when minute && hour && int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out int day) && day is >= 0 and <= 7 =>
                page.T("every {0} on {1} at {2}", "week", page.Culture.DateTimeFormat.GetDayName((DayOfWeek)(day % 7)), at) + zone,
            (_, _, var dom, "*", "*") when minute && hour && int.TryParse(dom, NumberStyles.None, CultureInfo.InvariantCulture, out int date) =>
                page.T("on day {0} of every month at {1}", date, at) + zone,
            _ => page.T("cron {0}", schedule.Text) + zone,
        };
    }
}
