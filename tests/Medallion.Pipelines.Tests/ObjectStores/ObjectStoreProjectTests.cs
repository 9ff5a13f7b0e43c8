using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Azure.Storage.Blobs;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Pipelines.Running;
using Medallion.Storage;

namespace Medallion.Pipelines.Tests.ObjectStores;

/// <summary>
/// A quickstart-like project (a CSV source into bronze, an incremental silver model, a gold aggregate) whose
/// <c>storage</c> is an object store: run, incremental run, SQL over the lakehouse, time travel and vacuum, with the
/// store reached through the standard environment variables only. Run on moto (S3), on Azurite (Azure Blob) and on
/// the GCS test server.
/// </summary>
public abstract class ObjectStoreProjectTests : IDisposable
{
    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly Lazy<Task> s_servers = new(PrepareAsync);
    private readonly string _storage;
    private readonly TestProject _project;

    protected ObjectStoreProjectTests(string scheme)
    {
        s_servers.Value.GetAwaiter().GetResult();
        _storage = $"{scheme}://medallion-pipeline-tests/p-{Guid.NewGuid():N}";
        _project = new TestProject($"name: shop\nstorage: {_storage}\ncache:\n  path: .cache\n  max_size: 1GB\n");
        _project.WithSources("orders")
            .Write("data/orders/1.csv", "id,amount\n1,10\n2,20\n")
            .Write("models/silver/orders.sql", "/* ---\nmaterialized: append\n--- */\nSELECT id, amount FROM bronze.orders")
            .Write("models/gold/revenue.sql", "SELECT count(*) AS orders, sum(amount) AS revenue FROM silver.orders");
    }

    /// <summary>Completes once moto, Azurite and the GCS test server are reachable through the standard variables, with the bucket and the container made.</summary>
    internal static Task ServersReady => s_servers.Value;

    public void Dispose()
    {
        _project.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Run_incremental_run_sql_time_travel_and_vacuum_work_on_object_storage()
    {
        RunResult first = await ProjectRunner.RunAsync(await _project.LoadAsync());
        _project.Write("data/orders/2.csv", "id,amount\n3,30\n");
        RunResult second = await ProjectRunner.RunAsync(await _project.LoadAsync());

        Assert.True(first.Succeeded, string.Join("; ", first.Steps.Select(s => s.Error)));
        Assert.True(second.Succeeded, string.Join("; ", second.Steps.Select(s => s.Error)));
        Assert.Equal((RunMode.Incremental, 1L), (second[new TableName("silver", "orders")].Mode, second[new TableName("silver", "orders")].RowsWritten));
        Assert.Equal(["3|60"], await QueryAsync("SELECT orders, revenue FROM gold.revenue"));
        Assert.Equal(["1", "2", "3"], await QueryAsync("SELECT id FROM silver.orders ORDER BY id"));
        Assert.Equal(["2|30"], await QueryAsync("SELECT orders, revenue FROM gold.revenue AT (VERSION => 0)"));

        DeltaOperationResult vacuum;
        using (var connection = new DuckDbConnection())
        {
            connection.Open();
            vacuum = await new DeltaWriter(connection).VacuumAsync(_storage + "/gold/revenue", TimeSpan.Zero, force: true);
        }

        Assert.Single(vacuum.Paths);
        Assert.Equal(["3|60"], await QueryAsync("SELECT orders, revenue FROM gold.revenue"));
        // The cache setting is the process's (one cache per machine); test classes running at once each set theirs, so only the setting is checked here.
        ObjectCache cache = (await _project.LoadAsync()).Cache!;
        Assert.Equal((Path.Combine(_project.Directory, ".cache"), 1L << 30), (cache.Directory, cache.MaxSizeBytes));
    }

    private async Task<List<string>> QueryAsync(string sql)
    {
        await using LakehouseSession session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(_storage));
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync(sql);
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    /// <summary>Points the standard variables at moto, Azurite and the GCS test server (as a shell that talks to them would) and creates the buckets and the container.</summary>
    private static async Task PrepareAsync()
    {
        string s3 = Environment.GetEnvironmentVariable("MEDALLION_TEST_S3_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:55900";
        string blob = Environment.GetEnvironmentVariable("MEDALLION_TEST_AZURE_BLOB_ENDPOINT") is { Length: > 0 } b ? b : "http://127.0.0.1:55910/devstoreaccount1";
        string connectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteKey};BlobEndpoint={blob};";
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "testing");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "testing");
        Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", s3);
        Environment.SetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING", connectionString);
        GcsTestServer gcs = await GcsTestServer.SharedAsync();
        gcs.CreateBucket("medallion-pipeline-tests");
        Environment.SetEnvironmentVariable("STORAGE_EMULATOR_HOST", gcs.EmulatorHost);
        using var client = new AmazonS3Client(new BasicAWSCredentials("testing", "testing"), new AmazonS3Config { ServiceURL = s3, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        try
        {
            await client.PutBucketAsync("medallion-pipeline-tests");
        }
        catch (AmazonS3Exception x) when (x.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }

        await new BlobContainerClient(connectionString, "medallion-pipeline-tests").CreateIfNotExistsAsync();
    }
}

public sealed class S3ProjectTests() : ObjectStoreProjectTests("s3");

public sealed class AzureBlobProjectTests() : ObjectStoreProjectTests("az");

public sealed class GcsProjectTests() : ObjectStoreProjectTests("gs");
