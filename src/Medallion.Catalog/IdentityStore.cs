using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using static Medallion.Catalog.Internal.CatalogDatabase;

namespace Medallion.Catalog;

/// <summary>
/// The catalog's identities: users with their password verifiers, server roles and attributes, API tokens (kept as hashes),
/// and the record of the server's administrative actions.
/// Reached through <see cref="CatalogStore.Identity"/>.
/// </summary>
public sealed class IdentityStore
{
    private readonly CatalogDatabase _db;

    internal IdentityStore(CatalogDatabase db) => _db = db;

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

        string now = _db.Now();
        bool existed = await FindUserVerifierAsync(name, cancellationToken).ConfigureAwait(false) is not null;
        await _db.ExecuteAsync(
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
        List<string> verifiers = await _db.QueryAsync("SELECT scram_verifier FROM users WHERE name = @name", [("@name", name)], r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        return verifiers.Count == 0 ? null : verifiers[0];
    }

    /// <summary>Every user, by name.</summary>
    public Task<List<CatalogUser>> ListUsersAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync($"SELECT {UserColumns} FROM users ORDER BY name", [], ReadUser, cancellationToken);

    /// <summary>The user named <paramref name="name"/> (case-sensitive), or null.</summary>
    public async Task<CatalogUser?> FindUserAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        List<CatalogUser> users = await _db.QueryAsync($"SELECT {UserColumns} FROM users WHERE name = @name", [("@name", name)], ReadUser, cancellationToken).ConfigureAwait(false);
        return users.Count == 0 ? null : users[0];
    }

