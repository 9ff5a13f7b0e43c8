using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using static Medallion.Catalog.Internal.CatalogDatabase;

namespace Medallion.Catalog;

/// <summary>
/// The SQL queries users saved on the server (<see cref="SavedQuery"/>), so one follows its owner to any browser and can be
/// shared; reached through <see cref="CatalogStore.SavedQueries"/>. The store keeps its limits; who may change whose
/// query is the caller's to decide.
/// </summary>
/// <remarks>
/// Names are unique per owner whatever their case (<c>Revenue</c> and <c>revenue</c> are one query), compared as .NET's
/// invariant culture lower-cases them so both catalog engines agree.
/// </remarks>
public sealed class SavedQueryStore
{
    /// <summary>The longest name, in characters.</summary>
    public const int MaxNameLength = 100;

    /// <summary>The longest SQL text, in characters.</summary>
    public const int MaxSqlLength = 100_000;

    /// <summary>The longest description, in characters.</summary>
    public const int MaxDescriptionLength = 1_000;

    /// <summary>How many queries one owner may keep.</summary>
    public const int MaxPerOwner = 500;

    private const string Columns = "owner, name, sql, description, shared, created_at, updated_at";

    private readonly CatalogDatabase _db;

    internal SavedQueryStore(CatalogDatabase db) => _db = db;

    /// <summary>
    /// Saves <paramref name="owner"/>'s query under <paramref name="name"/>: a new one, or the one of that name (whatever its
    /// case) replaced, keeping when it was first saved and taking the name as now spelled.
    /// </summary>
    /// <param name="owner">Who saves it.</param>
    /// <param name="name">Its name: 1 to <see cref="MaxNameLength"/> characters once trimmed, without <c>/</c> or control characters.</param>
    /// <param name="sql">Its text, stored as given: not blank, at most <see cref="MaxSqlLength"/> characters.</param>
    /// <param name="description">What it answers (trimmed; blank is none), at most <see cref="MaxDescriptionLength"/> characters.</param>
    /// <param name="shared">Whether every signed-in user sees it.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The query as saved, and whether it is new.</returns>
    /// <exception cref="MedallionException"><see cref="ErrorCode.SavedQueryInvalid"/>: a limit is passed; nothing is written.</exception>
    public async Task<(SavedQuery Query, bool Created)> SaveAsync(string owner, string name, string sql, string? description, bool shared, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        string trimmed = CheckName(name);
        CheckSql(sql);
        string? about = string.IsNullOrWhiteSpace(description) ? null : description.Trim();
        if (about is { Length: > MaxDescriptionLength })
        {
            throw Invalid($"The description of saved query '{trimmed}' is {about.Length} characters long; at most {MaxDescriptionLength} are kept.");
        }

        string now = _db.Now();
        string? createdAt = null;
        await _db.WriteAsync(
            (connection, transaction) =>
            {
                // Read in the write that saves: writes are serialized, so two saves of one new name cannot both count as new,
                // nor two new names both pass the owner's limit.
                (createdAt, long count) = Existing(connection, transaction, owner, Key(trimmed));
                if (createdAt is null && count >= MaxPerOwner)
                {
                    throw Invalid($"{owner} already keeps {MaxPerOwner} saved queries, as many as one user may; '{trimmed}' was not saved.\nHelp: delete some you no longer use, or save this one over one of them.");
                }

                (string, object?)[] values =
                [
                    ("@owner", owner), ("@key", Key(trimmed)), ("@name", trimmed), ("@sql", sql), ("@description", about), ("@shared", shared ? 1 : 0),
                    ("@created", createdAt ?? now), ("@updated", now),
                ];
                return createdAt is null
                    ? Execute(connection, transaction,
                        "INSERT INTO saved_queries (owner, name_key, name, sql, description, shared, created_at, updated_at) VALUES (@owner, @key, @name, @sql, @description, @shared, @created, @updated)",
                        values)
                    : Execute(connection, transaction,
                        "UPDATE saved_queries SET name = @name, sql = @sql, description = @description, shared = @shared, updated_at = @updated WHERE owner = @owner AND name_key = @key",
                        values);
            },
            cancellationToken).ConfigureAwait(false);
        return (new SavedQuery(owner, trimmed, sql, about, shared, ParseTime(createdAt ?? now), ParseTime(now)), createdAt is null);
    }

