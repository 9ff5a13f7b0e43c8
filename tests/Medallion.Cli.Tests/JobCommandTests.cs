using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Medallion.Catalog;
using Medallion.Platform;
using Medallion.Server;
using Microsoft.Data.Sqlite;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion jobs</c>, <c>trigger</c>, <c>cancel</c>, <c>rerun</c> and <c>backfill</c> against a real server running the
/// project on a loopback port (found through the runtime file it writes, as from another terminal).
/// </summary>
public sealed partial class JobCommandTests : IAsyncLifetime
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-jobs-cli-" + Guid.NewGuid().ToString("N"));
    private MedallionServer _server = null!;

    public async Task InitializeAsync()
    {
        Write("medallion.yml", "name: shop\nstorage: lake\n");
        Write("sources/files.yml", "sources:\n  - name: events\n    format: csv\n    path: data/events/*.csv\n    target: bronze.events\n");
        // Day n of January holds n events: 15 in the five days.
        Write("data/events/1.csv", "id,day\n" + string.Concat(Enumerable.Range(1, 5).SelectMany(d => Enumerable.Range(1, d).Select(i => $"{d * 10 + i},2026-01-0{d}\n"))));
        Write("models/silver/daily.sql", """
            /* ---
            materialized: append
            interval_column: day
            --- */
            SELECT id, CAST(day AS DATE) AS day FROM bronze.events
            WHERE CAST(day AS DATE) >= getvariable('interval_start') AND CAST(day AS DATE) < getvariable('interval_end')
            """);
        // The same days as silver.daily, for a job in São Paulo: its intervals start at 03:00Z.
        Write("models/silver/daily_sp.sql", """
            /* ---
            materialized: append
            interval_column: day
            --- */
            SELECT id, CAST(day AS DATE) AS day FROM bronze.events
            WHERE CAST(day AS DATE) >= getvariable('interval_start') AND CAST(day AS DATE) < getvariable('interval_end')
            """);
        // 1 January is quick; every later interval counts to 20 billion first, so it is still running when a test cancels it.
        Write("models/silver/sliced.sql", """
            /* ---
            materialized: append
            interval_column: day
            --- */
            SELECT id, CAST(day AS DATE) AS day
            FROM bronze.events, (
                SELECT count(*) AS n FROM range(CASE WHEN getvariable('interval_start') < TIMESTAMPTZ '2026-01-02 00:00:00+00' THEN 1 ELSE 20000000000 END) t(i) WHERE i % 7 = 3
            ) AS slow
            WHERE CAST(day AS DATE) >= getvariable('interval_start') AND CAST(day AS DATE) < getvariable('interval_end') AND slow.n >= 0
            """);
        Write("models/silver/one.sql", "SELECT 1 AS id\n");
        Write("models/gold/flaky.sql", "SELECT CASE WHEN getvariable('fail') = 'yes' THEN error('asked to fail') ELSE id END AS id FROM silver.one\n");
        Write("models/gold/after_flaky.sql", "SELECT id FROM gold.flaky\n");
        Write("models/gold/slow.sql", "SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3\n");
        Write("jobs/jobs.yml", """
            jobs:
              - name: daily
                select: silver.daily
                schedule: "@daily"
                catchup: none
              - name: chain
                select: silver.one+
                on_new_data: [bronze.events]
                paused: true
              - name: slow
                select: gold.slow
              - name: daily_sp
                select: silver.daily_sp
                schedule: "@daily"
                timezone: America/Sao_Paulo
                catchup: none
              - name: sliced
                select: silver.sliced
                schedule: "@daily"
                catchup: none
            """);
        _server = await MedallionServer.StartAsync(new MedallionServerOptions { ProjectDirectory = _project, HttpPort = 0, Grace = TimeSpan.FromSeconds(2) });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_project, recursive: true);
    }

    [Fact]
    public async Task Jobs_lists_each_job_with_its_trigger_pause_state_last_run_and_next_run()
    {
        string midnight = DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(1).ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture);
        string saoPauloMidnight = SaoPauloMidnight().ToString("yyyy-MM-dd HH:mmzzz", CultureInfo.InvariantCulture);

        Cli.Result result = await Cli.RunAsync("jobs", "--project", _project);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Error));
        Assert.Equal(
            [
                " job      │ trigger                      │ paused │ last run  │ next run",
                $" daily    │ @daily (UTC)                 │ no     │ never run │ {midnight}",
                " chain    │ on new data in bronze.events │ yes    │ never run │ -",
                " slow     │ manual (trigger only)        │ no     │ never run │ -",
                $" daily_sp │ @daily (America/Sao_Paulo)   │ no     │ never run │ {saoPauloMidnight}",
                $" sliced   │ @daily (UTC)                 │ no     │ never run │ {midnight}",
                "(5 jobs; times in each job's time zone)",
            ],
            result.Output.Split('\n').Where((_, i) => i != 1).Select(l => l.TrimEnd()).Take(7));
    }

    [Fact]
    public async Task Jobs_as_json_give_each_jobs_definition_last_run_and_next_fire_times_in_utc()
    {
        string id = QueuedRun().Match((await Cli.RunAsync("trigger", "chain", "--project", _project)).Output).Groups[1].Value;
        RunRecord run = await WaitForEndAsync("chain", id);

        Cli.Result result = await Cli.RunAsync("jobs", "--format", "json", "--project", _project);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Error));
        using JsonDocument jobs = JsonDocument.Parse(result.Output);
        Assert.Equal(["daily", "chain", "slow", "daily_sp", "sliced"], jobs.RootElement.EnumerateArray().Select(j => j.GetProperty("job").GetProperty("name").GetString()));
        (JsonElement chain, JsonElement chainRun) = (jobs.RootElement[1].GetProperty("job"), jobs.RootElement[1].GetProperty("last_run"));
        Assert.Equal(
            ("silver.one+", "bronze.events", true, id, "succeeded", 0),
            (chain.GetProperty("select").GetString(), Assert.Single(chain.GetProperty("on_new_data").EnumerateArray()).GetString(), chain.GetProperty("paused").GetBoolean(),
                chainRun.GetProperty("id").GetString(), chainRun.GetProperty("status").GetString(), chain.GetProperty("next_runs").GetArrayLength()));
        JsonElement saoPaulo = jobs.RootElement[3];
        Assert.Equal(
            ("@daily", "America/Sao_Paulo", JsonValueKind.Null, SaoPauloMidnight()),
            (saoPaulo.GetProperty("job").GetProperty("schedule").GetString()![..6], saoPaulo.GetProperty("job").GetProperty("time_zone").GetString(), saoPaulo.GetProperty("last_run").ValueKind,
                saoPaulo.GetProperty("job").GetProperty("next_runs")[0].GetDateTimeOffset()));
        Assert.Equal(RunStatus.Succeeded, run.Status);
    }

    [Fact]
    public async Task Trigger_queues_a_run_with_its_variables_and_says_how_to_follow_it()
    {
        Cli.Result result = await Cli.RunAsync("trigger", "chain", "--var", "region=south", "--var", "tier=a=b", "--project", _project);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Error));
        string id = QueuedRun().Match(result.Output).Groups[1].Value;
        Assert.Equal(
            $"Queued run {id} of job chain with region=south, tier=a=b.\nHelp: follow it with medallion runs {id}; stop it with medallion cancel {id}.\n",
            result.Output);
        RunRecord run = await WaitForEndAsync("chain", id);
        Assert.Equal((RunStatus.Succeeded, RunTrigger.Api, "a=b"), (run.Status, run.Trigger, run.Variables["tier"]));
    }

    [Fact]
    public async Task Trigger_with_select_queues_a_run_of_those_tables_that_belongs_to_no_job()
    {
        Cli.Result result = await Cli.RunAsync("trigger", "--select", "silver.one+", "--project", _project);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Error));
        string id = Regex.Match(result.Output, @"\AQueued run (\S+) of silver\.one\+\.\n").Groups[1].Value;
        Assert.NotEmpty(id);
        RunDetails details = await WaitForRunToEndAsync(id);

        Assert.Equal((RunStatus.Succeeded, null), (details.Run.Status, details.Run.Job));
        Assert.Equal(["gold.after_flaky", "gold.flaky", "silver.one"], details.Models.Select(m => m.Model.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Rerun_of_a_run_of_a_selection_names_no_job()
    {
        string first = Regex.Match((await Cli.RunAsync("trigger", "--select", "silver.one", "--project", _project)).Output, @"\AQueued run (\S+) ").Groups[1].Value;
        await WaitForRunToEndAsync(first);

        Cli.Result result = await Cli.RunAsync("rerun", first, "--project", _project);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Error));
        Assert.Matches($@"\AQueued run \S+, re-running silver\.one from run {first}\.\n", result.Output);
    }

    [Theory]
    [InlineData(new[] { "trigger" }, "trigger needs a job or --select.")]
    [InlineData(new[] { "trigger", "chain", "--select", "silver.one" }, "trigger takes a job or --select, not both (job 'chain', --select 'silver.one').")]
    public async Task Trigger_takes_either_a_job_or_a_selection(string[] arguments, string error)
    {
        Cli.Result result = await Cli.RunAsync([.. arguments, "--project", _project]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("Error MDL1101: " + error, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_refuses_a_variable_that_is_not_name_equals_value()
    {
        Cli.Result result = await Cli.RunAsync("trigger", "chain", "--var", "south", "--project", _project);

        Assert.Equal((2, "Error MDL1101: --var 'south' is not name=value. Help: write it like --var region=south.\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task Trigger_of_an_unknown_job_says_so_with_the_closest_name()
    {
        Cli.Result result = await Cli.RunAsync("trigger", "daly", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "Error MDL6903: The project has no job 'daly'. Did you mean 'daily'?\nHelp: jobs are defined in jobs/*.yml or under 'jobs:' in medallion.yml.\n",
            result.Error);
    }

    [Theory]
    [InlineData("jobs")]
    [InlineData("trigger", "daily")]
    [InlineData("cancel", "r1")]
    [InlineData("rerun", "r1", "--from-failure")]
    [InlineData("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-05")]
    public async Task Each_command_says_when_no_server_runs_and_how_to_start_one(params string[] args)
    {
        string idle = Directory.CreateTempSubdirectory("medallion-no-server-").FullName;
        File.WriteAllText(Path.Combine(idle, "medallion.yml"), "name: idle\nstorage: lake\n");

        Cli.Result result = await Cli.RunAsync([.. args, "--project", idle]);

        Directory.Delete(idle, recursive: true);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            $"Error MDL9502: No server is running for the project in {idle} (there is no {Path.Combine(idle, ".medallion", "server.json")}).\nHelp: start one with: medallion server --project {idle}\n",
            result.Error);
    }

    [Fact]
    public async Task A_runtime_file_left_by_a_killed_server_says_nothing_answers_and_how_to_start_one()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        ServerRuntimeFile runtime = (await ServerRuntimeFile.ReadAsync(_project))!;
        File.WriteAllText(ServerRuntimeFile.PathFor(_project), JsonSerializer.Serialize(runtime with { Url = new Uri($"http://127.0.0.1:{closedPort}/"), ProcessId = 4242 }));

        Cli.Result result = await Cli.RunAsync("trigger", "daily", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"Error MDL9502: The server at http://127.0.0.1:{closedPort}/ (process 4242, started ", result.Error, StringComparison.Ordinal);
        Assert.EndsWith("\nHelp: it may have been killed; start it again with medallion server.\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_runtime_file_whose_token_the_server_does_not_accept_is_refused_with_a_hint_to_restart()
    {
        string path = ServerRuntimeFile.PathFor(_project);
        ServerRuntimeFile runtime = (await ServerRuntimeFile.ReadAsync(_project))!;
        File.WriteAllText(path, JsonSerializer.Serialize(runtime with { Token = "mdl_local_stale" }));

        Cli.Result result = await Cli.RunAsync("jobs", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"Error MDL9503: The server at {runtime.Url} refused GET /api/jobs with 401 Unauthorized: ", result.Error, StringComparison.Ordinal);
        Assert.EndsWith($".\nHelp: the token in {path} is not the one the server at this address accepts (the file is stale or was written by another server); restart it with medallion server --project {_project}.\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_stops_a_running_run_and_it_ends_cancelled()
    {
        string id = QueuedRun().Match((await Cli.RunAsync("trigger", "slow", "--project", _project)).Output).Groups[1].Value;
        await WaitForStatusAsync("slow", id, RunStatus.Running);

        Cli.Result result = await Cli.RunAsync("cancel", id, "--project", _project);

        Assert.Equal((0, $"Cancelled run {id}: a queued run ends now; a running one stops its models, which commit nothing.\n"), (result.ExitCode, result.Output));
        Assert.Equal(RunStatus.Cancelled, (await WaitForEndAsync("slow", id)).Status);
        Assert.False(Directory.Exists(Path.Combine(_project, "lake", "gold", "slow", "_delta_log")));
    }

    [Fact]
    public async Task Cancel_of_a_run_that_is_not_under_way_is_refused_with_the_servers_message()
    {
        Cli.Result result = await Cli.RunAsync("cancel", "no-such-run", "--project", _project);

        Assert.Equal(
            (1, "Error MDL6903: run no-such-run is neither queued nor running on this server; the catalog has no backfill 'no-such-run'.\nHelp: medallion backfills lists them (GET /api/backfills).\n"),
            (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task Cancel_of_a_backfill_stops_its_running_and_queued_intervals_which_commit_nothing()
    {
        Cli.Result started = await Cli.RunAsync("backfill", "sliced", "--from", "2026-01-01", "--to", "2026-01-03", "--no-wait", "--project", _project);
        string id = StartedBackfill().Match(started.Output).Groups[1].Value;
        using ServerClient client = await ServerClient.ConnectAsync(_project);
        await WaitForBackfillAsync(client, id, b => b.Progress is { Succeeded: 1, Running: 1 });

        Cli.Result result = await Cli.RunAsync("cancel", id, "--project", _project);
        BackfillDetail ended = await WaitForBackfillAsync(client, id, b => b.Backfill.Status != RunStatus.Running);
        Cli.Result shown = await Cli.RunAsync("backfills", id, "--project", _project);
        Cli.Result again = await Cli.RunAsync("cancel", id, "--project", _project);
        Cli.Result rows = await Cli.RunAsync("sql", "SELECT day, count(*) AS n FROM silver.sliced GROUP BY day ORDER BY day", "--format", "csv", "--project", _project);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Error));
        Assert.Matches(
            $@"\ACancelled backfill {id} of job sliced: its queued intervals will not run and its running runs stop, committing nothing \((2/3 ended: 1 succeeded, 1 cancelled, 1 running|3/3 ended: 1 succeeded, 2 cancelled)\)\.\nHelp: follow it with medallion backfills {id}\.\n\z",
            result.Output);
        Assert.Equal((RunStatus.Cancelled, new BackfillProgress(3, 0, 0, 1, 0, 2, 0)), (ended.Backfill.Status, ended.Progress));
        string[] lines = shown.Output.Split('\n');
        Assert.Equal($"Backfill {id} of job sliced: cancelled, 3/3 ended: 1 succeeded, 2 cancelled", lines[0]);
        Assert.StartsWith("Range 2026-01-01 00:00Z to 2026-01-04 00:00Z, reprocess missing, at most 1 at once; started by local at ", lines[1], StringComparison.Ordinal);
        Assert.Equal(
            [
                $" 2026-01-01 00:00Z │ 2026-01-02 00:00Z │ succeeded │ {ended.Runs[0].Id} │",
                $" 2026-01-02 00:00Z │ 2026-01-03 00:00Z │ cancelled │ {ended.Runs[1].Id} │ cancelled; the models that were running committed nothing",
                $" 2026-01-03 00:00Z │ 2026-01-04 00:00Z │ cancelled │ {ended.Runs[2].Id} │ cancelled with backfill {id} before it started",
            ],
            lines.Skip(4).Take(3).Select(l => l.TrimEnd()));
        Assert.Equal((0, $"Backfill {id} of job sliced had already ended cancelled; nothing to cancel.\n"), (again.ExitCode, again.Output));
        Assert.Equal("day,n\n2026-01-01,1\n", rows.Output);
    }

    [Fact]
    public async Task Backfills_lists_the_backfills_newest_first_with_state_and_progress()
    {
        Cli.Result first = await Cli.RunAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-02", "--project", _project);
        Cli.Result second = await Cli.RunAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-03", "--project", _project);

        Cli.Result listed = await Cli.RunAsync("backfills", "--job", "daily", "--project", _project);
        Cli.Result json = await Cli.RunAsync("backfills", "--format", "json", "--project", _project);

        Assert.Equal((0, string.Empty), (listed.ExitCode, listed.Error));
        string[][] rows = [.. listed.Output.Split('\n').Where((_, i) => i != 1).Select(l => l.Split('│').Select(c => c.Trim()).ToArray())];
        Assert.Equal(["backfill", "job", "range", "state", "progress", "started by", "created"], rows[0]);
        Assert.Equal(
            [StartedBackfill().Match(second.Output).Groups[1].Value, "daily", "2026-01-01 00:00Z to 2026-01-04 00:00Z", "succeeded", "3/3 ended: 1 succeeded, 2 skipped", "local"],
            rows[1][..6]);
        Assert.Equal(
            [StartedBackfill().Match(first.Output).Groups[1].Value, "daily", "2026-01-01 00:00Z to 2026-01-03 00:00Z", "succeeded", "2/2 ended: 2 succeeded", "local"],
            rows[2][..6]);
        Assert.Equal("(2 backfills; times in each job's time zone)", rows[3][0]);
        using JsonDocument document = JsonDocument.Parse(json.Output);
        JsonElement newest = document.RootElement[0];
        Assert.Equal(
            ("daily", "succeeded", "local", 3, 1, 2),
            (newest.GetProperty("job").GetString(), newest.GetProperty("state").GetString(), newest.GetProperty("started_by").GetString(),
                newest.GetProperty("progress").GetProperty("total").GetInt32(), newest.GetProperty("progress").GetProperty("succeeded").GetInt32(), newest.GetProperty("progress").GetProperty("skipped").GetInt32()));
    }

    [Fact]
    public async Task Backfills_of_an_unknown_backfill_id_says_so()
    {
        Cli.Result result = await Cli.RunAsync("backfills", "0195ffff", "--project", _project);

        Assert.Equal((1, "Error MDL6903: The catalog has no backfill '0195ffff'.\nHelp: medallion backfills lists them (GET /api/backfills).\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task A_backfill_of_a_job_in_sao_paulo_bounds_a_date_interval_column_by_its_local_days()
    {
        Cli.Result result = await Cli.RunAsync("backfill", "daily_sp", "--from", "2026-01-01", "--to", "2026-01-03", "--project", _project);
        Cli.Result counts = await Cli.RunAsync("sql", "SELECT day, count(*) AS n FROM silver.daily_sp GROUP BY day ORDER BY day", "--format", "csv", "--project", _project);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("] 2026-01-02 00:00-03:00 to 2026-01-03 00:00-03:00: succeeded (run ", result.Output, StringComparison.Ordinal);
        Assert.EndsWith(": 3 of 3 interval(s) succeeded.\n", result.Output, StringComparison.Ordinal);
        Assert.Equal("day,n\n2026-01-01,1\n2026-01-02,2\n2026-01-03,3\n", counts.Output);
    }

    [Fact]
    public async Task Rerun_from_failure_queues_only_the_failed_and_skipped_models_of_the_run()
    {
        string failed = QueuedRun().Match((await Cli.RunAsync("trigger", "chain", "--var", "fail=yes", "--project", _project)).Output).Groups[1].Value;
        Assert.Equal(RunStatus.Failed, (await WaitForEndAsync("chain", failed)).Status);

        Cli.Result result = await Cli.RunAsync("rerun", failed, "--from-failure", "--project", _project);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Error));
        string id = QueuedRun().Match(result.Output).Groups[1].Value;
        Assert.Equal($"Queued run {id} of job chain, re-running gold.after_flaky gold.flaky from run {failed}.\n", result.Output);
    }

    [Fact]
    public async Task Rerun_without_from_failure_queues_every_model_the_run_selected_with_its_variables()
    {
        string failed = QueuedRun().Match((await Cli.RunAsync("trigger", "chain", "--var", "fail=yes", "--project", _project)).Output).Groups[1].Value;
        RunRecord ended = await WaitForEndAsync("chain", failed);

        Cli.Result result = await Cli.RunAsync("rerun", failed, "--project", _project);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Error));
        string id = QueuedRun().Match(result.Output).Groups[1].Value;
        Assert.Equal($"Queued run {id} of job chain, re-running {ended.Selection} from run {failed}.\n", result.Output);
        RunRecord retried = await WaitForEndAsync("chain", id);
        Assert.Equal((ended.Selection, "yes"), (retried.Selection, retried.Variables["fail"]));
    }

    [Fact]
    public async Task Backfill_dry_run_prints_each_interval_and_whether_it_would_run_and_queues_nothing()
    {
        Cli.Result result = await Cli.RunAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-03", "--dry-run", "--project", _project);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Error));
        Assert.Equal(
            " interval start    │ interval end      │ last run  │ runs\n" +
            "───────────────────┼───────────────────┼───────────┼─────\n" +
            " 2026-01-01 00:00Z │ 2026-01-02 00:00Z │ never run │ yes \n" +
            " 2026-01-02 00:00Z │ 2026-01-03 00:00Z │ never run │ yes \n" +
            " 2026-01-03 00:00Z │ 2026-01-04 00:00Z │ never run │ yes \n" +
            "3 of 3 interval(s) would run (reprocess missing). Dry run: nothing was queued.\n",
            result.Output);
        using ServerClient client = await ServerClient.ConnectAsync(_project);
        Assert.Empty((await client.GetRunsAsync("daily", 10)).Runs);
    }

    [Fact]
    public async Task Backfill_refuses_a_date_it_cannot_read()
    {
        Cli.Result result = await Cli.RunAsync("backfill", "daily", "--from", "2026-13-01", "--to", "2026-01-05", "--project", _project);

        Assert.Equal(
            (2, "Error MDL1101: --from '2026-13-01' is not a date. Help: write a day like 2026-01-31, or a time like 2026-01-31T06:00 or 2026-01-31T06:00:00+00:00.\n"),
            (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task Backfill_of_an_unknown_job_says_so_with_the_closest_name()
    {
        Cli.Result result = await Cli.RunAsync("backfill", "daly", "--from", "2026-01-01", "--to", "2026-01-05", "--project", _project);

        Assert.Equal(
            (1, "Error MDL6903: there is no job 'daly'; did you mean 'daily'?\nHelp: medallion jobs lists them (GET /api/jobs).\n"),
            (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task Backfill_of_a_job_without_a_schedule_says_it_has_no_intervals()
    {
        Cli.Result result = await Cli.RunAsync("backfill", "slow", "--from", "2026-01-01", "--to", "2026-01-05", "--project", _project);

        Assert.Equal(
            (1, "Error MDL6012: Job 'slow' has no schedule, so it has no intervals to backfill.\nHelp: give it 'schedule:' or 'every:', or trigger it instead.\n"),
            (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task A_backfill_of_five_intervals_run_twice_counts_each_intervals_rows_exactly_once()
    {
        Cli.Result first = await Cli.RunAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-05", "--max-active", "2", "--project", _project);
        Cli.Result again = await Cli.RunAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-05", "--reprocess", "all", "--project", _project);
        Cli.Result missing = await Cli.RunAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-05", "--project", _project);
        Cli.Result counts = await Cli.RunAsync("sql", "SELECT day, count(*) AS n, count(DISTINCT id) AS ids FROM silver.daily GROUP BY day ORDER BY day", "--format", "csv", "--project", _project);

        Assert.True(first.ExitCode == 0, first.Output + first.Error);
        Assert.Matches(@"\ABackfill \S+ of job daily: 5 of 5 interval\(s\) queued, at most 2 at once \(reprocess missing\)\.\n", first.Output);
        Assert.Matches(@"\nBackfill \S+ succeeded: 5 of 5 interval\(s\) succeeded\.\n\z", first.Output);
        Assert.Contains("[5/5] ", again.Output, StringComparison.Ordinal);
        Assert.Contains("] 2026-01-03 00:00Z to 2026-01-04 00:00Z: succeeded (run ", again.Output, StringComparison.Ordinal);
        Assert.True(again.ExitCode == 0, again.Output + again.Error);
        Assert.Matches(@"\ABackfill \S+ of job daily: 0 of 5 interval\(s\) queued, at most 1 at once \(reprocess missing\)\.\nNothing to run: every interval already succeeded\. Help: --reprocess all runs them again\.\n\z", missing.Output);
        Assert.Equal("day,n,ids\n2026-01-01,1,1\n2026-01-02,2,2\n2026-01-03,3,3\n2026-01-04,4,4\n2026-01-05,5,5\n", counts.Output);
    }

    private static DateTimeOffset SaoPauloMidnight()
    {
        TimeZoneInfo zone = TimeZoneInfo.FindSystemTimeZoneById("America/Sao_Paulo");
        DateTime next = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).Date.AddDays(1);
        return new DateTimeOffset(next, zone.GetUtcOffset(next));
    }

    private void Write(string relativePath, string text)
    {
        string path = Path.Combine(_project, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    /// <summary>Waits (60 s at most) for a run of any job, or of none, to end; its details as the server gives them.</summary>
    private async Task<RunDetails> WaitForRunToEndAsync(string id)
    {
        using ServerClient client = await ServerClient.ConnectAsync(_project);
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        RunDetails details;
        while ((details = await client.GetAsync<RunDetails>($"api/runs/{id}")).Run.Status is RunStatus.Queued or RunStatus.Running)
        {
            Assert.True(DateTime.UtcNow < deadline, $"run {id} did not end in 60 s");
            await Task.Delay(100);
        }

        return details;
    }

    private async Task<RunRecord> WaitForEndAsync(string job, string id) =>
        await WaitForAsync(job, id, r => r.Status is not (RunStatus.Queued or RunStatus.Running));

    private Task<RunRecord> WaitForStatusAsync(string job, string id, RunStatus status) => WaitForAsync(job, id, r => r.Status == status);

    private async Task<RunRecord> WaitForAsync(string job, string id, Func<RunRecord, bool> done)
    {
        using ServerClient client = await ServerClient.ConnectAsync(_project);
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            RunRecord? run = (await client.GetRunsAsync(job, 50)).Runs.FirstOrDefault(r => r.Id == id);
            if (run is not null && done(run))
            {
                return run;
            }

            Assert.True(DateTime.UtcNow < deadline, $"run {id} of {job} did not get there in 60 s; it is {run?.Status}");
            await Task.Delay(100);
        }
    }

    private static async Task<BackfillDetail> WaitForBackfillAsync(ServerClient client, string id, Func<BackfillDetail, bool> done)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            BackfillDetail backfill = await client.GetBackfillAsync(id);
            if (done(backfill))
            {
                return backfill;
            }

            Assert.True(DateTime.UtcNow < deadline, $"backfill {id} did not get there in 60 s; it is {backfill.Backfill.Status}, {backfill.Progress}");
            await Task.Delay(100);
        }
    }

    [GeneratedRegex(@"\AQueued run (\S+) of job")]
    private static partial Regex QueuedRun();

    [GeneratedRegex(@"\ABackfill (\S+) of job")]
    private static partial Regex StartedBackfill();
}
