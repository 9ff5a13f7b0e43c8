using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Medallion.TestSupport;

/// <summary>
/// Google's Security Token Service, for downscoped tokens, when <see cref="GcsTestServerOptions.ServiceAccountKey"/> is
/// set: <c>POST /v1/token</c>, the OAuth 2.0 token exchange (RFC 8693) as Google runs it for Credential Access
/// Boundaries: a form with <c>grant_type=urn:ietf:params:oauth:grant-type:token-exchange</c>, <c>subject_token</c> (an
/// access token this server issued), <c>subject_token_type</c> and <c>requested_token_type</c> both
/// <c>urn:ietf:params:oauth:token-type:access_token</c>, and <c>options</c>, the boundary as JSON. It answers
/// <c>{access_token, issued_token_type, token_type, expires_in}</c> with a token that expires with its subject and that
/// the JSON API then holds to the boundary (<see cref="GcsAccessBoundaryRules"/>): a request outside it is a 403, as GCS
/// answers it. Every malformed exchange is a 400 in OAuth's error shape and a violation.
/// </summary>
public sealed partial class GcsTestServer
{
    private const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";
    private const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    private readonly List<string> _boundaries = [];

    /// <summary>The <c>options</c> (the Credential Access Boundary, as sent) of every token exchange STS granted, in order.</summary>
    public IReadOnlyList<string> ExchangedBoundaries
    {
        get
        {
            lock (_boundaries)
            {
                return [.. _boundaries];
            }
        }
    }

    private async Task ExchangeAsync(GcsCall call)
    {
        if (call.Query.Count > 0 || call.Http.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
        {
            await OAuthErrorAsync(call, "invalid_request", "The token exchange is an application/x-www-form-urlencoded POST without query parameters.", violation: true);
            return;
        }

        Dictionary<string, string> form = ParseForm(Encoding.UTF8.GetString(await call.ReadBodyAsync()));
        string? problem = form.GetValueOrDefault("grant_type") != TokenExchangeGrant ? $"Invalid value for \"grant_type\": {form.GetValueOrDefault("grant_type") ?? "missing"}"
            : form.GetValueOrDefault("subject_token_type") != AccessTokenType ? $"Invalid value for \"subject_token_type\": {form.GetValueOrDefault("subject_token_type") ?? "missing"} (a downscoped token is exchanged from an access token)"
            : form.GetValueOrDefault("requested_token_type") != AccessTokenType ? $"Invalid value for \"requested_token_type\": {form.GetValueOrDefault("requested_token_type") ?? "missing"}"
            : form.GetValueOrDefault("subject_token") is not { Length: > 0 } ? "Missing required parameter: subject_token"
            : form.GetValueOrDefault("options") is not { Length: > 0 } ? "Missing required parameter: options (the Credential Access Boundary)"
            : null;
        if (problem is not null)
        {
            await OAuthErrorAsync(call, problem.StartsWith("Invalid value for \"grant_type\"", StringComparison.Ordinal) ? "unsupported_grant_type" : "invalid_request", problem, violation: true);
            return;
        }

        GcsAccessBoundaryRules boundary;
        try
        {
            boundary = GcsAccessBoundaryRules.Parse(form["options"]);
        }
        catch (FormatException e)
        {
            await OAuthErrorAsync(call, "invalid_request", "Invalid options: " + e.Message, violation: true);
            return;
        }

        if (!_tokens.TryGetValue(form["subject_token"], out IssuedToken? subject) || subject.Expires <= DateTimeOffset.UtcNow || subject.Boundary is not null)
        {
            // A downscoped token cannot be downscoped again here: its boundary would have to be intersected.
            await OAuthErrorAsync(call, "invalid_grant", "The subject token is invalid or expired.", violation: false);
            return;
        }

        string token = "ya29.d." + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        _tokens[token] = subject with { Boundary = boundary };
        lock (_boundaries)
        {
            _boundaries.Add(form["options"]);
        }

        long expiresIn = Math.Max(1, (long)(subject.Expires - DateTimeOffset.UtcNow).TotalSeconds);
        await WriteJsonAsync(call.Http, 200, new JsonObject
        {
            ["access_token"] = token,
            ["issued_token_type"] = AccessTokenType,
            ["token_type"] = "Bearer",
            ["expires_in"] = expiresIn,
        });
    }

    /// <summary>Refuses a downscoped token's request outside its boundary with GCS's 403; any other caller passes.</summary>
    /// <param name="call">The request, authenticated.</param>
    /// <param name="permission">The IAM permission the request needs.</param>
    /// <param name="bucket">Its bucket.</param>
    /// <param name="objectName">The object it acts on; null for a bucket-level request (a list).</param>
    private static void Authorize(GcsCall call, string permission, string bucket, string? objectName)
    {
        if (call.Boundary is not { } boundary)
        {
            return;
        }

        string resource = objectName is null ? $"projects/_/buckets/{bucket}" : $"projects/_/buckets/{bucket}/objects/{objectName}";
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (objectName is null)
        {
            attributes["storage.googleapis.com/objectListPrefix"] = call.Param("prefix") ?? "";
        }

        if (!boundary.Allows(bucket, permission, resource, attributes))
        {
            throw new GcsError(403, "forbidden", $"The caller does not have {permission} access to the Google Cloud Storage {(objectName is null ? "bucket" : "object")}. Permission '{permission}' denied on resource (or it may not exist).");
        }
    }

    private static Dictionary<string, string> ParseForm(string body)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string name = Uri.UnescapeDataString((equals < 0 ? pair : pair[..equals]).Replace('+', ' '));
            form[name] = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
        }

        return form;
    }
}
