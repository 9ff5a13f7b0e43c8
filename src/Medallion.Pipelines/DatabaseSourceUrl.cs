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
        return DatabaseUrl.TypeOf(text) is not null;
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
        DatabaseUrl parsed = DatabaseUrl.Parse(url, "The database source", ErrorCode.SourceUrlInvalid, ErrorCode.SourceSecretMissing, environment);
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
        var connection = new ConnectionDefinition(sourceName, parsed.Type, parsed.Settings, s_location);
        var definition = new DatabaseTableDefinition(table, into, ingestionMode, cursor, null, null, null, 100_000, s_location);
        return new DatabaseUrlSource(new DatabaseSourceDefinition(sourceName, connection, [definition], null, s_location), parsed.PasswordInUrl, parsed.Display);
    }

    private static MedallionException Invalid(string what, string help) =>
        new(ErrorCode.SourceUrlInvalid, $"The database source cannot be read: {what}.\nHelp: {help}.");
}
