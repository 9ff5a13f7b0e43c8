using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Text;

namespace Medallion.Spark;

/// <summary>
/// A Spark Connect address in Spark's connection-string format,
/// <c>sc://host[:port]/;param=value;param=value</c>, as PySpark's and the Scala client's <c>remote</c> take it.
/// </summary>
/// <remarks>
/// <para>The port defaults to 15002. The parameters Spark defines are <c>token</c> (sent as
/// <c>authorization: Bearer</c>), <c>use_ssl</c> (<c>true</c>/<c>false</c>; a token turns TLS on unless it is set),
/// <c>user_id</c> (the user context's id), <c>user_agent</c> (the client type), <c>session_id</c> (a UUID, to share a
/// server session) and <c>grpc_max_message_size</c>. Every other parameter is sent as a gRPC metadata header with
/// each call, which is how Databricks' <c>x-databricks-cluster-id</c> travels. Values are percent-decoded.</para>
/// <para>A token is never sent in clear text to another machine: a token with <c>use_ssl=false</c> is refused unless
/// the host is a loopback address, as Spark's own clients refuse it. Neither the token nor any header's value appears in
/// <see cref="ToString"/> or in an error.</para>
/// </remarks>
public sealed class SparkConnectRemote
{
    /// <summary>The port Spark Connect listens on by default.</summary>
    public const int DefaultPort = 15002;

    /// <summary>The longest connection string accepted; longer ones are refused before they are read.</summary>
    public const int MaxLength = 8192;

    private const string Scheme = "sc://";
    private const long DefaultMaxMessageBytes = 128L * 1024 * 1024;

    // Headers a parameter may not set: the transport's own, gRPC's reserved ones, and the credential, which only the
    // token parameter sets so that TLS is checked for it.
    private static readonly HashSet<string> s_reservedHeaders = new(StringComparer.Ordinal)
    {
        "authorization", "te", "content-type", "user-agent", "host", "connection", "upgrade", "transfer-encoding",
        "keep-alive", "proxy-connection", "proxy-authorization", "cookie",
    };

    private SparkConnectRemote(string host, int port, bool useTls, string? token, string? userId, string? userAgent, Guid? sessionId, long maxMessageBytes, IReadOnlyDictionary<string, string> headers)
    {
        Host = host;
        Port = port;
        UseTls = useTls;
        Token = token;
        UserId = userId;
        UserAgent = userAgent;
        SessionId = sessionId;
        MaxMessageBytes = maxMessageBytes;
        Headers = headers;
    }

    /// <summary>The server's host name or IP address (an IPv6 address without its brackets).</summary>
    public string Host { get; }

    /// <summary>The server's port.</summary>
    public int Port { get; }

    /// <summary>True when the channel uses TLS (<c>use_ssl=true</c>, or a token without <c>use_ssl</c>).</summary>
    public bool UseTls { get; }

    /// <summary>The bearer token, if any. Never logged or shown.</summary>
    public string? Token { get; }

    /// <summary>The <c>user_id</c> parameter: the id in each request's user context.</summary>
    public string? UserId { get; }

    /// <summary>The <c>user_agent</c> parameter: the client type each request names.</summary>
    public string? UserAgent { get; }

    /// <summary>The <c>session_id</c> parameter, to join an existing server session; null starts a new one.</summary>
    public Guid? SessionId { get; }

    /// <summary>The largest message the client accepts (<c>grpc_max_message_size</c>, 128 MiB by default).</summary>
    public long MaxMessageBytes { get; }

    /// <summary>The other parameters, sent as gRPC metadata headers with each call (names in lower case).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>True when the host is this machine (<c>localhost</c>, 127.0.0.0/8 or <c>::1</c>).</summary>
    public bool IsLoopback => IsLoopbackHost(Host);

    /// <summary>The address the gRPC channel dials: <c>https://host:port</c> with TLS, <c>http://host:port</c> without.</summary>
    public Uri Address
    {
        get
        {
            string host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
            return new Uri($"{(UseTls ? "https" : "http")}://{host}:{Port.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>Reads a connection string.</summary>
    /// <param name="text">The connection string, e.g. <c>sc://spark.example.com:15002/;token=...;use_ssl=true</c>.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.SparkRemoteInvalid"/>: the string is malformed (the message says which part and what was
    /// expected, never a secret), or it would send a token without TLS to a host that is not this machine.
    /// </exception>
    public static SparkConnectRemote Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            throw Invalid($"it is {text.Length} characters long, more than the {MaxLength} a connection string may have");
        }

        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsControl(text[i]))
            {
                throw Invalid($"it has a control character at position {i + 1}; a connection string is one line of printable text");
            }
        }

