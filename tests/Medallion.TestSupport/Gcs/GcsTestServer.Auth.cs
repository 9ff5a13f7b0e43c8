using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Medallion.TestSupport;

/// <summary>
/// Authentication, when <see cref="GcsTestServerOptions.ServiceAccountKey"/> is set: Google's OAuth2 token endpoint for
/// a service account (<c>POST /token</c>, the JWT-bearer grant of RFC 7523 as Google runs it), and the bearer check on
/// every JSON API request, which takes the tokens this endpoint issued or a self-signed JWT (what Google's libraries
/// send instead of a token when a credential has no scopes, or is told to: AIP-4111).
/// </summary>
public sealed partial class GcsTestServer
{
    private const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    /// <summary>The scopes that let a token read and write objects.</summary>
    private static readonly string[] s_writeScopes =
    [
        "https://www.googleapis.com/auth/devstorage.read_write",
        "https://www.googleapis.com/auth/devstorage.full_control",
        "https://www.googleapis.com/auth/cloud-platform",
    ];

    /// <summary>The scopes that let a token read objects only.</summary>
    private static readonly string[] s_readScopes =
    [
        "https://www.googleapis.com/auth/devstorage.read_only",
        "https://www.googleapis.com/auth/cloud-platform.read-only",
    ];

    /// <summary>The public half of the service account's key; RSA instances are not documented as thread-safe, so it is used under <see cref="_verifierGate"/>.</summary>
    private readonly RSA? _verifier;
    private readonly Lock _verifierGate = new();
    private readonly ConcurrentDictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);

    /// <summary>
    /// A service account key file for <see cref="GcsTestServerOptions.ServiceAccountKey"/>, as the Cloud console
    /// downloads it, with <c>token_uri</c> pointing at this server's token endpoint; for
    /// <c>GoogleCredential.FromJson</c> or a client builder's <c>JsonCredentials</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server was started without a service account key.</exception>
    public string ServiceAccountJson()
    {
        RSA key = _options.ServiceAccountKey ?? throw new InvalidOperationException("The server was started without GcsTestServerOptions.ServiceAccountKey.");
        string email = _options.ServiceAccountEmail;
        int at = email.IndexOf('@', StringComparison.Ordinal);
        int iam = email.IndexOf(".iam.gserviceaccount.com", StringComparison.Ordinal);
        string project = at >= 0 && iam > at ? email[(at + 1)..iam] : "medallion-tests";
        byte[] publicKey = key.ExportSubjectPublicKeyInfo();
        // Stable per key and account, shaped like Google's: a 40-digit hex key id, a 21-digit client id.
        string keyId = Convert.ToHexStringLower(SHA256.HashData(publicKey))[..40];
        string clientId = "1" + string.Concat(SHA256.HashData(Encoding.UTF8.GetBytes(email)).Take(10).Select(b => (b % 100).ToString("D2", CultureInfo.InvariantCulture)));
        var json = new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = project,
            ["private_key_id"] = keyId,
            ["private_key"] = key.ExportPkcs8PrivateKeyPem() + "\n",
            ["client_email"] = email,
            ["client_id"] = clientId,
            ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
            ["token_uri"] = $"{Endpoint}token",
            ["auth_provider_x509_cert_url"] = "https://www.googleapis.com/oauth2/v1/certs",
            ["client_x509_cert_url"] = $"https://www.googleapis.com/robot/v1/metadata/x509/{Uri.EscapeDataString(email)}",
            ["universe_domain"] = "googleapis.com",
        };
        // Relaxed escaping, so the PEM reads as in Google's files ('+' and '/' as themselves, not \u002B).
        return json.ToJsonString(new JsonSerializerOptions(s_json) { WriteIndented = true });
    }

    /// <summary>
    /// <c>POST /token</c>: <c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&amp;assertion=JWT</c>, form-encoded.
    /// The JWT must be signed RS256 by the service account's key, with <c>iss</c> the account, <c>aud</c> this
    /// endpoint or Google's (<see cref="TokenAudiences"/>), a lifetime of at most an hour around now, and a <c>scope</c>. Errors are OAuth2's
    /// (<c>{"error","error_description"}</c>, 400), as Google's endpoint answers them.
    /// </summary>
    private async Task TokenAsync(GcsCall call)
    {
        if (call.Query.Count > 0)
        {
            await OAuthErrorAsync(call, "invalid_request", $"The token endpoint takes no query parameters: {call.Target}", violation: true);
            return;
        }

        if (call.Http.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
        {
            await OAuthErrorAsync(call, "invalid_request", $"The token request must be application/x-www-form-urlencoded, not '{call.Http.Request.ContentType}'.", violation: true);
            return;
        }

        Dictionary<string, string> form = ParseForm(Encoding.UTF8.GetString(await call.ReadBodyAsync()));

        if (form.GetValueOrDefault("grant_type") != JwtBearerGrant)
        {
            await OAuthErrorAsync(call, "unsupported_grant_type", $"Invalid grant_type: {form.GetValueOrDefault("grant_type")}", violation: true);
            return;
        }

        if (form.GetValueOrDefault("assertion") is not { Length: > 0 } assertion)
        {
            await OAuthErrorAsync(call, "invalid_request", "Missing required parameter: assertion", violation: true);
            return;
        }

        JsonObject? claims = VerifiedClaims(assertion);
        string? problem = claims is null ? "Invalid JWT Signature."
            : Claim(claims, "iss") != _options.ServiceAccountEmail ? "Invalid grant: account not found"
            : !TokenAudiences().Contains(Claim(claims, "aud")) ? $"Invalid JWT: Failed audience check. The right audience is {Endpoint}token or https://oauth2.googleapis.com/token (this one has {Claim(claims, "aud") ?? "none"})."
            : !InLifetime(claims) ? "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
            : null;
        if (problem is not null)
        {
            await OAuthErrorAsync(call, "invalid_grant", problem, violation: false);
            return;
        }

        string[] scopes = Claim(claims!, "scope")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (scopes.Length == 0)
        {
            await OAuthErrorAsync(call, "invalid_scope", "Invalid OAuth scope or ID token audience provided.", violation: false);
            return;
        }

        string token = "ya29." + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        _tokens[token] = new IssuedToken(DateTimeOffset.UtcNow.AddSeconds(3599), scopes);
        await WriteJsonAsync(call.Http, 200, new JsonObject { ["access_token"] = token, ["expires_in"] = 3599, ["token_type"] = "Bearer" });
    }

    /// <summary>
    /// The audiences a token request's assertion may name: this endpoint, or Google's token endpoint, which
    /// Google.Apis.Auth (1.78) always puts there whatever <c>token_uri</c> it posts to (and Google accepts).
    /// </summary>
    private string?[] TokenAudiences() => [$"{Endpoint}token", "https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token"];

    private async Task OAuthErrorAsync(GcsCall call, string error, string description, bool violation)
    {
        if (violation)
        {
            RecordViolation($"{call.Method} {call.Target}: {error}: {description}");
        }

        await WriteJsonAsync(call.Http, 400, new JsonObject { ["error"] = error, ["error_description"] = description });
    }

    /// <summary>
    /// Checks the caller of a JSON API request: a bearer token this server issued (unexpired), or a self-signed JWT of
    /// the service account whose <c>scope</c> or <c>aud</c> (this server, or <c>https://storage.googleapis.com/</c>)
    /// grants Cloud Storage. No or a bad token is a 401, a token without a storage scope a 403, as in GCS.
    /// </summary>
    private void Authenticate(GcsCall call)
    {
        if (_verifier is null)
        {
            return;
        }

        string? header = call.Http.Request.Headers.Authorization;
        string? token;
        if (header is not null)
        {
            token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? header[7..].Trim()
                : throw new GcsError(401, "authError", "Invalid Credentials", violation: true) { LocationType = "header", Location = "Authorization", Headers = s_challenge };
        }
        else
        {
            token = call.Param("oauth_token");
        }

        if (token is null)
        {
            throw new GcsError(401, "required", "Anonymous caller does not have storage.objects access to the Google Cloud Storage bucket. Permission denied on resource (or it may not exist).")
            {
                LocationType = "header",
                Location = "Authorization",
                Headers = s_challenge,
            };
        }

        string[]? scopes = null;
        if (_tokens.TryGetValue(token, out IssuedToken? issued))
        {
            scopes = issued.Expires > DateTimeOffset.UtcNow ? issued.Scopes : null;
            call.Boundary = issued.Boundary;
        }
        else if (VerifiedClaims(token) is { } claims && Claim(claims, "iss") == _options.ServiceAccountEmail && InLifetime(claims))
        {
            // AIP-4111: a self-signed JWT grants its scopes, or, with none, the API its audience names.
            scopes = Claim(claims, "scope")?.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                ?? (Claim(claims, "aud") is { } audience
                    && (audience.StartsWith(Endpoint.ToString(), StringComparison.Ordinal) || audience.StartsWith(EmulatorHost + "/", StringComparison.Ordinal)
                        || audience.StartsWith("https://storage.googleapis.com/", StringComparison.Ordinal))
                    ? [s_writeScopes[1]]
                    : null);
        }

        if (scopes is null)
        {
            throw new GcsError(401, "authError", "Invalid Credentials") { LocationType = "header", Location = "Authorization", Headers = s_challenge };
        }

        bool allowed = scopes.Any(s => s_writeScopes.Contains(s, StringComparer.Ordinal))
            || (call.Method == "GET" && scopes.Any(s => s_readScopes.Contains(s, StringComparer.Ordinal)));
        if (!allowed)
        {
            throw new GcsError(403, "insufficientPermissions", "Request had insufficient authentication scopes.");
        }
    }

    private static readonly Dictionary<string, string> s_challenge = new(StringComparer.Ordinal) { ["WWW-Authenticate"] = "Bearer realm=\"https://accounts.google.com/\"" };

    /// <summary>The claims of <paramref name="jwt"/> when it is a JWT signed RS256 with the service account's key, else null.</summary>
    private JsonObject? VerifiedClaims(string jwt)
    {
        string[] parts = jwt.Split('.');
        if (parts.Length != 3 || _verifier is null)
        {
            return null;
        }

        try
        {
            if (JsonNode.Parse(Base64Url.DecodeFromChars(parts[0])) is not JsonObject header || Claim(header, "alg") != "RS256")
            {
                return null;
            }

            byte[] signature = Base64Url.DecodeFromChars(parts[2]);
            bool valid;
            lock (_verifierGate)
            {
                valid = _verifier.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            }

            return valid ? JsonNode.Parse(Base64Url.DecodeFromChars(parts[1])) as JsonObject : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Issued no later than five minutes from now, not expired, and valid for at most an hour.</summary>
    private static bool InLifetime(JsonObject claims)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Seconds(claims, "iat") is { } iat && Seconds(claims, "exp") is { } exp && iat <= now + 300 && exp > now && exp - iat <= 3600;
    }

    private static long? Seconds(JsonObject claims, string name) =>
        claims[name] is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out long seconds) ? seconds : null;

    private static string? Claim(JsonObject claims, string name) =>
        claims[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private void RecordViolation(string violation)
    {
        lock (_violations)
        {
            _violations.Add(violation);
        }
    }

    /// <summary>An access token the token endpoint issued, or STS downscoped to <paramref name="Boundary"/>.</summary>
    private sealed record IssuedToken(DateTimeOffset Expires, string[] Scopes, GcsAccessBoundaryRules? Boundary = null);
}
