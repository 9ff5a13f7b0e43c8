using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;

namespace Medallion;

/// <summary>
/// A database server written as a URL: <c>postgres://user:password@host:port/database?sslmode=require</c> (also
/// <c>postgresql://</c>) or <c>mysql://</c> (also <c>mariadb://</c>), as libpq and most tools write it. The password may
/// be a <c>${NAME}</c> reference, read from the environment when parsed; query parameters are the driver's
/// connection-string keywords. Database sources and the catalog are both given this way.
/// </summary>
/// <param name="Type"><c>postgres</c> or <c>mysql</c>.</param>
/// <param name="Settings">host, port, database, user, password and the query's keywords, as written (unescaped).</param>
/// <param name="PasswordInUrl">The URL held a password as written rather than as a <c>${NAME}</c> reference.</param>
/// <param name="Display">The URL without its password (a <c>${NAME}</c> reference is kept): safe to print.</param>
public sealed record DatabaseUrl(string Type, IReadOnlyDictionary<string, string> Settings, bool PasswordInUrl, string Display)
{
    /// <summary><c>postgres</c> or <c>mysql</c> for a URL of a database server, by its scheme; null for anything else (a path, an HTTP API).</summary>
    public static string? TypeOf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int end = text.IndexOf("://", StringComparison.Ordinal);
        return end < 0 ? null : text[..end].ToLowerInvariant() switch
        {
            "postgres" or "postgresql" => "postgres",
            "mysql" or "mariadb" => "mysql",
            _ => null,
        };
    }

    /// <summary>Reads a database URL.</summary>
    /// <param name="url">The URL.</param>
    /// <param name="subject">What the URL is for, starting its error messages ("The database source", "The catalog").</param>
    /// <param name="invalid">The code of an error in the URL itself.</param>
    /// <param name="secretMissing">The code of a <c>${NAME}</c> password whose variable is not set.</param>
    /// <param name="environment">Resolves a <c>${NAME}</c> password; the process environment when null.</param>
    /// <exception cref="MedallionException">The URL does not read (naming what was wrong, never showing a password), or its password's variable is not set.</exception>
    public static DatabaseUrl Parse(string url, string subject, ErrorCode invalid, ErrorCode secretMissing, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(subject);
        MedallionException Invalid(string what, string help) => new(invalid, $"{subject} cannot be read: {what}.\nHelp: {help}.");

        string type = TypeOf(url) ?? throw Invalid($"'{Redact(url)}' is not a database URL", "start it with postgres:// or mysql://, e.g. postgres://user@localhost:5432/shop");
        int schemeEnd = url.IndexOf("://", StringComparison.Ordinal) + 3;
        string rest = url[schemeEnd..];
        string? query = null;
        int question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            (rest, query) = (rest[..question], rest[(question + 1)..]);
        }

        // The user part ends at the last '@', since a password may hold one.
        int at = rest.LastIndexOf('@');
        string? userInfo = at >= 0 ? rest[..at] : null;
        string hostPart = at >= 0 ? rest[(at + 1)..] : rest;
        int slash = hostPart.IndexOf('/', StringComparison.Ordinal);
        string display = Redact(url);
        if (slash < 0 || slash == hostPart.Length - 1)
        {
            throw Invalid($"'{display}' names no database", $"add it after the host, e.g. {url[..schemeEnd]}{(userInfo is null ? "" : "user@")}{(slash < 0 ? hostPart : hostPart[..slash])}/shop");
        }

        string Unescape(string text)
        {
            try
            {
                return Uri.UnescapeDataString(text);
            }
            catch (UriFormatException)
            {
                throw Invalid($"'{display}' has a malformed %-escape", "escape special characters as %XX, e.g. %40 for @");
            }
        }

        string database = Unescape(hostPart[(slash + 1)..]);
        string host = hostPart[..slash];
        string? port = null;
        int colon = host.StartsWith('[') ? host.IndexOf("]:", StringComparison.Ordinal) + 1 : host.LastIndexOf(':');
        if (colon > 0)
        {
            (host, port) = (host[..colon], host[(colon + 1)..]);
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 65535)
            {
                throw Invalid($"'{display}' has the port '{port}', which is not a number from 1 to 65535", "write the host as host:port, e.g. localhost:5432");
            }
        }

        host = host.Trim('[', ']');
        if (host.Length == 0)
        {
            throw Invalid($"'{display}' names no host", "write it after the '@', e.g. user@localhost:5432/shop");
        }

        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["host"] = host, ["database"] = database };
        if (port is not null)
        {
            settings["port"] = port;
        }

        bool passwordInUrl = false;
        if (userInfo is not null)
        {
            int separator = userInfo.IndexOf(':', StringComparison.Ordinal);
            settings["user"] = Unescape(separator < 0 ? userInfo : userInfo[..separator]);
            if (separator >= 0)
            {
                string password = userInfo[(separator + 1)..];
                if (password.StartsWith("${", StringComparison.Ordinal) && password.EndsWith('}'))
                {
                    string variable = password[2..^1];
                    settings["password"] = (environment ?? Environment.GetEnvironmentVariable)(variable) is { Length: > 0 } value
                        ? value
                        : throw new MedallionException(secretMissing,
                            $"The password of '{display}' refers to the environment variable '{variable}', which is not set.\nHelp: export {variable}=... before running medallion.");
                }
                else
                {
                    settings["password"] = Unescape(password);
                    passwordInUrl = true;
                }
            }
        }

        foreach (string parameter in (query ?? string.Empty).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Invalid($"'{display}' has the query parameter '{parameter}' without a value", "write parameters as key=value, e.g. ?sslmode=require");
            }

            settings[Unescape(parameter[..equals])] = Unescape(parameter[(equals + 1)..]);
        }

        return new DatabaseUrl(type, settings, passwordInUrl, display);
    }

    /// <summary>
    /// The driver's connection string for <paramref name="settings"/> (a URL's, or a connection written in a project file):
    /// host, user, database, password and port under the keywords Npgsql or MySqlConnector read, every other keyword as
    /// written.
    /// </summary>
    /// <param name="settings">The settings.</param>
    /// <param name="postgres">True for Npgsql's keywords, false for MySqlConnector's.</param>
    public static string ConnectionString(IEnumerable<KeyValuePair<string, string>> settings, bool postgres)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = new DbConnectionStringBuilder();
        foreach ((string key, string value) in settings)
        {
            string keyword = key.ToLowerInvariant() switch
            {
                "host" => postgres ? "Host" : "Server",
                "user" or "username" => postgres ? "Username" : "User ID",
                "database" => "Database",
                "password" => "Password",
                "port" => "Port",
                _ => key,
            };
            builder[keyword] = value;
        }

        return builder.ConnectionString;
    }

    /// <summary>The URL without a password written into it; a <c>${NAME}</c> reference is kept, as it shows no secret.</summary>
    public static string Redact(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Length == 0)
        {
            return url;
        }

        int schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        int start = schemeEnd < 0 ? 0 : schemeEnd + 3;
        int question = url.IndexOf('?', start);
        int at = url.LastIndexOf('@', question < 0 ? url.Length - 1 : question);
        if (at < start)
        {
            return url;
        }

        int colon = url.IndexOf(':', start);
        if (colon < 0 || colon > at)
        {
            return url;
        }

        string password = url[(colon + 1)..at];
        return password.StartsWith("${", StringComparison.Ordinal) && password.EndsWith('}') ? url : url[..colon] + ":***" + url[at..];
    }
}
