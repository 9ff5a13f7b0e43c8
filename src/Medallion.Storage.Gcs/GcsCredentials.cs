using System;
using System.IO;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Google.Apis.Auth.OAuth2;

namespace Medallion.Storage.Gcs;

/// <summary>The Google credential a store's settings name: the store and the credential issuer read them alike.</summary>
internal static class GcsCredentials
{
    /// <summary>
    /// The credential a setting names (a file's content), or null for Application Default Credentials. The file's own
    /// <c>type</c> says what it holds, as for Application Default Credentials: a service account key, gcloud's user
    /// credentials, an impersonation or workload identity federation configuration.
    /// </summary>
    /// <exception cref="ArgumentException">The content names no type.</exception>
    public static async Task<GoogleCredential?> NamedAsync(GcsStoreOptions options, CancellationToken cancellationToken)
    {
        string? json = options.CredentialsJson ?? (options.CredentialsPath is { } path ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : null);
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        string type = document.RootElement.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()! : throw new ArgumentException("The credentials have no type.");
        return CredentialFactory.FromJson(json, type);
    }

    /// <summary>Which setting to fix when the credentials cannot be loaded; never their content.</summary>
    public static string Problem(GcsStoreOptions options) =>
        options.CredentialsJson is not null ? "GOOGLE_SERVICE_ACCOUNT_KEY is not the content of a Google credentials file"
        : options.CredentialsPath is not null ? $"the file '{options.CredentialsPath}' (GOOGLE_APPLICATION_CREDENTIALS) cannot be read or is not a Google credentials file"
        : "no Application Default Credentials were found (no GOOGLE_APPLICATION_CREDENTIALS, no gcloud login, no metadata server)";
}
