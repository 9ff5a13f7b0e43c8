using System.Diagnostics;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Azure.Storage.Blobs;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion delta</c> on s3:// and az:// URIs, in a process whose environment holds only the standard variables
/// a shell that talks to the store already has (moto from build/test-setup/moto.sh, Azurite from azurite.sh).
/// </summary>
public sealed class ObjectStoreCommandTests : IDisposable
{
    private const string Bucket = "medallion-cli-tests";
    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly string s_s3Endpoint = Environment.GetEnvironmentVariable("MEDALLION_TEST_S3_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:55900";
    private static readonly string s_blobEndpoint = Environment.GetEnvironmentVariable("MEDALLION_TEST_AZURE_BLOB_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:55910/devstoreaccount1";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "medallion-cli-store-" + Guid.NewGuid().ToString("N"));

    public ObjectStoreCommandTests() => Directory.CreateDirectory(Path.Combine(_directory, "cwd"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string AzuriteConnectionString => $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteKey};BlobEndpoint={s_blobEndpoint};";

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    public async Task Create_write_read_and_history_work_on_a_store_uri_with_only_the_standard_variables(string kind)
    {
        string uri = await NewTableAsync(kind);

        await RunOkAsync(kind, "delta", "create", uri, "--schema", "id long NOT NULL, name string");
        await RunOkAsync(kind, "delta", "write", uri, "--from", "SELECT i AS id, 'n' || i AS name FROM range(3) t(i)");
        await RunOkAsync(kind, "delta", "write", uri, "--from", "SELECT 9 AS id, 'nine' AS name");
        JsonElement rows = JsonDocument.Parse(await RunOkAsync(kind, "delta", "read", uri, "--format", "json")).RootElement;
        JsonElement first = JsonDocument.Parse(await RunOkAsync(kind, "delta", "read", uri, "--version", "1", "--format", "json")).RootElement;
        JsonElement history = JsonDocument.Parse(await RunOkAsync(kind, "delta", "history", uri, "--format", "json")).RootElement;

        Assert.Equal([0L, 1L, 2L, 9L], rows.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).Order());
        Assert.Equal(3, first.GetArrayLength());
        Assert.Equal(3, history.GetArrayLength());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_directory, "cwd")));
    }

    [Fact]
    public async Task A_missing_bucket_fails_with_the_store_error_naming_the_bucket()
    {
        (int exit, _, string error) = await RunAsync("s3", "delta", "read", "s3://no-such-bucket-cli/t");

        Assert.Equal(1, exit);
        Assert.StartsWith("Error MDL5007: Could not read '_delta_log/_last_checkpoint' in 's3://no-such-bucket-cli/t': the bucket 'no-such-bucket-cli' does not exist.\nHelp: create the bucket", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    public async Task A_project_on_a_store_runs_with_the_stores_settings_in_storage_options_as_env_references(string kind)
    {
        string uri = await NewTableAsync(kind);
        string project = Path.Combine(_directory, "project");
        Directory.CreateDirectory(Path.Combine(project, "models", "silver"));
        string options = kind == "s3"
            ? "  AWS_ENDPOINT_URL_S3: ${LAKE_ENDPOINT}\n  AWS_ACCESS_KEY_ID: ${LAKE_KEY}\n  AWS_SECRET_ACCESS_KEY: ${LAKE_SECRET}\n  AWS_REGION: us-east-1\n"
            : "  AZURE_STORAGE_CONNECTION_STRING: ${LAKE_CONNECTION}\n";
        await File.WriteAllTextAsync(Path.Combine(project, "medallion.yml"), $"name: stored\nstorage: {uri}\nstorage_options:\n{options}");
        await File.WriteAllTextAsync(Path.Combine(project, "models", "silver", "numbers.sql"), "SELECT i AS id FROM range(5) t(i)\n");
        Dictionary<string, string> variables = kind == "s3"
            ? new() { ["LAKE_ENDPOINT"] = s_s3Endpoint, ["LAKE_KEY"] = "testing", ["LAKE_SECRET"] = "testing" }
            : new() { ["LAKE_CONNECTION"] = AzuriteConnectionString };

        (int exit, string output, string error) = await RunAsync(variables, "run", "--project", project);
        (int missingExit, _, string missing) = await RunAsync([], "run", "--project", project);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Contains("silver.numbers", output, StringComparison.Ordinal);
        Assert.Contains(await ListAsync(kind, uri + "/silver/numbers/_delta_log/"), key => key.EndsWith("00000000000000000000.json", StringComparison.Ordinal));
        Assert.Equal(1, missingExit);
        Assert.Contains(kind == "s3" ? "LAKE_ENDPOINT" : "LAKE_CONNECTION", missing, StringComparison.Ordinal);
        Assert.DoesNotContain("testing", output + error + missing, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    public async Task The_quickstart_on_a_store_runs_twice_and_its_tables_answer_sql_time_travel_and_vacuum(string kind)
    {
        string uri = await NewTableAsync(kind);
        string project = Path.Combine(_directory, "demo");

        string quickstart = await RunOkAsync(kind, "quickstart", project, "--storage", uri);
        string now = await RunOkAsync(kind, "sql", "--project", project, "--format", "csv", "SELECT count(*) FROM silver.customers");
        string first = await RunOkAsync(kind, "sql", "--project", project, "--format", "csv", "SELECT count(*) FROM silver.customers AT (VERSION => 0)");
        await RunOkAsync(kind, "delta", "vacuum", uri + "/silver/customers", "--retain", "0h", "--force");
        string afterVacuum = await RunOkAsync(kind, "sql", "--project", project, "--format", "csv", "SELECT count(*) FROM silver.customers");

        Assert.Contains("second run", quickstart, StringComparison.Ordinal);
        Assert.Contains(await ListAsync(kind, uri + "/gold/"), key => key.Contains("/_delta_log/", StringComparison.Ordinal));
        Assert.True(long.Parse(now.Trim().Split('\n')[^1], System.Globalization.CultureInfo.InvariantCulture) > long.Parse(first.Trim().Split('\n')[^1], System.Globalization.CultureInfo.InvariantCulture), $"{now} after {first}");
        Assert.Equal(now, afterVacuum);
        Assert.False(Directory.Exists(Path.Combine(project, "warehouse")));
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    public async Task Tables_and_history_of_a_project_on_a_store_show_each_tables_rows_and_versions(string kind)
    {
        string uri = await NewTableAsync(kind);
        string project = Path.Combine(_directory, "listed");
        Directory.CreateDirectory(Path.Combine(project, "models", "silver"));
        await File.WriteAllTextAsync(Path.Combine(project, "medallion.yml"), $"name: listed\nstorage: {uri}\n");
        await File.WriteAllTextAsync(Path.Combine(project, "models", "silver", "numbers.sql"), "SELECT i AS id FROM range(5) t(i)\n");
        await RunOkAsync(kind, "run", "--project", project);
        await RunOkAsync(kind, "run", "--project", project);

        JsonElement tables = JsonDocument.Parse(await RunOkAsync(kind, "tables", "--project", project, "--format", "json")).RootElement;
        JsonElement history = JsonDocument.Parse(await RunOkAsync(kind, "history", "silver.numbers", "--project", project, "--format", "json")).RootElement;

        JsonElement numbers = Assert.Single(tables.EnumerateArray(), t => t.GetProperty("table").GetString() == "silver.numbers");
        Assert.Equal((5L, 1L), (numbers.GetProperty("rows").GetInt64(), numbers.GetProperty("version").GetInt64()));
        Assert.Equal([1L, 0L], history.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt64()));
    }

    private static async Task<List<string>> ListAsync(string kind, string uri)
    {
        string path = uri[(uri.IndexOf('/', uri.IndexOf("://", StringComparison.Ordinal) + 3) + 1)..];
        var keys = new List<string>();
        if (kind == "s3")
        {
            using var s3 = new AmazonS3Client(new BasicAWSCredentials("testing", "testing"), new AmazonS3Config { ServiceURL = s_s3Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
            keys.AddRange((await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = Bucket, Prefix = path })).S3Objects.Select(o => o.Key));
        }
        else
        {
            await foreach (Azure.Storage.Blobs.Models.BlobItem blob in new BlobContainerClient(AzuriteConnectionString, Bucket).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, path, CancellationToken.None))
            {
                keys.Add(blob.Name);
            }
        }

        return keys;
    }

    private async Task<string> NewTableAsync(string kind)
    {
        string name = "t-" + Guid.NewGuid().ToString("N");
        if (kind == "s3")
        {
            using var s3 = new AmazonS3Client(new BasicAWSCredentials("testing", "testing"), new AmazonS3Config { ServiceURL = s_s3Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
            try
            {
                await s3.PutBucketAsync(Bucket);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
            {
            }

            return $"s3://{Bucket}/{name}";
        }

        await new BlobContainerClient(AzuriteConnectionString, Bucket).CreateIfNotExistsAsync();
        return $"az://{Bucket}/{name}";
    }

    private async Task<string> RunOkAsync(string kind, params string[] args)
    {
        (int exit, string output, string error) = await RunAsync(kind, args);
        Assert.True(exit == 0, $"medallion {string.Join(' ', args)}: exit {exit}: {error}");
        return output;
    }

    /// <summary>Runs medallion in a process of its own with the store's standard variables, the cache in this test's folder.</summary>
    private Task<(int Exit, string Output, string Error)> RunAsync(string kind, params string[] args) =>
        RunAsync(kind == "s3"
            ? new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "testing", ["AWS_SECRET_ACCESS_KEY"] = "testing", ["AWS_REGION"] = "us-east-1", ["AWS_ENDPOINT_URL_S3"] = s_s3Endpoint }
            : new Dictionary<string, string> { ["AZURE_STORAGE_CONNECTION_STRING"] = AzuriteConnectionString },
            args);

    /// <summary>Runs medallion in a process of its own with <paramref name="variables"/> and none of the stores' standard variables, the cache in this test's folder.</summary>
    private async Task<(int Exit, string Output, string Error)> RunAsync(Dictionary<string, string> variables, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = Path.Combine(_directory, "cwd"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "medallion.dll"));
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k.StartsWith("AZURE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["MEDALLION_CACHE_DIR"] = Path.Combine(_directory, "cache");
        foreach ((string name, string value) in variables)
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output, await error);
    }
}
