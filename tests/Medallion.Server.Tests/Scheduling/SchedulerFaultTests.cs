using System.Diagnostics;
using Medallion.Catalog;
using Medallion.Server.Scheduling;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Medallion.Server.Tests.Scheduling;

/// <summary>What the scheduler does when a planning pass meets a fault: it says so in the log and goes on scheduling.</summary>
public sealed class SchedulerFaultTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_start = new(2026, 3, 1, 10, 0, 30, TimeSpan.Zero);
    private readonly RecordingLog _logs = new();
    private readonly FakeTimeProvider _time = new(s_start);
    private SchedulerProject _project = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _project.DisposeAsync();

    [Fact]
    public async Task A_watched_table_whose_log_cannot_be_read_holds_up_only_its_own_job_and_is_logged_once()
    {
        _project = new SchedulerProject("jobs:\n  - name: minutely\n    select: silver.orders\n    every: 1m\n  - name: build\n    select: silver.orders\n    on_new_data: [bronze.orders]\n");
        string log = Path.Combine(_project.Files.Directory, "lake", "bronze", "orders", "_delta_log");
        Directory.CreateDirectory(log);
        await File.WriteAllTextAsync(Path.Combine(log, "00000000000000000000.json"), "{\"commitInfo\": not json\n");

        await _project.StartAsync(_time, logs: _logs);
        RunRecord run = Assert.Single(await _project.AdvanceUntilRunsAsync(_time, TimeSpan.FromMinutes(1), "minutely", 1));

        Assert.Equal(RunTrigger.Schedule, run.Trigger);
        LoggedEvent unreadable = Assert.Single(_logs.Events, e => e.EventId == 9523);
        Assert.StartsWith("The scheduler cannot read bronze.orders, which job build watches: ", unreadable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_planning_pass_that_fails_on_the_catalog_is_logged_and_a_later_pass_plans_what_it_missed()
    {
        _project = new SchedulerProject("jobs:\n  - name: minutely\n    select: silver.orders\n    every: 1m\n");
        await _project.StartAsync(_time, logs: _logs);
        string catalog = CatalogStore.DefaultPath(_project.Files.Directory);
        string aside = catalog + ".aside";
        // Everything into the main file first, so that moving it aside and back loses nothing.
        using (var connection = new SqliteConnection($"Data Source={catalog};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            checkpoint.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        File.Move(catalog, aside);
        await File.WriteAllTextAsync(catalog, new string('#', 8192));
        _time.Advance(TimeSpan.FromMinutes(1));
        Stopwatch waited = Stopwatch.StartNew();
        while (!_logs.Events.Any(e => e.EventId == 9522) && waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50);
        }

        File.Move(aside, catalog, overwrite: true);
        SqliteConnection.ClearAllPools();
        List<RunRecord> runs = await _project.AdvanceUntilRunsAsync(_time, TimeSpan.Zero, "minutely", 1);

        Assert.Equal((RunTrigger.Schedule, s_start.AddSeconds(30)), (runs[0].Trigger, runs[0].IntervalEnd));
        Assert.Equal(ErrorCode.CatalogCorrupt, Assert.IsType<MedallionException>(_logs.Events.First(e => e.EventId == 9522).Exception).Code);
    }
}
