using Medallion.Catalog.Internal;
using Microsoft.Data.Sqlite;

namespace Medallion.Catalog.Tests;

public sealed class CatalogJobRunTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly LeaseHolder s_first = new("holder-1", "db1", 4242, s_start.AddHours(-1));
    private static readonly LeaseHolder s_second = new("holder-2", "db2", 77, s_start);

    private readonly TempDirectory _dir = new();
    private readonly ManualTime _time = new(s_start);
    private CatalogStore _store = null!;

    public async Task InitializeAsync() => _store = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_dir.Path), _time);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private static RunStart Scheduled(string job, DateTimeOffset end, string holder = "holder-1") =>
        new(job, RunTrigger.Schedule, "silver.*", end.AddHours(-1), end, holder);

    [Fact]
    public async Task A_queued_run_keeps_its_job_trigger_interval_and_variables()
    {
        RunRecord run = (await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start) with { Variables = new Dictionary<string, string> { ["region"] = "eu" } }))!;

        RunRecord read = (await _store.Runs.GetRunAsync(run.Id))!;
        Assert.Equal(RunStatus.Queued, read.Status);
        Assert.Equal("hourly", read.Job);
        Assert.Equal(RunTrigger.Schedule, read.Trigger);
        Assert.Equal(s_start.AddHours(-1), read.IntervalStart);
        Assert.Equal(s_start, read.IntervalEnd);
        Assert.Equal("holder-1", read.Holder);
        Assert.Equal("eu", read.Variables["region"]);
    }

    [Fact]
    public async Task A_fire_time_of_a_job_is_queued_once_even_when_planned_twice()
    {
        Assert.NotNull(await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)));

        Assert.Null(await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start, "holder-2")));
        Assert.NotNull(await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start) with { Trigger = RunTrigger.Backfill }));
        Assert.NotNull(await _store.Runs.TryQueueRunAsync(Scheduled("daily", s_start)));
        Assert.Equal(s_start, await _store.Runs.GetLastScheduledFireTimeAsync("hourly"));
    }

    [Fact]
    public async Task Attempts_are_numbered_and_keep_their_errors_and_the_run_keeps_its_first_start()
    {
        RunRecord run = (await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        _time.Now = s_start.AddMinutes(1);
        RunAttemptRecord first = await _store.Runs.StartAttemptAsync(run.Id);
        await _store.Runs.FinishAttemptAsync(run.Id, first.Attempt, RunStatus.Failed, "MDL8001: source down", transient: true);
        _time.Now = s_start.AddMinutes(3);
        RunAttemptRecord second = await _store.Runs.StartAttemptAsync(run.Id);
        await _store.Runs.FinishAttemptAsync(run.Id, second.Attempt, RunStatus.Succeeded, null, transient: false);
        await _store.Runs.FinishRunAsync(run.Id, RunStatus.Succeeded);

        RunDetail detail = (await _store.Runs.GetRunDetailAsync(run.Id))!;
        Assert.Equal(RunStatus.Succeeded, detail.Run.Status);
        Assert.Equal(s_start.AddMinutes(1), detail.Run.StartedAt);
        Assert.Equal(
            [(1, RunStatus.Failed, "MDL8001: source down", true), (2, RunStatus.Succeeded, null, false)],
            detail.Attempts.Select(a => (a.Attempt, a.Status, a.Error, a.Transient)));
    }

    [Fact]
    public async Task Log_lines_are_numbered_in_order_and_readable_after_the_catalog_is_reopened()
    {
        RunRecord run = (await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        var model = new TableName("silver", "orders");
        await _store.Runs.AppendRunLogAsync(run.Id, null, "info", "attempt 1 started");
        await _store.Runs.AppendRunLogAsync(run.Id, model, "info", "silver.orders: 12 rows written");
        await _store.Runs.AppendRunLogAsync(run.Id, model, "error", "silver.orders failed");
        await _store.DisposeAsync();

        _store = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_dir.Path), _time);

        List<RunLogLine> lines = await _store.Runs.GetRunLogAsync(run.Id);
        Assert.Equal([1L, 2L, 3L], lines.Select(l => l.Sequence));
        Assert.Equal([null, model, model], lines.Select(l => l.Model));
        Assert.Equal("silver.orders: 12 rows written", lines[1].Message);
        Assert.Equal(["silver.orders failed"], (await _store.Runs.GetRunLogAsync(run.Id, afterSequence: 2)).Select(l => l.Message));
    }

    [Fact]
    public async Task Log_lines_appended_together_follow_the_run_s_lines_in_order_with_the_times_they_were_logged_at()
    {
        RunRecord run = (await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        await _store.Runs.AppendRunLogAsync(run.Id, null, "info", "queued");
        var model = new TableName("silver", "orders");

        await _store.Runs.AppendRunLogAsync(run.Id, [
            new RunLogEntry(s_start.AddSeconds(-3), model, "info", "model silver.orders started"),
            new RunLogEntry(s_start.AddSeconds(-1), model, "info", "model silver.orders succeeded"),
        ]);

        List<RunLogLine> lines = await _store.Runs.GetRunLogAsync(run.Id);
        Assert.Equal(
            [(1L, s_start, "queued"), (2L, s_start.AddSeconds(-3), "model silver.orders started"), (3L, s_start.AddSeconds(-1), "model silver.orders succeeded")],
            lines.Select(l => (l.Sequence, l.LoggedAt, l.Message)));
    }

    [Fact]
    public async Task Writes_of_many_callers_and_stores_at_once_are_each_committed_when_they_return()
    {
        RunRecord run = (await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        CatalogStore second = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_dir.Path), _time);
        await using (second)
        {
            await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
            {
                await (i % 2 == 0 ? _store : second).Runs.AppendRunLogAsync(run.Id, null, "info", $"line {i}");
                // Committed before the call returned: a fresh connection to the file sees it.
                Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM run_logs WHERE message = 'line {i}'"));
            }));
        }

        List<RunLogLine> lines = await _store.Runs.GetRunLogAsync(run.Id);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), lines.Select(l => l.Sequence));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"line {i}").Order(StringComparer.Ordinal), lines.Select(l => l.Message).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_write_that_fails_among_writes_committed_together_fails_alone()
    {
        RunRecord run = (await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;

        Task[] writes = [.. Enumerable.Range(0, 50).Select(i => i == 25
            ? _store.Runs.AppendRunLogAsync("no-such-run", null, "info", "orphan")
            : _store.Runs.AppendRunLogAsync(run.Id, null, "info", $"line {i}"))];

        SqliteException error = await Assert.ThrowsAsync<SqliteException>(() => writes[25]);
        Assert.Contains("FOREIGN KEY", error.Message, StringComparison.Ordinal);
        await Task.WhenAll(writes.Where((_, i) => i != 25));
        Assert.Equal(49, (await _store.Runs.GetRunLogAsync(run.Id)).Count);
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM run_logs WHERE message = 'orphan'"));
    }

    [Fact]
    public async Task A_write_of_several_rows_that_fails_halfway_among_others_leaves_none_of_its_rows()
    {
        var orders = new TableName("silver", "orders");
        await _store.Tables.UpsertTableAsync(new CatalogTable(orders, "tables/silver/orders"));
        await _store.Tables.SetColumnsAsync(orders, [new CatalogColumn("id", "INTEGER"), new CatalogColumn("name", "VARCHAR")]);
        RunRecord run = (await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;

        Task logged = Task.WhenAll(Enumerable.Range(0, 20).Select(i => _store.Runs.AppendRunLogAsync(run.Id, null, "info", $"line {i}")));
        // Deletes the columns, inserts one, then fails on the second (the same name twice).
        Task replaced = _store.Tables.SetColumnsAsync(orders, [new CatalogColumn("x", "INTEGER"), new CatalogColumn("x", "INTEGER")]);

        await Assert.ThrowsAsync<SqliteException>(() => replaced);
        await logged;
        Assert.Equal(["id", "name"], (await _store.Tables.GetColumnsAsync(orders)).Select(c => c.Name));
        Assert.Equal(20, (await _store.Runs.GetRunLogAsync(run.Id)).Count);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={CatalogStore.DefaultPath(_dir.Path)};Pooling=False");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Runs_page_newest_first_by_job_and_status_with_a_cursor_to_the_next_page()
    {
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            _time.Now = s_start.AddMinutes(i);
            ids.Add((await _store.Runs.TryQueueRunAsync(Scheduled(i % 2 == 0 ? "even" : "odd", s_start.AddHours(i))))!.Id);
        }

        await _store.Runs.StartAttemptAsync(ids[4]);

        RunPage first = await _store.Runs.QueryRunsAsync(new RunQuery { Job = "even", Limit = 2 });
        RunPage second = await _store.Runs.QueryRunsAsync(new RunQuery { Job = "even", Limit = 2, Cursor = first.NextCursor });
        RunPage queued = await _store.Runs.QueryRunsAsync(new RunQuery { Status = RunStatus.Queued, StartedFrom = s_start.AddMinutes(1) });

        Assert.Equal([ids[4], ids[2]], first.Runs.Select(r => r.Id));
        Assert.Equal([ids[0]], second.Runs.Select(r => r.Id));
        Assert.Null(second.NextCursor);
        Assert.Equal([ids[3], ids[2], ids[1]], queued.Runs.Select(r => r.Id));
    }

    [Theory]
    [InlineData("job = 'j'", "runs_job_id")]
    [InlineData("status = 'failed'", "runs_status_id")]
    public void A_filtered_page_of_runs_walks_an_index_in_id_order_without_sorting(string filter, string index)
    {
        using var connection = new SqliteConnection($"Data Source={_store.Path}");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"EXPLAIN QUERY PLAN SELECT * FROM runs WHERE {filter} AND id < 'z' ORDER BY id DESC LIMIT 51";
        using SqliteDataReader reader = command.ExecuteReader();
        var plan = new List<string>();
        while (reader.Read())
        {
            plan.Add(reader.GetString(3));
        }

        Assert.Contains(plan, step => step.Contains($"USING INDEX {index}", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_page_of_50_out_of_100000_runs_reads_only_that_page()
    {
        using (var connection = new SqliteConnection($"Data Source={_store.Path}"))
        {
            connection.Open();
            using SqliteTransaction transaction = connection.BeginTransaction();
            using SqliteCommand insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
                INSERT INTO runs (id, started_at, status, job, trigger)
                SELECT printf('%032d', i), '2026-01-01T00:00:00.0000000Z', CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'succeeded' END, 'job' || (i % 20), 'schedule' FROM n
                """;
            insert.ExecuteNonQuery();
            transaction.Commit();
        }

        RunPage page = await _store.Runs.QueryRunsAsync(new RunQuery { Job = "job0", Status = RunStatus.Failed });
        RunPage next = await _store.Runs.QueryRunsAsync(new RunQuery { Job = "job0", Status = RunStatus.Failed, Cursor = page.NextCursor });

        Assert.Equal(50, page.Runs.Count);
        Assert.Equal("00000000000000000000000000100000", page.Runs[0].Id);
        Assert.Equal("00000000000000000000000000099020", page.Runs[^1].Id);
        Assert.Equal("00000000000000000000000000099000", next.Runs[0].Id);
    }

    [Fact]
    public async Task A_second_scheduler_is_refused_with_a_message_naming_the_holder()
    {
        await _store.Scheduler.AcquireSchedulerLeaseAsync(s_first, TimeSpan.FromSeconds(30));

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _store.Scheduler.AcquireSchedulerLeaseAsync(s_second, TimeSpan.FromSeconds(30)));

        Assert.Equal(ErrorCode.CatalogLeaseHeld, error.Code);
        Assert.Equal(
            $"Another scheduler holds the catalog '{_store.Path}': host 'db1', pid 4242, started 2026-03-01 09:00:00Z (last heartbeat 2026-03-01T10:00:00.0000000Z, lease expires 2026-03-01T10:00:30.0000000Z).\nHelp: stop that server first; only one scheduler may run the jobs of a catalog. If it is gone, this one may take over once its lease expires.",
            error.Message);
        Assert.Equal("holder-1", (await _store.Scheduler.GetSchedulerLeaseAsync())!.Holder.Id);
    }

    [Fact]
    public async Task Heartbeats_keep_the_lease_and_an_expired_lease_passes_to_the_next_scheduler()
    {
        await _store.Scheduler.AcquireSchedulerLeaseAsync(s_first, TimeSpan.FromSeconds(30));
        _time.Now = s_start.AddSeconds(20);
        Assert.True(await _store.Scheduler.RenewSchedulerLeaseAsync(s_first, TimeSpan.FromSeconds(30)));
        _time.Now = s_start.AddSeconds(45);
        await Assert.ThrowsAsync<MedallionException>(() => _store.Scheduler.AcquireSchedulerLeaseAsync(s_second, TimeSpan.FromSeconds(30)));

        _time.Now = s_start.AddSeconds(50);
        SchedulerLease taken = await _store.Scheduler.AcquireSchedulerLeaseAsync(s_second, TimeSpan.FromSeconds(30));

        Assert.Equal(s_second, taken.Holder);
        Assert.False(await _store.Scheduler.RenewSchedulerLeaseAsync(s_first, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_lease_of_a_holder_known_to_be_gone_is_taken_at_once_and_a_released_lease_is_free()
    {
        await _store.Scheduler.AcquireSchedulerLeaseAsync(s_first, TimeSpan.FromMinutes(5));

        await _store.Scheduler.AcquireSchedulerLeaseAsync(s_second, TimeSpan.FromMinutes(5), replacing: s_first.Id);
        await _store.Scheduler.ReleaseSchedulerLeaseAsync(s_second);

        Assert.Null(await _store.Scheduler.GetSchedulerLeaseAsync());
    }

    [Fact]
    public async Task Runs_a_dead_scheduler_left_running_become_interrupted_and_its_queued_runs_pass_to_the_new_one()
    {
        RunRecord running = (await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start)))!;
        await _store.Runs.StartAttemptAsync(running.Id);
        await _store.Runs.RecordModelRunAsync(new ModelRunRecord(running.Id, new TableName("silver", "orders"), RunStatus.Running, null, new Dictionary<string, long>(), TimeSpan.Zero, null, null));
        RunRecord queued = (await _store.Runs.TryQueueRunAsync(Scheduled("hourly", s_start.AddHours(1))))!;
        RunRecord manual = await _store.Runs.StartRunAsync(null);

        List<RunRecord> recovered = await _store.Runs.RecoverRunsAsync("holder-2");

        // Both runs were queued in the same millisecond of the test's clock, so their time-ordered ids may sort either way.
        Assert.Equal(
            new Dictionary<string, RunStatus> { [running.Id] = RunStatus.Interrupted, [queued.Id] = RunStatus.Queued },
            recovered.ToDictionary(r => r.Id, r => r.Status));
        Assert.All(recovered, r => Assert.Equal("holder-2", r.Holder));
        RunDetail detail = (await _store.Runs.GetRunDetailAsync(running.Id))!;
        Assert.Equal("interrupted: the scheduler running it stopped before it finished", detail.Run.Error);
        Assert.Equal(RunStatus.Interrupted, Assert.Single(detail.Attempts).Status);
        Assert.Equal(RunStatus.Interrupted, Assert.Single(detail.Models).Status);
        Assert.Equal(RunStatus.Running, (await _store.Runs.GetRunAsync(manual.Id))!.Status);
        Assert.Empty(await _store.Runs.RecoverRunsAsync("holder-2"));
    }

    [Fact]
    public async Task Pausing_a_job_and_the_versions_it_saw_are_kept_per_job()
    {
        await _store.Scheduler.SetJobPausedAsync("hourly", true);
        await _store.Scheduler.SetJobSeenVersionsAsync("hourly", new Dictionary<string, long> { ["bronze.orders"] = 7 });
        await _store.Scheduler.SetJobSeenVersionsAsync("daily", new Dictionary<string, long> { ["bronze.orders"] = 3 });
        await _store.Scheduler.SetJobPausedAsync("daily", null);

        Dictionary<string, JobState> states = await _store.Scheduler.GetJobStatesAsync();

        Assert.True(states["hourly"].Paused);
        Assert.Equal(7, states["hourly"].SeenVersions["bronze.orders"]);
        Assert.Null(states["daily"].Paused);
        Assert.Equal(3, states["daily"].SeenVersions["bronze.orders"]);
    }

    [Fact]
    public async Task An_existing_catalog_at_schema_4_is_upgraded_and_keeps_its_runs_as_manual_runs()
    {
        string path = Path.Combine(_dir.Path, "old.db");
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            foreach (string statement in new[] { CatalogSchema.VersionTable }.Concat(CatalogSchema.Migrations.Where(m => m.Version <= 4).SelectMany(m => m.Statements)))
            {
                using SqliteCommand command = connection.CreateCommand();
                command.CommandText = statement;
                command.ExecuteNonQuery();
            }

            using SqliteCommand seed = connection.CreateCommand();
            seed.CommandText = """
                INSERT INTO schema_version VALUES (4, 'v4', '2026-01-01T00:00:00.0000000Z');
                INSERT INTO runs (id, started_at, finished_at, status, selection, error) VALUES ('0001', '2026-01-01T00:00:00.0000000Z', NULL, 'succeeded', 'silver.*', NULL);
                """;
            seed.ExecuteNonQuery();
        }

        CatalogStore upgraded = await CatalogStore.OpenAsync(path, _time);
        await using (upgraded)
        {
            Assert.Equal(11, await upgraded.GetSchemaVersionAsync());
            RunRecord run = (await upgraded.Runs.GetRunAsync("0001"))!;
            Assert.Equal((RunTrigger.Manual, (string?)null, "silver.*"), (run.Trigger, run.Job, run.Selection));
            SqliteConnection.ClearAllPools();
        }
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
