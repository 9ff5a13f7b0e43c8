using System.Text.Json;
using System.Web;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Medallion.Engine;
using Medallion.Storage;
using Medallion.Storage.Azure;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>
/// Temporary credentials for tables on Azure Blob Storage (Azurite, which enforces a SAS's scope and permissions): a SAS
/// signed with the store's key reads the table's files, writes only when issued for READ_WRITE, and reaches nothing
/// outside its container; a directory SAS (the default, for ADLS Gen2) names the table's folder and its depth.
/// </summary>
public sealed class AzureCredentialTests(UcAzureProject project) : IClassFixture<UcAzureProject>
{
    [Fact]
    public async Task A_vended_SAS_lists_and_reads_the_tables_files()
    {
        BlobContainerClient container = WithSas(await project.CredentialsAsync("silver.orders", "READ", project.Admin), project.Container);

        List<BlobItem> log = [];
        await foreach (BlobItem blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, project.Storage + "/silver/orders/_delta_log/", CancellationToken.None))
        {
            log.Add(blob);
        }

        BlobDownloadResult first = (await container.GetBlobClient(log.First(b => b.Name.EndsWith(".json", StringComparison.Ordinal)).Name).DownloadContentAsync()).Value;
        Assert.Contains("\"metaData\"", first.Content.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_READ_SAS_is_refused_a_write()
    {
        BlobContainerClient container = WithSas(await project.CredentialsAsync("gold.revenue", "READ", project.Rita), project.Container);

        RequestFailedException refused = await Assert.ThrowsAsync<RequestFailedException>(() =>
            container.GetBlobClient(project.Storage + "/gold/revenue/forged.parquet").UploadAsync(BinaryData.FromString("x")));

        Assert.Equal(403, refused.Status);
    }

    [Fact]
    public async Task A_READ_WRITE_SAS_writes_and_deletes_under_the_table()
    {
        BlobContainerClient container = WithSas(await project.CredentialsAsync("silver.orders", "READ_WRITE", project.Admin), project.Container);
        BlobClient blob = container.GetBlobClient(project.Storage + "/silver/orders/_tmp/written-by-spark");

        await blob.UploadAsync(BinaryData.FromString("x"));
        bool deleted = (await blob.DeleteIfExistsAsync()).Value;

        Assert.True(deleted);
    }

    [Fact]
    public async Task A_SAS_reaches_nothing_outside_its_container()
    {
        var other = new BlobContainerClient(UcStoreProject.AzuriteConnectionString, "uc-other-" + Guid.NewGuid().ToString("N"));
        await other.CreateAsync();
        await other.GetBlobClient("secret.txt").UploadAsync(BinaryData.FromString("not yours"));
        BlobContainerClient withSas = WithSas(await project.CredentialsAsync("gold.revenue", "READ", project.Rita), other.Name);

        RequestFailedException refused = await Assert.ThrowsAsync<RequestFailedException>(() => withSas.GetBlobClient("secret.txt").DownloadContentAsync());

        Assert.Equal(403, refused.Status);
        await other.DeleteAsync();
    }

    [Fact]
    public async Task The_SAS_expires_when_the_answer_says()
    {
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        JsonElement answer = await project.CredentialsAsync("gold.revenue", "READ", project.Rita);
        string sas = answer.GetProperty("azure_user_delegation_sas").GetProperty("sas_token").GetString()!;

        DateTimeOffset expiry = DateTimeOffset.Parse(HttpUtility.ParseQueryString(sas)["se"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expiry.ToUnixTimeMilliseconds() / 1000, answer.GetProperty("expiration_time").GetInt64() / 1000);
        Assert.InRange(answer.GetProperty("expiration_time").GetInt64(), before + 59 * 60_000, before + 61 * 60_000);
    }

    [Fact]
    public async Task By_default_a_SAS_is_a_directory_SAS_on_the_tables_folder_reading_and_listing_only()
    {
        StorageResolver.Register(new AzureBlobStoreProvider());
        var resolver = new StorageResolver(settings: new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["az://lake"] = new Dictionary<string, string> { ["AZURE_STORAGE_CONNECTION_STRING"] = UcStoreProject.AzuriteConnectionString },
        });

        StorageCredentials issued = (await resolver.IssueCredentialsAsync("az://lake/p/silver/orders", StorageAccess.Read, "ana"))!;

        var sas = HttpUtility.ParseQueryString(issued.AzureSasToken!);
        Assert.Equal(("d", "3", "rl", "az://lake/p/silver/orders"), (sas["sr"], sas["sdd"], sas["sp"], issued.Location));
    }

    private static BlobContainerClient WithSas(JsonElement answer, string container) =>
        new(new Uri($"{UcStoreProject.AzuriteEndpoint}/{container}"), new AzureSasCredential(answer.GetProperty("azure_user_delegation_sas").GetProperty("sas_token").GetString()!));
}
