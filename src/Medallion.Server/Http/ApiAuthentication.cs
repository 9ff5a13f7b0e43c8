using System;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.PgWire;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Medallion.Server.Http;

/// <summary>
/// Who is calling the REST API: a catalog user by HTTP Basic (over TLS, or from this machine), an API token
/// (<c>Authorization: Bearer mdl_...</c>, likewise over TLS or from this machine), or the CLI on this machine with the token the server wrote to its runtime
/// file. Password checks go through the server's login guard, the SQL endpoint's too (<see cref="PasswordLogin"/>).
/// </summary>
internal sealed class ApiAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ServerContext server)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "medallion";
    public const string OperatorPolicy = "operator";
    public const string RoleClaim = "medallion_role";
    private const string FailureKey = "medallion.authentication_failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out AuthenticationHeaderValue? header) || header.Parameter is null)
        {
            return AuthenticateResult.NoResult();
        }

        (string? user, ServerRole role, string? failure) = header.Scheme.ToUpperInvariant() switch
        {
            "BEARER" => await FromTokenAsync(header.Parameter).ConfigureAwait(false),
            "BASIC" => await FromPasswordAsync(header.Parameter).ConfigureAwait(false),
            _ => (null, ServerRole.Viewer, $"the authorization scheme '{header.Scheme}' is not supported; use Basic or Bearer"),
        };
        if (user is null)
        {
            // The challenge that follows cannot see this result, so the reason travels with the request.
            Context.Items[FailureKey] = failure;
            return AuthenticateResult.Fail(failure ?? "the credentials were not accepted");
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user), new Claim(RoleClaim, role == ServerRole.Operator ? "operator" : "viewer")], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // Only Bearer is offered: a browser shows its password dialog for a Basic challenge and then sends the password
        // with every request to this origin, whichever site's page makes it (see BrowserBasicGuard), while the web UI
        // has its own sign-in page. Web applications with a sign-in page commonly answer their API's 401 this way;
        // Bearer keeps the header RFC 7235 asks of a 401, and clients that use Basic (curl -u, scripts) send it
        // without waiting to be challenged.
        Response.Headers.WWWAuthenticate = "Bearer realm=\"medallion\"";
        string reason = Context.Items[FailureKey] as string
            ?? "authentication required: pass a user's password (HTTP Basic) or an API token (Authorization: Bearer)";
        return ApiProblem.WriteAsync(Context, ErrorCode.ApiAuthenticationFailed, reason);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblem.WriteAsync(Context, ErrorCode.ApiForbidden, $"user {Context.User.Identity?.Name} is a viewer; this action needs the operator role (medallion user role <name> operator) or a grant of operate on server (medallion grant operate on server to <user or role>)");

    private async Task<(string?, ServerRole, string?)> FromTokenAsync(string secret)
    {
        if (!MaySendSecret(Context))
        {
            // Whoever reads the network can replay a token sent in clear; refusing it here makes every such copy useless.
            return (null, ServerRole.Viewer, "API tokens are accepted only over HTTPS (or from this machine): on plain HTTP anyone on the network can read and replay one; start the server with --tls-cert and --tls-key, and create a new token, since this one has crossed the network in clear");
        }

        if (server.IsLocalToken(secret))
        {
            return (ServerContext.LocalUser, ServerRole.Operator, null);
        }

        CatalogUser? user = await server.Catalog.Identity.AuthenticateApiTokenAsync(secret, Context.RequestAborted).ConfigureAwait(false);
        return user is null ? (null, ServerRole.Viewer, "the API token is unknown, expired or revoked") : (user.Name, await server.Catalog.Access.GetServerRoleAsync(user, Context.RequestAborted).ConfigureAwait(false), null);
    }

    private async Task<(string?, ServerRole, string?)> FromPasswordAsync(string parameter)
    {
        if (!MaySendSecret(Context))
        {
            // A password in clear on the network is worse than a refused request.
            return (null, ServerRole.Viewer, "HTTP Basic authentication is accepted only over HTTPS (or from this machine); start the server with --tls-cert and --tls-key, or use an API token");
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
        }
        catch (FormatException)
        {
            return (null, ServerRole.Viewer, "the Basic credentials are not base64");
        }

        int colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return (null, ServerRole.Viewer, "the Basic credentials are not 'user:password'");
        }

        CatalogUser? user;
        try
        {
            user = await PasswordLogin.CheckAsync(server, Context, LoginGuard.ApiSurface, decoded[..colon], decoded[(colon + 1)..]).ConfigureAwait(false);
        }
        catch (MedallionException error) when (error.Code == ErrorCode.LoginThrottled)
        {
            return (null, ServerRole.Viewer, error.Message);
        }

        return user is not null
            ? (user.Name, await server.Catalog.Access.GetServerRoleAsync(user, Context.RequestAborted).ConfigureAwait(false), null)
            : (null, ServerRole.Viewer, PasswordLogin.WrongPassword);
    }

    /// <summary>Whether a password or an API token may travel on this request: over HTTPS, or from this machine.</summary>
    internal static bool MaySendSecret(HttpContext context) => context.Request.IsHttps || IsLoopback(context.Connection.RemoteIpAddress);

    /// <summary>The catalog user whose password this is, or null (unknown user or wrong password): HTTP Basic and the web UI's sign-in check the same way.</summary>
    internal static async Task<CatalogUser?> VerifyPasswordAsync(ServerContext server, string name, string password, CancellationToken cancellationToken)
    {
        CatalogUser? user = await server.Catalog.Identity.FindUserAsync(name, cancellationToken).ConfigureAwait(false);
        string? verifier = user is null ? null : await server.Catalog.Identity.FindUserVerifierAsync(name, cancellationToken).ConfigureAwait(false);
        return user is not null && PgUserStore.VerifyPassword(verifier, password) ? user : null;
    }

    private static bool IsLoopback(IPAddress? address) => address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
