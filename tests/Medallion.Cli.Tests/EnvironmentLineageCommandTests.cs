using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion lineage --env</c> and <c>medallion describe --env</c>: a table as an environment built it (the lineage the
/// catalog recorded of the tables it reads, its own physical table), beside what the project's files say now.
/// </summary>
public sealed class EnvironmentLineageCommandTests : IAsyncLifetime
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-env-lineage-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_project, "sources"));
        Directory.CreateDirectory(Path.Combine(_project, "data", "orders"));
        Directory.CreateDirectory(Path.Combine(_project, "data", "customers"));
        Directory.CreateDirectory(Path.Combine(_project, "models", "silver"));
        File.WriteAllText(Path.Combine(_project, "medallion.yml"), "name: shop\n");
        File.WriteAllText(Path.Combine(_project, "sources", "files.yml"),
            "sources:\n  - name: orders\n    format: csv\n    path: data/orders/*.csv\n    target: bronze.orders\n  - name: customers\n    format: csv\n    path: data/customers/*.csv\n    target: bronze.customers\n");
        File.WriteAllText(Path.Combine(_project, "data", "orders", "1.csv"), "id,amount\n1,10\n2,20\n");
        File.WriteAllText(Path.Combine(_project, "data", "customers", "1.csv"), "id,amount\n7,70\n");
        string model = Path.Combine(_project, "models", "silver", "orders.sql");
        File.WriteAllText(model, "SELECT id, amount FROM bronze.orders");
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project)).ExitCode);
        File.WriteAllText(model, "SELECT id, amount FROM bronze.customers");
        Cli.Result applied = await Cli.RunAsync("apply", "--env", "dev", "--project", _project);
        Assert.True(applied.ExitCode == 0, applied.Error);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_project, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<List<string>> EdgesAsync(params string[] options)
    {
        Cli.Result result = await Cli.RunAsync(["lineage", "silver.orders", "--column", "amount", "--upstream", "--format", "json", "--project", _project, .. options]);
        Assert.True(result.ExitCode == 0, result.Error);
        return [.. JsonDocument.Parse(result.Output).RootElement.GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("from").GetString() + " -> " + e.GetProperty("to").GetString())];
    }

    [Fact]
    public async Task Lineage_with_env_shows_the_edges_each_environment_built()
    {
        List<string> dev = await EdgesAsync("--env", "dev");
        List<string> prod = await EdgesAsync("--env", "prod");

        Assert.Equal(["bronze.customers.amount -> silver.orders.amount"], dev);
        Assert.Equal(["bronze.orders.amount -> silver.orders.amount"], prod);
    }

    [Fact]
    public async Task Lineage_without_env_shows_what_the_project_files_say_now()
    {
        Assert.Equal(["bronze.customers.amount -> silver.orders.amount"], await EdgesAsync());
    }

    [Fact]
    public async Task Lineage_refuses_an_environment_that_holds_nothing_naming_it()
    {
        Cli.Result result = await Cli.RunAsync("lineage", "silver.orders", "--env", "staging", "--project", _project);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("MDL6403", result.Error, StringComparison.Ordinal);
        Assert.Contains("There is no environment 'staging'.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_with_env_shows_the_table_dev_built_and_its_upstream_there()
    {
        Cli.Result dev = await Cli.RunAsync("describe", "silver.orders", "--env", "dev", "--format", "json", "--project", _project);
        Cli.Result prod = await Cli.RunAsync("describe", "silver.orders", "--format", "json", "--project", _project);

        Assert.True(dev.ExitCode == 0, dev.Error);
        JsonElement devTable = JsonDocument.Parse(dev.Output).RootElement;
        JsonElement prodTable = JsonDocument.Parse(prod.Output).RootElement;
        Assert.Contains("_versions", devTable.GetProperty("summary").GetProperty("location").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("_versions", prodTable.GetProperty("summary").GetProperty("location").GetString(), StringComparison.Ordinal);
        Assert.Equal((1L, 2L), (devTable.GetProperty("summary").GetProperty("rows").GetInt64(), prodTable.GetProperty("summary").GetProperty("rows").GetInt64()));
        Assert.Equal(["customers"], devTable.GetProperty("upstream").EnumerateArray().Select(u => u.GetProperty("name").GetString()));
    }
}
