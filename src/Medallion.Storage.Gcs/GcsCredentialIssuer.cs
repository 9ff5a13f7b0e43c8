using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;

namespace Medallion.Storage.Gcs;

/// <summary>
/// Temporary GCS credentials for one table: a downscoped OAuth 2.0 access token. The server's own access token (from
/// the store's credentials, else Application Default Credentials) is exchanged at Google's Security Token Service
/// (RFC 8693 token exchange, <c>POST https://sts.googleapis.com/v1/token</c>) under a Credential Access Boundary limiting
/// it to the table's folder (<see cref="GcsAccessBoundary"/>). STS is reached at <c>MEDALLION_GCS_STS_ENDPOINT</c> when
/// set (its root; the token endpoint is <c>v1/token</c> under it). A downscoped token lives as long as the token it was
/// exchanged from (at most an hour), so <c>MEDALLION_CREDENTIAL_LIFETIME</c> does not apply; its expiry is STS's
/// <c>expires_in</c>.
/// </summary>
internal static class GcsCredentialIssuer
{
    /// <summary>The setting naming Google's Security Token Service root, for a private endpoint or a test double.</summary>
    public const string StsEndpointSetting = "MEDALLION_GCS_STS_ENDPOINT";

    private const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";
    private const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";
    private const string CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

    /// <summary>The longest STS answer read: a token and three short members.</summary>
    private const int MaxAnswerBytes = 64 * 1024;

    private static readonly Uri s_googleSts = new("https://sts.googleapis.com/");

