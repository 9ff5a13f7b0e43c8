using System;
using System.Threading.Tasks;
using Azure.Storage.Blobs;
using Medallion.Storage.Azure;

namespace Medallion.Storage.Tests;

/// <summary>The Azurite Blob service the Azure tests use (build/test-setup/azurite.sh), found through MEDALLION_TEST_AZURE_BLOB_ENDPOINT.</summary>
internal static class Azurite
{
    public const string Container = "medallion-tests";

    /// <summary>Azurite's published development account key (not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Lazy<Task> s_container = new(() => new BlobContainerClient(ConnectionString, Container).CreateIfNotExistsAsync());

    public static string BlobEndpoint { get; } = Environment.GetEnvironmentVariable("MEDALLION_TEST_AZURE_BLOB_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:55910/devstoreaccount1";

    public static string ConnectionString => ConnectionStringWith(AccountKey);

    public static string ConnectionStringWith(string key) => $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint={BlobEndpoint};";

    /// <summary>A store on a fresh prefix of the test container.</summary>
    public static AzureBlobObjectStore NewStore(string cacheDirectory, Func<AzureBlobStoreOptions, AzureBlobStoreOptions>? change = null)
    {
        s_container.Value.GetAwaiter().GetResult();
        string prefix = "t-" + Guid.NewGuid().ToString("N");
        var options = new AzureBlobStoreOptions { Container = Container, Prefix = prefix, Location = $"az://{Container}/{prefix}", ConnectionString = ConnectionString };
        return new AzureBlobObjectStore(change is null ? options : change(options), new ObjectCache(cacheDirectory));
    }
}
