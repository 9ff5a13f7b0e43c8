using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion delta</c> on s3://, az:// and gs:// URIs, in a process whose environment holds only the standard variables
/// a shell that talks to the store already has (moto from build/test-setup/moto.sh, Azurite from azurite.sh, the GCS
/// test server this process starts).
/// </summary>
public sealed class ObjectStoreCommandTests : IDisposable
{
    private readonly StoreCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    [InlineData("gs")]
    public async Task Create_write_read_and_history_work_on_a_store_uri_with_only_the_standard_variables(string kind)
    {
        string uri = await StoreCli.NewTableAsync(kind);

        await _cli.RunOkAsync(kind, "delta", "create", uri, "--schema", "id long NOT NULL, name string");
        await _cli.RunOkAsync(kind, "delta", "write", uri, "--from", "SELECT i AS id, 'n' || i AS name FROM range(3) t(i)");
        await _cli.RunOkAsync(kind, "delta", "write", uri, "--from", "SELECT 9 AS id, 'nine' AS name");
        JsonElement rows = JsonDocument.Parse(await _cli.RunOkAsync(kind, "delta", "read", uri, "--format", "json")).RootElement;
        JsonElement first = JsonDocument.Parse(await _cli.RunOkAsync(kind, "delta", "read", uri, "--version", "1", "--format", "json")).RootElement;
        JsonElement history = JsonDocument.Parse(await _cli.RunOkAsync(kind, "delta", "history", uri, "--format", "json")).RootElement;

        Assert.Equal([0L, 1L, 2L, 9L], rows.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).Order());
        Assert.Equal(3, first.GetArrayLength());
        Assert.Equal(3, history.GetArrayLength());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_cli.Directory, "cwd")));
    }

    [Fact]
    public async Task A_missing_bucket_fails_with_the_store_error_naming_the_bucket()
    {
        (int exit, _, string error) = await _cli.RunAsync("s3", "delta", "read", "s3://no-such-bucket-cli/t");

        Assert.Equal(1, exit);
        Assert.StartsWith("Error MDL5007: Could not read '_delta_log/_last_checkpoint' in 's3://no-such-bucket-cli/t': the bucket 'no-such-bucket-cli' does not exist.\nHelp: create the bucket", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    [InlineData("gs")]
    public async Task A_project_on_a_store_runs_with_the_stores_settings_in_storage_options_as_env_references(string kind)
    {
        string uri = await StoreCli.NewTableAsync(kind);
        string project = Path.Combine(_cli.Directory, "project");
        Directory.CreateDirectory(Path.Combine(project, "models", "silver"));
        string options = kind switch
        {
            "s3" => "  AWS_ENDPOINT_URL_S3: ${LAKE_ENDPOINT}\n  AWS_ACCESS_KEY_ID: ${LAKE_KEY}\n  AWS_SECRET_ACCESS_KEY: ${LAKE_SECRET}\n  AWS_REGION: us-east-1\n",
            "gs" => "  STORAGE_EMULATOR_HOST: ${LAKE_CONNECTION}\n",
            _ => "  AZURE_STORAGE_CONNECTION_STRING: ${LAKE_CONNECTION}\n",
        };
        await File.WriteAllTextAsync(Path.Combine(project, "medallion.yml"), $"name: stored\nstorage: {uri}\nstorage_options:\n{options}");
        await File.WriteAllTextAsync(Path.Combine(project, "models", "silver", "numbers.sql"), "SELECT i AS id FROM range(5) t(i)\n");
        Dictionary<string, string> variables = kind switch
        {
            "s3" => new() { ["LAKE_ENDPOINT"] = StoreCli.S3Endpoint, ["LAKE_KEY"] = "testing", ["LAKE_SECRET"] = "testing" },
            "gs" => new() { ["LAKE_CONNECTION"] = StoreCli.Gcs.EmulatorHost },
            _ => new() { ["LAKE_CONNECTION"] = StoreCli.AzuriteConnectionString() },
        };

        (int exit, string output, string error) = await _cli.RunAsync(variables, "run", "--project", project);
        (int missingExit, _, string missing) = await _cli.RunAsync(new Dictionary<string, string>(), "run", "--project", project);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Contains("silver.numbers", output, StringComparison.Ordinal);
        Assert.Contains(await StoreCli.ListAsync(kind, uri + "/silver/numbers/_delta_log/"), key => key.EndsWith("00000000000000000000.json", StringComparison.Ordinal));
        Assert.Equal(1, missingExit);
        Assert.Contains(kind == "s3" ? "LAKE_ENDPOINT" : "LAKE_CONNECTION", missing, StringComparison.Ordinal);
        Assert.DoesNotContain("testing", output + error + missing, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    [InlineData("gs")]
    public async Task The_quickstart_on_a_store_runs_twice_and_its_tables_answer_sql_time_travel_and_vacuum(string kind)
    {
        string uri = await StoreCli.NewTableAsync(kind);
        string project = Path.Combine(_cli.Directory, "demo");

        string quickstart = await _cli.RunOkAsync(kind, "quickstart", project, "--storage", uri);
        string now = await _cli.RunOkAsync(kind, "sql", "--project", project, "--format", "csv", "SELECT count(*) FROM silver.customers");
        string first = await _cli.RunOkAsync(kind, "sql", "--project", project, "--format", "csv", "SELECT count(*) FROM silver.customers AT (VERSION => 0)");
        await _cli.RunOkAsync(kind, "delta", "vacuum", uri + "/silver/customers", "--retain", "0h", "--force");
        string afterVacuum = await _cli.RunOkAsync(kind, "sql", "--project", project, "--format", "csv", "SELECT count(*) FROM silver.customers");

        Assert.Contains("second run", quickstart, StringComparison.Ordinal);
        Assert.Contains(await StoreCli.ListAsync(kind, uri + "/gold/"), key => key.Contains("/_delta_log/", StringComparison.Ordinal));
        Assert.True(long.Parse(now.Trim().Split('\n')[^1], System.Globalization.CultureInfo.InvariantCulture) > long.Parse(first.Trim().Split('\n')[^1], System.Globalization.CultureInfo.InvariantCulture), $"{now} after {first}");
        Assert.Equal(now, afterVacuum);
        Assert.False(Directory.Exists(Path.Combine(project, "warehouse")));
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    [InlineData("gs")]
    public async Task Tables_and_history_of_a_project_on_a_store_show_each_tables_rows_and_versions(string kind)
    {
        string uri = await StoreCli.NewTableAsync(kind);
        string project = Path.Combine(_cli.Directory, "listed");
        Directory.CreateDirectory(Path.Combine(project, "models", "silver"));
        await File.WriteAllTextAsync(Path.Combine(project, "medallion.yml"), $"name: listed\nstorage: {uri}\n");
        await File.WriteAllTextAsync(Path.Combine(project, "models", "silver", "numbers.sql"), "SELECT i AS id FROM range(5) t(i)\n");
        await _cli.RunOkAsync(kind, "run", "--project", project);
        await _cli.RunOkAsync(kind, "run", "--project", project);

        JsonElement tables = JsonDocument.Parse(await _cli.RunOkAsync(kind, "tables", "--project", project, "--format", "json")).RootElement;
        JsonElement history = JsonDocument.Parse(await _cli.RunOkAsync(kind, "history", "silver.numbers", "--project", project, "--format", "json")).RootElement;

        JsonElement numbers = Assert.Single(tables.EnumerateArray(), t => CatalogCommandTests.Name(t.GetProperty("name")) == "silver.numbers");
        Assert.Equal((5L, 1L), (numbers.GetProperty("rows").GetInt64(), numbers.GetProperty("version").GetInt64()));
        Assert.Equal([1L, 0L], history.EnumerateArray().Select(v => v.GetProperty("version").GetInt64()));
    }
}
