using System.Net;
using System.Text.RegularExpressions;
using Medallion.Server.Web;

namespace Medallion.Server.Tests;

/// <summary>A browser-like HTTP client of the UI: keeps cookies, reads the anti-forgery token off each page, signs in with a form.</summary>
internal sealed partial class WebSession : IDisposable
{
    private readonly SocketsHttpHandler _handler;

    /// <param name="from">The loopback address the session connects from (127.0.0.2, ...: another machine); the usual one when null.</param>
    public WebSession(ServedProject served, string? language = null, bool acceptAnyCertificate = false, IPAddress? from = null)
    {
        _handler = LoopbackClient.From(from);
        _handler.AllowAutoRedirect = false;
        _handler.CookieContainer = new CookieContainer();
        _handler.UseCookies = true;
        if (acceptAnyCertificate)
        {
#pragma warning disable CA5359 // The test's own self-signed certificate, on loopback.
            _handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        Http = new HttpClient(_handler) { BaseAddress = served.Server.HttpAddress };
        if (language is not null)
        {
            Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        }
    }

    public HttpClient Http { get; }

    public CookieContainer Cookies => _handler.CookieContainer;

    /// <summary>The anti-forgery token of the last page read.</summary>
    public string Token { get; private set; } = string.Empty;

    public async Task<(HttpStatusCode Status, string Html)> GetAsync(string path)
    {
        using HttpResponseMessage response = await Http.GetAsync(path);
        string html = await response.Content.ReadAsStringAsync();
        if (TokenField().Match(html) is { Success: true } match)
        {
            Token = WebUtility.HtmlDecode(match.Groups[1].Value);
        }

        return (response.StatusCode, html);
    }

    /// <summary>Posts a form with the page's anti-forgery token (unless <paramref name="withToken"/> is false).</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields, bool withToken = true)
    {
        var all = new List<KeyValuePair<string, string>>(fields);
        if (withToken)
        {
            all.Add(new(WebUi.AntiforgeryField, Token));
        }

        return await Http.PostAsync(path, new FormUrlEncodedContent(all));
    }

    /// <summary>Signs in through the sign-in form; returns its answer (a redirect when it worked).</summary>
    public async Task<HttpResponseMessage> SignInAsync(string user, string password)
    {
        await GetAsync("/login");
        return await PostFormAsync("/login", [new("user", user), new("password", password), new("returnUrl", "/")]);
    }

    public async Task SignInOrFailAsync(string user, string password)
    {
        using HttpResponseMessage response = await SignInAsync(user, password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        await GetAsync("/");
    }

    public void Dispose()
    {
        Http.Dispose();
        _handler.Dispose();
    }

    [GeneratedRegex("name=\"__antiforgery\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
