using System.Text;
using System.Text.Json;
using Google;
using Google.Cloud.Storage.V1;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>
/// Temporary credentials for tables on Google Cloud Storage: the server's own token (its service account's, from the
/// test server's token endpoint) exchanged at STS for a downscoped token under a Credential Access Boundary of the
/// table's folder. The test server's STS records each boundary and its JSON API holds each downscoped token to it, so
/// a token reads and lists its table and is refused (403) everywhere else.
/// </summary>
public sealed class GcsCredentialTests(UcGcsProject project) : IClassFixture<UcGcsProject>
{
    [Theory]
    [InlineData("rita", "gold.revenue", "READ", "inRole:roles/storage.objectViewer")]
    [InlineData("ana", "silver.orders", "READ_WRITE", "inRole:roles/storage.objectAdmin")]
    public async Task The_token_is_exchanged_under_a_boundary_of_the_tables_folder_with_the_operations_role(string user, string table, string operation, string role)
    {
        await project.CredentialsAsync(table, operation, user == "ana" ? project.Admin : project.Rita);

        Assert.Equal(Boundary(role, $"{project.Storage}/{table.Replace('.', '/')}/"), project.Gcs.ExchangedBoundaries[^1]);
    }

    [Fact]
    public async Task The_answer_carries_the_token_its_expiry_and_the_tables_location()
    {
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        JsonElement answer = await project.CredentialsAsync("gold.revenue", "READ", project.Rita);

        Assert.StartsWith("ya29.d.", answer.GetProperty("gcp_oauth_token").GetProperty("oauth_token").GetString(), StringComparison.Ordinal);
        Assert.Equal($"gs://{UcStoreProject.Bucket}/{project.Storage}/gold/revenue", answer.GetProperty("url").GetString());
        // The test server's tokens live 3599 seconds, and a downscoped token as long as the one it came from.
        Assert.InRange(answer.GetProperty("expiration_time").GetInt64(), before + 55 * 60_000, before + 61 * 60_000);
    }

