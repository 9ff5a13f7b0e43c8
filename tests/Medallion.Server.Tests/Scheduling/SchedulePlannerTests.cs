using Medallion.Pipelines;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Scheduling;

public sealed class SchedulePlannerTests
{
    private static readonly JobSchedule s_hourly = JobSchedule.Cron("@hourly");
    private static readonly DateTimeOffset s_last = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_now = new(2026, 3, 1, 14, 30, 0, TimeSpan.Zero);

    [Fact]
    public void A_job_never_scheduled_before_starts_with_the_next_fire_time()
    {
        (List<DateTimeOffset> run, DateTimeOffset accounted) = SchedulePlanner.Plan(s_hourly, CatchupPolicy.All, null, s_now, startup: true);

        Assert.Empty(run);
        Assert.Equal(s_now, accounted);
    }

    [Theory]
    [InlineData(CatchupPolicy.None, new int[0])]
    [InlineData(CatchupPolicy.Last, new[] { 14 })]
    [InlineData(CatchupPolicy.All, new[] { 11, 12, 13, 14 })]
    public void Fire_times_missed_while_down_are_run_as_the_catchup_policy_says(CatchupPolicy catchup, int[] hours)
    {
        (List<DateTimeOffset> run, DateTimeOffset accounted) = SchedulePlanner.Plan(s_hourly, catchup, s_last, s_now, startup: true);

        Assert.Equal(hours.Select(h => s_last.Date.AddHours(h)), run.Select(r => r.UtcDateTime));
        Assert.Equal(s_last.AddHours(4), accounted);
    }

    [Fact]
    public void While_running_every_fire_time_that_came_due_is_run_whatever_the_policy()
    {
        (List<DateTimeOffset> run, _) = SchedulePlanner.Plan(s_hourly, CatchupPolicy.None, s_last, s_last.AddHours(2), startup: false);

        Assert.Equal([s_last.AddHours(1), s_last.AddHours(2)], run);
    }

    [Fact]
    public void Planning_again_from_what_was_accounted_for_never_plans_a_fire_time_twice()
    {
        (_, DateTimeOffset accounted) = SchedulePlanner.Plan(s_hourly, CatchupPolicy.All, s_last, s_now, startup: true);

        (List<DateTimeOffset> again, DateTimeOffset still) = SchedulePlanner.Plan(s_hourly, CatchupPolicy.All, accounted, s_now, startup: false);

        Assert.Empty(again);
        Assert.Equal(accounted, still);
    }

    [Fact]
    public void A_catchup_of_all_plans_at_most_the_newest_thousand_fire_times()
    {
        JobSchedule minutely = JobSchedule.Cron("* * * * *");

        (List<DateTimeOffset> run, _) = SchedulePlanner.Plan(minutely, CatchupPolicy.All, s_last, s_last.AddDays(30), startup: true);

        Assert.Equal(SchedulePlanner.MaxCatchup, run.Count);
        Assert.Equal(s_last.AddDays(30), run[^1]);
    }
}