        if (!text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid("it does not start with 'sc://'. Expected e.g. 'sc://spark.example.com:15002'");
        }

        string rest = text[Scheme.Length..];
        int semicolon = rest.IndexOf(';', StringComparison.Ordinal);
        string authorityAndPath = semicolon < 0 ? rest : rest[..semicolon];
        string parameters = semicolon < 0 ? "" : rest[(semicolon + 1)..];

        int slash = authorityAndPath.IndexOf('/', StringComparison.Ordinal);
        string authority = slash < 0 ? authorityAndPath : authorityAndPath[..slash];
        string path = slash < 0 ? "" : authorityAndPath[slash..];
        if (path.Length > 1)
        {
            throw Invalid($"it has the path '{path}', but a Spark Connect address has none: parameters follow ';' after the host and port. Expected e.g. 'sc://host:15002/;use_ssl=true'");
        }

        if (authority.IndexOfAny(['?', '#']) >= 0 || parameters.IndexOfAny(['?', '#']) >= 0)
        {
            throw Invalid("it has a query ('?') or fragment ('#'), which Spark's format does not use. Expected parameters as ';name=value'");
        }

        if (authority.Contains('@', StringComparison.Ordinal))
        {
            throw Invalid("it has user information before '@'. Expected the token as a parameter, e.g. ';token=${SPARK_TOKEN}'");
        }

