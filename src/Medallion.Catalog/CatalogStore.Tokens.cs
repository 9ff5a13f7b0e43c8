using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Catalog;

public sealed partial class CatalogStore
{
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
        DateTimeOffset now = _time.GetUtcNow();
        await ExecuteAsync(
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

        string now = Now();
        List<string> users = await QueryAsync(
            "SELECT user_name FROM api_tokens WHERE secret_hash = @hash AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)",
            [("@hash", HashSecret(secret)), ("@now", now)], r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        if (users.Count == 0)
        {
            return null;
        }

        await ExecuteAsync("UPDATE api_tokens SET last_used_at = @now WHERE secret_hash = @hash", [("@hash", HashSecret(secret)), ("@now", now)], cancellationToken).ConfigureAwait(false);
        return await FindUserAsync(users[0], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every API token, newest first; for one user when <paramref name="user"/> is given.</summary>
    public Task<List<ApiToken>> ListApiTokensAsync(string? user = null, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {ApiTokenColumns} FROM api_tokens WHERE @user IS NULL OR user_name = @user ORDER BY created_at DESC, id",
            [("@user", user)],
            r => new ApiToken(
                r.GetString(0), r.GetString(1), ParseTime(r.GetString(2)),
                GetNullableTime(r, 3), GetNullableTime(r, 4), GetNullableTime(r, 5)),
            cancellationToken);

    /// <summary>Revokes a token by its id; it stops working at once. False when no unrevoked token has that id.</summary>
    public async Task<bool> RevokeApiTokenAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return await ExecuteAsync("UPDATE api_tokens SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL", [("@id", id), ("@now", Now())], cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>Records an action taken through the server, with who took it.</summary>
    public Task RecordServerActionAsync(string user, string action, string target, string? detail, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentNullException.ThrowIfNull(target);
        return ExecuteAsync(
            "INSERT INTO server_actions (at, user_name, action, target, detail) VALUES (@at, @user, @action, @target, @detail)",
            [("@at", Now()), ("@user", user), ("@action", action), ("@target", target), ("@detail", detail)],
            cancellationToken);
    }

    /// <summary>The last <paramref name="count"/> actions taken through the server, newest first.</summary>
    public Task<List<ServerAction>> ListServerActionsAsync(int count = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return QueryAsync(
            "SELECT at, user_name, action, target, detail FROM server_actions ORDER BY at DESC, rowid DESC LIMIT @count",
            [("@count", count)],
            r => new ServerAction(ParseTime(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetString(3), GetNullableString(r, 4)),
            cancellationToken);
    }

    private static string HashSecret(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static DateTimeOffset? GetNullableTime(Microsoft.Data.Sqlite.SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : ParseTime(reader.GetString(ordinal));
}
