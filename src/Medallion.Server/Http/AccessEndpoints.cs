using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Platform.Access;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Medallion.Server.Http;

/// <summary>
/// The REST API's users, roles, grants, masking policies, row filters and tokens, for admins only: each act is the CLI's
/// (<c>medallion user</c>, <c>role</c>, <c>grant</c>, <c>revoke</c>, <c>access mask</c>, <c>access filter</c>, <c>token</c>) through the same <see cref="AccessService"/>, so it means the
/// same, is one catalog transaction and one audit event (channel <c>api</c>), and fails with the same coded message.
/// </summary>
/// <remarks>
/// These change who may do what, so they are guarded like every other unsafe request (an anti-forgery token with the web
/// UI's cookie, JSON bodies only with HTTP Basic; see <see cref="BrowserBasicGuard"/>), and then asked of an admin: a
/// user added with <c>--admin</c> or holding <c>admin on server</c>, looked up at each request, so a demoted admin stops
/// at once. A password sent to create a user goes into its verifier and nowhere else; a token's secret is answered once.
/// </remarks>
internal static class AccessEndpoints
{
    private const string Tag = "access";

    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder admin = app.MapGroup("/api").AddEndpointFilter(RequireAdminAsync).WithTags(Tag);

        admin.MapGet("/users", async (ServerContext server, CancellationToken cancellationToken) =>
                Results.Json(await UsersAsync(server, cancellationToken).ConfigureAwait(false), ApiJson.Options))
            .WithName("ListUsers").WithDescription("Every user who may sign in, with their server role, admin flag, roles and attributes (never a password).")
            .Produces<IReadOnlyList<UserView>>().ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapPost("/users", (ServerContext server, HttpContext http, UserBody body, CancellationToken cancellationToken) =>
                ActAsync(async () =>
                {
                    bool added = await server.Access.AddUserAsync(
                        Actor(http),
                        new UserRequest(body.Name ?? string.Empty, body.Password ?? string.Empty)
                        {
                            Roles = body.Roles ?? [],
                            Admin = body.Admin,
                            Attributes = body.Attributes ?? new Dictionary<string, string>(),
                        },
                        cancellationToken).ConfigureAwait(false);
                    return Results.Json(await UserAsync(server, body.Name!, cancellationToken).ConfigureAwait(false), ApiJson.Options,
                        statusCode: added ? StatusCodes.Status201Created : StatusCodes.Status200OK);
                }))
            .WithName("AddUser")
            .WithDescription("Adds a user (201), or changes an existing user's password (200), as medallion user add: roles names roles to join, or viewer/operator for the server role; admin makes the user an admin; attributes are read by row filters.")
            .Produces<UserView>(StatusCodes.Status201Created).Produces<UserView>().ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapDelete("/users/{name}", (ServerContext server, HttpContext http, string name, CancellationToken cancellationToken) =>
                ActAsync(async () => await server.Access.RemoveUserAsync(Actor(http), name, cancellationToken).ConfigureAwait(false)
                    ? Results.NoContent()
                    : NotFound($"There is no user '{name}'.\nHelp: GET /api/users lists the users.")))
            .WithName("RemoveUser").WithDescription("Removes a user with its grants, row filters, memberships and tokens, as medallion user remove; sessions already open stay open until they disconnect.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPut("/users/{name}/role", (ServerContext server, HttpContext http, string name, ServerRoleBody body, CancellationToken cancellationToken) =>
                ActAsync(async () =>
                {
                    if (AccessService.ParseServerRole(body.Role ?? string.Empty) is not { } role)
                    {
                        throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"'{body.Role}' is not a server role.\nHelp: viewer (reads jobs, runs and tables) or operator (also triggers, cancels, reruns, backfills, pauses).");
                    }

                    await server.Access.SetServerRoleAsync(Actor(http), name, role, cancellationToken).ConfigureAwait(false);
                    return Results.Json(await UserAsync(server, name, cancellationToken).ConfigureAwait(false), ApiJson.Options);
                }))
            .WithName("SetUserRole").WithDescription("Sets what a user may do through the REST API (viewer or operator), as medallion user role.")
            .Produces<UserView>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        admin.MapGet("/roles", async (ServerContext server, CancellationToken cancellationToken) =>
            {
                List<AccessGrant> grants = await server.Access.ListGrantsAsync(cancellationToken).ConfigureAwait(false);
                List<AccessRole> roles = await server.Access.ListRolesAsync(cancellationToken).ConfigureAwait(false);
                return Results.Json(roles.Select(r => new RoleView(r.Name, r.Members,
                    [.. grants.Where(g => g.GranteeKind == GranteeKind.Role && g.Grantee == r.Name).Select(AccessGrantText.Format)], r.DeclaredIn)).ToList(), ApiJson.Options);
            })
            .WithName("ListRoles").WithDescription("Every role with its members and grants, as medallion role list.")
            .Produces<IReadOnlyList<RoleView>>().ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapPost("/roles", (ServerContext server, HttpContext http, RoleBody body, CancellationToken cancellationToken) =>
                ActAsync(async () => Results.Json(new RoleCreated(body.Name!, await server.Access.CreateRoleAsync(Actor(http), body.Name ?? string.Empty, cancellationToken).ConfigureAwait(false)),
                    ApiJson.Options)))
            .WithName("CreateRole").WithDescription("Creates a role (it holds no grants until granted), as medallion role create; created is false when it already existed.")
            .Produces<RoleCreated>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapDelete("/roles/{name}", (ServerContext server, HttpContext http, string name, CancellationToken cancellationToken) =>
                ActAsync(async () =>
                {
                    await server.Access.DropRoleAsync(Actor(http), name, cancellationToken).ConfigureAwait(false);
                    return Results.NoContent();
                }))
            .WithName("DropRole").WithDescription("Drops a role with its grants, row filters and memberships, as medallion role drop; a role a project file declares changes there (409).")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        admin.MapGet("/grants", async (ServerContext server, CancellationToken cancellationToken) =>
                Results.Json((await server.Access.ListGrantsAsync(cancellationToken).ConfigureAwait(false)).Select(GrantView.Of).ToList(), ApiJson.Options))
            .WithName("ListGrants").WithDescription("Every grant of a privilege, by grantee (role memberships are in GET /api/roles).")
            .Produces<IReadOnlyList<GrantView>>().ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapPost("/grants", (ServerContext server, HttpContext http, GrantBody body, CancellationToken cancellationToken) =>
                ActAsync(async () => Results.Json(GrantResult.Of(await server.Access.GrantAsync(Actor(http), body.Grant ?? string.Empty, body.Grantee ?? string.Empty, cancellationToken).ConfigureAwait(false)), ApiJson.Options)))
            .WithName("Grant")
            .WithDescription("Grants, as medallion grant <grant> to <grantee>: grant is a role's name (given to the user grantee) or a privilege on an object (" + AccessGrantText.Syntax + ") given to the role or user grantee; changed is false when it was already granted.")
            .Produces<GrantResult>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        // A DELETE's body is not taken unless asked for; this one carries the same words as the POST's.
        admin.MapDelete("/grants", (ServerContext server, HttpContext http, [FromBody] GrantBody body, CancellationToken cancellationToken) =>
                ActAsync(async () => Results.Json(GrantResult.Of(await server.Access.RevokeAsync(Actor(http), body.Grant ?? string.Empty, body.Grantee ?? string.Empty, cancellationToken).ConfigureAwait(false)), ApiJson.Options)))
            .WithName("Revoke").WithDescription("Takes back a grant, as medallion revoke <grant> from <grantee>; changed is false when there was no such grant; a grant a project file declares changes there (409).")
            .Produces<GrantResult>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        admin.MapGet("/masks", async (ServerContext server, CancellationToken cancellationToken) =>
                Results.Json((await server.Access.ListMasksAsync(cancellationToken).ConfigureAwait(false)).Select(MaskView.Of).ToList(), ApiJson.Options))
            .WithName("ListMasks").WithDescription("Every masking policy, by classification; a classified column whose classification has none is masked with a keyed hash.")
            .Produces<IReadOnlyList<MaskView>>().ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapPut("/masks/{classification}", (ServerContext server, HttpContext http, string classification, MaskBody body, CancellationToken cancellationToken) =>
                ActAsync(async () => Results.Json(MaskView.Of(await server.Access.SetMaskAsync(Actor(http), classification, body.Policy ?? string.Empty, cancellationToken).ConfigureAwait(false)), ApiJson.Options)))
            .WithName("SetMask")
            .WithDescription("Sets how columns of the classification are masked for users without unmask on it, as medallion access mask: policy is hash (keyed HMAC-SHA-256), partial, null, or a SQL expression with {column}; a policy a project file declares changes there (409). New sessions read with it.")
            .Produces<MaskView>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);

        admin.MapGet("/row-filters", async (ServerContext server, CancellationToken cancellationToken) =>
                Results.Json((await server.Access.ListRowFiltersAsync(cancellationToken).ConfigureAwait(false)).Select(RowFilterView.Of).ToList(), ApiJson.Options))
            .WithName("ListRowFilters").WithDescription("Every row filter, by table and grantee.")
            .Produces<IReadOnlyList<RowFilterView>>().ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapPut("/row-filters/{table}/{grantee}", (ServerContext server, HttpContext http, string table, string grantee, RowFilterBody body, CancellationToken cancellationToken) =>
                ActAsync(async () => Results.Json(RowFilterView.Of(await server.Access.SetRowFilterAsync(Actor(http), table, grantee, body.Predicate ?? string.Empty, cancellationToken).ConfigureAwait(false)), ApiJson.Options)))
            .WithName("SetRowFilter")
            .WithDescription("Shows the role or user grantee only the rows of the table (namespace.table) where predicate holds, replacing the filter it had, as medallion access filter; user.attribute('name') in it reads the user's attribute. Filters of a user and its roles are OR-ed. A filter a project file declares changes there (409). New sessions read with it.")
            .Produces<RowFilterView>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        admin.MapGet("/users/{name}/tokens", (ServerContext server, string name, CancellationToken cancellationToken) =>
                ActAsync(async () =>
                {
                    await UserAsync(server, name, cancellationToken).ConfigureAwait(false);
                    return Results.Json(await server.Access.ListTokensAsync(name, cancellationToken).ConfigureAwait(false), ApiJson.Options);
                }))
            .WithName("ListUserTokens").WithDescription("A user's API tokens, newest first, as medallion token list --user (never their secrets).")
            .Produces<IReadOnlyList<ApiToken>>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/users/{name}/tokens", (ServerContext server, HttpContext http, string name, TokenBody? body, CancellationToken cancellationToken) =>
                ActAsync(async () =>
                {
                    string lifetime = body?.Expires ?? AccessService.DefaultTokenLifetime;
                    if (!AccessService.TryParseTokenLifetime(lifetime, out TimeSpan? duration))
                    {
                        throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"expires '{lifetime}' is not a duration.\nHelp: write it like 90d, 12h or 30min, or 'never'.");
                    }

                    (ApiToken token, string secret) = await server.Access.CreateTokenAsync(Actor(http), name, server.Time.GetUtcNow() + duration, cancellationToken).ConfigureAwait(false);
                    return Results.Json(new CreatedToken(token.Id, token.User, token.CreatedAt, token.ExpiresAt, secret), ApiJson.Options, statusCode: StatusCodes.Status201Created);
                }))
            .WithName("CreateUserToken")
            .WithDescription("Creates an API token acting as the user, as medallion token create: expires is a duration (90d, 12h, 30min; default 90d) or 'never'. The secret is in this answer only.")
            .Produces<CreatedToken>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapDelete("/tokens/{id}", (ServerContext server, HttpContext http, string id, CancellationToken cancellationToken) =>
                ActAsync(async () => await server.Access.RevokeTokenAsync(Actor(http), id, cancellationToken).ConfigureAwait(false)
                    ? Results.NoContent()
                    : NotFound($"There is no unrevoked token '{id}'.\nHelp: GET /api/users/<name>/tokens lists a user's tokens.")))
            .WithName("RevokeToken").WithDescription("Revokes a token by its id, as medallion token revoke; it stops working at once.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary>Lets through only an admin, asked of the catalog at each request.</summary>
    private static async ValueTask<object?> RequireAdminAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        HttpContext http = context.HttpContext;
        ServerContext server = http.RequestServices.GetRequiredService<ServerContext>();
        string? user = http.User.Identity?.Name;
        if (user is null || !await server.Access.IsAdminAsync(user, http.RequestAborted).ConfigureAwait(false))
        {
            return ApiProblem.For(ErrorCode.ApiForbidden,
                $"user {user} is not an admin; managing users, roles, grants, masks, row filters and tokens needs an admin (medallion user add <name> --admin, or medallion grant admin on server to <user or role>)");
        }

        return await next(context).ConfigureAwait(false);
    }

    private static AccessActor Actor(HttpContext http) => new(AuditSource.User(http), AuditSource.Client(http), "api");

    /// <summary>Runs an act and answers what the caller got wrong with the service's coded message, as the problem of its code: 404 for a name that does not exist, 400 for a request that does not read, 409 for what a project file declares.</summary>
    private static async Task<IResult> ActAsync(Func<Task<IResult>> act)
    {
        try
        {
            return await act().ConfigureAwait(false);
        }
        catch (MedallionException refused) when (refused.Code is ErrorCode.CatalogObjectNotFound or ErrorCode.CatalogAccessInvalid or ErrorCode.CatalogAccessDeclared)
        {
            return ApiProblem.For(refused);
        }
    }

    private static IResult NotFound(string message) => ApiProblem.For(ErrorCode.CatalogObjectNotFound, message);

    private static async Task<List<UserView>> UsersAsync(ServerContext server, CancellationToken cancellationToken)
    {
        List<AccessRole> roles = await server.Access.ListRolesAsync(cancellationToken).ConfigureAwait(false);
        return [.. (await server.Access.ListUsersAsync(cancellationToken).ConfigureAwait(false)).Select(u => UserView.Of(u, roles))];
    }

    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when there is no such user.</exception>
    private static async Task<UserView> UserAsync(ServerContext server, string name, CancellationToken cancellationToken) =>
        (await UsersAsync(server, cancellationToken).ConfigureAwait(false)).FirstOrDefault(u => u.Name == name)
        ?? throw new MedallionException(ErrorCode.CatalogObjectNotFound, $"There is no user '{name}'.\nHelp: GET /api/users lists the users.");
}

