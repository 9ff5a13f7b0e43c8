using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Azure.Storage.Blobs;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;
using Medallion.Catalog;
using Medallion.Delta.Iceberg;
using Medallion.Engine;
using Medallion.PgWire;
using Medallion.Storage.Azure;
using Medallion.Storage.Gcs;
using Medallion.Storage.S3;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>
/// The shop project with its lake on an object store (moto's S3, Azurite, the GCS test server), served for the temporary-credentials tests,
/// with the admin <c>ana</c> and <c>rita</c>, granted gold.revenue, each with an API token, and a UniForm table
/// (gold.orders_iceberg) for the Iceberg REST catalog's vended credentials.
/// </summary>
public abstract class UcStoreProject : IAsyncLifetime
{
    public const string Bucket = "medallion-uc-tests";

    public static Uri MotoEndpoint { get; } = new(Environment.GetEnvironmentVariable("MEDALLION_TEST_S3_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:55900");

    public static string AzuriteEndpoint { get; } = Environment.GetEnvironmentVariable("MEDALLION_TEST_AZURE_BLOB_ENDPOINT") is { Length: > 0 } b ? b : "http://127.0.0.1:55910/devstoreaccount1";

    public static string AzuriteConnectionString { get; } =
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint={AzuriteEndpoint};";

    public ServedProject Served { get; private set; } = null!;

    /// <summary>The project's storage root, a fresh folder of the test bucket or container.</summary>
    public string Storage { get; } = $"p-{Guid.NewGuid():N}";

    public AuthenticationHeaderValue Admin { get; private set; } = null!;

    public AuthenticationHeaderValue Rita { get; private set; } = null!;

    /// <summary>The project's <c>storage:</c> and <c>storage_options:</c>, as <c>medallion.yml</c> lines.</summary>
    protected abstract Task<string> StorageSettingsAsync();

    public virtual async Task InitializeAsync()
    {
        StorageResolver.Register(new S3StoreProvider(), new AzureBlobStoreProvider(), new GcsStoreProvider());
        string settings = await StorageSettingsAsync();
        Served = await ServedProject.StartAsync(more: files => files
            .Write("medallion.yml", "name: shop\n" + settings + "cache:\n  path: .cache\n  max_size: 1GB\n")
            .Write("models/gold/orders_iceberg.sql", $"""
                /* ---
                table_properties:
                  {UniForm.EnabledFormatsProperty}: iceberg
                  {UniForm.IcebergCompatV2Property}: true
                --- */
                SELECT order_id, amount FROM silver.orders
                """));
        CatalogStore catalog = Served.Catalog;
        Admin = ServedProject.Bearer((await catalog.Identity.CreateApiTokenAsync("ana", null)).Secret);
        await catalog.Identity.SetUserAsync("rita", PgUserStore.CreateScramVerifier("rita-secret"));
        await catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "gold.revenue", [], GranteeKind.User, "rita"), ["gold.revenue"]);
        Rita = ServedProject.Bearer((await catalog.Identity.CreateApiTokenAsync("rita", null)).Secret);
    }

    public virtual async Task DisposeAsync() => await Served.DisposeAsync();

    /// <summary>Asks credentials for <paramref name="fullName"/> (by its id) as <paramref name="who"/>: they must be issued, valid for the document's schema.</summary>
    public async Task<JsonElement> CredentialsAsync(string fullName, string operation, AuthenticationHeaderValue who)
    {
        (int status, JsonElement body) = await UcHttp.PostAsync(Served, UnityCatalogProject.Prefix + "/temporary-table-credentials", JsonSerializer.Serialize(new { table_id = await TableIdAsync(fullName), operation }), who);
        Assert.True(status == 200, $"{status}: {body}");
        UcSchemas.AssertValid("TemporaryCredentials", body);
        return body;
    }

    /// <summary>The table id getTable gives <paramref name="fullName"/> (schema.table).</summary>
    public async Task<string> TableIdAsync(string fullName)
    {
        using HttpResponseMessage table = await Served.GetAsync(UnityCatalogProject.Prefix + "/tables/shop." + fullName, Admin);
        return JsonDocument.Parse(await table.Content.ReadAsStringAsync()).RootElement.GetProperty("table_id").GetString()!;
    }
}

/// <summary>The lake on moto's S3; STS reached through <see cref="Sts"/>, which records what the server asks.</summary>
public sealed class UcS3Project : UcStoreProject
{
    public const string RoleArn = "arn:aws:iam::123456789012:role/medallion-readers";

