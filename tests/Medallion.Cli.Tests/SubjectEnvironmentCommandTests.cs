using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion subject find</c> and <c>subject erase</c> over a project whose dev environment built a table of its own.</summary>
public sealed class SubjectEnvironmentCommandTests : IDisposable
{
    private const string Cpf = "390.533.447-05";

    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-subject-env-" + Guid.NewGuid().ToString("N"));

    public SubjectEnvironmentCommandTests()
    {
        Write("medallion.yml", "name: crm\n");
        Write("sources/crm.yml", "sources:\n  - name: customers\n    format: csv\n    path: data/*.csv\n    target: bronze.customers\n");
        Write("data/1.csv", $"id,name,cpf\n1,Maria Souza,{Cpf}\n2,Joao Lima,529.982.247-25\n");
        WriteModel("SELECT CAST(id AS BIGINT) AS id, name, regexp_replace(cpf, '[^0-9]', '', 'g') AS cpf FROM bronze.customers");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_project, recursive: true);
    }

    private void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.Combine(_project, Path.GetDirectoryName(path)!));
        File.WriteAllText(Path.Combine(_project, path), text);
    }

    private void WriteModel(string select) =>
        Write("models/silver/customers.sql", "/* ---\ncolumns:\n  cpf:\n    classification: pii\n--- */\n" + select);

    /// <summary>Builds prod, then applies a change of silver.customers to dev, which builds it into a table of dev's own.</summary>
    private async Task BuildDevAsync()
    {
        Cli.Result run = await Cli.RunAsync("run", "--project", _project);
        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        WriteModel("SELECT CAST(id AS BIGINT) AS id, upper(name) AS name, regexp_replace(cpf, '[^0-9]', '', 'g') AS cpf FROM bronze.customers");
        Cli.Result apply = await Cli.RunAsync("apply", "--env", "dev", "--project", _project);
        Assert.True(apply.ExitCode == 0, apply.Error + apply.Output);
    }

    [Fact]
    public async Task Subject_find_lists_the_persons_rows_in_devs_own_table_named_with_dev_in_text_and_json()
    {
        await BuildDevAsync();

        Cli.Result text = await Cli.RunAsync("subject", "find", "--cpf", Cpf, "--project", _project);
        Cli.Result json = await Cli.RunAsync("subject", "find", "--cpf", Cpf, "--format", "json", "--project", _project);

        Assert.True(text.ExitCode == 0, text.Error);
        Assert.StartsWith($"cpf ***.533.447-**: 3 row(s) in 3 of 3 tables\n", text.Output, StringComparison.Ordinal);
        Assert.Matches(@"\n silver\.customers \(dev\) +│ +1 +│ cpf ", text.Output);
        using JsonDocument document = JsonDocument.Parse(json.Output);
        Assert.Equal(
            [("bronze.customers", null), ("silver.customers", null), ("silver.customers", "dev")],
            document.RootElement.GetProperty("tables").EnumerateArray().Select(t => (
                t.GetProperty("table").GetString(),
                t.TryGetProperty("environments", out JsonElement environments) ? string.Join(",", environments.EnumerateArray().Select(e => e.GetString())) : null)));
    }

    [Fact]
    public async Task Subject_erase_erases_devs_own_table_and_names_it_in_the_json_report()
    {
        await BuildDevAsync();

        Cli.Result erase = await Cli.RunAsync("subject", "erase", "--cpf", Cpf, "--format", "json", "--project", _project);
        Cli.Result after = await Cli.RunAsync("subject", "find", "--cpf", Cpf, "--project", _project);

        Assert.True(erase.ExitCode == 0, erase.Error);
        using JsonDocument report = JsonDocument.Parse(erase.Output);
        JsonElement dev = report.RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("table").GetString() == "silver.customers (dev)");
        Assert.Equal(["dev"], dev.GetProperty("environments").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1, dev.GetProperty("rows").GetInt32());
        Assert.False(report.RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("table").GetString() == "silver.customers").TryGetProperty("environments", out _));
        Assert.StartsWith("cpf ***.533.447-**: 0 row(s) in 0 of ", after.Output, StringComparison.Ordinal);
    }
}