    /// <summary>One client for every exchange: STS is one host, and connections are worth keeping.</summary>
    private static readonly HttpClient s_http = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    public static async Task<StorageCredentials> IssueAsync(string location, StorageAccess access, Func<string, string?> settings, TimeProvider time, CancellationToken cancellationToken)
    {
        GcsStoreOptions options = GcsStoreOptions.FromUri(location, settings);
        string boundary = GcsAccessBoundary.For(options.Bucket, options.Prefix, access);
        Uri endpoint = StsEndpoint(options, settings);
        if (options.Anonymous)
        {
            throw new MedallionException(ErrorCode.StorageCredentialsNotConfigured,
                $"No temporary credentials can be issued for '{options.Location}': the store is reached anonymously (an emulator without credentials), so there is no token to downscope.\n"
                + "Help: name the server's credentials with GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_SERVICE_ACCOUNT_KEY.");
        }

        (string sourceToken, DateTimeOffset? sourceExpiry) = await SourceTokenAsync(options, time, cancellationToken).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        DateTimeOffset asked = time.GetUtcNow();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "v1/token"))
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = TokenExchangeGrant,
                    ["subject_token_type"] = AccessTokenType,
                    ["requested_token_type"] = AccessTokenType,
                    ["subject_token"] = sourceToken,
                    ["options"] = boundary,
                }),
            };
            using HttpResponseMessage response = await s_http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            JsonElement answer = await ReadAnswerAsync(response, options, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                string error = Text(answer, "error") ?? "no error code";
                string description = Text(answer, "error_description") is { } d ? ": " + d : string.Empty;
                throw new MedallionException(ErrorCode.StorageCredentialsFailed,
                    $"Google's STS ({endpoint.GetLeftPart(UriPartial.Authority)}) refused to downscope a token for '{options.Location}': HTTP {(int)response.StatusCode} {error}{description}\n"
                    + "Help: the server's own credentials must be a service account or user that may read (and, for READ_WRITE, write) the bucket, and the IAM and Security Token Service APIs must be enabled in its project.");
            }

            if (Text(answer, "access_token") is not { Length: > 0 } token)
            {
                throw new MedallionException(ErrorCode.StorageCredentialsFailed,
                    $"Google's STS answered a request for credentials for '{options.Location}' without an access_token.");
            }

            // Without expires_in the downscoped token expires with the token it came from (as Google's own libraries read it).
            DateTimeOffset expiresAt = answer.TryGetProperty("expires_in", out JsonElement seconds) && seconds.TryGetInt64(out long s) && s > 0
                ? asked + TimeSpan.FromSeconds(s)
                : sourceExpiry ?? asked + TimeSpan.FromMinutes(5);
            return new StorageCredentials(options.Location, access, expiresAt) { GcpOAuthToken = token };
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MedallionException(ErrorCode.StorageCredentialsFailed,
                $"Google's STS ({endpoint.GetLeftPart(UriPartial.Authority)}) did not answer a request for credentials for '{options.Location}' within {DurationText.Format(options.RequestTimeout)}.",
                new TimeoutException(e.Message, e));
        }
        catch (HttpRequestException e)
        {
            throw new MedallionException(ErrorCode.StorageCredentialsFailed,
                $"Google's STS ({endpoint.GetLeftPart(UriPartial.Authority)}) could not be reached for credentials for '{options.Location}': {e.Message}", e);
        }
    }

    /// <summary>STS's root: the setting's, or Google's.</summary>
    private static Uri StsEndpoint(GcsStoreOptions options, Func<string, string?> settings)
    {
        string? value = settings(StsEndpointSetting)?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return s_googleSts;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"{StsEndpointSetting} '{value}' for '{options.Location}' is not an http:// or https:// URL.\nHelp: leave it unset for Google's (https://sts.googleapis.com/), or name the root of another, e.g. https://sts.example.internal/.");
        }

        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri + "/");
    }

    /// <summary>An access token of the server's own credential, scoped to cloud-platform so it is a real token (not a self-signed JWT), with its expiry when known.</summary>
    private static async Task<(string Token, DateTimeOffset? Expiry)> SourceTokenAsync(GcsStoreOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        GoogleCredential credential;
        try
        {
            credential = (await GcsCredentials.NamedAsync(options, cancellationToken).ConfigureAwait(false)
                ?? await GoogleCredential.GetApplicationDefaultAsync(cancellationToken).ConfigureAwait(false)).CreateScoped(CloudPlatformScope);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException or Newtonsoft.Json.JsonException or JsonException)
        {
            throw new MedallionException(ErrorCode.StorageCredentialsNotConfigured,
                $"No temporary credentials can be issued for '{options.Location}': {GcsCredentials.Problem(options)}, so there is no token of the server's to downscope.\n"
                + "Help: set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or GOOGLE_SERVICE_ACCOUNT_KEY to its content, or run with a service account (GKE workload identity).",
                e);
        }

        try
        {
            string token = await ((ITokenAccess)credential).GetAccessTokenForRequestAsync(null, cancellationToken).ConfigureAwait(false);
            DateTimeOffset? expiry = credential.UnderlyingCredential is ServiceCredential { Token: { ExpiresInSeconds: long seconds } issued }
                ? new DateTimeOffset(DateTime.SpecifyKind(issued.IssuedUtc, DateTimeKind.Utc)) + TimeSpan.FromSeconds(seconds)
                : null;
            return (token, expiry is { } e && e > time.GetUtcNow() ? e : null);
        }
        catch (TokenResponseException e)
        {
            throw new MedallionException(ErrorCode.StorageCredentialsFailed,
                $"No temporary credentials can be issued for '{options.Location}': the server's own access token could not be obtained ({e.Error?.Error ?? "no error code"}, HTTP {(int?)e.StatusCode ?? 0}).\n"
                + "Help: check the server's Google credentials (GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_SERVICE_ACCOUNT_KEY, or the service account it runs as).",
                e);
        }
    }

    /// <summary>STS's JSON answer (an object), or an error saying it is none.</summary>
    private static async Task<JsonElement> ReadAnswerAsync(HttpResponseMessage response, GcsStoreOptions options, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxAnswerBytes)
        {
            throw NotJson(response, options);
        }

        byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && body.Length <= MaxAnswerBytes ? document.RootElement.Clone() : throw NotJson(response, options);
        }
        catch (JsonException)
        {
            throw NotJson(response, options);
        }
    }

    private static MedallionException NotJson(HttpResponseMessage response, GcsStoreOptions options) =>
        new(ErrorCode.StorageCredentialsFailed,
            $"Google's STS answered a request for credentials for '{options.Location}' with HTTP {(int)response.StatusCode} and a body that is not a JSON object: is {StsEndpointSetting} Google's Security Token Service?");

    private static string? Text(JsonElement answer, string name) =>
        answer.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
