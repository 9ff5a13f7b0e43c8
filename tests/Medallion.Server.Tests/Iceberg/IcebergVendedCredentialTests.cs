using System.Net.Http.Headers;
using System.Text.Json;
using System.Web;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Azure;
using Azure.Storage.Blobs;
using Medallion.Server.Tests.UnityCatalog;

namespace Medallion.Server.Tests.Iceberg;

/// <summary>
/// loadTable with <c>X-Iceberg-Access-Delegation: vended-credentials</c> for a UniForm table on moto's S3: the key in
/// <c>config</c> and <c>storage-credentials</c> (S3FileIO's property names) reads the table's metadata and data files, was
/// issued under the same role, lifetime and prefix policy as Unity Catalog's, and is audited without its secret.
/// </summary>
public sealed class IcebergS3VendedCredentialTests(UcS3Project project) : IClassFixture<UcS3Project>
{
    [Fact]
    public async Task The_vended_key_reads_the_metadata_file_the_answer_names()
    {
        JsonElement result = await IcebergVending.LoadAsync(project, project.Admin);
        IReadOnlyDictionary<string, string> config = IcebergVending.Credential(result, $"s3://{UcStoreProject.Bucket}/{project.Storage}/gold/orders_iceberg");
        using AmazonS3Client client = UcS3Project.Client(new SessionAWSCredentials(config["s3.access-key-id"], config["s3.secret-access-key"], config["s3.session-token"]));

        string location = result.GetProperty("metadata-location").GetString()!;
        using GetObjectResponse metadata = await client.GetObjectAsync(UcStoreProject.Bucket, location[$"s3://{UcStoreProject.Bucket}/".Length..]);
        string read = await new StreamReader(metadata.ResponseStream).ReadToEndAsync();

        IcebergVending.AssertIsTheMetadata(result, read);
    }

    [Fact]
    public async Task Config_and_storage_credentials_carry_the_same_key_and_its_expiry()
    {
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        JsonElement result = await IcebergVending.LoadAsync(project, project.Admin);
        IReadOnlyDictionary<string, string> credential = IcebergVending.CredentialAlsoInConfig(result, $"s3://{UcStoreProject.Bucket}/{project.Storage}/gold/orders_iceberg");

        Assert.Equal(["s3.access-key-id", "s3.secret-access-key", "s3.session-token", "s3.session-token-expires-at-ms"], credential.Keys.Order(StringComparer.Ordinal));
        Assert.InRange(long.Parse(credential["s3.session-token-expires-at-ms"], System.Globalization.CultureInfo.InvariantCulture), before + 19 * 60_000, before + 21 * 60_000);
    }

