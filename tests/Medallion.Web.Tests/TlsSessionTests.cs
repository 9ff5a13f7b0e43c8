using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Medallion.Server.Tests;
using Medallion.Server.Web;

namespace Medallion.Web.Tests;

/// <summary>The session cookie of a server that offers HTTPS.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TlsSessionTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync(options => options with { Certificate = SelfSigned() });

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task Under_tls_the_session_cookie_is_secure()
    {
        using var session = new WebSession(_served, acceptAnyCertificate: true);
        using HttpResponseMessage response = await session.SignInAsync("ana", ServedProject.OperatorPassword);

        string cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(WebUi.SessionCookie + "=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Equal("https", _served.Server.HttpAddress.Scheme);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("; secure", cookie, StringComparison.Ordinal);
        Assert.Contains("; httponly", cookie, StringComparison.Ordinal);
        Assert.Contains("; samesite=strict", cookie, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_tls_every_answer_tells_the_browser_to_use_https_only_from_now_on()
    {
        using var session = new WebSession(_served, acceptAnyCertificate: true);

        using HttpResponseMessage response = await session.Http.GetAsync("/login");

        Assert.Equal("max-age=31536000", string.Join(",", response.Headers.GetValues("Strict-Transport-Security")));
    }

    private static X509Certificate2 SelfSigned()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
