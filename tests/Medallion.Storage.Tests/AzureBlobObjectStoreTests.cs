using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using Medallion.Storage.Azure;

namespace Medallion.Storage.Tests;

/// <summary>The store contract on Azurite (started by build/test-setup/azurite.sh), and what only the Azure store does.</summary>
public sealed class AzureBlobObjectStoreTests : RemoteObjectStoreContractTests, IDisposable
{
    private readonly TempDirectory _cache = new();
    private readonly AzureBlobObjectStore _store;

    public AzureBlobObjectStoreTests() => _store = Azurite.NewStore(_cache.Path);

    protected override IObjectStore Store => _store;

    public void Dispose() => _cache.Dispose();

    [Fact]
    public async Task A_file_above_the_single_upload_limit_is_uploaded_in_blocks_and_reads_back_whole()
    {
        AzureBlobObjectStore store = Azurite.NewStore(_cache.Path, o => o with { SingleUploadLimitBytes = 1 << 20, BlockSizeBytes = 1 << 20 });
        byte[] content = new byte[(5 << 20) + 123];
        new Random(7).NextBytes(content);
        string path = store.GetLocalPath("data/big.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, content);

        await store.PublishLocalAsync(["data/big.parquet"]);
        File.Delete(path);
        await store.FetchToLocalAsync(["data/big.parquet"]);

        Assert.Equal(content, await store.ReadAllAsync("data/big.parquet"));
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task Wrong_credentials_fail_with_access_denied_naming_the_store_and_the_operation_but_not_the_key()
    {
        string wrongKey = Convert.ToBase64String(new byte[64]);
        AzureBlobObjectStore store = Azurite.NewStore(_cache.Path, o => o with { ConnectionString = Azurite.ConnectionStringWith(wrongKey) });

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Bytes("{}")));

        Assert.Equal(ErrorCode.StorageAccessDenied, e.Code);
        Assert.Equal($"Could not write '_delta_log/00000000000000000000.json' in '{store.Location}': the store refused the credentials (AuthorizationFailure, HTTP 403).\nHelp: check AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, and that they may use the container.", e.Message);
        Assert.DoesNotContain(wrongKey, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_container_fails_naming_the_container()
    {
        AzureBlobObjectStore store = Azurite.NewStore(_cache.Path, o => o with { Container = "no-such-container", Location = "az://no-such-container/t" });

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.GetInfoAsync("_last_checkpoint"));

        Assert.Equal(ErrorCode.StorageContainerNotFound, e.Code);
        Assert.Equal("Could not read '_last_checkpoint' in 'az://no-such-container/t': the container 'no-such-container' does not exist.\nHelp: create the container, or check its name and the account.", e.Message);
    }

    [Fact]
    public void An_abfss_uri_names_the_container_the_account_and_the_prefix()
    {
        var env = new Dictionary<string, string> { ["AZURE_STORAGE_KEY"] = "a2V5" };

        AzureBlobStoreOptions options = AzureBlobStoreOptions.FromUri("abfss://lake@acme.dfs.core.windows.net/sales/orders/", env.GetValueOrDefault);

        Assert.Equal(("lake", "acme", "sales/orders", "abfss://lake@acme.dfs.core.windows.net/sales/orders"), (options.Container, options.Account, options.Prefix, options.Location));
    }

    [Fact]
    public void An_az_uri_takes_the_account_and_sas_token_from_the_environment()
    {
        var env = new Dictionary<string, string> { ["AZURE_STORAGE_ACCOUNT"] = "acme", ["AZURE_STORAGE_SAS_TOKEN"] = "?sv=x&sig=y" };

        AzureBlobStoreOptions options = AzureBlobStoreOptions.FromUri("az://lake/orders", env.GetValueOrDefault);

        Assert.Equal(("lake", "acme", "orders", "?sv=x&sig=y"), (options.Container, options.Account, options.Prefix, options.SasToken));
    }

    [Fact]
    public void An_az_uri_without_credentials_is_refused_naming_the_variables()
    {
        var e = Assert.Throws<MedallionException>(() => AzureBlobStoreOptions.FromUri("az://lake/orders", _ => null));

        Assert.Equal(ErrorCode.StorageConfigurationInvalid, e.Code);
        Assert.Equal("No Azure credentials for 'az://lake/orders': set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN.", e.Message);
    }

    [Fact]
    public void An_az_uri_takes_the_request_timeout_from_medallion_store_timeout()
    {
        var env = new Dictionary<string, string> { ["AZURE_STORAGE_CONNECTION_STRING"] = "UseDevelopmentStorage=true", ["MEDALLION_STORE_TIMEOUT"] = "2m" };

        Assert.Equal(TimeSpan.FromMinutes(2), AzureBlobStoreOptions.FromUri("az://lake/orders", env.GetValueOrDefault).RequestTimeout);
    }

    [Fact]
    public void An_az_uri_takes_its_block_upload_threshold_and_block_size_from_the_store_part_settings()
    {
        var env = new Dictionary<string, string> { ["AZURE_STORAGE_CONNECTION_STRING"] = "UseDevelopmentStorage=true", ["MEDALLION_STORE_MULTIPART_THRESHOLD"] = "2MB", ["MEDALLION_STORE_PART_SIZE"] = "512KB" };
        var e = Assert.Throws<MedallionException>(() => AzureBlobStoreOptions.FromUri("az://lake/orders", new Dictionary<string, string>(env) { ["MEDALLION_STORE_PART_SIZE"] = "lots" }.GetValueOrDefault));

        AzureBlobStoreOptions options = AzureBlobStoreOptions.FromUri("az://lake/orders", env.GetValueOrDefault);

        Assert.Equal((2L << 20, 512L << 10), (options.SingleUploadLimitBytes, options.BlockSizeBytes));
        Assert.Equal("MEDALLION_STORE_PART_SIZE for 'az://lake/orders': 'lots' is not a size.\nHelp: write a positive number of bytes or a number with KB, MB, GB or TB, e.g. 20GB.", e.Message);
    }
}