    public StsRecorder Sts { get; private set; } = null!;

    public static AmazonS3Client Client(AWSCredentials credentials) =>
        new(credentials, new AmazonS3Config { ServiceURL = MotoEndpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    protected override async Task<string> StorageSettingsAsync()
    {
        using (AmazonS3Client client = Client(new BasicAWSCredentials("testing", "testing")))
        {
            try
            {
                await client.PutBucketAsync(Bucket);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
            {
            }
        }

        Sts = await StsRecorder.StartAsync(MotoEndpoint);
        return $"""
            storage: s3://{Bucket}/{Storage}
            storage_options:
              AWS_ENDPOINT_URL_S3: {MotoEndpoint}
              AWS_ACCESS_KEY_ID: testing
              AWS_SECRET_ACCESS_KEY: testing
              AWS_REGION: us-east-1
              AWS_ENDPOINT_URL_STS: {Sts.Address}
              MEDALLION_CREDENTIAL_ROLE_ARN: {RoleArn}
              MEDALLION_CREDENTIAL_LIFETIME: 20m

            """;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Sts.DisposeAsync();
    }
}

/// <summary>
/// The lake on Azurite, with SAS limited to a table's container (<c>MEDALLION_AZURE_SAS_SCOPE: container</c>): Azurite,
/// like an account without a hierarchical namespace, has no directory SAS. Its container is the project's own.
/// </summary>
public sealed class UcAzureProject : UcStoreProject
{
    /// <summary>The project's container.</summary>
    public string Container { get; } = "uc-" + Guid.NewGuid().ToString("N");

    protected override async Task<string> StorageSettingsAsync()
    {
        await new BlobContainerClient(AzuriteConnectionString, Container).CreateIfNotExistsAsync();
        return $"""
            storage: az://{Container}/{Storage}
            storage_options:
              AZURE_STORAGE_CONNECTION_STRING: "{AzuriteConnectionString}"
              MEDALLION_AZURE_SAS_SCOPE: container

            """;
    }
}

/// <summary>
/// The lake on the GCS test server, which also plays Google's OAuth token endpoint (for the server's service account)
/// and its STS, whose downscoped tokens the test server holds to their access boundary; with <c>fay</c>, granted
/// silver.orders under a row filter.
/// </summary>
public sealed class UcGcsProject : UcStoreProject
{
    private readonly RSA _key = RSA.Create(2048);

    public GcsTestServer Gcs { get; private set; } = null!;

    public AuthenticationHeaderValue Fay { get; private set; } = null!;

    /// <summary>A client of the test server that sends <paramref name="token"/>, as another engine uses a vended token.</summary>
    public StorageClient ClientWith(string token) =>
        new StorageClientBuilder { BaseUri = new Uri(Gcs.Endpoint, "storage/v1/").ToString(), Credential = GoogleCredential.FromAccessToken(token) }.Build();

    protected override async Task<string> StorageSettingsAsync()
    {
        Gcs = await GcsTestServer.StartAsync(new GcsTestServerOptions { ServiceAccountKey = _key });
        Gcs.CreateBucket(Bucket);
        // One line, so it is a plain YAML scalar: the key's newlines are JSON escapes, and JSON holds no single quote.
        string key = System.Text.Json.Nodes.JsonNode.Parse(Gcs.ServiceAccountJson())!.ToJsonString();
        return $"""
            storage: gs://{Bucket}/{Storage}
            storage_options:
              STORAGE_EMULATOR_HOST: {Gcs.EmulatorHost}
              GOOGLE_SERVICE_ACCOUNT_KEY: '{key}'
              MEDALLION_GCS_STS_ENDPOINT: {Gcs.Endpoint}

            """;
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        CatalogStore catalog = Served.Catalog;
        await catalog.Identity.SetUserAsync("fay", PgUserStore.CreateScramVerifier("fay-secret"));
        await catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", [], GranteeKind.User, "fay"), ["silver.orders"]);
        await catalog.Access.SetRowFilterAsync(new RowFilter("silver.orders", GranteeKind.User, "fay", "order_id = 1"), ["silver.orders"]);
        Fay = ServedProject.Bearer((await catalog.Identity.CreateApiTokenAsync("fay", null)).Secret);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Gcs.DisposeAsync();
        _key.Dispose();
    }
}
