using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine.Sessions;
using Medallion.Platform.Audit;

namespace Medallion.Platform.Access;

/// <summary>
/// The one owner of a project's identity and access: users, server roles, roles, grants, masking policies, row filters
/// and API tokens, and what a user's sessions may read. The CLI, the REST API, the web UI and the SQL endpoint all act
/// and ask through it, so an act means the same on every face.
/// </summary>
/// <remarks>
/// Guarantees. Every act is one catalog transaction (it is recorded whole or not at all) and one audit event
/// (<see cref="AuditEvent.AdminKind"/>, with the acting user, client and channel); an act refused for what it asked
/// (<see cref="MedallionException"/>) is audited too, with outcome <c>error</c> and its code, and changes nothing. A
/// password is turned into its SCRAM-SHA-256 verifier here and goes nowhere else: not into the catalog, an answer, a
/// log line or the audit; an API token's secret is returned once, to the caller that created it.
/// </remarks>
public sealed class AccessService
{
    private static readonly string[] s_serverRoles = ["viewer", "operator"];

    private readonly CatalogStore _catalog;
    private readonly AuditLog _audit;
    private readonly Func<CancellationToken, Task<Lakehouse>> _openLakehouse;

    /// <summary>Creates the service over an open catalog and audit (both owned by the caller).</summary>
    /// <param name="catalog">The project's catalog.</param>
    /// <param name="audit">Where acts are recorded.</param>
    /// <param name="openLakehouse">
    /// Opens the project's lakehouse as an admin sees it: grants and row filters may name its tables (models and sources
    /// not built yet, tables on disk), not only those the catalog registers.
    /// </param>
    public AccessService(CatalogStore catalog, AuditLog audit, Func<CancellationToken, Task<Lakehouse>> openLakehouse)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(openLakehouse);
        _catalog = catalog;
        _audit = audit;
        _openLakehouse = openLakehouse;
    }

    /// <summary>How long a token works when its creator does not say: 90 days.</summary>
    public const string DefaultTokenLifetime = "90d";

    /// <summary>Reads a token's lifetime as the CLI and the REST API take it: a duration (<c>90d</c>, <c>12h</c>, <c>30min</c>), or <c>never</c> (null).</summary>
    public static bool TryParseTokenLifetime(string text, out TimeSpan? lifetime)
    {
        ArgumentNullException.ThrowIfNull(text);
        lifetime = null;
        if (string.Equals(text, "never", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!DurationText.TryParse(text, out TimeSpan duration) || duration <= TimeSpan.Zero)
        {
            return false;
        }

        lifetime = duration;
        return true;
    }

    /// <summary>The name of a server role as the CLI and the REST API write it.</summary>
    public static string ServerRoleName(ServerRole role) => role == ServerRole.Operator ? "operator" : "viewer";

    /// <summary>Reads <c>viewer</c> or <c>operator</c>; null for anything else.</summary>
    public static ServerRole? ParseServerRole(string text) => text switch
    {
        "viewer" => ServerRole.Viewer,
        "operator" => ServerRole.Operator,
        _ => null,
    };

    /// <summary>Every user, by name.</summary>
    public Task<List<CatalogUser>> ListUsersAsync(CancellationToken cancellationToken = default) => _catalog.Identity.ListUsersAsync(cancellationToken);

    /// <summary>Every role with its members, by name.</summary>
    public Task<List<AccessRole>> ListRolesAsync(CancellationToken cancellationToken = default) => _catalog.Access.ListRolesAsync(cancellationToken);

    /// <summary>Every grant, ordered by grantee, privilege and object.</summary>
    public Task<List<AccessGrant>> ListGrantsAsync(CancellationToken cancellationToken = default) => _catalog.Access.ListGrantsAsync(cancellationToken);

    /// <summary>Every masking policy, by classification (a classification without one is masked with a keyed hash).</summary>
    public Task<List<MaskingPolicy>> ListMasksAsync(CancellationToken cancellationToken = default) => _catalog.Access.ListMaskingPoliciesAsync(cancellationToken);

    /// <summary>Every row filter, by table and grantee.</summary>
    public Task<List<RowFilter>> ListRowFiltersAsync(CancellationToken cancellationToken = default) => _catalog.Access.ListRowFiltersAsync(cancellationToken);

    /// <summary>Every API token (never a secret), newest first; one user's when <paramref name="user"/> is given.</summary>
    public Task<List<ApiToken>> ListTokensAsync(string? user = null, CancellationToken cancellationToken = default) => _catalog.Identity.ListApiTokensAsync(user, cancellationToken);

    /// <summary>
    /// Whether <paramref name="user"/> manages users, roles, grants and tokens: a user added with <c>--admin</c>, or one
    /// holding <c>admin on server</c> (granted to it or to one of its roles). A name the catalog does not know is no admin.
    /// </summary>
    public async Task<bool> IsAdminAsync(string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        return (await _catalog.Access.GetUserAccessAsync(user, cancellationToken).ConfigureAwait(false))?.IsAdmin ?? false;
    }

    /// <summary>The user named <paramref name="name"/>, for a command that acts or reads as that user.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/>, with a suggestion, when there is no such user.</exception>
    public async Task<CatalogUser> RequireUserAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (await _catalog.Identity.FindUserAsync(name, cancellationToken).ConfigureAwait(false) is { } user)
        {
            return user;
        }

        List<CatalogUser> users = await _catalog.Identity.ListUsersAsync(cancellationToken).ConfigureAwait(false);
        throw new MedallionException(ErrorCode.CatalogObjectNotFound,
            $"There is no user '{name}'.{NameSuggester.DidYouMean(name, users.Select(u => u.Name))}\nHelp: medallion user list shows the users.");
    }

    /// <summary>What <paramref name="user"/> may see of the lakehouse around its SQL (see <see cref="ReaderView.ForUserAsync"/>).</summary>
    /// <param name="user">The signed-in user, or null.</param>
    /// <param name="tables">The project's tables.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public Task<ReaderView> ReaderViewAsync(string? user, ITableLocator tables, CancellationToken cancellationToken = default) =>
        ReaderView.ForUserAsync(_catalog, tables, user, cancellationToken);

    /// <summary>
    /// Every user who may read <paramref name="table"/>, each with what they read of it (columns, masks, row filter), as
    /// their own sessions would: the same decision, asked of each user in turn.
    /// </summary>
    /// <param name="table">The table.</param>
    /// <param name="tables">The project's tables.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<IReadOnlyList<TableReader>> ReadersOfAsync(TableName table, ITableLocator tables, CancellationToken cancellationToken = default)
    {
        var readers = new List<TableReader>();
        foreach (CatalogUser user in await ListUsersAsync(cancellationToken).ConfigureAwait(false))
        {
            ReaderView view = await ReaderViewAsync(user.Name, tables, cancellationToken).ConfigureAwait(false);
            if (view.Find(table) is { } access)
            {
                readers.Add(new TableReader(user.Name, view.SeesEverything, access.Columns, [.. access.Masks.Keys.Order(StringComparer.OrdinalIgnoreCase)], access.RowFilter));
            }
        }

        return readers;
    }

    /// <summary>
    /// What <paramref name="user"/>'s sessions may read of <paramref name="tables"/> (see <see cref="CatalogSessionAccess"/>);
    /// null when the user reads everything unmasked.
    /// </summary>
    public Task<SessionAccess?> SessionAccessAsync(string user, IReadOnlyList<LakehouseTable> tables, CancellationToken cancellationToken = default) =>
        new CatalogSessionAccess(_catalog).ForUserAsync(user, tables, cancellationToken);

    /// <summary>
    /// Adds a user, or changes an existing user's password, with the roles, admin and attributes the request gives it, as
    /// one act (<c>user.add</c>, or <c>user.password</c> for an existing user).
    /// </summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="request">The user, its password and what it is given.</param>
    /// <param name="cancellationToken">Cancels the act before it is written.</param>
    /// <returns>True when the user is new.</returns>
    /// <exception cref="MedallionException">
    /// An empty name or password, a name that is a role's (<see cref="ErrorCode.CatalogAccessInvalid"/>), or a role that
    /// does not exist (<see cref="ErrorCode.CatalogObjectNotFound"/>).
    /// </exception>
    public Task<bool> AddUserAsync(AccessActor actor, UserRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var details = new JsonObject
        {
            ["roles"] = new JsonArray([.. request.Roles.Select(r => (JsonNode?)r)]),
            ["admin"] = request.Admin,
        };
        return ActAsync(actor, "user.add", request.Name, details.ToJsonString(), async () =>
        {
            RequireName(request.Name, "user");

            if (string.IsNullOrEmpty(request.Password))
            {
                throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"No password was given for user {request.Name}.\nHelp: every user signs in with a password.");
            }

            // viewer and operator say what the user does on the server, unless a role of that name exists.
            List<string> roles = (await _catalog.Access.ListRolesAsync(cancellationToken).ConfigureAwait(false)).Select(r => r.Name).ToList();
            ServerRole? serverRole = request.Roles.Where(r => !roles.Contains(r)).Select(ParseServerRole).LastOrDefault(r => r is not null);
            return await _catalog.Identity.SaveUserAsync(
                new UserDefinition(request.Name, ScramVerifier.Create(request.Password).ToString())
                {
                    Roles = [.. request.Roles.Where(r => roles.Contains(r) || ParseServerRole(r) is null)],
                    ServerRole = serverRole,
                    IsAdmin = request.Admin,
                    Attributes = request.Attributes,
                },
                cancellationToken).ConfigureAwait(false);
        }, cancellationToken, actionOf: added => added ? "user.add" : "user.password");
    }

    /// <summary>
    /// Adds <paramref name="name"/> as an admin and operator signing in with <paramref name="password"/> when the project has
    /// no users (<c>user.add</c>, audited when it is added): a server's first start on a project nobody can sign in to. The
    /// check and the add are one catalog transaction, so of two servers starting together one adds the user.
    /// </summary>
    /// <returns>True when the user was added; false when the project had users, and nothing was written or audited.</returns>
    public async Task<bool> AddFirstAdminAsync(AccessActor actor, string name, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrEmpty(password);
        bool added = await _catalog.Identity.AddFirstUserAsync(
            new UserDefinition(name, ScramVerifier.Create(password).ToString()) { ServerRole = ServerRole.Operator, IsAdmin = true },
            cancellationToken).ConfigureAwait(false);
        if (added)
        {
            await Record(actor, "user.add", name, new JsonObject { ["roles"] = new JsonArray("operator"), ["admin"] = true }.ToJsonString()).ConfigureAwait(false);
        }

        return added;
    }

    /// <summary>Removes a user with its grants, row filters, memberships and tokens (<c>user.remove</c>); false when there was no such user.</summary>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.CatalogAccessInvalid"/> when a signed-in user removes themselves: as PostgreSQL will not drop
    /// the current user, an admin cannot lock themselves (perhaps the last admin) out of the session they act in.
    /// </exception>
    public Task<bool> RemoveUserAsync(AccessActor actor, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(name);
        return ActAsync(actor, "user.remove", name, null, () =>
        {
            if (actor.SignedIn && string.Equals(actor.User, name, StringComparison.Ordinal))
            {
                throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"User {name} cannot remove themselves: it is the user this session acts as.\nHelp: another admin removes it, or 'medallion user remove {name}' on the server's machine.");
            }

            return _catalog.Identity.RemoveUserAsync(name, cancellationToken);
        }, cancellationToken, NotFound($"there is no user {name}"));
    }

    /// <summary>Sets what a user may do through the server's REST API (<c>user.role</c>).</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when there is no such user.</exception>
    public Task SetServerRoleAsync(AccessActor actor, string name, ServerRole role, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ActAsync(actor, "user.role", name, new JsonObject { ["role"] = ServerRoleName(role) }.ToJsonString(), async () =>
        {
            await _catalog.Identity.SetUserRoleAsync(name, role, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>Creates a role (<c>role.create</c>); false when it already existed.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogAccessInvalid"/> when the name is a user's.</exception>
    public Task<bool> CreateRoleAsync(AccessActor actor, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ActAsync(actor, "role.create", name, null, () =>
        {
            RequireName(name, "role");
            return _catalog.Access.CreateRoleAsync(name, cancellationToken: cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Drops a role with its grants, row filters and memberships (<c>role.drop</c>).</summary>
    /// <exception cref="MedallionException">No such role, or a role a project file declares.</exception>
    public Task DropRoleAsync(AccessActor actor, string name, CancellationToken cancellationToken = default) =>
        ActAsync(actor, "role.drop", name, null, async () =>
        {
            await _catalog.Access.DropRoleAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Grants <paramref name="grant"/> to <paramref name="grantee"/>: a role's name gives the user that role
    /// (<c>role.grant</c>); a privilege on an object as <see cref="AccessGrantText"/> reads it (<c>select on silver</c>,
    /// <c>select (a, b) on ns.table</c>, <c>unmask on pii</c>, <c>operate on server</c>) goes to the role or user of that
    /// name (<c>access.grant</c>).
    /// </summary>
    /// <exception cref="MedallionException">
    /// The grant does not read, or its privilege does not fit its object (<see cref="ErrorCode.CatalogAccessInvalid"/>); the
    /// role, user, namespace, table or a column does not exist (<see cref="ErrorCode.CatalogObjectNotFound"/>).
    /// </exception>
    public Task<GrantChange> GrantAsync(AccessActor actor, string grant, string grantee, CancellationToken cancellationToken = default) =>
        GrantOrRevokeAsync(actor, grant, grantee, granting: true, cancellationToken);

    /// <summary>Takes back what <see cref="GrantAsync"/> gave (<c>role.revoke</c>, <c>access.revoke</c>); <see cref="GrantChange.Changed"/> is false when there was no such grant.</summary>
    /// <exception cref="MedallionException">The grant does not read, names nobody, or is declared in a project file.</exception>
    public Task<GrantChange> RevokeAsync(AccessActor actor, string grant, string grantee, CancellationToken cancellationToken = default) =>
        GrantOrRevokeAsync(actor, grant, grantee, granting: false, cancellationToken);

    private async Task<GrantChange> GrantOrRevokeAsync(AccessActor actor, string grant, string grantee, bool granting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grant);
        ArgumentNullException.ThrowIfNull(grantee);
        string[] words = grant.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 1)
        {
            string role = words[0];
            return await ActAsync(actor, granting ? "role.grant" : "role.revoke", grantee, new JsonObject { ["role"] = role }.ToJsonString(), async () =>
            {
                RequireName(grantee, "grantee");
                bool changed = granting
                    ? await _catalog.Access.AddRoleMemberAsync(role, grantee, cancellationToken: cancellationToken).ConfigureAwait(false)
                    : await _catalog.Access.RemoveRoleMemberAsync(role, grantee, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new GrantChange(role, null, grantee, changed);
            }, cancellationToken).ConfigureAwait(false);
        }

        string? described = null;
        try
        {
            described = AccessGrantText.Format(AccessGrantText.Parse(grant, GranteeKind.User, grantee));
        }
        catch (MedallionException)
        {
            // The act below reports it, audited.
        }

        return await ActAsync(actor, granting ? "access.grant" : "access.revoke", grantee, new JsonObject { ["privilege"] = described ?? grant }.ToJsonString(), async () =>
        {
            RequireName(grantee, "grantee");
            AccessGrant parsed = AccessGrantText.Parse(grant, await GranteeKindAsync(grantee, cancellationToken).ConfigureAwait(false), grantee);
            bool changed = granting
                ? await _catalog.Access.GrantAsync(parsed, await KnownTablesAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false)
                : await _catalog.Access.RevokeAsync(parsed, cancellationToken).ConfigureAwait(false);
            return new GrantChange(null, parsed, grantee, changed);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sets how columns of <paramref name="classification"/> are masked for users without <c>unmask</c> on it
    /// (<c>access.mask</c>): <c>hash</c>, <c>partial</c>, <c>null</c>, or a SQL expression with <c>{column}</c>.
    /// </summary>
    /// <exception cref="MedallionException">
    /// An empty classification or policy, an expression without <c>{column}</c> (<see cref="ErrorCode.CatalogAccessInvalid"/>),
    /// or a policy a project file declares (<see cref="ErrorCode.CatalogAccessDeclared"/>).
    /// </exception>
    public Task<MaskingPolicy> SetMaskAsync(AccessActor actor, string classification, string policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classification);
        ArgumentNullException.ThrowIfNull(policy);
        MaskingPolicy masking = policy.ToLowerInvariant() switch
        {
            "hash" => new MaskingPolicy(classification, MaskingPolicyKind.Hash),
            "partial" => new MaskingPolicy(classification, MaskingPolicyKind.Partial),
            "null" => new MaskingPolicy(classification, MaskingPolicyKind.Null),
            _ => new MaskingPolicy(classification, MaskingPolicyKind.Expression, policy),
        };
        return ActAsync(actor, "access.mask", classification, new JsonObject { ["policy"] = policy }.ToJsonString(), async () =>
        {
            RequireName(classification, "classification");
            RequireText(policy, "policy", "hash, partial, null, or a SQL expression with {column}");
            await _catalog.Access.SetMaskingPolicyAsync(masking, cancellationToken).ConfigureAwait(false);
            return masking;
        }, cancellationToken);
    }

    /// <summary>Shows <paramref name="grantee"/> (a role or user) only the rows of <paramref name="table"/> where <paramref name="predicate"/> holds (<c>access.filter</c>).</summary>
    /// <exception cref="MedallionException">
    /// An empty table, grantee or predicate (<see cref="ErrorCode.CatalogAccessInvalid"/>), a table or grantee that does not
    /// exist (<see cref="ErrorCode.CatalogObjectNotFound"/>), or a filter a project file declares (<see cref="ErrorCode.CatalogAccessDeclared"/>).
    /// </exception>
    public Task<RowFilter> SetRowFilterAsync(AccessActor actor, string table, string grantee, string predicate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(grantee);
        ArgumentNullException.ThrowIfNull(predicate);
        return ActAsync(actor, "access.filter", table, new JsonObject { ["grantee"] = grantee, ["where"] = predicate }.ToJsonString(), async () =>
        {
            RequireName(table, "table");
            RequireName(grantee, "grantee");
            RequireText(predicate, "predicate", "the condition rows must meet, e.g. region = user.attribute('region')");
            var filter = new RowFilter(table, await GranteeKindAsync(grantee, cancellationToken).ConfigureAwait(false), grantee, predicate);
            await _catalog.Access.SetRowFilterAsync(filter, await KnownTablesAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            return filter;
        }, cancellationToken);
    }

    /// <summary>Creates an API token that acts as <paramref name="user"/> (<c>token.create</c>); the secret is in the result only.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when there is no such user.</exception>
    public Task<(ApiToken Token, string Secret)> CreateTokenAsync(AccessActor actor, string user, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        // The audit names the token by its id, which is known once it exists; a refused one by the user it was for.
        (ApiToken Token, string Secret)? created = null;
        return ActAsync(
            actor, "token.create", () => created?.Token.Id ?? user, new JsonObject { ["user"] = user }.ToJsonString(),
            async () => (created = await _catalog.Identity.CreateApiTokenAsync(user, expiresAt, cancellationToken).ConfigureAwait(false)).Value,
            cancellationToken);
    }

    /// <summary>Revokes a token by its id (<c>token.revoke</c>); false when no unrevoked token has that id.</summary>
    public Task<bool> RevokeTokenAsync(AccessActor actor, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return ActAsync(actor, "token.revoke", id, null, () => _catalog.Identity.RevokeApiTokenAsync(id, cancellationToken), cancellationToken, NotFound($"there is no unrevoked token {id}"));
    }

    /// <summary>What <see cref="ApplyDeclaredAsync"/> would change, without changing anything.</summary>
    public Task<IReadOnlyList<AccessChange>> PlanDeclaredAsync(DeclaredAccess declared, CancellationToken cancellationToken = default) =>
        _catalog.Access.PlanDeclaredAccessAsync(declared, cancellationToken);

    /// <summary>
    /// Makes the catalog's declared roles, memberships, grants, masking policies and row filters those the project's files
    /// declare, in one catalog transaction (<c>access.apply</c>, audited when it changed something or was refused); rows made
    /// with the CLI that the files do not mention stay. Returns what changed.
    /// </summary>
    /// <exception cref="MedallionException">A declared grant or filter names a role, user, table or column that does not exist (at the file, line and column declaring it); nothing is changed.</exception>
    public async Task<IReadOnlyList<AccessChange>> ApplyDeclaredAsync(AccessActor actor, string project, DeclaredAccess declared, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(declared);
        IReadOnlyList<AccessChange> changes;
        try
        {
            changes = await _catalog.Access.ApplyDeclaredAccessAsync(declared, await KnownTablesAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException refused)
        {
            await Record(actor, "access.apply", project, null, refused.Message, refused.CodeText).ConfigureAwait(false);
            throw;
        }

        if (changes.Count > 0)
        {
            await Record(actor, "access.apply", project, new JsonObject { ["changes"] = string.Join("\n", changes) }.ToJsonString()).ConfigureAwait(false);
        }

        return changes;
    }

    /// <summary>Whether <paramref name="name"/> is a role's or a user's (a role when both could be, as names never are both).</summary>
    private async Task<GranteeKind> GranteeKindAsync(string name, CancellationToken cancellationToken)
    {
        List<AccessRole> roles = await _catalog.Access.ListRolesAsync(cancellationToken).ConfigureAwait(false);
        if (roles.Any(r => r.Name == name))
        {
            return GranteeKind.Role;
        }

        List<CatalogUser> users = await _catalog.Identity.ListUsersAsync(cancellationToken).ConfigureAwait(false);
        if (users.Any(u => u.Name == name))
        {
            return GranteeKind.User;
        }

        throw new MedallionException(ErrorCode.CatalogObjectNotFound,
            $"There is no role or user '{name}'.{NameSuggester.DidYouMean(name, roles.Select(r => r.Name).Concat(users.Select(u => u.Name)))}\nHelp: medallion role list and medallion user list show them.");
    }

    /// <summary>The project's tables as the catalog commands list them: models, sources, registered and on-disk tables.</summary>
    private async Task<IReadOnlyCollection<string>> KnownTablesAsync(CancellationToken cancellationToken)
    {
        Lakehouse lakehouse = await _openLakehouse(cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            return (await lakehouse.ListTablesAsync(null, cancellationToken).ConfigureAwait(false)).Select(t => t.Name.ToString()).ToList();
        }
    }

    /// <summary>A coded error when <paramref name="name"/> is blank (which the catalog would take for a misuse of its API).</summary>
    private static void RequireName(string name, string what)
    {
        if (name.Trim().Length == 0)
        {
            throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"The {what} name is empty.\nHelp: give the {what} a name.");
        }
    }

    /// <summary>A coded error naming <paramref name="what"/> when <paramref name="text"/> is blank.</summary>
    private static void RequireText(string text, string what, string expected)
    {
        if (text.Trim().Length == 0)
        {
            throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"The {what} is empty.\nHelp: give the {what}: {expected}.");
        }
    }

    /// <summary>A result of false means the object was not there: audited as a failed act with this message.</summary>
    private static Func<bool, string?> NotFound(string message) => found => found ? null : message;

    private Task<T> ActAsync<T>(
        AccessActor actor, string action, string target, string? details, Func<Task<T>> act, CancellationToken cancellationToken, Func<T, string?>? failure = null, Func<T, string>? actionOf = null) =>
        ActAsync(actor, action, () => target, details, act, cancellationToken, failure, actionOf);

    /// <summary>
    /// Takes an act and records it, done or refused, in the audit (one event either way): as <paramref name="action"/>, or
    /// once done as what <paramref name="actionOf"/> names from its result (<c>user.password</c> for an existing user's
    /// add); with outcome <c>error</c> when it was refused or <paramref name="failure"/> finds its result a failure.
    /// </summary>
    private async Task<T> ActAsync<T>(
        AccessActor actor, string action, Func<string> target, string? details, Func<Task<T>> act, CancellationToken cancellationToken,
        Func<T, string?>? failure = null, Func<T, string>? actionOf = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        cancellationToken.ThrowIfCancellationRequested();
        T result;
        try
        {
            result = await act().ConfigureAwait(false);
        }
        catch (MedallionException refused)
        {
            await Record(actor, action, target(), details, refused.Message, refused.CodeText).ConfigureAwait(false);
            throw;
        }

        await Record(actor, actionOf?.Invoke(result) ?? action, target(), details, failure?.Invoke(result)).ConfigureAwait(false);
        return result;
    }

    /// <summary>Records an act; an <paramref name="error"/> makes its outcome <c>error</c>.</summary>
    private ValueTask Record(AccessActor actor, string action, string target, string? details, string? error = null, string? code = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        // Not cancellable: an act that happened is on record, whatever became of the request that asked for it.
        return _audit.RecordAsync(
            AuditEvent.Admin(actor.User, actor.Client, actor.Channel, action, target) with
            {
                Details = details,
                Outcome = error is null ? "ok" : "error",
                ErrorCode = code,
                ErrorMessage = error,
            },
            CancellationToken.None);
    }
}

/// <summary>A user who may read a table, and what of it (see <see cref="AccessService.ReadersOfAsync"/>).</summary>
/// <param name="User">The user.</param>
/// <param name="Everything">Whether the user reads every table in full (an admin, or one granted everything unmasked).</param>
/// <param name="Columns">The columns the user reads; null for every column.</param>
/// <param name="MaskedColumns">The columns the user reads masked.</param>
/// <param name="RowFilter">The predicate rows must meet for the user; null for every row.</param>
public sealed record TableReader(string User, bool Everything, IReadOnlyList<string>? Columns, IReadOnlyList<string> MaskedColumns, string? RowFilter);

/// <summary>A user to add, or whose password to change, with what the same act gives it.</summary>
/// <param name="Name">The login name (case-sensitive, as in PostgreSQL).</param>
/// <param name="Password">The password; only its SCRAM-SHA-256 verifier is kept.</param>
public sealed record UserRequest(string Name, string Password)
{
    /// <summary>Roles to give: a role's name (<c>medallion role create</c>), or <c>viewer</c> / <c>operator</c> for what the user does on the server.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>Whether the user becomes an admin: reads every table unmasked, and manages users, roles, grants and tokens.</summary>
    public bool Admin { get; init; }

    /// <summary>Attributes row filters read with <c>user.attribute('name')</c>.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();

    /// <summary>Never shows the password.</summary>
    public override string ToString() => $"UserRequest {{ Name = {Name}, Roles = [{string.Join(", ", Roles)}], Admin = {Admin} }}";
}

/// <summary>What a grant or revoke did.</summary>
/// <param name="Role">The role given or taken, for a role's grant; null for a privilege's.</param>
/// <param name="Grant">The privilege granted or revoked; null for a role's.</param>
/// <param name="Grantee">The user (for a role) or the role or user (for a privilege).</param>
/// <param name="Changed">False when there was nothing to do: already granted, or nothing to revoke.</param>
public sealed record GrantChange(string? Role, AccessGrant? Grant, string Grantee, bool Changed)
{
    /// <summary>What was granted, as the CLI writes it: <c>role analysts</c>, <c>select (a, b) on silver.orders</c>.</summary>
    public string Description => Role is not null ? "role " + Role : AccessGrantText.Format(Grant!);
}
