namespace Medallion.Pipelines.Tests;

/// <summary>
/// Fire times and data intervals, around daylight-saving transitions. São Paulo last observed DST in 2018-2019 (tzdata
/// 2019b ended it): clocks went forward at 2018-11-04 00:00 (to 01:00) and back at 2019-02-17 00:00 (to 2019-02-16 23:00).
/// New York: forward at 2026-03-08 02:00 (to 03:00), back at 2026-11-01 02:00 (to 01:00).
/// </summary>
public sealed class JobScheduleTests
{
    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);

    private static List<DateTimeOffset> FireTimes(JobSchedule schedule, DateTimeOffset after, int count)
    {
        var times = new List<DateTimeOffset>();
        DateTimeOffset at = after;
        for (int i = 0; i < count; i++)
        {
            at = schedule.GetNextFireTime(at)!.Value;
            times.Add(at);
        }

        return times;
    }

    [Fact]
    public void A_daily_cron_fires_at_local_midnight_in_its_time_zone()
    {
        JobSchedule schedule = JobSchedule.Cron("@daily", "Europe/Berlin");

        Assert.Equal(Utc("2026-06-01T22:00:00Z"), schedule.GetNextFireTime(Utc("2026-06-01T12:00:00Z")));
    }

    [Fact]
    public void A_local_time_skipped_in_sao_paulo_runs_once_at_the_next_existing_time()
    {
        // 00:30 does not exist on 2018-11-04 in São Paulo: 00:00 became 01:00 (-02:00).
        JobSchedule schedule = JobSchedule.Cron("30 0 * * *", "America/Sao_Paulo");

        List<DateTimeOffset> times = FireTimes(schedule, Utc("2018-11-02T12:00:00Z"), 3);

        Assert.Equal([Utc("2018-11-03T03:30:00Z"), Utc("2018-11-04T03:00:00Z"), Utc("2018-11-05T02:30:00Z")], times);
    }

    [Fact]
    public void A_local_time_repeated_in_sao_paulo_runs_once()
    {
        // 23:30 on 2019-02-16 happened at -02:00 and again at -03:00.
        JobSchedule schedule = JobSchedule.Cron("30 23 * * *", "America/Sao_Paulo");

        List<DateTimeOffset> times = FireTimes(schedule, Utc("2019-02-16T12:00:00Z"), 2);

        Assert.Equal([Utc("2019-02-17T01:30:00Z"), Utc("2019-02-18T02:30:00Z")], times);
    }

    [Fact]
    public void Every_half_hour_in_new_york_skips_the_hour_that_does_not_exist_without_doubling_three_oclock()
    {
        JobSchedule schedule = JobSchedule.Cron("*/30 * * * *", "America/New_York");

        List<DateTimeOffset> times = FireTimes(schedule, Utc("2026-03-08T06:00:00Z"), 3);

        // 01:30 EST, then 03:00 EDT (02:00 and 02:30 do not exist), then 03:30 EDT.
        Assert.Equal([Utc("2026-03-08T06:30:00Z"), Utc("2026-03-08T07:00:00Z"), Utc("2026-03-08T07:30:00Z")], times);
    }

    [Fact]
    public void Hourly_in_new_york_runs_the_repeated_one_oclock_once_and_its_next_interval_covers_two_hours()
    {
        JobSchedule schedule = JobSchedule.Cron("@hourly", "America/New_York");

        List<DateTimeOffset> times = FireTimes(schedule, Utc("2026-11-01T04:30:00Z"), 2);

        // 01:00 EDT (05:00Z); 01:00 EST (06:00Z) is the same local time again and does not fire; 02:00 EST is 07:00Z.
        Assert.Equal([Utc("2026-11-01T05:00:00Z"), Utc("2026-11-01T07:00:00Z")], times);
        Assert.Equal((Utc("2026-11-01T05:00:00Z"), Utc("2026-11-01T07:00:00Z")), schedule.GetDataInterval(times[1]));
    }

    [Fact]
    public void A_skipped_local_time_in_new_york_runs_at_three_and_its_interval_starts_at_the_previous_run()
    {
        JobSchedule schedule = JobSchedule.Cron("30 2 * * *", "America/New_York");

        DateTimeOffset fire = schedule.GetNextFireTime(Utc("2026-03-07T12:00:00Z"))!.Value;

        Assert.Equal(Utc("2026-03-08T07:00:00Z"), fire);
        Assert.Equal((Utc("2026-03-07T07:30:00Z"), fire), schedule.GetDataInterval(fire));
    }

    [Fact]
    public void A_period_fires_at_multiples_of_itself_since_the_epoch_whatever_the_start()
    {
        JobSchedule schedule = JobSchedule.Period(TimeSpan.FromMinutes(15));

        Assert.Equal(Utc("2026-01-01T10:15:00Z"), schedule.GetNextFireTime(Utc("2026-01-01T10:07:13Z")));
        Assert.Equal(Utc("2026-01-01T10:30:00Z"), schedule.GetNextFireTime(Utc("2026-01-01T10:15:00Z")));
        Assert.Equal(Utc("2026-01-01T10:00:00Z"), schedule.GetPreviousFireTime(Utc("2026-01-01T10:15:00Z")));
        Assert.Equal((Utc("2026-01-01T10:00:00Z"), Utc("2026-01-01T10:15:00Z")), schedule.GetDataInterval(Utc("2026-01-01T10:15:00Z")));
        Assert.Equal("every 15m", schedule.Text);
    }

    [Fact]
    public void Consecutive_data_intervals_leave_no_gap_across_a_transition()
    {
        JobSchedule schedule = JobSchedule.Cron("0 */6 * * *", "America/Sao_Paulo");

        List<DateTimeOffset> times = FireTimes(schedule, Utc("2018-11-02T00:00:00Z"), 12);

        for (int i = 1; i < times.Count; i++)
        {
            Assert.Equal((times[i - 1], times[i]), schedule.GetDataInterval(times[i]));
        }
    }

    [Theory]
    [InlineData(1, false, 10_000)]
    [InlineData(2, false, 20_000)]
    [InlineData(4, false, 60_000)]
    [InlineData(3, true, 20_000)]
    public void Retry_delays_double_up_to_the_maximum_and_jitter_draws_from_the_upper_half(int retry, bool jitter, int expectedMs)
    {
        var policy = new RetryPolicy(5, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), jitter);

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), policy.DelayBefore(retry, random: 0));
    }
}
