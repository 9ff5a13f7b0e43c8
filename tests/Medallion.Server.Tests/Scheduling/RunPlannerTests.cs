using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests.Scheduling;

public sealed class RunPlannerTests
{
    private static readonly DateTimeOffset s_last = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_now = new(2026, 3, 1, 14, 30, 0, TimeSpan.Zero);
    private static readonly TableName s_orders = new("bronze", "orders");

    [Theory]
    [InlineData(CatchupPolicy.None, new int[0], 4)]
    [InlineData(CatchupPolicy.Last, new[] { 14 }, 3)]
    [InlineData(CatchupPolicy.All, new[] { 11, 12, 13, 14 }, 0)]
    public void At_startup_fire_times_missed_while_down_are_queued_as_the_catchup_policy_says(CatchupPolicy catchup, int[] hours, int missed)
    {
        RunPlan plan = RunPlanner.Plan(Input([Hourly("hourly") with { Catchup = catchup }], startup: true) with
        {
            LastFire = new Dictionary<string, DateTimeOffset> { ["hourly"] = s_last },
        });

        Assert.Equal(hours.Select(h => s_last.Date.AddHours(h)), plan.Scheduled.Select(r => r.IntervalEnd!.Value.UtcDateTime));
        Assert.All(plan.Scheduled, r => Assert.Equal(RunTrigger.Schedule, r.Trigger));
        Assert.Equal(s_last.AddHours(4), plan.FireTimesAccounted["hourly"]);
        Assert.Equal(missed, plan.MissedSchedules.GetValueOrDefault("hourly"));
        Assert.Equal(s_last.AddHours(5), plan.NextWake);
    }

    [Fact]
    public void While_the_scheduler_runs_every_fire_time_that_came_due_is_queued_whatever_the_catchup_policy()
    {
        RunPlan plan = RunPlanner.Plan(Input([Hourly("hourly") with { Catchup = CatchupPolicy.None }], startup: false) with
        {
            LastFire = new Dictionary<string, DateTimeOffset> { ["hourly"] = s_last },
        });

        Assert.Equal(4, plan.Scheduled.Count);
        Assert.Empty(plan.MissedSchedules);
    }

