using Medallion.Ingestion.Tests;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion ingest --source https://...</c>: one JSON API into bronze without a source file.</summary>
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

        Assert.Equal((2, "error: --source needs --into <namespace.table>, e.g. --into bronze.orders.\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task Ingest_listen_with_a_token_variable_that_is_not_set_is_a_usage_error_naming_it()
    {
        Cli.Result result = await Cli.RunAsync("ingest", "--listen", "127.0.0.1:1", "--into", "bronze.orders_cdc", "--token-env", "MEDALLION_TEST_TOKEN_NEVER_SET", "--project", _directory);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --token-env MEDALLION_TEST_TOKEN_NEVER_SET: the environment variable MEDALLION_TEST_TOKEN_NEVER_SET is not set or empty; export it with the token senders must present.\n", result.Error);
    }

    [Fact]
    public async Task Ingest_listen_without_a_token_on_an_address_other_machines_reach_is_refused()
    {
        Cli.Result result = await Cli.RunAsync("ingest", "--listen", "192.0.2.10:8089", "--into", "bronze.orders_cdc", "--project", _directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("can be reached from other machines", result.Error, StringComparison.Ordinal);
        Assert.Contains("--token-env NAME", result.Error, StringComparison.Ordinal);
    }
}
