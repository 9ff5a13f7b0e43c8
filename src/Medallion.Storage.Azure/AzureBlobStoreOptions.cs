using System;

namespace Medallion.Storage.Azure;

/// <summary>
/// Where an Azure Blob Storage / ADLS Gen2 store is and how to authenticate: a connection string (Azurite's
/// development endpoint too), an account key, or a SAS token. Secrets are never part of a message.
/// </summary>
public sealed record AzureBlobStoreOptions
{
    /// <summary>The container (an ADLS Gen2 file system).</summary>
    public required string Container { get; init; }

    /// <summary>The blob name prefix of the store root inside the container, without leading or trailing <c>/</c>; empty for the container root.</summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>The display form of the store root (the URI it was opened from, without a trailing <c>/</c>).</summary>
    public required string Location { get; init; }

    /// <summary>A connection string; when set, the account fields are not used.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The storage account name (with <see cref="AccountKey"/> or <see cref="SasToken"/>).</summary>
    public string? Account { get; init; }

    /// <summary>The account's shared key.</summary>
    public string? AccountKey { get; init; }

    /// <summary>A shared access signature (with or without its leading <c>?</c>).</summary>
    public string? SasToken { get; init; }

    /// <summary>The blob service endpoint; null for <c>https://{account}.blob.core.windows.net</c>.</summary>
    public Uri? ServiceUri { get; init; }

    /// <summary>Files larger than this are uploaded in blocks, several at once; blocks of a failed upload are never committed, so no partial blob is seen (<see cref="StoreUploadParts"/>).</summary>
    public long SingleUploadLimitBytes { get; init; } = StoreUploadParts.DefaultThresholdBytes;

    /// <summary>The size of each block (and of each ranged read of a parallel download) (<see cref="StoreUploadParts"/>).</summary>
    public long BlockSizeBytes { get; init; } = StoreUploadParts.DefaultPartSizeBytes;

    /// <summary>How long one attempt of a request may take before it is given up and retried (<see cref="StoreRequestTimeout"/>).</summary>
    public TimeSpan RequestTimeout { get; init; } = StoreRequestTimeout.Default;

    /// <summary>
    /// Options for <paramref name="uri"/>: <c>az://container/prefix</c> (also <c>azure://</c>) or
    /// <c>abfss://container@account.dfs.core.windows.net/prefix</c> (also <c>abfs://</c>), with credentials from
    /// <c>AZURE_STORAGE_CONNECTION_STRING</c>, or <c>AZURE_STORAGE_ACCOUNT</c> with <c>AZURE_STORAGE_KEY</c> or <c>AZURE_STORAGE_SAS_TOKEN</c>;
    /// <c>MEDALLION_STORE_TIMEOUT</c> bounds each request (<see cref="StoreRequestTimeout"/>);
    /// <c>MEDALLION_STORE_MULTIPART_THRESHOLD</c> and <c>MEDALLION_STORE_PART_SIZE</c> say when and in what blocks a file is
    /// uploaded (<see cref="StoreUploadParts"/>).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageUnsupportedLocation"/> for a URI that names no container;
    /// <see cref="ErrorCode.StorageConfigurationInvalid"/> when no credentials are set, the timeout is not a duration, or a
    /// part setting not a size Azure takes.</exception>
    public static AzureBlobStoreOptions FromUri(string uri, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(uri);
        environment ??= Environment.GetEnvironmentVariable;
        bool valid = StoreUri.TrySplit(uri, out string scheme, out string authority, out string prefix);
        string container = authority;
        string? account = null;
        if (scheme is "abfss" or "abfs")
        {
            // container@account.dfs.core.windows.net: the account is the first label of the host.
            int at = authority.IndexOf('@', StringComparison.Ordinal);
            int dot = authority.IndexOf('.', StringComparison.Ordinal);
            if (at <= 0 || dot < at + 2)
            {
                throw new MedallionException(ErrorCode.StorageUnsupportedLocation,
                    $"The table location '{uri}' is not a valid ADLS URI.\nHelp: write abfss://container@account.dfs.core.windows.net/path/to/table.");
            }

            container = authority[..at];
            account = authority[(at + 1)..dot];
        }

        if (!valid || container.Length == 0)
        {
            throw new MedallionException(ErrorCode.StorageUnsupportedLocation,
                $"The table location '{uri}' is not a valid Azure Blob URI.\nHelp: write az://container/path/to/table or abfss://container@account.dfs.core.windows.net/path/to/table.");
        }

        string location = uri.TrimEnd('/');
        TimeSpan timeout = StoreRequestTimeout.Parse(environment(StoreRequestTimeout.SettingName), location);
        // Azure takes a single upload of at most 5000 MiB and blocks of at most 4000 MiB.
        long threshold = StoreUploadParts.Parse(environment(StoreUploadParts.ThresholdSettingName), StoreUploadParts.ThresholdSettingName, StoreUploadParts.DefaultThresholdBytes, 1, 5000L << 20, "Azure Blob Storage", location);
        long blockSize = StoreUploadParts.Parse(environment(StoreUploadParts.PartSizeSettingName), StoreUploadParts.PartSizeSettingName, StoreUploadParts.DefaultPartSizeBytes, 1, 4000L << 20, "Azure Blob Storage", location);
        string? connectionString = NonEmpty(environment("AZURE_STORAGE_CONNECTION_STRING"));
        string? envAccount = NonEmpty(environment("AZURE_STORAGE_ACCOUNT"));
        string? key = NonEmpty(environment("AZURE_STORAGE_KEY"));
        string? sas = NonEmpty(environment("AZURE_STORAGE_SAS_TOKEN"));
        if (connectionString is not null && (account is null || ConnectionStringAccount(connectionString) is not { } named || string.Equals(named, account, StringComparison.OrdinalIgnoreCase)))
        {
            return new AzureBlobStoreOptions { Container = container, Prefix = prefix, Location = location, ConnectionString = connectionString, RequestTimeout = timeout, SingleUploadLimitBytes = threshold, BlockSizeBytes = blockSize };
        }

        account ??= envAccount;
        if (account is null || (key is null && sas is null))
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"No Azure credentials for '{location}': set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN.");
        }

        return new AzureBlobStoreOptions
        {
            Container = container, Prefix = prefix, Location = location, Account = account, AccountKey = key, SasToken = key is null ? sas : null,
            RequestTimeout = timeout, SingleUploadLimitBytes = threshold, BlockSizeBytes = blockSize,
        };
    }

    /// <summary>The AccountName of a connection string, or null.</summary>
    private static string? ConnectionStringAccount(string connectionString)
    {
        foreach (string part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && part[..eq].Trim().Equals("AccountName", StringComparison.OrdinalIgnoreCase))
            {
                return part[(eq + 1)..].Trim();
            }
        }

        return null;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