    /// <summary>Sets what a user may do on the server.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when there is no such user.</exception>
    public async Task SetUserRoleAsync(string name, ServerRole role, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        int updated = await _db.ExecuteAsync(
            "UPDATE users SET server_role = @role, updated_at = @now WHERE name = @name",
            [("@name", name), ("@role", FormatRole(role)), ("@now", _db.Now())],
            cancellationToken).ConfigureAwait(false);
        if (updated == 0)
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"There is no user '{name}'.\nHelp: check the name against the users, or add the user first.");
        }
    }

    /// <summary>Removes a user with its grants, row filters and saved queries (its memberships and API tokens go with it), in one transaction; returns false when there was no such user.</summary>
    public async Task<bool> RemoveUserAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        // Grants and row filters name their grantee without a foreign key (it may be a role), so they go with the user here;
        // saved queries too (their owner may be the local CLI, which is no user), so a new user of the name finds none of them.
        return await _db.WriteAsync(
            (connection, transaction) =>
            {
                Execute(connection, transaction, "DELETE FROM access_grants WHERE grantee_kind = 'user' AND grantee = @name", ("@name", name));
                Execute(connection, transaction, "DELETE FROM access_row_filters WHERE grantee_kind = 'user' AND grantee = @name", ("@name", name));
                Execute(connection, transaction, "DELETE FROM saved_queries WHERE owner = @name", ("@name", name));
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
        // Users and roles share one space of names (a grant names either), so the roles are read here too.
        List<string> roles = await _db.QueryAsync("SELECT name FROM access_roles ORDER BY name", [], r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        foreach (string wanted in user.Roles.Where(r => !roles.Contains(r)))
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound,
                $"There is no role '{wanted}'.{NameSuggester.DidYouMean(wanted, roles)}\nHelp: medallion role create {wanted} first; medallion role list shows the roles.");
        }

        if (roles.Contains(user.Name))
        {
            throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"'{user.Name}' is already a role's name; a user needs a name of its own.");
        }

        string now = _db.Now();
        return await _db.WriteAsync((connection, transaction) => WriteUser(connection, transaction, user, now), cancellationToken).ConfigureAwait(false) > 0;
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

        string now = _db.Now();
        return await _db.WriteAsync(
            (connection, transaction) =>
            {
                using DbCommand any = CreateCommand(connection, transaction, "SELECT EXISTS (SELECT 1 FROM users)", []);
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
    private static int WriteUser(DbConnection connection, DbTransaction transaction, UserDefinition user, string now)
    {
        using DbCommand read = CreateCommand(connection, transaction, "SELECT attributes FROM users WHERE name = @name", [("@name", user.Name)]);
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

    private static CatalogUser ReadUser(DbDataReader reader) =>
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

    private const string TokenPrefix = "mdl_";
    private const string ApiTokenColumns = "id, user_name, created_at, expires_at, revoked_at, last_used_at";

    /// <summary>
    /// Creates an API token that acts as <paramref name="user"/>. The returned secret (<c>mdl_&lt;id&gt;_&lt;random&gt;</c>) is
    /// the only copy: the catalog keeps its SHA-256 hash, which is enough to check it (the secret has 256 random bits, so
    /// a slow hash would add nothing).
    /// </summary>
    /// <param name="user">An existing user.</param>
    /// <param name="expiresAt">When the token stops working, or null for never.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when there is no such user.</exception>
    public async Task<(ApiToken Token, string Secret)> CreateApiTokenAsync(string user, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        if (await FindUserVerifierAsync(user, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"There is no user '{user}' to create a token for.\nHelp: add the user first.");
        }

        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        string secret = TokenPrefix + id + "_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        DateTimeOffset now = _db.Time.GetUtcNow();
        await _db.ExecuteAsync(
            "INSERT INTO api_tokens (id, user_name, secret_hash, created_at, expires_at) VALUES (@id, @user, @hash, @now, @expires)",
            [("@id", id), ("@user", user), ("@hash", HashSecret(secret)), ("@now", FormatTime(now)), ("@expires", expiresAt is { } e ? FormatTime(e) : null)],
            cancellationToken).ConfigureAwait(false);
        return (new ApiToken(id, user, ParseTime(FormatTime(now)), expiresAt, null, null), secret);
    }

    /// <summary>
    /// The user a token secret acts as, when the token exists, is not revoked and has not expired; records its use.
    /// Null otherwise, without saying which, so a guesser learns nothing.
    /// </summary>
    public async Task<CatalogUser?> AuthenticateApiTokenAsync(string secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (!secret.StartsWith(TokenPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        string now = _db.Now();
        List<string> users = await _db.QueryAsync(
            "SELECT user_name FROM api_tokens WHERE secret_hash = @hash AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)",
            [("@hash", HashSecret(secret)), ("@now", now)], r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        if (users.Count == 0)
        {
            return null;
        }

        await _db.ExecuteAsync("UPDATE api_tokens SET last_used_at = @now WHERE secret_hash = @hash", [("@hash", HashSecret(secret)), ("@now", now)], cancellationToken).ConfigureAwait(false);
        return await FindUserAsync(users[0], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every API token, newest first; for one user when <paramref name="user"/> is given.</summary>
    public Task<List<ApiToken>> ListApiTokensAsync(string? user = null, CancellationToken cancellationToken = default) =>
        // The filter only when there is one: PostgreSQL cannot tell the type of "@user IS NULL" when @user is null.
        _db.QueryAsync(
            $"SELECT {ApiTokenColumns} FROM api_tokens{(user is null ? "" : " WHERE user_name = @user")} ORDER BY created_at DESC, id",
            user is null ? [] : [("@user", user)],
            r => new ApiToken(
                r.GetString(0), r.GetString(1), ParseTime(r.GetString(2)),
                GetNullableTime(r, 3), GetNullableTime(r, 4), GetNullableTime(r, 5)),
            cancellationToken);

    /// <summary>Revokes a token by its id; it stops working at once. False when no unrevoked token has that id.</summary>
    public async Task<bool> RevokeApiTokenAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return await _db.ExecuteAsync("UPDATE api_tokens SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL", [("@id", id), ("@now", _db.Now())], cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>Records an action taken through the server, with who took it.</summary>
    public Task RecordServerActionAsync(string user, string action, string target, string? detail, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentNullException.ThrowIfNull(target);
        return _db.ExecuteAsync(
            "INSERT INTO server_actions (at, user_name, action, target, detail) VALUES (@at, @user, @action, @target, @detail)",
            [("@at", _db.Now()), ("@user", user), ("@action", action), ("@target", target), ("@detail", detail)],
            cancellationToken);
    }

    /// <summary>The last <paramref name="count"/> actions taken through the server, newest first.</summary>
    public Task<List<ServerAction>> ListServerActionsAsync(int count = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return _db.QueryAsync(
            $"SELECT at, user_name, action, target, detail FROM server_actions ORDER BY at DESC, {_db.Dialect.InsertionOrder} DESC LIMIT @count",
            [("@count", count)],
            r => new ServerAction(ParseTime(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetString(3), GetNullableString(r, 4)),
            cancellationToken);
    }

    private static string HashSecret(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static DateTimeOffset? GetNullableTime(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : ParseTime(reader.GetString(ordinal));
}