    /// <summary>
    /// The queries <paramref name="user"/> sees: their own by name, then those others shared, by owner and name.
    /// </summary>
    /// <remarks>Loads them all into memory: at most <see cref="MaxPerOwner"/> of the user's, and what others share.</remarks>
    public async Task<List<SavedQuery>> ListVisibleAsync(string user, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        List<SavedQuery> queries = await _db.QueryAsync(
            $"SELECT {Columns} FROM saved_queries WHERE owner = @user OR shared = 1",
            [("@user", user)],
            Read,
            cancellationToken).ConfigureAwait(false);
        // Sorted here, not by SQL: the engines collate text differently.
        return [.. queries
            .OrderBy(q => q.Owner == user ? 0 : 1)
            .ThenBy(q => q.Owner, StringComparer.Ordinal)
            .ThenBy(q => q.Name, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary><paramref name="owner"/>'s query named <paramref name="name"/> (whatever its case), or null.</summary>
    public async Task<SavedQuery?> FindAsync(string owner, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(name);
        List<SavedQuery> found = await _db.QueryAsync(
            $"SELECT {Columns} FROM saved_queries WHERE owner = @owner AND name_key = @key",
            [("@owner", owner), ("@key", Key(name.Trim()))],
            Read,
            cancellationToken).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : null;
    }

    /// <summary>Deletes <paramref name="owner"/>'s query named <paramref name="name"/> (whatever its case); false when there was none.</summary>
    public async Task<bool> DeleteAsync(string owner, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(name);
        return await _db.ExecuteAsync(
            "DELETE FROM saved_queries WHERE owner = @owner AND name_key = @key",
            [("@owner", owner), ("@key", Key(name.Trim()))],
            cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>The name trimmed, when it is one a query may have.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.SavedQueryInvalid"/> naming what is wrong with it.</exception>
    public static string CheckName(string? name)
    {
        string trimmed = (name ?? string.Empty).Trim();
        if (trimmed.Length == 0)
        {
            throw Invalid("A saved query needs a name.\nHelp: give it 1 to 100 characters.");
        }

        if (trimmed.Length > MaxNameLength)
        {
            throw Invalid($"The name '{trimmed[..20]}…' is {trimmed.Length} characters long; a saved query's name has at most {MaxNameLength}.");
        }

        // A slash would split the query's address (/api/saved-queries/{owner}/{name}); a control character would not show.
        if (trimmed.Contains('/', StringComparison.Ordinal))
        {
            throw Invalid($"The name '{trimmed}' holds '/', which a saved query's name may not.");
        }

        if (trimmed.Any(char.IsControl))
        {
            throw Invalid("A saved query's name may not hold a control character (a line break, a tab).");
        }

        return trimmed;
    }

    private static void CheckSql(string? sql)
    {
        if (string.IsNullOrWhiteSpace(sql))
        {
            throw Invalid("A saved query needs its SQL.");
        }

        if (sql.Length > MaxSqlLength)
        {
            throw Invalid($"The SQL is {sql.Length} characters long; a saved query keeps at most {MaxSqlLength}.");
        }
    }

    private static (string? CreatedAt, long Count) Existing(DbConnection connection, DbTransaction transaction, string owner, string key)
    {
        using DbCommand command = CreateCommand(connection, transaction,
            "SELECT MAX(CASE WHEN name_key = @key THEN created_at END), COUNT(*) FROM saved_queries WHERE owner = @owner",
            [("@owner", owner), ("@key", key)]);
        using DbDataReader reader = command.ExecuteReader();
        reader.Read();
        return (GetNullableString(reader, 0), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture));
    }

    private static string Key(string name) => name.ToLowerInvariant();

    private static MedallionException Invalid(string message) => new(ErrorCode.SavedQueryInvalid, message);

    private static SavedQuery Read(DbDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        r.GetString(2),
        GetNullableString(r, 3),
        Convert.ToInt64(r.GetValue(4), CultureInfo.InvariantCulture) != 0,
        ParseTime(r.GetString(5)),
        ParseTime(r.GetString(6)));
}
