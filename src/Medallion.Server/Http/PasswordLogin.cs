using System.Net;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.PgWire;
using Microsoft.AspNetCore.Http;

namespace Medallion.Server.Http;

/// <summary>
/// A password check of the HTTP side (REST API's Basic, web UI's sign-in form) through the server's one
/// <see cref="LoginGuard"/>, the SQL endpoint's too: it takes its places before the password is looked at, and a
/// failure holds them (and its answer) for the guard's delay, and is logged and audited with its surface.
/// </summary>
internal static class PasswordLogin
{
    /// <summary>What a caller is told when the user is unknown or the password wrong (the same for both).</summary>
    public const string WrongPassword = "the user name or password is wrong";

    /// <summary>The catalog user whose password this is, or null (unknown user or wrong password) once the failure's delay has passed.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.LoginThrottled"/> when too many checks of the address or account were in progress for too long.</exception>
    public static async Task<CatalogUser?> CheckAsync(ServerContext server, HttpContext context, string surface, string name, string password)
    {
        var client = new IPEndPoint(context.Connection.RemoteIpAddress ?? IPAddress.None, context.Connection.RemotePort);
        using LoginAttempt attempt = await server.Logins.BeginAsync(surface, name, client, context.RequestAborted).ConfigureAwait(false);
        CatalogUser? user = await ApiAuthenticationHandler.VerifyPasswordAsync(server, name, password, context.RequestAborted).ConfigureAwait(false);
        if (user is null)
        {
            await attempt.FailAsync(WrongPassword, context.RequestAborted).ConfigureAwait(false);
            return null;
        }

        attempt.Succeeded();
        return user;
    }
}