/// <summary>A user as the REST API shows it: never a password or its verifier.</summary>
/// <param name="Name">The login name.</param>
/// <param name="Role">What the user does through the REST API: <c>viewer</c> or <c>operator</c>.</param>
/// <param name="Admin">Whether the user is an admin (added with <c>--admin</c>).</param>
/// <param name="Roles">The roles the user holds.</param>
/// <param name="Attributes">Attributes row filters read with <c>user.attribute('name')</c>.</param>
/// <param name="CreatedAt">When the user was added.</param>
/// <param name="UpdatedAt">When its password, role or attributes last changed.</param>
public sealed record UserView(string Name, string Role, bool Admin, IReadOnlyList<string> Roles, IReadOnlyDictionary<string, string> Attributes, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    internal static UserView Of(CatalogUser user, IReadOnlyList<AccessRole> roles) =>
        new(user.Name, AccessService.ServerRoleName(user.Role), user.IsAdmin, [.. roles.Where(r => r.Members.Contains(user.Name)).Select(r => r.Name)], user.Attributes, user.CreatedAt, user.UpdatedAt);
}

/// <summary>The body of <c>POST /api/users</c>.</summary>
/// <param name="Name">The login name.</param>
/// <param name="Password">The password; only its SCRAM-SHA-256 verifier is kept, and it is never answered, logged or audited.</param>
/// <param name="Roles">Roles to join, or <c>viewer</c>/<c>operator</c> for the server role.</param>
/// <param name="Admin">Make the user an admin.</param>
/// <param name="Attributes">Attributes to set.</param>
public sealed record UserBody(string? Name, string? Password, IReadOnlyList<string>? Roles = null, bool Admin = false, IReadOnlyDictionary<string, string>? Attributes = null)
{
    /// <summary>Never shows the password.</summary>
    public override string ToString() => $"UserBody {{ Name = {Name} }}";
}

