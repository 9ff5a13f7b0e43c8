using System;
using System.Collections.Generic;
using System.Linq;
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

    /// <summary>Removes a user with its grants and row filters (its memberships and API tokens go with it), in one transaction; returns false when there was no such user.</summary>
    public async Task<bool> RemoveUserAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        // Grants and row filters name their grantee without a foreign key (it may be a role), so they go with the user here.
        return await WriteAsync(
            (connection, transaction) =>
            {
                Execute(connection, transaction, "DELETE FROM access_grants WHERE grantee_kind = 'user' AND grantee = @name", ("@name", name));
                Execute(connection, transaction, "DELETE FROM access_row_filters WHERE grantee_kind = 'user' AND grantee = @name", ("@name", name));
                return Execute(connection, transaction, "DELETE FROM users WHERE name = @name", ("@name", name));
            },
            cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>
    /// Adds a user, or replaces an existing user's password verifier, together with what <paramref name="user"/> gives it
    /// (roles, server role, admin, attributes), in one transaction: either all of it is recorded or none.
    /// </summary>
    /// <param name="user">The user and what it is given.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>True when the user is new, false when an existing user's verifier was replaced.</returns>
    /// <exception cref="ArgumentException">The verifier is not a SCRAM-SHA-256 verifier.</exception>
    /// <exception cref="MedallionException">
    /// A role it is given does not exist (<see cref="ErrorCode.CatalogObjectNotFound"/>, with a suggestion), or its name is
    /// a role's (<see cref="ErrorCode.CatalogAccessInvalid"/>).
    /// </exception>
    public async Task<bool> SaveUserAsync(UserDefinition user, CancellationToken cancellationToken = default)
    {
        RequireVerifier(user);
        List<string> roles = (await ListRolesAsync(cancellationToken).ConfigureAwait(false)).Select(r => r.Name).ToList();
        foreach (string wanted in user.Roles.Where(r => !roles.Contains(r)))
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound,
                $"There is no role '{wanted}'.{NameSuggester.DidYouMean(wanted, roles)}\nHelp: medallion role create {wanted} first; medallion role list shows the roles.");
        }

        if (roles.Contains(user.Name))
        {
            throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"'{user.Name}' is already a role's name; a user needs a name of its own.");
        }

        string now = Now();
        return await WriteAsync((connection, transaction) => WriteUser(connection, transaction, user, now), cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>
    /// Adds <paramref name="user"/> (as <see cref="SaveUserAsync"/> does) only when the catalog has no users yet, in one
    /// transaction with that check: of two processes starting on a new project at once, one adds it.
    /// </summary>
    /// <returns>True when the user was added; false when the catalog had users, and nothing changed.</returns>
    /// <exception cref="ArgumentException">The verifier is not a SCRAM-SHA-256 verifier, or the user is given roles (none exist yet).</exception>
    public async Task<bool> AddFirstUserAsync(UserDefinition user, CancellationToken cancellationToken = default)
    {
        RequireVerifier(user);
        if (user.Roles.Count > 0)
        {
            throw new ArgumentException("The first user holds no roles: a project without users has none to give.", nameof(user));
        }

        string now = Now();
        return await WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand any = CreateCommand(connection, transaction, "SELECT EXISTS (SELECT 1 FROM users)", []);
                return Convert.ToInt64(any.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0 ? 0 : WriteUser(connection, transaction, user, now);
            },
            cancellationToken).ConfigureAwait(false) > 0;
    }

    private static void RequireVerifier(UserDefinition user)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentException.ThrowIfNullOrWhiteSpace(user.Name);
        if (!user.ScramVerifier.StartsWith(ScramPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("Users are stored with a SCRAM-SHA-256 verifier, never a password.", nameof(user));
        }
    }

    /// <summary>The writes of <see cref="SaveUserAsync"/> inside its transaction; 1 when the user is new.</summary>
    private static int WriteUser(SqliteConnection connection, SqliteTransaction transaction, UserDefinition user, string now)
    {
        using SqliteCommand read = CreateCommand(connection, transaction, "SELECT attributes FROM users WHERE name = @name", [("@name", user.Name)]);
        string? attributes = read.ExecuteScalar() as string;
        Execute(connection, transaction,
            "INSERT INTO users (name, scram_verifier, created_at, updated_at) VALUES (@name, @verifier, @now, @now) " +
            "ON CONFLICT (name) DO UPDATE SET scram_verifier = excluded.scram_verifier, updated_at = excluded.updated_at",
            ("@name", user.Name), ("@verifier", user.ScramVerifier), ("@now", now));
        foreach (string role in user.Roles)
        {
            Execute(connection, transaction, "INSERT INTO access_members (role_name, user_name) VALUES (@role, @user) ON CONFLICT DO NOTHING", ("@role", role), ("@user", user.Name));
        }

        if (user.ServerRole is { } serverRole)
        {
            Execute(connection, transaction, "UPDATE users SET server_role = @role WHERE name = @name", ("@name", user.Name), ("@role", FormatRole(serverRole)));
        }

        if (user.IsAdmin)
        {
            Execute(connection, transaction, "UPDATE users SET is_admin = 1 WHERE name = @name", ("@name", user.Name));
        }

        if (user.Attributes.Count > 0)
        {
            var merged = new Dictionary<string, string>(attributes is null ? new Dictionary<string, string>() : Internal.CatalogJson.ReadStringMap(attributes), StringComparer.Ordinal);
            foreach ((string attribute, string value) in user.Attributes)
            {
                merged[attribute] = value;
            }

            Execute(connection, transaction, "UPDATE users SET attributes = @attributes WHERE name = @name", ("@name", user.Name), ("@attributes", Internal.CatalogJson.WriteStringMap(merged)));
        }

        return attributes is null ? 1 : 0;
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
