using System;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Server.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary>Signing in and out with a catalog user's password, and the language switch (also before signing in).</summary>
internal static class LoginPage
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/login", (HttpContext http, string? returnUrl) => Render(new PageContext(http), returnUrl, null, StatusCodes.Status200OK))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/login", (Delegate)SignInAsync).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/logout", async (HttpContext http) =>
        {
            await http.SignOutAsync(WebUi.CookieScheme).ConfigureAwait(false);
            return Results.Redirect("/login");
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/language", async (HttpContext http) =>
        {
            IFormCollection form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
            string language = WebText.Normalize(form["lang"]) ?? WebText.English;
            http.Response.Cookies.Append(WebText.LanguageCookie, language, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = http.Request.IsHttps,
                MaxAge = TimeSpan.FromDays(365),
                IsEssential = true,
            });
            return Results.Redirect(LocalOrHome(form["return"]));
        }).AllowAnonymous().ExcludeFromDescription();
    }

    private static async Task<IResult> SignInAsync(HttpContext http)
    {
        var page = new PageContext(http);
        IFormCollection form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        string? returnUrl = form["returnUrl"];
        if (!ApiAuthenticationHandler.MaySendSecret(http))
        {
            return Render(page, returnUrl, page.T("Passwords are accepted only over HTTPS or from this machine: start the server with --tls-cert and --tls-key."), StatusCodes.Status403Forbidden);
        }

        string name = form["user"].ToString().Trim();
        CatalogUser? user;
        try
        {
            user = name.Length == 0 ? null : await PasswordLogin.CheckAsync(page.Server, http, LoginGuard.WebSurface, name, form["password"].ToString()).ConfigureAwait(false);
        }
        catch (MedallionException error) when (error.Code == ErrorCode.LoginThrottled)
        {
            return Render(page, returnUrl, page.T("Too many sign-ins are in progress for this user or from this address. Try again in a few seconds."), StatusCodes.Status429TooManyRequests);
        }

        if (user is null)
        {
            return Render(page, returnUrl, page.T("The user name or password is wrong."), StatusCodes.Status401Unauthorized);
        }

        ServerRole role = await page.Server.Catalog.Access.GetServerRoleAsync(user, http.RequestAborted).ConfigureAwait(false);
        bool admin = await page.Server.Access.IsAdminAsync(user.Name, http.RequestAborted).ConfigureAwait(false);
        await http.SignInAsync(WebUi.CookieScheme, WebUi.PrincipalFor(user, role, admin), new AuthenticationProperties { IsPersistent = false }).ConfigureAwait(false);
        return Results.Redirect(LocalOrHome(returnUrl));
    }

    /// <summary>
    /// The return address when it is a path on this server, else <c>/</c>: a sign-in must not send the user to another
    /// site. A path starts with one <c>/</c>; <c>//host</c> and <c>/\host</c> are other sites to a browser (which reads
    /// <c>\</c> as <c>/</c> and drops tabs and newlines from a URL). The same is asked of the address once
    /// percent-decoded, so no encoding of those shapes passes either. As written it must be printable ASCII without
    /// spaces, all a <c>Location</c> header can carry (the paths this server links to are percent-encoded already).
    /// </summary>
    internal static string LocalOrHome(string? url) =>
        url is not null && url.All(c => c is > ' ' and <= '~') && IsLocalPath(url) && IsLocalPath(Uri.UnescapeDataString(url)) ? url : "/";

    private static bool IsLocalPath(string url) =>
        url is ['/', ..] && !url.StartsWith("//", StringComparison.Ordinal) && !url.Contains('\\', StringComparison.Ordinal) && !url.Any(char.IsControl);

    private static IResult Render(PageContext page, string? returnUrl, string? error, int status) =>
        page.Render(page.T("Sign in to Medallion"), string.Empty, HtmlBuilder.Of($"""
            {(error is null ? Markup.Empty : HtmlBuilder.Of($"<p class=\"error\" role=\"alert\">{error}</p>"))}
            <form method="post" action="/login" class="login">
            <input type="hidden" name="{WebUi.AntiforgeryField}" value="{page.Token}">
            <input type="hidden" name="returnUrl" value="{LocalOrHome(returnUrl)}">
            <label for="user">{page.T("User")}</label>
            <input id="user" name="user" autocomplete="username" required autofocus>
            <label for="password">{page.T("Password")}</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">{page.T("Sign in")}</button>
            </form>
            """), status);
}
