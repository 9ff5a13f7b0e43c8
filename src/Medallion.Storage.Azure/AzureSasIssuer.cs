using System;
using System.Threading;
using System.Threading.Tasks;
using Azure.Storage;
using Azure.Storage.Sas;

namespace Medallion.Storage.Azure;

/// <summary>
/// Temporary Azure credentials for one table: a service SAS signed with the account key the store is configured with
/// (<c>AZURE_STORAGE_KEY</c>, or the connection string's <c>AccountKey</c>), for <c>MEDALLION_CREDENTIAL_LIFETIME</c>.
/// It is a directory SAS on the table's folder (ADLS Gen2, hierarchical namespace) unless the table is its container's
/// root or <c>MEDALLION_AZURE_SAS_SCOPE</c> is <c>container</c> (a flat namespace account, which has no directory SAS:
/// the SAS then reaches the whole container, so give each table set that must stay apart its own container).
/// </summary>
internal static class AzureSasIssuer
{
    /// <summary>The setting choosing what a SAS reaches: <c>directory</c> (default) or <c>container</c>.</summary>
    public const string ScopeSetting = "MEDALLION_AZURE_SAS_SCOPE";

    /// <summary>How far back a SAS starts, so a client whose clock is a little behind can use it at once.</summary>
    private static readonly TimeSpan s_clockSkew = TimeSpan.FromMinutes(5);

    public static Task<StorageCredentials> IssueAsync(string location, StorageAccess access, Func<string, string?> settings, TimeProvider time)
    {
        AzureBlobStoreOptions options = AzureBlobStoreOptions.FromUri(location, settings);
        (string? account, string? key, Uri? service) = SigningKey(options);
        if (account is null || key is null)
        {
            throw new MedallionException(ErrorCode.StorageCredentialsNotConfigured,
                $"No temporary credentials can be issued for '{options.Location}': the store is reached with a SAS token, which cannot sign another.\n"
                + "Help: configure the store with the account's key (AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY, or a connection string with AccountKey) so the server signs a SAS limited to each table.");
        }

        string? scopeText = settings(ScopeSetting)?.Trim().ToLowerInvariant();
        if (scopeText is not (null or "" or "directory" or "container"))
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"{ScopeSetting} '{settings(ScopeSetting)!.Trim()}' for '{options.Location}' is neither directory nor container.\nHelp: directory (the default) limits each SAS to its table's folder and needs an ADLS Gen2 account; container reaches the table's whole container.");
        }

        TimeSpan lifetime = CredentialLifetime.Parse(settings(CredentialLifetime.SettingName), TimeSpan.FromMinutes(5), TimeSpan.FromDays(7), options.Location);
        DateTimeOffset now = time.GetUtcNow();
        DateTimeOffset expiresAt = now + lifetime;
        bool directory = options.Prefix.Length > 0 && scopeText != "container";
        var builder = new BlobSasBuilder
        {
            BlobContainerName = options.Container,
            StartsOn = now - s_clockSkew,
            ExpiresOn = expiresAt,
            // Only an http endpoint (Azurite, a local emulator) takes the SAS over http.
            Protocol = service?.Scheme == "http" ? SasProtocol.HttpsAndHttp : SasProtocol.Https,
        };
        string permissions = access == StorageAccess.ReadWrite ? "racwdl" : "rl";
        if (directory)
        {
            builder.BlobName = options.Prefix;
            builder.IsDirectory = true;
            builder.Resource = "d";
            builder.SetPermissions(permissions, normalize: true);
        }
        else
        {
            builder.Resource = "c";
            builder.SetPermissions(permissions, normalize: true);
        }

        string sas;
        try
        {
            sas = builder.ToSasQueryParameters(new StorageSharedKeyCredential(account, key)).ToString();
        }
        catch (FormatException)
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"The Azure account key for '{options.Location}' is not valid base64: no SAS can be signed with it.\nHelp: check AZURE_STORAGE_KEY, or the AccountKey of AZURE_STORAGE_CONNECTION_STRING.");
        }

        return Task.FromResult(new StorageCredentials(options.Location, access, expiresAt) { AzureSasToken = sas, AzureAccount = account });
    }

    /// <summary>The account name, key and blob endpoint the store signs with: its account key, or the connection string's.</summary>
    private static (string? Account, string? Key, Uri? Service) SigningKey(AzureBlobStoreOptions options)
    {
        if (options.ConnectionString is null)
        {
            return (options.Account, options.AccountKey, options.ServiceUri ?? (options.Account is null ? null : new Uri($"https://{options.Account}.blob.core.windows.net")));
        }

        string? account = null, key = null, endpoint = null, protocol = null;
        foreach (string part in options.ConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            string name = part[..eq].Trim();
            string value = part[(eq + 1)..].Trim();
            if (name.Equals("AccountName", StringComparison.OrdinalIgnoreCase))
            {
                account = value;
            }
            else if (name.Equals("AccountKey", StringComparison.OrdinalIgnoreCase))
            {
                key = value;
            }
            else if (name.Equals("BlobEndpoint", StringComparison.OrdinalIgnoreCase))
            {
                endpoint = value;
            }
            else if (name.Equals("DefaultEndpointsProtocol", StringComparison.OrdinalIgnoreCase))
            {
                protocol = value;
            }
        }

        Uri? service = endpoint is not null && Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) ? uri
            : account is null ? null : new Uri($"{protocol ?? "https"}://{account}.blob.core.windows.net");
        return (account, key, service);
    }
}