    [Fact]
    public void A_job_never_scheduled_before_queues_nothing_and_wakes_at_its_next_fire_time()
    {
        RunPlan plan = RunPlanner.Plan(Input([Hourly("hourly")], startup: true));

        Assert.Empty(plan.Scheduled);
        Assert.Equal(s_now, plan.FireTimesAccounted["hourly"]);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 15, 0, 0, TimeSpan.Zero), plan.NextWake);
    }

    [Fact]
    public void A_paused_job_queues_nothing_and_its_fire_times_pass_so_that_unpausing_does_not_replay_them()
    {
        RunPlan plan = RunPlanner.Plan(Input([Hourly("hourly")], startup: false) with
        {
            JobStates = new Dictionary<string, JobState> { ["hourly"] = new("hourly", true, new Dictionary<string, long>()) },
            LastFire = new Dictionary<string, DateTimeOffset> { ["hourly"] = s_last },
        });

        Assert.Empty(plan.Scheduled);
        Assert.Equal(s_now, plan.FireTimesAccounted["hourly"]);
        Assert.Null(plan.NextWake);
    }

    [Fact]
    public void The_pause_kept_in_the_catalog_wins_over_the_job_files_paused()
    {
        RunPlan plan = RunPlanner.Plan(Input([Hourly("hourly") with { Paused = true }], startup: false) with
        {
            JobStates = new Dictionary<string, JobState> { ["hourly"] = new("hourly", false, new Dictionary<string, long>()) },
            LastFire = new Dictionary<string, DateTimeOffset> { ["hourly"] = s_last },
        });

        Assert.Equal(4, plan.Scheduled.Count);
    }

    [Fact]
    public void The_next_wake_is_the_earliest_next_fire_time_of_any_job()
    {
        RunPlan plan = RunPlanner.Plan(Input([Hourly("hourly"), Job("quarterly") with { Schedule = JobSchedule.Cron("*/15 * * * *") }], startup: false));

        Assert.Equal(new DateTimeOffset(2026, 3, 1, 14, 45, 0, TimeSpan.Zero), plan.NextWake);
    }

    [Fact]
    public void The_first_look_at_an_on_new_data_job_records_the_versions_and_queues_nothing()
    {
        RunPlan plan = RunPlanner.Plan(Input([Watching("refresh")], startup: true) with { TableVersions = Versions("refresh", 3) });

        Assert.Empty(plan.Data);
        Assert.Equal(3, plan.JobStates["refresh"].SeenVersions["bronze.orders"]);
    }

    [Fact]
    public void A_new_version_of_a_watched_table_queues_one_data_run_and_is_recorded_as_seen()
    {
        RunPlan plan = RunPlanner.Plan(Input([Watching("refresh")], startup: false) with
        {
            JobStates = Seen("refresh", 3),
            TableVersions = Versions("refresh", 4),
        });

        PlannedRun run = Assert.Single(plan.Data);
        Assert.Equal(("refresh", RunTrigger.Data), (run.Start.Job, run.Start.Trigger));
        Assert.Null(run.Note);
        Assert.Equal(4, plan.JobStates["refresh"].SeenVersions["bronze.orders"]);
    }

    [Fact]
    public void A_watched_table_the_job_has_not_seen_before_counts_as_new()
    {
        RunPlan plan = RunPlanner.Plan(Input([Watching("refresh")], startup: false) with
        {
            JobStates = new Dictionary<string, JobState> { ["refresh"] = new("refresh", null, new Dictionary<string, long> { ["bronze.other"] = 1 }) },
            TableVersions = Versions("refresh", 0),
        });

        Assert.Single(plan.Data);
    }

    [Fact]
    public void Versions_already_seen_queue_nothing_and_change_nothing()
    {
        RunPlan plan = RunPlanner.Plan(Input([Watching("refresh")], startup: false) with
        {
            JobStates = Seen("refresh", 3),
            TableVersions = Versions("refresh", 3),
        });

        Assert.Empty(plan.Data);
        Assert.Empty(plan.JobStates);
    }

    [Fact]
    public void A_data_run_still_waiting_covers_new_versions_which_are_recorded_as_seen()
    {
        RunPlan plan = RunPlanner.Plan(Input([Watching("refresh")], startup: false) with
        {
            JobStates = Seen("refresh", 3),
            TableVersions = Versions("refresh", 5),
            Queued = [Queued("refresh", RunTrigger.Data)],
        });

        Assert.Empty(plan.Data);
        Assert.Equal(5, plan.JobStates["refresh"].SeenVersions["bronze.orders"]);
    }

    [Fact]
    public void A_waiting_run_of_another_trigger_does_not_cover_new_versions()
    {
        RunPlan plan = RunPlanner.Plan(Input([Watching("refresh")], startup: false) with
        {
            JobStates = Seen("refresh", 3),
            TableVersions = Versions("refresh", 4),
            Queued = [Queued("refresh", RunTrigger.Api)],
        });

        Assert.Single(plan.Data);
    }

    [Fact]
    public void A_paused_on_new_data_job_plans_nothing()
    {
        RunPlan plan = RunPlanner.Plan(Input([Watching("refresh") with { Paused = true }], startup: false) with
        {
            JobStates = Seen("refresh", 3),
            TableVersions = new Dictionary<string, IReadOnlyDictionary<string, long>>(),
        });

        Assert.Empty(plan.Data);
        Assert.Empty(plan.JobStates);
    }

    [Fact]
    public void A_file_pending_for_the_first_time_queues_a_data_run_that_names_it()
    {
        RunPlan plan = RunPlanner.Plan(Input([WatchingFiles("load")], startup: false) with { PendingFiles = Pending("load", "raw:b.csv", "raw:a.csv") });

        PlannedRun run = Assert.Single(plan.Data);
        Assert.Equal(RunTrigger.Data, run.Start.Trigger);
        Assert.Equal("new files: raw:a.csv, raw:b.csv", run.Note);
        Assert.Equal("raw:a.csv raw:b.csv", string.Join(' ', plan.PendingFiles["load"].Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Files_still_pending_from_the_pass_before_queue_nothing_more()
    {
        RunPlan plan = RunPlanner.Plan(Input([WatchingFiles("load")], startup: false) with
        {
            PendingFiles = Pending("load", "raw:a.csv"),
            PendingFilesSeen = Pending("load", "raw:a.csv"),
        });

        Assert.Empty(plan.Data);
    }

    [Fact]
    public void A_job_watching_tables_and_files_gets_one_data_run_for_both()
    {
        JobDefinition job = Watching("both") with { OnNewFiles = ["raw"] };
        RunPlan plan = RunPlanner.Plan(Input([job], startup: false) with
        {
            JobStates = Seen("both", 3),
            TableVersions = Versions("both", 4),
            PendingFiles = Pending("both", "raw:a.csv"),
        });

        Assert.Single(plan.Data);
        Assert.Single(plan.PendingFiles);
    }

    private static PlanningInput Input(IReadOnlyCollection<JobDefinition> jobs, bool startup) => new(
        jobs,
        new Dictionary<string, JobState>(),
        new Dictionary<string, DateTimeOffset>(),
        new Dictionary<string, IReadOnlyDictionary<string, long>>(),
        new Dictionary<string, IReadOnlySet<string>>(),
        new Dictionary<string, IReadOnlySet<string>>(),
        [],
        s_now,
        startup ? jobs.Select(j => j.Name).ToHashSet(StringComparer.Ordinal) : new HashSet<string>(),
        "holder");

    private static JobDefinition Job(string name) => new(
        name, "silver.orders", [], null, [], [], CatchupPolicy.All, RetryPolicy.None, null, null, 1, false, new SourceLocation("jobs/" + name + ".yml"));

    private static JobDefinition Hourly(string name) => Job(name) with { Schedule = JobSchedule.Cron("@hourly") };

    private static JobDefinition Watching(string name) => Job(name) with { OnNewData = [s_orders] };

    private static JobDefinition WatchingFiles(string name) => Job(name) with { OnNewFiles = ["raw"] };

    private static Dictionary<string, JobState> Seen(string job, long version) =>
        new() { [job] = new JobState(job, null, new Dictionary<string, long> { ["bronze.orders"] = version }) };

    private static Dictionary<string, IReadOnlyDictionary<string, long>> Versions(string job, long version) =>
        new() { [job] = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase) { ["bronze.orders"] = version } };

    private static Dictionary<string, IReadOnlySet<string>> Pending(string job, params string[] files) =>
        new() { [job] = files.ToHashSet(StringComparer.Ordinal) };

    private static RunRecord Queued(string job, RunTrigger trigger) =>
        new("run-1", s_now, null, RunStatus.Queued, null, null) { Job = job, Trigger = trigger };
}
