using System.Diagnostics;
using System.Globalization;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Medallion.Ingestion.Tests;
using Medallion.Pipelines;
using Medallion.Pipelines.Tests;
using Medallion.Server.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace Medallion.Server.Tests.Scheduling;

/// <summary>
/// A continuous job streams a real PostgreSQL table (logical replication) into bronze while the scheduler runs, and is
/// restarted with backoff when its connection is killed, without losing or repeating a change.
/// </summary>
public sealed class ContinuousJobTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private readonly TestProject _files = new("name: shop\nstorage: lake\n");
    private JobScheduler? _scheduler;
    private ProjectEnvironment? _environment;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_scheduler is not null)
        {
            await _scheduler.DisposeAsync();
        }

        if (_environment is not null)
        {
            await _environment.DisposeAsync();
        }

        _files.Dispose();
    }

    private string Slot(string table) => $"{database.Name}_{table}";

    /// <param name="table">The PostgreSQL table to create and stream.</param>
    /// <param name="time">The scheduler's clock (its lease and fence); the system's when null.</param>
    /// <param name="logs">Where the server logs; nowhere when null.</param>
    /// <param name="lease">The lease's time to live and heartbeat interval; the defaults when null.</param>
    private async Task<JobScheduler> StartAsync(string table, TimeProvider? time = null, RecordingLog? logs = null, (TimeSpan TimeToLive, TimeSpan Heartbeat)? lease = null)
    {
        var defaults = new SchedulerOptions();
        await database.ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY, amount int); INSERT INTO {table} VALUES (1, 10)");
        var builder = database.Builder;
        _files.Write("medallion.yml", $$"""
                name: shop
                storage: lake
                connections:
                  pg: {type: postgres, host: {{builder.Host}}, port: {{builder.Port}}, database: {{builder.Database}}, user: {{builder.Username}}, password: {{builder.Password}}, pooling: false}
                """)
            .Write("sources/db.yml", $"sources:\n  - name: shop\n    connection: pg\n    tables:\n      - {{table: public.{table}, mode: cdc, slot: {Slot(table)}}}\n")
            .Write("jobs/stream.yml", "jobs:\n  - name: stream\n    sources: [shop]\n    continuous: true\n    restart: {initial: 1s, max: 4s}\n");
        _environment = new ProjectEnvironment(await _files.LoadAsync(), new ProjectEnvironmentOptions { Time = time, Logs = logs });
        _scheduler = await JobScheduler.StartAsync(_environment, new SchedulerOptions
        {
            MaxConcurrentSteps = 2,
            Holder = new LeaseHolder("scheduler-1", "test-host", 1, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            PollInterval = TimeSpan.FromMilliseconds(200),
            ContinuousInterval = TimeSpan.FromMilliseconds(300),
            Random = () => 0.5,
            LeaseTimeToLive = lease?.TimeToLive ?? defaults.LeaseTimeToLive,
            HeartbeatInterval = lease?.Heartbeat ?? defaults.HeartbeatInterval,
        });
        return _scheduler;
    }

    /// <summary>What a server taking over does: the lease, then the runs left running become its own, interrupted.</summary>
    private async Task TakeLeaseAsync()
    {
        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_files.Directory));
        await catalog.Scheduler.AcquireSchedulerLeaseAsync(new LeaseHolder("thief", "other-host", 7, DateTimeOffset.UtcNow), TimeSpan.FromMinutes(10), replacing: "scheduler-1");
        await catalog.Runs.RecoverRunsAsync("thief", DateTimeOffset.MaxValue);
    }

    [Fact]
    public async Task Rows_inserted_in_postgres_land_in_bronze_while_the_continuous_job_runs()
    {
        JobScheduler scheduler = await StartAsync("streamed");
        await WaitForBronzeAsync("streamed", "1|1");
        RunRecord run = Assert.Single((await scheduler.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "stream" })).Runs);
        // The first pass (the snapshot and the changes up to its end) must be over, or the insert joins it.
        await WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunLogAsync(run.Id)).Any(l => l.Message.StartsWith("shop: public.streamed (cdc), 1 row(s), version ", StringComparison.Ordinal)));

        await database.ExecuteAsync("INSERT INTO streamed VALUES (2, 20), (3, 30)");

        await WaitForBronzeAsync("streamed", "1|1", "2|1", "3|1");
        Assert.Equal((RunTrigger.Continuous, RunStatus.Running), (run.Trigger, run.Status));
        await WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunLogAsync(run.Id)).Any(l => l.Message.StartsWith("shop: public.streamed (cdc), 2 row(s), version ", StringComparison.Ordinal)));

        await scheduler.StopAsync(TimeSpan.FromSeconds(5));
        RunRecord stopped = (await scheduler.Catalog.Runs.GetRunAsync(run.Id))!;
        Assert.Equal(RunStatus.Succeeded, stopped.Status);
        Assert.Equal("run succeeded", (await scheduler.Catalog.Runs.GetRunLogAsync(run.Id))[^1].Message);
    }

    [Fact]
    public async Task A_killed_replication_connection_is_restarted_with_backoff_and_loses_or_repeats_no_change()
    {
        JobScheduler scheduler = await StartAsync("killed");
        await WaitForBronzeAsync("killed", "1|1");
        RunRecord run = Assert.Single((await scheduler.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "stream" })).Runs);
        await database.ExecuteAsync("INSERT INTO killed VALUES (2, 20); UPDATE killed SET amount = 11 WHERE id = 1");

        // The database refuses connections while its walsender is killed, so the stream fails past its own connect
        // retries and the job restarts it, until the database takes connections again.
        await OnServerAsync($"ALTER DATABASE {database.Name} ALLOW_CONNECTIONS false");
        try
        {
            await OnServerAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database.Name}'");
            await WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetAttemptsAsync(run.Id)).Count >= 2);
        }
        finally
        {
            await OnServerAsync($"ALTER DATABASE {database.Name} ALLOW_CONNECTIONS true");
        }

        await WaitForBronzeAsync("killed", "1|2", "2|1");
        List<RunAttemptRecord> attempts = await scheduler.Catalog.Runs.GetAttemptsAsync(run.Id);
        Assert.Equal(RunStatus.Failed, attempts[0].Status);
        Assert.NotNull(attempts[0].Error);
        Assert.Equal(RunStatus.Running, attempts[^1].Status);
        Assert.Contains(await scheduler.Catalog.Runs.GetRunLogAsync(run.Id), l => l.Level == "warning" && l.Message.StartsWith("attempt 1 failed; restarting in 0.75s: ", StringComparison.Ordinal));
        Assert.Equal(RunStatus.Running, (await scheduler.Catalog.Runs.GetRunAsync(run.Id))!.Status);
    }

    [Fact]
    public async Task A_job_whose_model_reads_a_streamed_table_builds_it_without_loading_the_streamed_source()
    {
        _files.Write("models/silver/orders.sql", "SELECT id, amount FROM bronze.modelled")
            .Write("jobs/build.yml", "jobs:\n  - name: build\n    select: silver.orders\n");
        JobScheduler scheduler = await StartAsync("modelled");
        await WaitForBronzeAsync("modelled", "1|1");

        RunRecord run = await scheduler.TriggerAsync("build");
        await WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunAsync(run.Id))!.Status is not (RunStatus.Queued or RunStatus.Running));

        Assert.Equal(RunStatus.Succeeded, (await scheduler.Catalog.Runs.GetRunAsync(run.Id))!.Status);
        Assert.Equal([TableName.Parse("silver.orders")], (await scheduler.Catalog.Runs.GetModelRunsAsync(run.Id)).Select(m => m.Model));
        Assert.Equal(["1|10"], await QueryAsync("SELECT id, amount FROM silver.orders"));
    }

    [Fact]
    public async Task Pausing_a_continuous_job_stops_its_stream_and_unpausing_starts_a_new_run()
    {
        JobScheduler scheduler = await StartAsync("paused");
        await WaitForBronzeAsync("paused", "1|1");

        await scheduler.PauseAsync("stream");
        await database.ExecuteAsync("INSERT INTO paused VALUES (2, 20)");
        await scheduler.UnpauseAsync("stream");

        await WaitForBronzeAsync("paused", "1|1", "2|1");
        IReadOnlyList<RunRecord> runs = (await scheduler.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "stream" })).Runs;
        Assert.Equal([RunStatus.Running, RunStatus.Succeeded], runs.Select(r => r.Status));
    }

    [Fact]
    public async Task Cancelling_a_continuous_run_stops_its_stream_without_loss_and_pauses_its_job_until_unpaused()
    {
        JobScheduler scheduler = await StartAsync("cancelled");
        await WaitForBronzeAsync("cancelled", "1|1");
        RunRecord run = Assert.Single((await scheduler.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "stream" })).Runs);

        Assert.True(await scheduler.CancelRunAsync(run.Id));
        await WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunAsync(run.Id))!.Status != RunStatus.Running);
        await database.ExecuteAsync("INSERT INTO cancelled VALUES (2, 20)");
        // A pass that restarted the stream would have done so by then.
        await SchedulerProject.WaitForFreshPassAsync(scheduler);
        IReadOnlyList<RunRecord> whileCancelled = (await scheduler.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "stream" })).Runs;
        List<string> bronzeWhileCancelled = await QueryAsync("SELECT id, count(*) FROM bronze.cancelled GROUP BY id ORDER BY id");
        bool pausedWhileCancelled = (await scheduler.GetJobsAsync()).Single(j => j.Job.Name == "stream").Paused;
        await scheduler.UnpauseAsync("stream");

        await WaitForBronzeAsync("cancelled", "1|1", "2|1");
        RunRecord ended = (await scheduler.Catalog.Runs.GetRunAsync(run.Id))!;
        Assert.Equal(
            (RunStatus.Cancelled, "cancelled: the stream stopped between commits (every committed change and its position stand) and the job is paused; unpause it to stream again"),
            (ended.Status, ended.Error));
        Assert.Equal([run.Id], whileCancelled.Select(r => r.Id));
        Assert.Equal(["1|1"], bronzeWhileCancelled);
        Assert.True(pausedWhileCancelled);
        Assert.Equal([RunStatus.Running, RunStatus.Cancelled], (await scheduler.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "stream" })).Runs.Select(r => r.Status));
    }

    [Fact]
    public async Task A_stream_whose_scheduler_lost_its_lease_commits_no_more_changes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // Heartbeats that never come while the test runs: only the stream's next commit asks the fence.
        JobScheduler scheduler = await StartAsync("fenced", time, lease: (TimeSpan.FromSeconds(30), TimeSpan.FromHours(1)));
        await WaitForBronzeAsync("fenced", "1|1");
        RunRecord run = Assert.Single((await scheduler.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "stream" })).Runs);
        await WaitUntilAsync(async () => (await scheduler.Catalog.Runs.GetRunLogAsync(run.Id)).Any(l => l.Message.StartsWith("shop: public.fenced (cdc), 1 row(s), version ", StringComparison.Ordinal)));
        await TakeLeaseAsync();
        // This server was stopped past its lease: its own clock no longer vouches for it, so the fence asks the catalog.
        time.Advance(TimeSpan.FromMinutes(1));

        await database.ExecuteAsync("INSERT INTO fenced VALUES (2, 20)");

        await WaitUntilAsync(() => Task.FromResult(scheduler.Role == SchedulerRole.LeaseLost));
        await scheduler.StopAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["1|1"], await QueryAsync("SELECT id, count(*) FROM bronze.fenced GROUP BY id ORDER BY id"));
    }

    [Fact]
    public async Task A_scheduler_whose_lease_another_took_stops_its_stream_and_leaves_its_run_to_the_new_holder()
    {
        var logs = new RecordingLog();
        JobScheduler scheduler = await StartAsync("taken", logs: logs, lease: (TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1)));
        await WaitForBronzeAsync("taken", "1|1");
        RunRecord run = Assert.Single((await scheduler.Catalog.Runs.QueryRunsAsync(new RunQuery { Job = "stream" })).Runs);

        await TakeLeaseAsync();

        // Written when the stream has ended: its next heartbeat told the scheduler the lease was gone.
        await WaitUntilAsync(() => Task.FromResult(logs.Lines.Any(l => l.StartsWith($"Warning: this server no longer holds run {run.Id}: ", StringComparison.Ordinal))));
        Assert.Equal(SchedulerRole.LeaseLost, scheduler.Role);
        RunRecord kept = (await scheduler.Catalog.Runs.GetRunAsync(run.Id))!;
        Assert.Equal((RunStatus.Interrupted, "thief"), (kept.Status, kept.Holder));
        Assert.Equal([RunStatus.Interrupted], (await scheduler.Catalog.Runs.GetAttemptsAsync(run.Id)).Select(a => a.Status));
        Assert.DoesNotContain(await scheduler.Catalog.Runs.GetRunLogAsync(run.Id), l => l.Message.StartsWith("run ", StringComparison.Ordinal) || l.Message.Contains("failed; restarting", StringComparison.Ordinal));
    }

    private static async Task OnServerAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(PostgresDatabase.DefaultServer) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        Stopwatch waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "the condition did not hold within 60 s");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until bronze holds exactly these "id|changes" rows (each key's count of change rows).</summary>
    private async Task WaitForBronzeAsync(string table, params string[] expected)
    {
        Stopwatch waited = Stopwatch.StartNew();
        List<string> rows = [];
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (Directory.Exists(Path.Combine(_files.Directory, "lake", "bronze", table, "_delta_log")))
            {
                rows = await QueryAsync($"SELECT id, count(*) FROM bronze.{table} GROUP BY id ORDER BY id");
                if (rows.SequenceEqual(expected))
                {
                    return;
                }
            }

            await Task.Delay(100);
        }

        Assert.Fail($"bronze.{table} has {string.Join(", ", rows)}, expected {string.Join(", ", expected)}");
    }

    private async Task<List<string>> QueryAsync(string sql)
    {
        await using LakehouseSession session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(Path.Combine(_files.Directory, "lake")));
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync(sql);
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }

        return rows;
    }
}
