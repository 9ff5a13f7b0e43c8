using System.Diagnostics;
using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary>Runs <c>medallion quickstart</c> once into a temp directory; each test checks one fact of what it built and printed.</summary>
public sealed class QuickstartFixture : IAsyncLifetime
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "medallion-quickstart-" + Guid.NewGuid().ToString("N"));

    internal Cli.Result Result { get; private set; } = null!;

    public TimeSpan Elapsed { get; private set; }

    public async Task InitializeAsync()
    {
        Stopwatch watch = Stopwatch.StartNew();
        Result = await Cli.RunAsync("quickstart", Directory);
        Elapsed = watch.Elapsed;
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// The demo's figures are fixed by the generator's seed: 425 then 88 customer rows (15 then 1 with wrong CPF check
/// digits), 1,500 then 700 orders, and Esporte as the top category.
/// </summary>
public sealed class QuickstartTests(QuickstartFixture quickstart) : IClassFixture<QuickstartFixture>
{

    [Fact]
    public void Quickstart_succeeds_and_prints_tables_quality_lineage_and_the_gold_answer()
    {
        Assert.True(quickstart.Result.ExitCode == 0, quickstart.Result.Error + quickstart.Result.Output);
        string output = quickstart.Result.Output;
        int tables = output.IndexOf("\nTables per layer", StringComparison.Ordinal);
        int quality = output.IndexOf("\nQuality of the second run", StringComparison.Ordinal);
        int lineage = output.IndexOf("\nLineage of gold.daily_revenue", StringComparison.Ordinal);
        int answer = output.IndexOf("\nTop categories by revenue, from gold:", StringComparison.Ordinal);
        Assert.True(tables > 0 && quality > tables && lineage > quality && answer > lineage, output);
        Assert.Contains("\n  bronze.orders -> silver.order_events\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Quickstart_names_a_project_outside_the_current_folder_by_its_absolute_path_in_the_commands_it_suggests()
    {
        Assert.Contains($"\n  ./medallion tables --project {quickstart.Directory}\n", quickstart.Result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Quickstart_finishes_well_within_a_minute_and_a_half()
    {
        Assert.True(quickstart.Elapsed < TimeSpan.FromSeconds(90), $"took {quickstart.Elapsed}");
    }

    [Fact]
    public async Task The_second_batch_adds_a_bronze_version_and_a_source_without_new_files_commits_nothing()
    {
        JsonElement tables = await JsonAsync("tables", "--namespace", "bronze", "--project", quickstart.Directory, "--format", "json");

        JsonElement customers = Table(tables, "bronze.customers");
        Assert.Equal(425 + 88, customers.GetProperty("rows").GetInt64());
        Assert.Equal(1, customers.GetProperty("version").GetInt64());
        Assert.Equal(0, Table(tables, "bronze.products").GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task The_second_run_reads_only_the_new_rows_of_incremental_models()
    {
        JsonElement runs = await JsonAsync("runs", "--project", quickstart.Directory, "--format", "json");
        Assert.Equal(2, runs.GetArrayLength());
        JsonElement second = await JsonAsync("runs", runs[0].GetProperty("run").GetProperty("id").GetString()!, "--project", quickstart.Directory, "--format", "json");

        JsonElement customers = Model(second, "silver.customers");
        Assert.Equal(1, customers.GetProperty("committed_version").GetInt64());
        Assert.Equal(80, customers.GetProperty("rows_written").GetInt64());
        Assert.Equal(2793, Model(second, "silver.order_events").GetProperty("rows_written").GetInt64());
    }

    [Fact]
    public async Task Accounts_with_wrong_cpf_check_digits_are_quarantined_and_the_rest_committed()
    {
        JsonElement silver = await JsonAsync("tables", "--namespace", "silver", "--project", quickstart.Directory, "--format", "json");

        Assert.Equal(15 + 1, Table(silver, "silver.customers_quarantine").GetProperty("rows").GetInt64());
        Assert.Equal(473, Table(silver, "silver.customers").GetProperty("rows").GetInt64());
        Assert.Matches(@"\n silver\.customers +│ cpf_check_digits +│ quarantine │ quarantined │ +1\n", quickstart.Result.Output);
    }

    [Fact]
    public void Orders_of_unknown_accounts_are_kept_with_a_warning()
    {
        Assert.Matches(@"\n silver\.orders +│ known_customer +│ warn +│ warned +│ +121\n", quickstart.Result.Output);
        Assert.Matches(@"\n silver +│ orders +│ +1,500 │ +2,200 │ 0 → 1 ", quickstart.Result.Output);
    }

    [Fact]
    public void The_gold_answer_names_the_top_category_with_its_orders_and_revenue()
    {
        Assert.Matches(@"\n Esporte +│ +565 │ 989620\.90\n", quickstart.Result.Output);
    }

    [Fact]
    public async Task Running_it_again_on_the_demo_refuses_and_says_how_to_recreate_it()
    {
        Cli.Result again = await Cli.RunAsync("quickstart", quickstart.Directory);

        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"recreate it with 'medallion quickstart {quickstart.Directory} --force'", again.Error, StringComparison.Ordinal);
    }

    private static JsonElement Table(JsonElement tables, string name) =>
        tables.EnumerateArray().Single(t => CatalogCommandTests.Name(t.GetProperty("name")) == name);

    private static JsonElement Model(JsonElement run, string name) =>
        run.GetProperty("models").EnumerateArray().Single(m => CatalogCommandTests.Name(m.GetProperty("model")) == name);

    private static async Task<JsonElement> JsonAsync(params string[] args)
    {
        Cli.Result result = await Cli.RunAsync(args);
        Assert.True(result.ExitCode == 0, result.Error);
        using var document = JsonDocument.Parse(result.Output);
        return document.RootElement.Clone();
    }
}
