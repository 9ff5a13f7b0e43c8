using System;
using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Server.Http;
using Medallion.Server.Web.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Medallion.Server.Web;

/// <summary>
/// The web UI at <c>/</c>: server-rendered pages over the same operations as the REST API, signed in with the
/// catalog's users. The session is a cookie (HttpOnly, SameSite=Strict, Secure under TLS) that also lets the pages'
/// scripts call the REST API (live logs, actions); every state-changing request a cookie authenticates must carry the
/// anti-forgery token, so another site cannot act in a signed-in user's name.
/// </summary>
internal static class WebUi
{
    /// <summary>The authentication scheme of the UI's session cookie.</summary>
    public const string CookieScheme = "medallion-web";

    /// <summary>The session cookie's name.</summary>
    public const string SessionCookie = "medallion_session";

    /// <summary>The header the pages' scripts send the anti-forgery token in.</summary>
    public const string AntiforgeryHeader = "X-Medallion-Antiforgery";

    /// <summary>The form field that carries the anti-forgery token.</summary>
    public const string AntiforgeryField = "__antiforgery";

    /// <summary>The policy of the UI's pages: a signed-in session (else the sign-in page).</summary>
    public const string PagePolicy = "web-page";

    /// <summary>The claim that marks an admin's session (<see cref="Medallion.Platform.Access.AccessService.IsAdminAsync"/>): the pages show the admin page's link by it.</summary>
    public const string AdminClaim = "medallion_admin";

    private const string UpdatedClaim = "medallion_user_updated";

    /// <summary>The UI's services: the cookie scheme, anti-forgery and the SQL page's engine.</summary>
    public static void AddServices(IServiceCollection services, MedallionServerOptions options)
    {
        services.AddAuthentication().AddCookie(CookieScheme, cookie =>
        {
            cookie.Cookie.Name = SessionCookie;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.LoginPath = "/login";
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
            cookie.Events = new CookieAuthenticationEvents
            {
                OnValidatePrincipal = ValidateAsync,
                // The REST API answers 401/403 with its own JSON; a redirect to the sign-in page would hide that.
                OnRedirectToLogin = context => IsApi(context.Request) ? Task.CompletedTask : Redirect(context),
                OnRedirectToAccessDenied = context => IsApi(context.Request) ? Task.CompletedTask : Forbidden(context.HttpContext),
            };
        });
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "medallion_antiforgery";
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.HeaderName = AntiforgeryHeader;
            antiforgery.FormFieldName = AntiforgeryField;
            // The security headers below forbid framing altogether.
            antiforgery.SuppressXFrameOptionsHeader = true;
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(PagePolicy, policy => policy.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser());
        services.AddSingleton(_ => new WebSql(options.Sql?.MemoryLimit, options.Sql?.StatementTimeout));
    }

    /// <summary>Mounts the UI: its security checks (run before every endpoint), its assets and pages.</summary>
    public static void Map(WebApplication app)
    {
        app.Use(TimeAsync);
        app.Use(ProtectAsync);
        app.MapGet("/assets/{file}", (string file, HttpContext http) => WebAssets.Serve(file, http)).AllowAnonymous().ExcludeFromDescription();
        LoginPage.Map(app);
        RouteGroupBuilder pages = app.MapGroup(string.Empty).RequireAuthorization(PagePolicy).ExcludeFromDescription();
        HomePage.Map(pages);
        JobsPage.Map(pages);
        JobEditorPage.Map(pages);
        RunsPage.Map(pages);
        BackfillsPage.Map(pages);
        CatalogPage.Map(pages);
        SourcesPage.Map(pages);
        TablePage.Map(pages);
        SqlPage.Map(pages);
        LineagePage.Map(pages);
        AdminPage.Map(pages);
    }

