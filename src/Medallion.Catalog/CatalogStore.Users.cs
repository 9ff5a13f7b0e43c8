using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace Medallion.Catalog;

public sealed partial class CatalogStore
{
    private const string ScramPrefix = "SCRAM-SHA-256$";
    private const string UserColumns = "name, created_at, updated_at, server_role, is_admin, attributes";

    /// <summary>
    /// Adds a user of the SQL endpoint, or replaces the password verifier of an existing one. Only the
    /// SCRAM-SHA-256 verifier is stored (PostgreSQL's <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>),
    /// from which the password cannot be recovered.
    /// </summary>
    /// <returns>True when the user is new, false when an existing user's verifier was replaced.</returns>
    /// <exception cref="ArgumentException">The verifier is not a SCRAM-SHA-256 verifier (a password passed by mistake is never stored).</exception>
    public async Task<bool> SetUserAsync(string name, string scramVerifier, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(scramVerifier);
        if (!scramVerifier.StartsWith(ScramPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("Users are stored with a SCRAM-SHA-256 verifier, never a password.", nameof(scramVerifier));
        }

        string now = Now();
        bool existed = await FindUserVerifierAsync(name, cancellationToken).ConfigureAwait(false) is not null;
        await ExecuteAsync(
            "INSERT INTO users (name, scram_verifier, created_at, updated_at) VALUES (@name, @verifier, @now, @now) " +
            "ON CONFLICT (name) DO UPDATE SET scram_verifier = excluded.scram_verifier, updated_at = excluded.updated_at",
            [("@name", name), ("@verifier", scramVerifier), ("@now", now)],
            cancellationToken).ConfigureAwait(false);
        return !existed;
    }

    /// <summary>The stored SCRAM-SHA-256 verifier of <paramref name="name"/> (names are case-sensitive, as in PostgreSQL), or null.</summary>
    public async Task<string?> FindUserVerifierAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        List<string> verifiers = await QueryAsync("SELECT scram_verifier FROM users WHERE name = @name", [("@name", name)], r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        return verifiers.Count == 0 ? null : verifiers[0];
    }

    /// <summary>Every user, by name.</summary>
    public Task<List<CatalogUser>> ListUsersAsync(CancellationToken cancellationToken = default) =>
        QueryAsync($"SELECT {UserColumns} FROM users ORDER BY name", [], ReadUser, cancellationToken);

    /// <summary>The user named <paramref name="name"/> (case-sensitive), or null.</summary>
    public async Task<CatalogUser?> FindUserAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        List<CatalogUser> users = await QueryAsync($"SELECT {UserColumns} FROM users WHERE name = @name", [("@name", name)], ReadUser, cancellationToken).ConfigureAwait(false);
        return users.Count == 0 ? null : users[0];
    }

    /// <summary>Sets what a user may do on the server.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when there is no such user.</exception>
    public async Task SetUserRoleAsync(string name, ServerRole role, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        int updated = await ExecuteAsync(
            "UPDATE users SET server_role = @role, updated_at = @now WHERE name = @name",
            [("@name", name), ("@role", FormatRole(role)), ("@now", Now())],
            cancellationToken).ConfigureAwait(false);
        if (updated == 0)
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"There is no user '{name}'.\nHelp: check the name against the users, or add the user first.");
        }
    }

    /// <summary>Removes a user; returns false when there was no such user.</summary>
    public async Task<bool> RemoveUserAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        // Grants and row filters name their grantee without a foreign key (it may be a role), so they go with the user here.
        int removed = 0;
        await ExecuteInTransactionAsync(
        [
            ("DELETE FROM access_grants WHERE grantee_kind = 'user' AND grantee = @name", [("@name", name)]),
            ("DELETE FROM access_row_filters WHERE grantee_kind = 'user' AND grantee = @name", [("@name", name)]),
        ], cancellationToken).ConfigureAwait(false);
        removed = await ExecuteAsync("DELETE FROM users WHERE name = @name", [("@name", name)], cancellationToken).ConfigureAwait(false);
        return removed > 0;
    }

    private static CatalogUser ReadUser(SqliteDataReader reader) =>
        new(reader.GetString(0), ParseTime(reader.GetString(1)), ParseTime(reader.GetString(2)), reader.GetString(3) == "operator" ? ServerRole.Operator : ServerRole.Viewer)
        {
            IsAdmin = reader.GetInt64(4) != 0,
            Attributes = Internal.CatalogJson.ReadStringMap(reader.GetString(5)),
        };

    private static string FormatRole(ServerRole role) => role switch
    {
        ServerRole.Viewer => "viewer",
        ServerRole.Operator => "operator",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };
}
