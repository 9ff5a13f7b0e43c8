using System.Text.Json;
using System.Text.RegularExpressions;
using Medallion.Ingestion.Tests;
using Medallion.Server;
using Npgsql;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion server</c> processes on one project whose catalog is a PostgreSQL database (the test server
/// build/test-setup/postgres.sh starts): servers of role all, which plan beside each other (or, with --planning lease,
/// one behind the lease and one on standby), and one of role web, which only serves.
/// </summary>
public sealed partial class PostgresCatalogServerTests : IAsyncLifetime
{
    // A catalog database of each test's own: its servers create their first admin and hold its lease.
    private readonly PostgresDatabase _database = new();
    private readonly ServerProject _project = new ServerProject("jobs:\n  - name: manual\n    select: silver.one\n")
        .Write("models/silver/one.sql", "SELECT 1 AS id UNION ALL SELECT 2");

    public Task InitializeAsync() => _database.InitializeAsync();

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await _database.DisposeAsync();
        _project.Dispose();
    }

    [Fact]
    public async Task A_run_triggered_on_a_web_server_is_run_by_the_server_of_role_all_and_both_serve_its_table()
    {
        UsePostgresCatalog();
        using ServerProcess all = await ServerProcess.StartAsync(_project.Directory);
        using ServerProcess web = await ServerProcess.StartAsync(_project.Directory, "--role", "web");

        string webScheduler = (await web.GetAsync("readyz")).GetProperty("scheduler").GetString()!;
        string runId = (await web.PostAsync("api/jobs/manual/trigger")).GetProperty("id").GetString()!;
        await all.WaitForAsync("the run triggered on the web server to end", async () =>
            (await all.GetAsync("api/runs/" + runId)).GetProperty("run").GetProperty("status").GetString() is not ("queued" or "running"), TimeSpan.FromSeconds(60));
        JsonElement run = (await web.GetAsync("api/runs/" + runId)).GetProperty("run");
        long[] counts = [await CountAsync(all, "SELECT count(*) FROM silver.one"), await CountAsync(web, "SELECT count(*) FROM silver.one")];
        int[] exits = [await web.TerminateAsync(), await all.TerminateAsync()];

        Assert.Equal("web", webScheduler);
        Assert.Contains(web.Output, l => l.StartsWith("Role web: this server serves and runs no jobs", StringComparison.Ordinal));
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.NotNull(run.GetProperty("holder").GetString());
        Assert.Equal([2L, 2L], counts);
        Assert.Equal([0, 0], exits);
        Assert.Equal(1L, await _database.ScalarAsync($"SELECT count(*) FROM runs WHERE id = '{runId}' AND status = 'succeeded'"));
    }

    [Fact]
    public async Task Two_servers_of_role_all_both_plan_and_when_one_is_killed_the_other_retries_its_run()
    {
        UsePostgresCatalog();
        WriteHoursLongJob();
        using ServerProcess killed = await ServerProcess.StartAsync(_project.Directory, "--scheduler-lease", "3s", "--adopt-after", "3s");
        string leftRunning = await LeaveARunRunningAsync(killed);
        using ServerProcess other = await ServerProcess.StartAsync(_project.Directory, "--scheduler-lease", "3s", "--adopt-after", "3s");
        string[] roles = [(await killed.GetAsync("readyz")).GetProperty("scheduler").GetString()!, (await other.GetAsync("readyz")).GetProperty("scheduler").GetString()!];

        await killed.KillAsync();
        JsonElement retried = await EndedRunAsync(other, leftRunning);
        await other.TerminateAsync();

        Assert.Equal(["planner", "planner"], roles);
        Assert.Equal("succeeded", retried.GetProperty("run").GetProperty("status").GetString());
        List<JsonElement> attempts = [.. retried.GetProperty("attempts").EnumerateArray()];
        Assert.Equal(["interrupted", "succeeded"], attempts.Select(a => a.GetProperty("status").GetString()));
        Assert.StartsWith("interrupted: the server running it went silent", attempts[0].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_planning_by_lease_when_the_server_running_the_jobs_is_killed_the_one_on_standby_takes_over_and_retries_its_run()
    {
        UsePostgresCatalog();
        WriteHoursLongJob();
        using ServerProcess killed = await ServerProcess.StartAsync(_project.Directory, "--planning", "lease", "--scheduler-lease", "3s");
        string leftRunning = await LeaveARunRunningAsync(killed);
        using ServerProcess standby = await ServerProcess.StartAsync(_project.Directory, "--planning", "lease", "--scheduler-lease", "3s");
        string before = (await standby.GetAsync("readyz")).GetProperty("scheduler").GetString()!;

        await killed.KillAsync();
        await standby.WaitForAsync("the standby to take over", async () => (await standby.GetAsync("readyz")).GetProperty("scheduler").GetString() == "active", TimeSpan.FromSeconds(60));
        JsonElement retried = await EndedRunAsync(standby, leftRunning);
        await standby.TerminateAsync();

        Assert.Equal("standby", before);
        Assert.Equal("succeeded", retried.GetProperty("run").GetProperty("status").GetString());
        List<JsonElement> attempts = [.. retried.GetProperty("attempts").EnumerateArray()];
        Assert.Equal(["interrupted", "succeeded"], attempts.Select(a => a.GetProperty("status").GetString()));
        Assert.Equal("interrupted: the scheduler running it stopped before it finished", attempts[0].GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_role_that_is_none_of_all_web_scheduler_and_worker_is_refused()
    {
        Cli.Result refused = await Cli.RunAsync("server", "--project", _project.Directory, "--role", "planner", "--trust-loopback");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("planner", refused.Error, StringComparison.Ordinal);
    }

    // A model that runs for hours, so a kill lands inside its run whatever the machine's load.
    private void WriteHoursLongJob() =>
        _project.Write("jobs/jobs.yml", "jobs:\n  - name: load\n    select: silver.load\n    retries: 1\n")
            .Write("models/silver/load.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3");

    /// <summary>
    /// Triggers the hours-long job on <paramref name="server"/> and waits until its run is running; then makes the model
    /// quick, so that a server started from now on ends the run's retry (the running run keeps what it started with).
    /// </summary>
    private async Task<string> LeaveARunRunningAsync(ServerProcess server)
    {
        string runId = (await server.PostAsync("api/jobs/load/trigger")).GetProperty("id").GetString()!;
        await server.WaitForAsync("the run to be running", async () =>
            (await server.GetAsync("api/runs/" + runId)).GetProperty("run").GetProperty("status").GetString() == "running", TimeSpan.FromSeconds(60));
        _project.Write("models/silver/load.sql", "SELECT 1 AS n");
        return runId;
    }

    /// <summary>Waits until the run has ended, as <paramref name="server"/> shows it; returns it with its attempts.</summary>
    private static async Task<JsonElement> EndedRunAsync(ServerProcess server, string runId)
    {
        await server.WaitForAsync("the retried run to end", async () =>
            (await server.GetAsync("api/runs/" + runId)).GetProperty("run").GetProperty("status").GetString() is not ("queued" or "running"), TimeSpan.FromSeconds(90));
        return await server.GetAsync("api/runs/" + runId);
    }

    private void UsePostgresCatalog()
    {
        var server = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        _project.Write("medallion.yml", $"name: shop\nstorage: lake\ncatalog: postgres://{server.Username}:{server.Password}@{server.Host}:{server.Port}/{_database.Name}\n");
    }

    /// <summary>A count through the server's SQL endpoint, signed in as the project's first admin.</summary>
    private async Task<long> CountAsync(ServerProcess server, string sql)
    {
        int port = int.Parse(SqlPort().Match(string.Join("\n", server.Output)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        string password = (await File.ReadAllTextAsync(FirstAdmin.PasswordFile(_project.Directory))).TrimEnd('\n');
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username={FirstAdmin.UserName};Password={password};Database=shop;Pooling=false;Timeout=15");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"SQL on 127\.0\.0\.1:(\d+)")]
    private static partial Regex SqlPort();
}
