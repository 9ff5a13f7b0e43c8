using System.Text.Json;
using Medallion.Cli.Commands;
using Medallion.Ingestion.Tests;

namespace Medallion.Cli.Tests;

/// <summary>
/// Issue #36, finding 3: Ctrl+C or SIGTERM of <c>run --continuous</c>, <c>ingest --continuous</c> and <c>server</c>, each
/// a process of its own caught busy, ends it within its <c>--grace</c> and the time cancelled work has to end, with the
/// exit code that says how it ended and nothing half-written. The slack on top grows with how slowly this machine
/// started the process, so a loaded machine does not fail the tests and a hang still does.
/// </summary>
public sealed class BoundedStopTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    /// <summary>A model that counts for hours, so the stop lands inside it however loaded the machine is.</summary>
    private const string LongModel = "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3";

    private static readonly TimeSpan s_grace = TimeSpan.FromSeconds(2);

    /// <summary>The longest a stop may take: the grace, the time cancelled work has to end, and twice the process's start-up (at least 10 s).</summary>
    private static TimeSpan Bound(TimeSpan grace, TimeSpan startup) =>
        grace + ShutdownGrace.AfterCancel + TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(10).Ticks, 2 * startup.Ticks));

    [Fact]
    public async Task Ctrl_c_of_run_continuous_during_a_long_model_cancels_it_once_the_grace_is_over_and_exits_130_writing_nothing()
    {
        using ServerProject project = new ServerProject("jobs: []\n").Write("models/silver/load.sql", "SELECT 1 AS n");
        // A first run creates the catalog and the table, which the stopped run must leave as they are.
        Cli.Result first = await Cli.RunAsync("run", "--project", project.Directory);
        Assert.True(first.ExitCode == 0, first.Output + first.Error);
        project.Write("models/silver/load.sql", LongModel);
        using CliProcess run = CliProcess.Start("run", "--continuous", "--interval", "1", "--grace", "2s", "--project", project.Directory);
        TimeSpan startup = await run.WaitForLineAsync("Running continuously", TimeSpan.FromMinutes(2));
        await run.WaitForAsync("the model to run", async () => (await RunStatusesAsync(project.Directory))[0] == "running", TimeSpan.FromMinutes(2));

        (int exit, TimeSpan took) = await run.StopAsync("INT", TimeSpan.FromMinutes(5));

        Assert.True(took >= s_grace && took <= Bound(s_grace, startup), $"stopped {took.TotalSeconds:0.0} s after Ctrl+C (grace 2 s, start-up {startup.TotalSeconds:0.0} s):\n{run.Printed}");
        Assert.True(exit == 130, run.Printed);
        Assert.True(run.Output.Any(l => l.StartsWith("Stopped after ", StringComparison.Ordinal) && l.Contains("did not commit within the 2 s grace and were cancelled", StringComparison.Ordinal)), run.Printed);
        Assert.Equal(["cancelled", "succeeded"], await RunStatusesAsync(project.Directory));
        Assert.Equal(["00000000000000000000.json"], Directory.GetFiles(Path.Combine(project.Directory, "lake", "silver", "load", "_delta_log"), "*.json").Select(Path.GetFileName));
    }

    [Fact]
    public async Task Ctrl_c_of_ingest_continuous_mid_micro_batch_ends_at_once_committing_nothing_of_it_and_exits_0()
    {
        await database.ExecuteAsync("CREATE TABLE stopped (id int PRIMARY KEY); ALTER TABLE stopped REPLICA IDENTITY FULL; INSERT INTO stopped VALUES (1)");
        using var project = new IngestProject(database, "public.stopped", $"        mode: cdc\n        slot: {database.Name}_stopped");
        string log = Path.Combine(project.Directory, "warehouse", "bronze", "stopped", "_delta_log");
        // Micro-batches of ten minutes: a stop that waited for the one under way would overrun its bound.
        using CliProcess ingest = CliProcess.Start("ingest", "--continuous", "--interval", "600", "--grace", "30s", "--project", project.Directory);
        TimeSpan startup = await ingest.WaitForLineAsync("Ingesting shop continuously", TimeSpan.FromMinutes(2));
        await ingest.WaitForAsync("the snapshot's commit", () => Task.FromResult(File.Exists(Path.Combine(log, "00000000000000000000.json"))), TimeSpan.FromMinutes(2));
        await database.ExecuteAsync("INSERT INTO stopped VALUES (2), (3)");

        (int exit, TimeSpan took) = await ingest.StopAsync("INT", TimeSpan.FromMinutes(5));

        Assert.True(took <= Bound(TimeSpan.FromSeconds(30), startup), $"stopped {took.TotalSeconds:0.0} s after Ctrl+C (grace 30 s, start-up {startup.TotalSeconds:0.0} s):\n{ingest.Printed}");
        Assert.True(exit == 0, ingest.Printed);
        Assert.Equal("Stopped; every commit above is durable.", ingest.Output.Last());
        Assert.Equal(["00000000000000000000.json"], Directory.GetFiles(log, "*.json").Select(Path.GetFileName));
        Cli.Result drain = await Cli.RunAsync("ingest", "--project", project.Directory);
        Assert.True(drain.ExitCode == 0, drain.Error);
        Assert.Equal(["1", "2", "3"], await project.QueryAsync("SELECT id FROM bronze.stopped WHERE _op <> 'delete' ORDER BY id"));
    }

    [Fact]
    public async Task Sigterm_of_a_server_running_a_long_model_cancels_it_once_the_grace_is_over_and_exits_0_writing_nothing()
    {
        using ServerProject project = new ServerProject("jobs:\n  - name: load\n    select: silver.load\n").Write("models/silver/load.sql", LongModel);
        var launched = System.Diagnostics.Stopwatch.StartNew();
        using ServerProcess server = await ServerProcess.StartAsync(project.Directory, "--grace", "2s");
        TimeSpan startup = launched.Elapsed;
        string id = (await server.PostAsync("api/jobs/load/trigger")).GetProperty("id").GetString()!;
        await server.WaitForAsync("the run to be running", async () =>
            (await server.GetAsync("api/runs/" + id)).GetProperty("run").GetProperty("status").GetString() == "running", TimeSpan.FromMinutes(2));

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        int exit = await server.TerminateAsync(TimeSpan.FromMinutes(5));
        TimeSpan took = stopping.Elapsed;

        Assert.True(took >= s_grace && took <= Bound(s_grace, startup), $"stopped {took.TotalSeconds:0.0} s after SIGTERM (grace 2 s, start-up {startup.TotalSeconds:0.0} s):\n{server.Printed}");
        Assert.True(exit == 0, server.Printed);
        Assert.Equal("Stopped.", server.Output.Last());
        Assert.Equal(["cancelled"], await RunStatusesAsync(project.Directory));
        Assert.False(Directory.Exists(Path.Combine(project.Directory, "lake", "silver", "load", "_delta_log")));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("ingest")]
    public async Task A_grace_that_is_not_a_duration_is_a_usage_error_before_the_project_is_read(string command)
    {
        Cli.Result result = await Cli.RunAsync(command, "--continuous", "--grace", "soon", "--project", Path.Combine(Path.GetTempPath(), "medallion-no-such-project"));

        Assert.Equal((2, $"Error MDL1101: --grace 'soon' is not a duration. Help: write it like 30s, 2min or 500ms.\nHelp: medallion {command} --help\n"), (result.ExitCode, result.Error));
    }

    /// <summary>The status of every run in the project's catalog, read as <c>medallion runs</c> shows them.</summary>
    private static async Task<List<string>> RunStatusesAsync(string project)
    {
        Cli.Result runs = await Cli.RunAsync("runs", "--format", "json", "--project", project);
        Assert.True(runs.ExitCode == 0, runs.Error);
        return [.. JsonDocument.Parse(runs.Output).RootElement.EnumerateArray().Select(r => r.GetProperty("run").GetProperty("status").GetString()!)];
    }
}