/// <summary>The body of <c>PUT /api/users/{name}/role</c>.</summary>
/// <param name="Role"><c>viewer</c> or <c>operator</c>.</param>
public sealed record ServerRoleBody(string? Role);

/// <summary>The body of <c>POST /api/roles</c>.</summary>
/// <param name="Name">The role's name.</param>
public sealed record RoleBody(string? Name);

/// <summary>The answer to <c>POST /api/roles</c>.</summary>
/// <param name="Name">The role.</param>
/// <param name="Created">False when it already existed.</param>
public sealed record RoleCreated(string Name, bool Created);

/// <summary>A role as the REST API shows it.</summary>
/// <param name="Name">The role.</param>
/// <param name="Members">Its users.</param>
/// <param name="Grants">What it is granted, as the CLI writes it (<c>select on silver</c>).</param>
/// <param name="DeclaredIn">The project file declaring it, or null when made with the CLI or the API.</param>
public sealed record RoleView(string Name, IReadOnlyList<string> Members, IReadOnlyList<string> Grants, string? DeclaredIn);

/// <summary>A grant as the REST API shows it.</summary>
/// <param name="Grant">The privilege on its object, as the CLI writes it (<c>select (a, b) on silver.orders</c>).</param>
/// <param name="GranteeKind"><c>role</c> or <c>user</c>.</param>
/// <param name="Grantee">Whom it is for.</param>
/// <param name="DeclaredIn">The project file declaring it, or null.</param>
public sealed record GrantView(string Grant, GranteeKind GranteeKind, string Grantee, string? DeclaredIn)
{
    internal static GrantView Of(AccessGrant grant) => new(AccessGrantText.Format(grant), grant.GranteeKind, grant.Grantee, grant.DeclaredIn);
}

