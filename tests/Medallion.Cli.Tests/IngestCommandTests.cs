using System.Diagnostics;
using System.Text.Json;
using Medallion.Ingestion.Tests;

namespace Medallion.Cli.Tests;

public sealed class IngestCommandTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Ingest_lands_a_table_in_bronze_and_a_second_pass_reads_only_what_is_new()
    {
        await database.ExecuteAsync("CREATE TABLE orders (id int PRIMARY KEY, updated_at int); INSERT INTO orders VALUES (1, 1), (2, 2)");
        using var project = new IngestProject(database, "public.orders", "        mode: incremental\n        cursor: [updated_at]");

        Cli.Result first = await Cli.RunAsync("ingest", "--project", project.Directory);
        await database.ExecuteAsync("INSERT INTO orders VALUES (3, 3)");
        Cli.Result second = await Cli.RunAsync("ingest", "--project", project.Directory);

        Assert.Equal((0, ""), (first.ExitCode, first.Error));
        Assert.Equal("shop: public.orders -> bronze.orders: 2 rows in 1 batches, version 0\n", first.Output);
        Assert.Equal("shop: public.orders -> bronze.orders: 1 rows in 1 batches, version 1\n", second.Output);
        Assert.Equal(["1", "2", "3"], await project.QueryAsync("SELECT id FROM bronze.orders ORDER BY id"));
    }

    [Fact]
    public async Task Selecting_a_source_the_project_does_not_have_names_the_ones_it_has()
    {
        using var project = new IngestProject(database, "public.missing", "");

        Cli.Result result = await Cli.RunAsync("ingest", "--select", "shops", "--project", project.Directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error MDL6001: The project has no source 'shops'.\nHelp: the project's sources are shop.\n", result.Error);
    }

    [Fact]
    public async Task A_cdc_table_without_a_full_replica_identity_gets_a_warning()
    {
        await database.ExecuteAsync("CREATE TABLE plain (id int PRIMARY KEY)");
        using var project = new IngestProject(database, "public.plain", $"        mode: cdc\n        slot: {database.Name}_plain");

        Cli.Result result = await Cli.RunAsync("ingest", "--project", project.Directory);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("warning: Source shop: table public.plain has REPLICA IDENTITY DEFAULT, so deletes carry only the key columns (the other columns land as NULL), updates carry a before-image only when they change the key, and unchanged TOASTed values cannot be filled in; run ALTER TABLE public.plain REPLICA IDENTITY FULL for full rows\n", result.Error);
    }

    [Fact]
    public async Task Each_ingest_pass_is_kept_in_the_catalog_and_runs_shows_its_slot_lag()
    {
        await database.ExecuteAsync("CREATE TABLE lagged (id int PRIMARY KEY); INSERT INTO lagged VALUES (1), (2)");
        using var project = new IngestProject(database, "public.lagged", $"        mode: cdc\n        slot: {database.Name}_lagged");

        Cli.Result ingest = await Cli.RunAsync("ingest", "--format", "json", "--project", project.Directory);
        Cli.Result runs = await Cli.RunAsync("runs", "--format", "json", "--project", project.Directory);
        string runId = JsonDocument.Parse(runs.Output).RootElement[0].GetProperty("run").GetProperty("id").GetString()!;
        Cli.Result run = await Cli.RunAsync("runs", runId, "--format", "json", "--project", project.Directory);
        Cli.Result text = await Cli.RunAsync("runs", runId, "--project", project.Directory);

        Assert.True(ingest.ExitCode == 0, ingest.Error);
        JsonElement pass = Assert.Single(JsonDocument.Parse(ingest.Output).RootElement.EnumerateArray());
        Assert.Equal(("bronze.lagged", "cdc", 2L, 1L), (CatalogCommandTests.Name(pass.GetProperty("target")), pass.GetProperty("mode").GetString(), pass.GetProperty("rows").GetInt64(), pass.GetProperty("pass").GetInt64()));
        JsonElement recorded = Assert.Single(JsonDocument.Parse(run.Output).RootElement.GetProperty("sources").EnumerateArray());
        Assert.Equal(pass.GetProperty("slot_lag_bytes").GetInt64(), recorded.GetProperty("slot_lag_bytes").GetInt64());
        Assert.Equal("succeeded", JsonDocument.Parse(run.Output).RootElement.GetProperty("run").GetProperty("status").GetString());
        Assert.Contains("Database sources", text.Output, StringComparison.Ordinal);
        Assert.Contains("shop: public.lagged", text.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_continuous_streams_a_cdc_source_into_a_merge_model_and_ctrl_c_ends_it_cleanly()
    {
        await database.ExecuteAsync("CREATE TABLE streamed (id int PRIMARY KEY, qty int); INSERT INTO streamed VALUES (1, 10)");
        using var project = new IngestProject(database, "public.streamed", $"        mode: cdc\n        slot: {database.Name}_streamed");
        Directory.CreateDirectory(Path.Combine(project.Directory, "models", "silver"));
        await File.WriteAllTextAsync(Path.Combine(project.Directory, "models", "silver", "streamed.sql"), """
            /* ---
            materialized: merge
            unique_key: [id]
            delete_when: _op = 'delete'
            --- */
            SELECT id, qty, _op FROM bronze.streamed QUALIFY row_number() OVER (PARTITION BY id ORDER BY _lsn DESC, _seq DESC) = 1
            """);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "medallion.dll"), "run", "--continuous", "--interval", "0.3", "--project", project.Directory })
        {
            start.ArgumentList.Add(argument);
        }

        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using Process process = Process.Start(start.WithoutDiagnosticFiles())!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        // The stream's passes and the models' run side by side; a model is printed when it commits (or fails).
        int SilverCommits() => output.Count(l => l.Contains("silver.streamed", StringComparison.Ordinal) && l.Contains("succeeded", StringComparison.Ordinal));
        await WaitForAsync(() => SilverCommits() == 1 || process.HasExited);
        await database.ExecuteAsync("INSERT INTO streamed VALUES (2, 20); DELETE FROM streamed WHERE id = 1");
        await WaitForAsync(() => SilverCommits() == 2 || process.HasExited);
        // What Ctrl+C sends.
        Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).WaitForExit();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            // A run that ignored Ctrl+C would otherwise keep streaming, and loading the machine, after the test.
            process.Kill(entireProcessTree: true);
            Assert.Fail("medallion run --continuous did not stop within 60 s of Ctrl+C:\n" + string.Join("\n", output));
        }

        Assert.True(process.ExitCode == 0, string.Join("\n", output) + await process.StandardError.ReadToEndAsync());
        Assert.Contains(output, l => l.StartsWith("Stopped after ", StringComparison.Ordinal));
        Assert.Equal(["2,20"], await project.QueryAsync("SELECT id, qty FROM silver.streamed ORDER BY id"));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), "Gave up waiting after 90 s.");
            await Task.Delay(50);
        }
    }
}
