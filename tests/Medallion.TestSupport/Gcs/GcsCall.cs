using System.Globalization;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Medallion.TestSupport;

/// <summary>
/// One request to the <see cref="GcsTestServer"/>, read from the raw request target so that each path segment and
/// query value is percent-decoded exactly once (ASP.NET's <c>Request.Path</c> leaves <c>%2F</c> encoded and decodes
/// the rest, which would blur <c>a%2Fb</c> and <c>a/b</c>). Handlers declare the query parameters they take
/// (<see cref="Allow"/>); any other is a violation, as an unknown parameter is to GCS.
/// </summary>
internal sealed class GcsCall
{
    /// <summary>The system parameters every JSON API method takes (<c>alt</c> is checked per method).</summary>
    private static readonly string[] s_standard = ["fields", "prettyPrint", "quotaUser", "userIp", "key", "oauth_token", "userProject"];

    private readonly Dictionary<string, string> _query = new(StringComparer.Ordinal);

    public GcsCall(HttpContext http)
    {
        Http = http;
        Method = http.Request.Method;
        Target = RawTarget(http);
        int question = Target.IndexOf('?', StringComparison.Ordinal);
        string path = question < 0 ? Target : Target[..question];
        RawSegments = path.Split('/')[1..];
        Segments = [.. RawSegments.Select(segment => Decode(segment, query: false))];
        if (question >= 0)
        {
            foreach (string pair in Target[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int equals = pair.IndexOf('=', StringComparison.Ordinal);
                string name = Decode(equals < 0 ? pair : pair[..equals], query: true);
                string value = equals < 0 ? "" : Decode(pair[(equals + 1)..], query: true);
                if (!_query.TryAdd(name, value))
                {
                    throw GcsError.Invalid($"The query parameter '{name}' is given more than once.");
                }
            }
        }
    }

    public HttpContext Http { get; }

    /// <summary>The request target as the client sent it.</summary>
    public static string RawTarget(HttpContext http) =>
        http.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : http.Request.Path + http.Request.QueryString;

    public string Method { get; }

    /// <summary>The request target as it came (path and query, still encoded).</summary>
    public string Target { get; }

    /// <summary>The path's segments after the leading slash, still percent-encoded.</summary>
    public string[] RawSegments { get; }

    /// <summary>The path's segments after the leading slash, each decoded once.</summary>
    public string[] Segments { get; }

    /// <summary>The query's parameter names and decoded values.</summary>
    public IReadOnlyDictionary<string, string> Query => _query;

    /// <summary>
    /// Fails with a violation when the query has a parameter that neither <paramref name="names"/> nor the JSON API's
    /// system parameters cover; <c>alt</c> must be one of <paramref name="alts"/> (default <c>json</c>).
    /// </summary>
    public void Allow(string[] names, params string[] alts)
    {
        foreach (string name in _query.Keys)
        {
            if (name != "alt" && !names.Contains(name, StringComparer.Ordinal) && !s_standard.Contains(name, StringComparer.Ordinal))
            {
                throw GcsError.Invalid($"Invalid query parameter '{name}' for {Method} {Route}.");
            }
        }

        string[] allowedAlts = alts.Length == 0 ? ["json"] : alts;
        if (_query.TryGetValue("alt", out string? alt) && !allowedAlts.Contains(alt, StringComparer.Ordinal))
        {
            throw GcsError.Invalid($"Invalid value for alt: '{alt}' (this method takes {string.Join(" or ", allowedAlts)}).");
        }

        if (_query.TryGetValue("prettyPrint", out string? pretty))
        {
            ParseBool("prettyPrint", pretty);
        }
    }

    /// <summary>The route's shape for messages: the path with bucket and object names left out.</summary>
    public string Route { get; set; } = "";

    /// <summary>The Credential Access Boundary of the caller's token, when STS downscoped it; null otherwise.</summary>
    public GcsAccessBoundaryRules? Boundary { get; set; }

    public string? Param(string name) => _query.GetValueOrDefault(name);

    public long? LongParam(string name)
    {
        if (!_query.TryGetValue(name, out string? text))
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw GcsError.Invalid($"Invalid value for {name}: '{text}' is not a non-negative 64-bit integer.");
    }

    public bool BoolParam(string name) => _query.TryGetValue(name, out string? text) && ParseBool(name, text);

    /// <summary>The value of <paramref name="name"/>, which must be one of <paramref name="values"/> when present.</summary>
    public string? EnumParam(string name, params string[] values)
    {
        if (!_query.TryGetValue(name, out string? text))
        {
            return null;
        }

        return values.Contains(text, StringComparer.Ordinal)
            ? text
            : throw GcsError.Invalid($"Invalid value for {name}: '{text}' (one of {string.Join(", ", values)}).");
    }

    /// <summary>The four precondition parameters, parsed.</summary>
    public GcsPreconditions Preconditions() => new(
        LongParam("ifGenerationMatch"), LongParam("ifGenerationNotMatch"), LongParam("ifMetagenerationMatch"), LongParam("ifMetagenerationNotMatch"));

    /// <summary>The request's body, uncompressed when it came with <c>Content-Encoding: gzip</c> (Google's libraries gzip JSON bodies).</summary>
    public async Task<byte[]> ReadBodyAsync()
    {
        Stream body = Http.Request.Body;
        string? encoding = Http.Request.Headers.ContentEncoding;
        if (encoding is { Length: > 0 } && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            if (!encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
            {
                throw GcsError.Invalid($"Unsupported Content-Encoding: '{encoding}'.");
            }

            body = new GZipStream(body, CompressionMode.Decompress);
        }

        using var buffer = new MemoryStream();
        try
        {
            await body.CopyToAsync(buffer, Http.RequestAborted);
        }
        catch (InvalidDataException e)
        {
            throw GcsError.Invalid($"The request body is not valid gzip: {e.Message}");
        }
        finally
        {
            if (body != Http.Request.Body)
            {
                await body.DisposeAsync();
            }
        }

        return buffer.ToArray();
    }

    private static bool ParseBool(string name, string text) => text switch
    {
        "true" => true,
        "false" => false,
        _ => throw GcsError.Invalid($"Invalid value for {name}: '{text}' (true or false)."),
    };

    /// <summary>Percent-decodes once; in a query (form encoding) a <c>+</c> is a space, in a path it is itself.</summary>
    private static string Decode(string text, bool query) => Uri.UnescapeDataString(query ? text.Replace('+', ' ') : text);
}