/// <summary>The body of <c>POST</c> and <c>DELETE /api/grants</c>: the words of <c>medallion grant &lt;grant&gt; to &lt;grantee&gt;</c>.</summary>
/// <param name="Grant">A role's name, or a privilege on an object (<c>select on silver</c>, <c>select (a, b) on ns.table</c>, <c>unmask on pii</c>, <c>operate on server</c>, <c>admin on server</c>).</param>
/// <param name="Grantee">The user (for a role), or the role or user (for a privilege).</param>
public sealed record GrantBody(string? Grant, string? Grantee);

/// <summary>What a grant or revoke did.</summary>
/// <param name="Grant">What was granted or revoked (<c>role analysts</c>, <c>select on silver</c>).</param>
/// <param name="Grantee">To or from whom.</param>
/// <param name="Changed">False when there was nothing to do: already granted, or nothing to revoke.</param>
public sealed record GrantResult(string Grant, string Grantee, bool Changed)
{
    internal static GrantResult Of(GrantChange change) => new(change.Description, change.Grantee, change.Changed);
}

/// <summary>A masking policy as the REST API shows it.</summary>
/// <param name="Classification">The classification whose columns it masks.</param>
/// <param name="Policy"><c>hash</c>, <c>partial</c>, <c>null</c>, or the SQL expression (with <c>{column}</c>), as <c>medallion access mask</c> takes it.</param>
/// <param name="DeclaredIn">The project file declaring it, or null when set with the CLI or the API.</param>
public sealed record MaskView(string Classification, string Policy, string? DeclaredIn)
{
    internal static MaskView Of(MaskingPolicy policy) =>
        new(policy.Classification, policy.Kind == MaskingPolicyKind.Expression ? policy.Expression! : policy.Kind.ToString().ToLowerInvariant(), policy.DeclaredIn);
}

