using System;
using System.Net.Http.Headers;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Medallion.Server.Http;

/// <summary>
/// Refuses HTTP Basic credentials a browser may be sending on another site's behalf. A browser that once answered a
/// Basic challenge caches the password for the origin and attaches it to every later request there, including a form
/// another site's page submits: such a request would act as the user with no anti-forgery token to stop it (the web
/// UI's cookie carries one; Basic cannot). So a Basic-authenticated request is refused (403, before the password is
/// looked at) when it shows a browser on another origin's page (<c>Origin</c>, <c>Sec-Fetch-Site</c>, or failing those
/// <c>Referer</c> naming another origin), or when it changes something with a body a page can send without the
/// browser asking first (<c>text/plain</c>, a form, multipart: anything but JSON). Clients that are not browsers send
/// none of those headers and keep working; API tokens and the web UI's session are not affected.
/// </summary>
internal static class BrowserBasicGuard
{
    /// <summary>Runs before authentication: a refused request never reaches the password check or the endpoint.</summary>
    public static Task GuardAsync(HttpContext http, RequestDelegate next) =>
        IsBasic(http.Request) && RefusalFor(http.Request) is { } refusal
            ? ApiProblem.WriteAsync(http, ErrorCode.ApiForbidden, refusal)
            : next(http);

    /// <summary>Why this Basic-authenticated request may be a forgery riding on cached credentials, or null when it is not.</summary>
    internal static string? RefusalFor(HttpRequest request)
    {
        const string Help = "; call the API with an API token (Authorization: Bearer) or from the web UI's signed-in pages";
        string self = request.Scheme + "://" + request.Host.Value;
        IHeaderDictionary headers = request.Headers;
        if (headers.Origin is { Count: > 0 } origin && !string.Equals(origin.ToString(), self, StringComparison.OrdinalIgnoreCase))
        {
            return $"HTTP Basic credentials are not accepted from a web page of another origin (this request carries 'Origin: {origin}'){Help}";
        }

        // same-site is another origin too (another port of the same host); none is the user's own navigation.
        if (headers["Sec-Fetch-Site"] is { Count: > 0 } site && site.ToString() is not ("same-origin" or "none"))
        {
            return $"HTTP Basic credentials are not accepted from a web page of another origin (this request carries 'Sec-Fetch-Site: {site}'){Help}";
        }

        // Browsers that send neither header above still name the page a request came from, unless told not to.
        if (headers.Origin.Count == 0 && headers.Referer is { Count: > 0 } referer && !IsSameOrigin(referer, self))
        {
            return $"HTTP Basic credentials are not accepted from a web page of another origin (this request came from '{referer}'){Help}";
        }

        if (!IsSafe(request.Method) && request.ContentType is { Length: > 0 } type && !IsJson(type))
        {
            return $"HTTP Basic credentials are not accepted on a {request.Method} whose body is '{type}': a web page of any site can send that kind of body with a browser's cached credentials; send the body as application/json, or use an API token (Authorization: Bearer)";
        }

        return null;
    }

    private static bool IsBasic(HttpRequest request) =>
        AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out AuthenticationHeaderValue? header)
        && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    private static bool IsSafe(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);

    /// <summary>Whether the referring page's origin is this server's (a <c>Referer</c> that is not an absolute URL names no origin of ours).</summary>
    private static bool IsSameOrigin(StringValues referer, string self) =>
        Uri.TryCreate(referer.ToString(), UriKind.Absolute, out Uri? page)
        && string.Equals(page.GetLeftPart(UriPartial.Authority), self, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>application/json</c> or an <c>application/...+json</c> type: a cross-site page cannot send these without the browser asking the server first (CORS preflight), which this server never allows.</summary>
    private static bool IsJson(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? type) && type.MediaType is { } media
        && (media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && media.EndsWith("+json", StringComparison.OrdinalIgnoreCase)));
}