    /// <summary>
    /// The identity a session cookie carries: the user, their server role (<see cref="AccessStore.GetServerRoleAsync"/>),
    /// whether they are an admin, and when their password or role last changed.
    /// </summary>
    public static ClaimsPrincipal PrincipalFor(CatalogUser user, ServerRole role, bool admin) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, user.Name),
            new Claim(ApiAuthenticationHandler.RoleClaim, RoleName(role)),
            new Claim(AdminClaim, admin ? "true" : "false"),
            new Claim(UpdatedClaim, user.UpdatedAt.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], CookieScheme, ClaimTypes.Name, ApiAuthenticationHandler.RoleClaim));

    private static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api", StringComparison.Ordinal);

    /// <summary>
    /// Security headers on every answer, and the anti-forgery check: every state-changing request to the UI, and every
    /// one to the REST API that carries a session cookie.
    /// </summary>
    private static async Task ProtectAsync(HttpContext http, RequestDelegate next)
    {
        IHeaderDictionary headers = http.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        if (http.Request.IsHttps)
        {
            // A browser that has seen this over HTTPS never tries plain HTTP here again, where a network attacker could
            // answer in the server's place (the listener serves only HTTPS once it has a certificate).
            headers.StrictTransportSecurity = "max-age=31536000";
        }

        string method = http.Request.Method;
        bool safe = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);
        // Whatever else the request carries: a cookie the browser attached is what a forged request would ride on.
        bool cookieCall = http.Request.Cookies.ContainsKey(SessionCookie);
        if (!safe && (!IsApi(http.Request) || cookieCall))
        {
            AuthenticateResult session = await http.AuthenticateAsync(CookieScheme).ConfigureAwait(false);
            if (session.Succeeded)
            {
                // The token was issued to this user: check it against the session, not the anonymous caller.
                http.User = session.Principal;
            }

            string? refusal;
            try
            {
                refusal = await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http).ConfigureAwait(false)
                    ? null
                    : "the anti-forgery token is missing or does not match this session: reload the page and try again";
            }
            catch (AntiforgeryValidationException unreadable) when (unreadable.InnerException is System.IO.InvalidDataException form)
            {
                // A form field with a character a form cannot carry (%00) is the sender's mistake, not the server's.
                refusal = $"the form cannot be read: {form.Message}";
            }

            if (refusal is not null)
            {
                await (IsApi(http.Request)
                    ? ApiProblem.For(ErrorCode.ApiRequestInvalid, refusal)
                    : Results.Text(refusal, "text/plain; charset=utf-8", statusCode: StatusCodes.Status400BadRequest)).ExecuteAsync(http).ConfigureAwait(false);
                return;
            }
        }

        await next(http).ConfigureAwait(false);
    }

    /// <summary>
    /// The server's own time for each answer, up to its first byte, as a <c>Server-Timing</c> header
    /// (https://www.w3.org/TR/server-timing/): browsers show it beside the network time, which tells a slow page from a slow network.
    /// </summary>
    private static Task TimeAsync(HttpContext http, RequestDelegate next)
    {
        long started = Stopwatch.GetTimestamp();
        http.Response.OnStarting(() =>
        {
            http.Response.Headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture, $"app;dur={Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0}");
            return Task.CompletedTask;
        });
        return next(http);
    }

    /// <summary>
    /// A session lasts while its user does: a removed user, or one whose password or role changed, signs in again; a
    /// grant or revocation of <c>operate</c> or <c>admin</c> changes the session's role at its next request.
    /// </summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        ServerContext server = context.HttpContext.RequestServices.GetRequiredService<ServerContext>();
        string? name = context.Principal?.Identity?.Name;
        CatalogUser? user = name is null ? null : await server.Catalog.Identity.FindUserAsync(name, context.HttpContext.RequestAborted).ConfigureAwait(false);
        if (user is null || context.Principal!.FindFirst(UpdatedClaim)?.Value != user.UpdatedAt.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme).ConfigureAwait(false);
            return;
        }

        ServerRole role = await server.Catalog.Access.GetServerRoleAsync(user, context.HttpContext.RequestAborted).ConfigureAwait(false);
        bool admin = await server.Access.IsAdminAsync(user.Name, context.HttpContext.RequestAborted).ConfigureAwait(false);
        if (context.Principal.FindFirst(ApiAuthenticationHandler.RoleClaim)?.Value != RoleName(role) || IsAdmin(context.Principal) != admin)
        {
            context.ReplacePrincipal(PrincipalFor(user, role, admin));
            context.ShouldRenew = true;
        }
    }

    /// <summary>Whether the session is an admin's, as its last request found.</summary>
    public static bool IsAdmin(ClaimsPrincipal principal) => principal.HasClaim(AdminClaim, "true");

    private static string RoleName(ServerRole role) => role == ServerRole.Operator ? "operator" : "viewer";

    // A path no endpoint serves falls to the fallback policy, which challenges the REST API's scheme first: its
    // problem details are already on their way, and changing the status then throws (an error logged per request).
    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        if (!context.Response.HasStarted)
        {
            context.Response.Redirect(context.RedirectUri);
        }

        return Task.CompletedTask;
    }

    private static Task Forbidden(HttpContext http)
    {
        if (!http.Response.HasStarted)
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
        }

        return Task.CompletedTask;
    }
}