        (string host, int port) = HostAndPort(authority);
        return WithParameters(host, port, parameters);
    }

    /// <summary>
    /// The connection string with the token and every header value replaced by <c>***</c>: safe for logs and pages.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder("sc://");
        text.Append(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host).Append(':').Append(Port.ToString(CultureInfo.InvariantCulture)).Append('/');
        if (Token is not null)
        {
            text.Append(";token=***");
        }

        text.Append(";use_ssl=").Append(UseTls ? "true" : "false");
        Append(text, "user_id", UserId);
        Append(text, "user_agent", UserAgent);
        Append(text, "session_id", SessionId?.ToString());
        foreach (string name in Headers.Keys)
        {
            text.Append(';').Append(name).Append("=***");
        }

        return text.ToString();

        static void Append(StringBuilder text, string name, string? value)
        {
            if (value is not null)
            {
                text.Append(';').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }
    }

    internal static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out IPAddress? address) && IPAddress.IsLoopback(address));

    private static (string Host, int Port) HostAndPort(string authority)
    {
        string host;
        string? portText;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Invalid("its IPv6 host has no closing ']'. Expected e.g. 'sc://[::1]:15002'");
            }

            host = authority[1..close];
            if (!IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                throw Invalid($"'[{host}]' is not an IPv6 address");
            }

            string after = authority[(close + 1)..];
            portText = after.Length == 0 ? null : after.StartsWith(':') ? after[1..] : throw Invalid($"'{after}' follows the IPv6 host. Expected ':' and a port");
        }
        else
        {
            int colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? null : authority[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                throw Invalid("its host has ':' in it. Expected an IPv6 address in brackets, e.g. 'sc://[::1]:15002'");
            }

            if (host.Length == 0)
            {
                throw Invalid("it names no host. Expected e.g. 'sc://spark.example.com:15002'");
            }

            if (Uri.CheckHostName(host) is UriHostNameType.Unknown or UriHostNameType.Basic)
            {
                throw Invalid($"'{host}' is not a host name or an IP address");
            }
        }

        if (portText is null)
        {
            return (host, DefaultPort);
        }

        return int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and <= 65535
            ? (host, port)
            : throw Invalid($"its port '{Shorten(portText)}' is not a number from 1 to 65535");
    }

    private static SparkConnectRemote WithParameters(string host, int port, string parameters)
    {
        string? token = null, userId = null, userAgent = null, useSsl = null;
        Guid? sessionId = null;
        long maxMessageBytes = DefaultMaxMessageBytes;
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string pair in parameters.Split(';'))
        {
            if (pair.Length == 0)
            {
                continue;
            }

            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Invalid(equals == 0
                    ? "a parameter has no name before '='. Expected ';name=value'"
                    : $"the parameter '{Shorten(pair)}' has no '='. Expected ';name=value'");
            }

            string name = pair[..equals].ToLowerInvariant();
            if (!IsHeaderName(name))
            {
                throw Invalid($"the parameter name '{Shorten(name)}' has characters a gRPC header name cannot have. Expected letters, digits, '-', '_' or '.'");
            }

            if (!seen.Add(name))
            {
                throw Invalid($"the parameter '{name}' is given twice");
            }

            string value = Decode(name, pair[(equals + 1)..]);
            switch (name)
            {
                case "token":
                    token = value.Length > 0 ? value : throw Invalid("'token' is empty");
                    break;
                case "use_ssl":
                    useSsl = value.ToLowerInvariant() is "true" or "false" ? value.ToLowerInvariant() : throw Invalid($"'use_ssl' is '{Shorten(value)}'. Expected 'true' or 'false'");
                    break;
                case "user_id":
                    userId = value;
                    break;
                case "user_agent":
                    userAgent = value.Length is > 0 and <= 2048 ? value : throw Invalid("'user_agent' must be 1 to 2048 characters");
                    break;
                case "session_id":
                    sessionId = Guid.TryParseExact(value, "D", out Guid id) ? id : throw Invalid($"'session_id' is '{Shorten(value)}', which is not a UUID. Expected e.g. 'session_id=00112233-4455-6677-8899-aabbccddeeff'");
                    break;
                case "grpc_max_message_size":
                    maxMessageBytes = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long size) && size is >= 1024 and <= int.MaxValue
                        ? size
                        : throw Invalid($"'grpc_max_message_size' is '{Shorten(value)}'. Expected a number of bytes from 1024 to {int.MaxValue}");
                    break;
                default:
                    if (s_reservedHeaders.Contains(name) || name.StartsWith("grpc-", StringComparison.Ordinal) || name.EndsWith("-bin", StringComparison.Ordinal))
                    {
                        throw Invalid($"the parameter '{name}' would set a header that the client sets itself{(name == "authorization" ? ". Expected the credential as ';token=...'" : "")}");
                    }

                    headers[name] = value;
                    break;
            }
        }

        bool useTls = useSsl is null ? token is not null : useSsl == "true";
        if (token is not null && !useTls && !IsLoopbackHost(host))
        {
            throw Invalid($"it sends a token to '{host}' with use_ssl=false, which would put the token on the network in clear text. Expected use_ssl=true (tokens without TLS are accepted only for this machine's own loopback address)");
        }

        return new SparkConnectRemote(host, port, useTls, token, userId, userAgent, sessionId, maxMessageBytes, headers);
    }

    private static string Decode(string name, string raw)
    {
        string value;
        try
        {
            value = Uri.UnescapeDataString(raw);
        }
        catch (UriFormatException)
        {
            throw Invalid($"the value of '{name}' has a malformed %-escape");
        }

        // Malformed escapes are left as they are by UnescapeDataString: a '%' not followed by two hex digits.
        for (int i = raw.IndexOf('%', StringComparison.Ordinal); i >= 0; i = raw.IndexOf('%', i + 1))
        {
            if (i + 2 >= raw.Length || !Uri.IsHexDigit(raw[i + 1]) || !Uri.IsHexDigit(raw[i + 2]))
            {
                throw Invalid($"the value of '{name}' has a malformed %-escape. Expected '%' and two hex digits");
            }
        }

        foreach (char c in value)
        {
            // A header value is visible ASCII and spaces (RFC 9110 field-value); a decoded CR or LF could split a header.
            if (c is < ' ' or > '~')
            {
                throw Invalid($"the value of '{name}' has a character a gRPC header cannot carry (a control character or one outside ASCII)");
            }
        }

        return value;
    }

    private static bool IsHeaderName(string name)
    {
        foreach (char c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
            {
                return false;
            }
        }

        return name.Length is > 0 and <= 256;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";

    private static MedallionException Invalid(string what) =>
        new(ErrorCode.SparkRemoteInvalid, $"The Spark Connect address is invalid: {what}.");
}
