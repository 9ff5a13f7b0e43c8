using System.Security.Cryptography;

namespace Medallion.TestSupport;

/// <summary>How a <see cref="GcsTestServer"/> behaves; the defaults give an open server (no authentication).</summary>
public sealed record GcsTestServerOptions
{
    /// <summary>
    /// When set, every request must carry <c>Authorization: Bearer &lt;token&gt;</c> with either a token this server
    /// issued at its OAuth2 token endpoint (<c>POST /token</c>, grant type
    /// <c>urn:ietf:params:oauth:grant-type:jwt-bearer</c>, the assertion a JWT signed RS256 by this key with
    /// <c>iss</c> = <see cref="ServiceAccountEmail"/>, <c>aud</c> = the token endpoint's URL or Google's
    /// <c>https://oauth2.googleapis.com/token</c> (which Google.Apis.Auth always sends), and a <c>scope</c>) or a
    /// self-signed JWT as Google's libraries send it instead of a token (the same key and issuer, with a scope or an
    /// audience of this server or <c>https://storage.googleapis.com/</c>). No or a bad token is answered 401, a token
    /// whose scopes do not grant Cloud Storage (<c>devstorage.read_write</c>, <c>devstorage.full_control</c>,
    /// <c>cloud-platform</c>; the read-only ones for GETs) 403, in GCS's error shape.
    /// <see cref="GcsTestServer.ServiceAccountJson"/> gives the key file a client loads. The server then also plays Google's
    /// STS (<c>POST /v1/token</c>, a token exchange under a Credential Access Boundary), whose downscoped tokens are
    /// refused (403) any request outside their boundary.
    /// </summary>
    public RSA? ServiceAccountKey { get; init; }

    /// <summary>The service account's e-mail address: the issuer the server expects in every JWT.</summary>
    public string ServiceAccountEmail { get; init; } = "medallion-tests@medallion-tests.iam.gserviceaccount.com";
}