    [Fact]
    public async Task A_vended_token_lists_and_reads_the_tables_files()
    {
        using StorageClient client = project.ClientWith(Token(await project.CredentialsAsync("silver.orders", "READ", project.Admin)));

        List<GcsObject> log = [.. client.ListObjects(UcStoreProject.Bucket, project.Storage + "/silver/orders/_delta_log/")];
        using var commit = new MemoryStream();
        await client.DownloadObjectAsync(UcStoreProject.Bucket, log.First(o => o.Name.EndsWith(".json", StringComparison.Ordinal)).Name, commit);

        Assert.Contains("\"metaData\"", Encoding.UTF8.GetString(commit.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vended_token_is_refused_another_tables_files()
    {
        using StorageClient client = project.ClientWith(Token(await project.CredentialsAsync("gold.revenue", "READ", project.Rita)));
        string other = project.Gcs.ObjectNames(UcStoreProject.Bucket, project.Storage + "/silver/orders/_delta_log/")[0];

        GoogleApiException refused = await Assert.ThrowsAsync<GoogleApiException>(() => client.DownloadObjectAsync(UcStoreProject.Bucket, other, new MemoryStream()));

        Assert.Equal(403, (int)refused.HttpStatusCode);
    }

    [Theory]
    [InlineData("/gold/")]
    [InlineData("/gold/revenue")] // a sibling's prefix: gold/revenue_v2/ would be listed too
    [InlineData("")]
    public async Task A_vended_token_is_refused_a_listing_wider_than_its_folder(string prefix)
    {
        using StorageClient client = project.ClientWith(Token(await project.CredentialsAsync("gold.revenue", "READ", project.Rita)));

        GoogleApiException refused = Assert.Throws<GoogleApiException>(() => client.ListObjects(UcStoreProject.Bucket, project.Storage + prefix).ToList());

        Assert.Equal(403, (int)refused.HttpStatusCode);
    }

    [Fact]
    public async Task A_READ_token_is_refused_a_write_inside_its_folder()
    {
        using StorageClient client = project.ClientWith(Token(await project.CredentialsAsync("gold.revenue", "READ", project.Rita)));

        GoogleApiException refused = await Assert.ThrowsAsync<GoogleApiException>(() =>
            client.UploadObjectAsync(UcStoreProject.Bucket, project.Storage + "/gold/revenue/forged.parquet", "application/octet-stream", new MemoryStream([1])));

        Assert.Equal(403, (int)refused.HttpStatusCode);
    }

    [Fact]
    public async Task A_READ_WRITE_token_writes_and_deletes_under_its_folder_only()
    {
        using StorageClient client = project.ClientWith(Token(await project.CredentialsAsync("silver.orders", "READ_WRITE", project.Admin)));
        string inside = project.Storage + "/silver/orders/_tmp/written-by-spark";

        await client.UploadObjectAsync(UcStoreProject.Bucket, inside, "application/octet-stream", new MemoryStream([1]));
        await client.DeleteObjectAsync(UcStoreProject.Bucket, inside);
        GoogleApiException refused = await Assert.ThrowsAsync<GoogleApiException>(() =>
            client.UploadObjectAsync(UcStoreProject.Bucket, project.Storage + "/gold/revenue/forged.parquet", "application/octet-stream", new MemoryStream([1])));

        Assert.Equal((403, false), ((int)refused.HttpStatusCode, project.Gcs.ObjectNames(UcStoreProject.Bucket, inside).Any()));
    }

    [Fact]
    public async Task A_reader_under_a_row_filter_is_refused_and_sent_to_the_SQL_endpoint_without_an_exchange()
    {
        int exchanges = project.Gcs.ExchangedBoundaries.Count;
        (int status, JsonElement body) = await UcHttp.PostAsync(project.Served, UnityCatalogProject.Prefix + "/temporary-table-credentials",
            JsonSerializer.Serialize(new { table_id = await project.TableIdAsync("silver.orders"), operation = "READ" }), project.Fay);

        Assert.Equal((403, "PERMISSION_DENIED"), (status, body.GetProperty("error_code").GetString()));
        Assert.StartsWith("MDL5704: ", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(exchanges, project.Gcs.ExchangedBoundaries.Count);
    }

    [Fact]
    public async Task The_audit_names_the_kind_and_expiry_but_never_the_token()
    {
        JsonElement answer = await project.CredentialsAsync("gold.revenue", "READ", project.Rita);
        string token = Token(answer);
        string expiry = DateTimeOffset.FromUnixTimeMilliseconds(answer.GetProperty("expiration_time").GetInt64()).ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

        // Other tests' tokens may expire in the same second: the event is looked for by who, what and when together.
        string audited = await project.Served.WaitForSqlAsync(
            "SELECT CASE WHEN count(*) > 0 THEN 'audited' ELSE 'missing' END FROM medallion_audit.events WHERE action = 'credentials.issue' AND \"user\" = 'rita' AND target = 'gold.revenue' AND outcome = 'ok' "
            + $"AND (details::json->>'credentials') = 'gcp-oauth' AND left(details::json->>'expires_at', 19) = '{expiry}'",
            "audited");
        string secrets = await project.Served.SqlScalarAsync(
            $"SELECT count(*) FROM medallion_audit.events WHERE contains(concat_ws('|', statement, target, details, error_message), '{token[7..]}')");

        Assert.Equal(("audited", "0"), (audited, secrets));
    }

    [Fact]
    public async Task Nothing_the_server_sent_the_test_server_broke_its_protocol()
    {
        await project.CredentialsAsync("gold.revenue", "READ", project.Rita);

        Assert.Empty(project.Gcs.Violations);
    }

    /// <summary>The boundary, as JSON, of a token with <paramref name="role"/> on the objects under <paramref name="folder"/> and listings inside it.</summary>
    private static string Boundary(string role, string folder) =>
        "{\"accessBoundary\":{\"accessBoundaryRules\":[{\"availableResource\":\"//storage.googleapis.com/projects/_/buckets/" + UcStoreProject.Bucket + "\","
        + "\"availablePermissions\":[\"" + role + "\"],\"availabilityCondition\":{\"expression\":\""
        + $"resource.name.startsWith('projects/_/buckets/{UcStoreProject.Bucket}/objects/{folder}') || api.getAttribute('storage.googleapis.com/objectListPrefix', '').startsWith('{folder}')"
        + "\"}}]}}";

    private static string Token(JsonElement answer) => answer.GetProperty("gcp_oauth_token").GetProperty("oauth_token").GetString()!;
}
