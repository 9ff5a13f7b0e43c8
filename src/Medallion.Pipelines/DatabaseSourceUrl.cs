using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Medallion.Catalog;
using Medallion.Ingestion;

namespace Medallion.Pipelines;

/// <summary>A database source made from a URL, and what its URL held.</summary>
/// <param name="Source">The source, with one table, read like a <c>sources/*.yml</c> entry.</param>
/// <param name="PasswordInUrl">The URL held a password as written rather than as a <c>${NAME}</c> reference.</param>
/// <param name="DisplayUrl">The URL without its password (a <c>${NAME}</c> reference is kept): safe to print.</param>
public sealed record DatabaseUrlSource(DatabaseSourceDefinition Source, bool PasswordInUrl, string DisplayUrl);

/// <summary>
/// Database sources written as URLs, for trying Medallion against a database in one command:
/// <c>postgres://user:password@host:port/database?sslmode=require</c> (also <c>postgresql://</c>) and
/// <c>mysql://</c> (also <c>mariadb://</c>). The password may be a <c>${NAME}</c> reference, read from the
/// environment now; query parameters are the driver's connection-string keywords. The URL itself is never kept:
/// the source's position and the catalog hold the server, database and table only.
/// </summary>
public static class DatabaseSourceUrl
{
    private static readonly SourceLocation s_location = new("--source");

    /// <summary>Whether <paramref name="text"/> is a database URL (by its scheme), rather than, say, an HTTP API's.</summary>
    public static bool IsDatabaseUrl(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return DatabaseType(text) is not null;
    }

    /// <summary>Makes the source that reads <paramref name="table"/> of the database at <paramref name="url"/> into bronze.</summary>
    /// <param name="url">The database URL.</param>
    /// <param name="table">The source table: <c>schema.table</c> (PostgreSQL, <c>public</c> when left out) or <c>table</c> (MySQL).</param>
    /// <param name="mode"><c>full</c> (the default when null), <c>incremental</c> or <c>cdc</c> (PostgreSQL only).</param>
    /// <param name="cursor">Incremental: the cursor columns, most significant first (required then, refused otherwise).</param>
    /// <param name="target">The bronze table; <c>bronze.&lt;table&gt;</c> when null.</param>
    /// <param name="name">The source's name (its position is kept under it); the target's name when null.</param>
    /// <param name="environment">Resolves a <c>${NAME}</c> password; the process environment when null.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.SourceUrlInvalid"/>: the URL, table, mode or cursor is wrong (the message says which, never
    /// showing a password); <see cref="ErrorCode.SourceSecretMissing"/>: the password's variable is not set.
    /// </exception>
    public static DatabaseUrlSource Parse(string url, string table, string? mode, IReadOnlyList<string> cursor, TableName? target = null, string? name = null, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(cursor);
        string type = DatabaseType(url) ?? throw Invalid($"'{Redact(url)}' is not a database URL", "start it with postgres:// or mysql://, e.g. postgres://user@localhost:5432/shop");
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

        string database = Unescape(hostPart[(slash + 1)..], display);
        (string host, string? port) = SplitHost(hostPart[..slash], display);
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["host"] = host, ["database"] = database };
        if (port is not null)
        {
            settings["port"] = port;
        }

        bool passwordInUrl = false;
        if (userInfo is not null)
        {
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            settings["user"] = Unescape(colon < 0 ? userInfo : userInfo[..colon], display);
            if (colon >= 0)
            {
                string password = userInfo[(colon + 1)..];
                if (password.StartsWith("${", StringComparison.Ordinal) && password.EndsWith('}'))
                {
                    string variable = password[2..^1];
                    settings["password"] = (environment ?? Environment.GetEnvironmentVariable)(variable) is { Length: > 0 } value
                        ? value
                        : throw new MedallionException(ErrorCode.SourceSecretMissing,
                            $"The password of '{display}' refers to the environment variable '{variable}', which is not set.\nHelp: export {variable}=... before running medallion.");
                }
                else
                {
                    settings["password"] = Unescape(password, display);
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

            settings[Unescape(parameter[..equals], display)] = Unescape(parameter[(equals + 1)..], display);
        }

        if (string.IsNullOrWhiteSpace(table))
        {
            throw Invalid("no table was given", "name the table to read, e.g. public.orders");
        }

        IngestionMode ingestionMode = mode?.ToLowerInvariant() switch
        {
            null or "full" => IngestionMode.Full,
            "incremental" => IngestionMode.Incremental,
            "cdc" => IngestionMode.Cdc,
            _ => throw Invalid($"the mode '{mode}' is not one Medallion knows", "use full, incremental or cdc"),
        };
        if (ingestionMode == IngestionMode.Incremental && cursor.Count == 0)
        {
            throw Invalid($"table '{table}' is read incrementally but has no cursor column", "name the column that grows with each change, e.g. updated_at");
        }

        if (ingestionMode != IngestionMode.Incremental && cursor.Count > 0)
        {
            throw Invalid($"a cursor applies to incremental reads, but table '{table}' is read in mode {ingestionMode.ToString().ToLowerInvariant()}", "read it in mode incremental, or leave the cursor out");
        }

        TableName into = target ?? new TableName("bronze", table[(table.LastIndexOf('.') + 1)..].ToLowerInvariant());
        string sourceName = name ?? into.Name.ToLowerInvariant();
        var connection = new ConnectionDefinition(sourceName, type, settings, s_location);
        var definition = new DatabaseTableDefinition(table, into, ingestionMode, cursor, null, null, null, 100_000, s_location);
        return new DatabaseUrlSource(new DatabaseSourceDefinition(sourceName, connection, [definition], null, s_location), passwordInUrl, display);
    }

    private static string? DatabaseType(string url)
    {
        int end = url.IndexOf("://", StringComparison.Ordinal);
        return end < 0 ? null : url[..end].ToLowerInvariant() switch
        {
            "postgres" or "postgresql" => "postgres",
            "mysql" or "mariadb" => "mysql",
            _ => null,
        };
    }

    private static (string Host, string? Port) SplitHost(string text, string display)
    {
        string host = text;
        string? port = null;
        int colon = text.StartsWith('[') ? text.IndexOf("]:", StringComparison.Ordinal) + 1 : text.LastIndexOf(':');
        if (colon > 0)
        {
            (host, port) = (text[..colon], text[(colon + 1)..]);
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 65535)
            {
                throw Invalid($"'{display}' has the port '{port}', which is not a number from 1 to 65535", "write the host as host:port, e.g. localhost:5432");
            }
        }

        host = host.Trim('[', ']');
        return host.Length > 0 ? (host, port) : throw Invalid($"'{display}' names no host", "write it after the '@', e.g. user@localhost:5432/shop");
    }

    private static string Unescape(string text, string display)
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

    /// <summary>The URL without a password written into it; a <c>${NAME}</c> reference is kept, as it shows no secret.</summary>
    private static string Redact(string url)
    {
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

    private static MedallionException Invalid(string what, string help) =>
        new(ErrorCode.SourceUrlInvalid, $"The database source cannot be read: {what}.\nHelp: {help}.");
}