/// <summary>The body of <c>PUT /api/masks/{classification}</c>.</summary>
/// <param name="Policy"><c>hash</c>, <c>partial</c>, <c>null</c>, or a SQL expression with <c>{column}</c>.</param>
public sealed record MaskBody(string? Policy);

/// <summary>A row filter as the REST API shows it.</summary>
/// <param name="Table">The table (<c>namespace.table</c>).</param>
/// <param name="GranteeKind"><c>role</c> or <c>user</c>.</param>
/// <param name="Grantee">Whom it filters.</param>
/// <param name="Predicate">The condition rows must meet.</param>
/// <param name="DeclaredIn">The project file declaring it, or null.</param>
public sealed record RowFilterView(string Table, GranteeKind GranteeKind, string Grantee, string Predicate, string? DeclaredIn)
{
    internal static RowFilterView Of(RowFilter filter) => new(filter.Table, filter.GranteeKind, filter.Grantee, filter.Predicate, filter.DeclaredIn);
}

/// <summary>The body of <c>PUT /api/row-filters/{table}/{grantee}</c>.</summary>
/// <param name="Predicate">The condition rows must meet, e.g. <c>region = user.attribute('region')</c>.</param>
public sealed record RowFilterBody(string? Predicate);

/// <summary>The body of <c>POST /api/users/{name}/tokens</c>.</summary>
/// <param name="Expires">How long the token works (<c>90d</c>, <c>12h</c>, <c>30min</c>) or <c>never</c>; 90 days when left out.</param>
public sealed record TokenBody(string? Expires);

/// <summary>A token just created, with its secret: the only time the secret is shown.</summary>
/// <param name="Id">The token's id (to list and revoke it).</param>
/// <param name="User">The user it acts as.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="ExpiresAt">When it stops working, or null for never.</param>
/// <param name="Secret">The secret to send as <c>Authorization: Bearer</c>.</param>
public sealed record CreatedToken(string Id, string User, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, string Secret);