    [Fact]
    public async Task The_key_is_a_READ_key_whose_policy_names_only_the_tables_prefix()
    {
        await IcebergVending.LoadAsync(project, project.Admin);
        IReadOnlyDictionary<string, string> request = project.Sts.Requests.Last(r => r.TryGetValue("Action", out string? action) && action == "AssumeRole");

        Assert.Equal((UcS3Project.RoleArn, "medallion-ana"), (request["RoleArn"], request["RoleSessionName"]));
        Assert.Contains($"arn:aws:s3:::{UcStoreProject.Bucket}/{project.Storage}/gold/orders_iceberg/*", request["Policy"], StringComparison.Ordinal);
        Assert.DoesNotContain("s3:PutObject", request["Policy"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_audit_names_the_key_but_never_its_secret()
    {
        JsonElement result = await IcebergVending.LoadAsync(project, project.Admin);
        IReadOnlyDictionary<string, string> config = IcebergVending.Credential(result, $"s3://{UcStoreProject.Bucket}/{project.Storage}/gold/orders_iceberg");

        string audited = await project.Served.WaitForSqlAsync(
            $"SELECT concat_ws('|', \"user\", target, outcome, details::json->>'credentials') FROM medallion_audit.events WHERE action = 'credentials.issue' AND (details::json->>'access_key_id') = '{config["s3.access-key-id"]}'",
            "ana|gold.orders_iceberg|ok|aws-sts");
        string secrets = await project.Served.SqlScalarAsync(
            $"SELECT count(*) FROM medallion_audit.events WHERE contains(concat_ws('|', statement, target, details, error_message), '{config["s3.secret-access-key"]}') OR contains(concat_ws('|', statement, target, details, error_message), '{config["s3.session-token"][..40]}')");

        Assert.Equal(("ana|gold.orders_iceberg|ok|aws-sts", "0"), (audited, secrets));
    }

    [Fact]
    public async Task A_reader_not_granted_the_table_gets_no_key()
    {
        using HttpResponseMessage response = await IcebergVending.SendAsync(project, project.Rita);

        Assert.Equal(404, (int)response.StatusCode);
        Assert.DoesNotContain("s3.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

/// <summary>
/// loadTable's vended credentials for a UniForm table on Azurite: ADLSFileIO's <c>adls.sas-token.&lt;account host&gt;</c>
/// is a SAS that reads the table's metadata file, refuses a write, and expires when its expiry property says.
/// </summary>
public sealed class IcebergAzureVendedCredentialTests(UcAzureProject project) : IClassFixture<UcAzureProject>
{
    private const string Host = "devstoreaccount1.dfs.core.windows.net";

    [Fact]
    public async Task The_vended_SAS_reads_the_metadata_file_the_answer_names()
    {
        JsonElement result = await IcebergVending.LoadAsync(project, project.Admin);
        BlobContainerClient container = WithSas(result);

        string location = result.GetProperty("metadata-location").GetString()!;
        string key = location[$"abfss://{project.Container}@{Host}/".Length..];
        BinaryData content = (await container.GetBlobClient(key).DownloadContentAsync()).Value.Content;

        using JsonDocument read = JsonDocument.Parse(content.ToString());
        Assert.True(JsonElement.DeepEquals(read.RootElement, result.GetProperty("metadata")));
    }

    [Fact]
    public async Task The_metadata_names_the_tables_files_by_the_abfss_uri_iceberg_file_systems_know_adls_by()
    {
        JsonElement result = await IcebergVending.LoadAsync(project, project.Admin);

        Assert.Equal($"abfss://{project.Container}@{Host}/{project.Storage}/gold/orders_iceberg", result.GetProperty("metadata").GetProperty("location").GetString());
        Assert.StartsWith($"abfss://{project.Container}@{Host}/", result.GetProperty("metadata-location").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_vended_SAS_is_refused_a_write()
    {
        BlobContainerClient container = WithSas(await IcebergVending.LoadAsync(project, project.Admin));

        RequestFailedException refused = await Assert.ThrowsAsync<RequestFailedException>(() =>
            container.GetBlobClient(project.Storage + "/gold/orders_iceberg/metadata/v999-forged.metadata.json").UploadAsync(BinaryData.FromString("{}")));

        Assert.Equal(403, refused.Status);
    }

    [Fact]
    public async Task The_expiry_property_is_the_SASs_own()
    {
        IReadOnlyDictionary<string, string> config = IcebergVending.Credential(await IcebergVending.LoadAsync(project, project.Admin), $"abfss://{project.Container}@{Host}/{project.Storage}/gold/orders_iceberg");

        DateTimeOffset expiry = DateTimeOffset.Parse(HttpUtility.ParseQueryString(config["adls.sas-token." + Host])["se"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expiry.ToUnixTimeMilliseconds() / 1000, long.Parse(config["adls.sas-token-expires-at-ms." + Host], System.Globalization.CultureInfo.InvariantCulture) / 1000);
    }

    private BlobContainerClient WithSas(JsonElement result)
    {
        IReadOnlyDictionary<string, string> config = IcebergVending.Credential(result, $"abfss://{project.Container}@{Host}/{project.Storage}/gold/orders_iceberg");
        return new BlobContainerClient(new Uri($"{UcStoreProject.AzuriteEndpoint}/{project.Container}"), new AzureSasCredential(config["adls.sas-token." + Host]));
    }
}

/// <summary>
/// loadTable's vended credentials for a UniForm table on the GCS test server: GCSFileIO's <c>gcs.oauth2.token</c> is a
/// downscoped token that reads the table's metadata file, with <c>gcs.oauth2.token-expires-at</c>, in both
/// <c>config</c> and <c>storage-credentials</c>, exchanged under a read boundary of the table's folder.
/// </summary>
public sealed class IcebergGcsVendedCredentialTests(UcGcsProject project) : IClassFixture<UcGcsProject>
{
    [Fact]
    public async Task The_vended_token_reads_the_metadata_file_the_answer_names()
    {
        JsonElement result = await IcebergVending.LoadAsync(project, project.Admin);
        IReadOnlyDictionary<string, string> config = IcebergVending.Credential(result, $"gs://{UcStoreProject.Bucket}/{project.Storage}/gold/orders_iceberg");
        using Google.Cloud.Storage.V1.StorageClient client = project.ClientWith(config["gcs.oauth2.token"]);

        string location = result.GetProperty("metadata-location").GetString()!;
        using var metadata = new MemoryStream();
        await client.DownloadObjectAsync(UcStoreProject.Bucket, location[$"gs://{UcStoreProject.Bucket}/".Length..], metadata);

        IcebergVending.AssertIsTheMetadata(result, System.Text.Encoding.UTF8.GetString(metadata.ToArray()));
    }

    [Fact]
    public async Task Config_and_storage_credentials_carry_the_same_token_and_its_expiry()
    {
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        JsonElement result = await IcebergVending.LoadAsync(project, project.Admin);
        IReadOnlyDictionary<string, string> credential = IcebergVending.CredentialAlsoInConfig(result, $"gs://{UcStoreProject.Bucket}/{project.Storage}/gold/orders_iceberg");

        Assert.Equal(["gcs.oauth2.token", "gcs.oauth2.token-expires-at"], credential.Keys.Order(StringComparer.Ordinal));
        Assert.InRange(long.Parse(credential["gcs.oauth2.token-expires-at"], System.Globalization.CultureInfo.InvariantCulture), before + 55 * 60_000, before + 61 * 60_000);
    }

    [Fact]
    public async Task The_token_is_a_READ_token_bounded_to_the_tables_folder()
    {
        await IcebergVending.LoadAsync(project, project.Admin);
        string boundary = project.Gcs.ExchangedBoundaries[^1];

        Assert.Contains($"'projects/_/buckets/{UcStoreProject.Bucket}/objects/{project.Storage}/gold/orders_iceberg/'", boundary, StringComparison.Ordinal);
        Assert.Contains("\"inRole:roles/storage.objectViewer\"", boundary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reader_not_granted_the_table_gets_no_token()
    {
        using HttpResponseMessage response = await IcebergVending.SendAsync(project, project.Rita);

        Assert.Equal(404, (int)response.StatusCode);
        Assert.DoesNotContain("gcs.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

/// <summary>loadTable of gold.orders_iceberg asking for vended credentials, as Iceberg's REST client does.</summary>
internal static class IcebergVending
{
    public static async Task<HttpResponseMessage> SendAsync(UcStoreProject project, AuthenticationHeaderValue who)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, IcebergRestProject.Prefix + "/namespaces/gold/tables/orders_iceberg");
        request.Headers.Authorization = who;
        request.Headers.Add("X-Iceberg-Access-Delegation", "vended-credentials");
        return await project.Served.Http.SendAsync(request);
    }

    /// <summary>The answer, which must be 200.</summary>
    public static async Task<JsonElement> LoadAsync(UcStoreProject project, AuthenticationHeaderValue who)
    {
        using HttpResponseMessage response = await SendAsync(project, who);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The one storage credential of <paramref name="result"/>, which must be for <paramref name="prefix"/>.</summary>
    public static IReadOnlyDictionary<string, string> Credential(JsonElement result, string prefix)
    {
        JsonElement credential = Assert.Single(result.GetProperty("storage-credentials").EnumerateArray());
        Assert.Equal(prefix, credential.GetProperty("prefix").GetString());
        return credential.GetProperty("config").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    /// <summary>Asserts that <paramref name="read"/>, a metadata file read with vended credentials, is the metadata <paramref name="result"/> holds.</summary>
    public static void AssertIsTheMetadata(JsonElement result, string read)
    {
        using JsonDocument document = JsonDocument.Parse(read);
        Assert.True(JsonElement.DeepEquals(document.RootElement, result.GetProperty("metadata")));
    }

    /// <summary>The one storage credential of <paramref name="result"/> for <paramref name="prefix"/>, which <c>config</c> must repeat exactly.</summary>
    public static IReadOnlyDictionary<string, string> CredentialAlsoInConfig(JsonElement result, string prefix)
    {
        IReadOnlyDictionary<string, string> credential = Credential(result, prefix);
        Dictionary<string, string> config = result.GetProperty("config").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(credential.OrderBy(p => p.Key, StringComparer.Ordinal), config.OrderBy(p => p.Key, StringComparer.Ordinal));
        return credential;
    }
}
