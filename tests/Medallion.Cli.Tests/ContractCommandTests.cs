namespace Medallion.Cli.Tests;

/// <summary><c>medallion contract export|import</c> on a project that was built once.</summary>
public sealed class ContractCommandTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-contract-project-" + Guid.NewGuid().ToString("N"));

    public ContractCommandTests()
    {
        Write("medallion.yml", "name: shop\n");
        Write("models/silver/orders.sql", "/* ---\ndescription: One row per order\ncolumns:\n  id: The order\n--- */\nSELECT 1::BIGINT AS id, 9.5::DECIMAL(18,2) AS amount");
    }

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.Combine(_project, Path.GetDirectoryName(path)!));
        File.WriteAllText(Path.Combine(_project, path), text);
    }

    [Fact]
    public async Task Export_types_the_columns_the_config_leaves_untyped_as_the_table_was_built()
    {
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project)).ExitCode);

        Cli.Result result = await Cli.RunAsync("contract", "export", "silver.orders", "--format", "odcs", "--project", _project);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("  properties:\n  - name: id\n    physicalType: BIGINT\n    logicalType: integer\n    description: The order\n  - name: amount\n    physicalType: DECIMAL(18,2)\n    logicalType: number\n", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_exported_contract_imported_back_is_enforced_and_the_import_says_what_it_checks()
    {
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project)).ExitCode);
        string file = Path.Combine(_project, "orders.yaml");
        Assert.Equal(0, (await Cli.RunAsync("contract", "export", "orders", "--output", file, "--project", _project)).ExitCode);

        Cli.Result imported = await Cli.RunAsync("contract", "import", file, "--project", _project);
        Write("models/silver/orders.sql", "SELECT 1 AS id, 9.5::DECIMAL(18,2) AS amount");
        Cli.Result run = await Cli.RunAsync("run", "--project", _project);

        Assert.Equal("Kept contracts/orders.odcs.yaml.\n  silver.orders: 2 columns, 2 typed (enforced at each build), 0 rules checked\n", imported.Output);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("column 'id' is INTEGER, the contract says BIGINT", run.Output + run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_of_a_malformed_document_fails_with_its_line_and_keeps_nothing()
    {
        Write("bad.yaml", "apiVersion: v3.1.0\nkind: DataProduct\nid: x\nversion: 1.0.0\nstatus: active\n");

        Cli.Result result = await Cli.RunAsync("contract", "import", Path.Combine(_project, "bad.yaml"), "--project", _project);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("bad.yaml:2:7: 'kind' is 'DataProduct'. Expected 'kind: DataContract'", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_project, "contracts")));
    }
}
