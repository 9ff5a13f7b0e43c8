using Medallion.Ingestion.Tests;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion ingest --source https://...</c> and <c>--listen</c> without a source file, and a project's Debezium endpoint source.</summary>
public sealed class IngestApiCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("medallion-ingest-api-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Ingest_source_reads_an_api_into_bronze_under_the_default_warehouse_without_a_project_file()
    {
        using var server = new ApiServer(_ => ApiAnswer.Json("{\"data\":{\"items\":[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"b\"}]}}"));

        Cli.Result result = await Cli.RunAsync("ingest", "--source", server.BaseUrl + "/contacts", "--into", "bronze.contacts", "--records", "data.items", "--project", _directory);

        string table = Path.Combine(_directory, "warehouse", "bronze", "contacts");
        Assert.Equal((0, ""), (result.ExitCode, result.Error));
        Assert.Equal($"contacts: {server.BaseUrl}/contacts -> bronze.contacts: 2 rows in 1 batches, version 0 ({table})\n", result.Output);
        Assert.True(File.Exists(Path.Combine(table, "_delta_log", "00000000000000000000.json")));
    }

    [Fact]
    public async Task Ingest_source_without_into_is_a_usage_error()
    {
        Cli.Result result = await Cli.RunAsync("ingest", "--source", "https://api.example.com/x", "--project", _directory);

        Assert.Equal((2, "Error MDL1101: --source needs --into <namespace.table>, e.g. --into bronze.orders.\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task Ingest_listen_with_a_token_variable_that_is_not_set_refuses_to_start_naming_it()
    {
        Cli.Result result = await Cli.RunAsync("ingest", "--listen", "127.0.0.1:1", "--into", "bronze.orders_cdc", "--token-env", "MEDALLION_TEST_TOKEN_NEVER_SET", "--project", _directory);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL8104: Source 'orders_cdc': 'auth.token' refers to the environment variable 'MEDALLION_TEST_TOKEN_NEVER_SET', which is not set.\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_listen_without_a_token_on_an_address_other_machines_reach_is_refused()
    {
        Cli.Result result = await Cli.RunAsync("ingest", "--listen", "192.0.2.10:8089", "--into", "bronze.orders_cdc", "--project", _directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("can be reached from other machines", result.Error, StringComparison.Ordinal);
        Assert.Contains("--token-env NAME", result.Error, StringComparison.Ordinal);
    }

    private void WriteEndpointProject(string entry)
    {
        File.WriteAllText(Path.Combine(_directory, "medallion.yml"), "name: shop\n");
        Directory.CreateDirectory(Path.Combine(_directory, "sources"));
        File.WriteAllText(Path.Combine(_directory, "sources", "cdc.yml"), "sources:\n  - name: orders_cdc\n" + entry);
    }

    [Fact]
    public async Task Ingest_select_of_an_endpoint_source_without_auth_on_an_address_other_machines_reach_is_refused()
    {
        WriteEndpointProject("    listen: 192.0.2.10:8089\n");

        Cli.Result result = await Cli.RunAsync("ingest", "--select", "orders_cdc", "--project", _directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("http://192.0.2.10:8089/ can be reached from other machines", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_select_of_an_endpoint_source_whose_token_variable_is_not_set_refuses_to_start_naming_it()
    {
        WriteEndpointProject("    listen: 127.0.0.1:1\n    auth: {type: bearer, token: \"${MEDALLION_TEST_CDC_TOKEN_NEVER_SET}\"}\n");

        Cli.Result result = await Cli.RunAsync("ingest", "--select", "orders_cdc", "--project", _directory);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL8104: Source 'orders_cdc': 'auth.token' refers to the environment variable 'MEDALLION_TEST_CDC_TOKEN_NEVER_SET', which is not set.\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_select_of_an_endpoint_source_with_another_source_is_a_usage_error()
    {
        WriteEndpointProject("    listen: 127.0.0.1:1\n");

        Cli.Result result = await Cli.RunAsync("ingest", "--select", "orders_cdc,crm", "--project", _directory);

        Assert.Equal((2, "Error MDL1101: --select orders_cdc is a Debezium endpoint, which runs until Ctrl+C; select it alone, and the other sources in another command.\n"), (result.ExitCode, result.Error));
    }
}
