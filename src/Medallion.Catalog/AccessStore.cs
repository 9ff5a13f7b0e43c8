using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using static Medallion.Catalog.Internal.CatalogDatabase;

namespace Medallion.Catalog;

/// <summary>
/// The catalog's access rules: roles and their members, grants on tables and columns, masking policies and row filters,
/// users' admin flags and attributes, the masking key, and the access a project's files declare (planned and applied
/// in one transaction).
/// Reached through <see cref="CatalogStore.Access"/>.
/// </summary>
public sealed class AccessStore
{
    private readonly CatalogDatabase _db;
    private readonly TableCatalog _tables;
    private readonly IdentityStore _identity;

    internal AccessStore(CatalogDatabase db, TableCatalog tables, IdentityStore identity)
    {
        _db = db;
        _tables = tables;
        _identity = identity;
    }

    private const string MaskingKeyName = "masking_hmac_key";

    /// <summary>Creates a role.</summary>
    /// <param name="name">The role's name.</param>
    /// <param name="declaredIn">The project file declaring it, or null for the CLI.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>False when the role already existed (nothing changes).</returns>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogAccessInvalid"/> when the name is also a user's (grants to it would be ambiguous).</exception>
    public async Task<bool> CreateRoleAsync(string name, string? declaredIn = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        await RefuseUserNameAsync(name, cancellationToken).ConfigureAwait(false);
        (string sql, (string, object?)[] parameters) = InsertRole(name, declaredIn, _db.Now());
        return await _db.ExecuteAsync(sql, parameters, cancellationToken).ConfigureAwait(false) > 0;
    }

    private static (string Sql, (string Name, object? Value)[] Parameters) InsertRole(string name, string? declaredIn, string now) =>
        ("INSERT INTO access_roles (name, declared_in, created_at) VALUES (@name, @declared, @now) ON CONFLICT (name) DO NOTHING",
            [("@name", name), ("@declared", declaredIn), ("@now", now)]);

    /// <summary>A role may not take a user's name: grants to it would be ambiguous.</summary>
    private async Task RefuseUserNameAsync(string name, CancellationToken cancellationToken)
    {
        if (await _identity.FindUserAsync(name, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"'{name}' is already a user's name; a role needs a name of its own.\nHelp: pick another name, e.g. '{name}_role'.");
        }
    }

    /// <summary>Drops a role, its memberships, its grants and its row filters.</summary>
    /// <exception cref="MedallionException">No such role (<see cref="ErrorCode.CatalogObjectNotFound"/>, with a suggestion), or the role is declared in a project file and <paramref name="declaredIn"/> is null.</exception>
    public async Task DropRoleAsync(string name, string? declaredIn = null, CancellationToken cancellationToken = default)
    {
        AccessRole role = await RequireRoleAsync(name, cancellationToken).ConfigureAwait(false);
        RefuseDeclared(role.DeclaredIn, declaredIn, $"role {name}");
        await _db.ExecuteInTransactionAsync(DeleteRole(name), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The statements that drop a role with its grants, row filters and memberships.</summary>
    private static (string Sql, (string Name, object? Value)[] Parameters)[] DeleteRole(string name) =>
    [
        ("DELETE FROM access_grants WHERE grantee_kind = 'role' AND grantee = @name", [("@name", name)]),
        ("DELETE FROM access_row_filters WHERE grantee_kind = 'role' AND grantee = @name", [("@name", name)]),
        ("DELETE FROM access_members WHERE role_name = @name", [("@name", name)]),
        ("DELETE FROM access_roles WHERE name = @name", [("@name", name)]),
    ];

    /// <summary>Every role with its members, by name.</summary>
    public async Task<List<AccessRole>> ListRolesAsync(CancellationToken cancellationToken = default)
    {
        List<(string Role, string User)> members = await _db.QueryAsync("SELECT role_name, user_name FROM access_members ORDER BY user_name", [], r => (r.GetString(0), r.GetString(1)), cancellationToken).ConfigureAwait(false);
        return await _db.QueryAsync(
            "SELECT name, declared_in FROM access_roles ORDER BY name", [],
            r => new AccessRole(r.GetString(0), members.Where(m => m.Role == r.GetString(0)).Select(m => m.User).ToList(), GetNullableString(r, 1)),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gives <paramref name="user"/> the role <paramref name="role"/>; returns false when the user already held it.</summary>
    /// <exception cref="MedallionException">No such role or user (<see cref="ErrorCode.CatalogObjectNotFound"/>, with a suggestion).</exception>
    public async Task<bool> AddRoleMemberAsync(string role, string user, string? declaredIn = null, CancellationToken cancellationToken = default)
    {
        await RequireRoleAsync(role, cancellationToken).ConfigureAwait(false);
        await RequireUserAsync(user, cancellationToken).ConfigureAwait(false);
        (string sql, (string, object?)[] parameters) = InsertMember(role, user, declaredIn);
        return await _db.ExecuteAsync(sql, parameters, cancellationToken).ConfigureAwait(false) > 0;
    }

    private static (string Sql, (string Name, object? Value)[] Parameters) InsertMember(string role, string user, string? declaredIn) =>
        ("INSERT INTO access_members (role_name, user_name, declared_in) VALUES (@role, @user, @declared) ON CONFLICT DO NOTHING",
            [("@role", role), ("@user", user), ("@declared", declaredIn)]);

    /// <summary>Takes the role <paramref name="role"/> from <paramref name="user"/>; returns false when the user did not hold it.</summary>
    /// <exception cref="MedallionException">No such role, or the membership is declared in a project file and <paramref name="declaredIn"/> is null.</exception>
    public async Task<bool> RemoveRoleMemberAsync(string role, string user, string? declaredIn = null, CancellationToken cancellationToken = default)
    {
        await RequireRoleAsync(role, cancellationToken).ConfigureAwait(false);
        List<string?> rows = await _db.QueryAsync("SELECT declared_in FROM access_members WHERE role_name = @role AND user_name = @user",
            [("@role", role), ("@user", user)], r => GetNullableString(r, 0), cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return false;
        }

        RefuseDeclared(rows[0], declaredIn, $"membership of {user} in role {role}");
        return await _db.ExecuteAsync("DELETE FROM access_members WHERE role_name = @role AND user_name = @user", [("@role", role), ("@user", user)], cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>Records a grant; returns false when the same grant already existed.</summary>
    /// <exception cref="MedallionException">
    /// The grantee, namespace, table or a column does not exist (<see cref="ErrorCode.CatalogObjectNotFound"/>, with a suggestion),
    /// or the privilege does not apply to the object's kind (<see cref="ErrorCode.CatalogAccessInvalid"/>).
    /// </exception>
    /// <param name="grant">The grant.</param>
    /// <param name="knownTables">Tables that exist besides those the catalog registers (<c>ns.name</c>: a project's models and sources, tables on disk), or null.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task<bool> GrantAsync(AccessGrant grant, IReadOnlyCollection<string>? knownTables = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grant);
        await ValidateGrantAsync(grant, knownTables ?? [], null, cancellationToken).ConfigureAwait(false);
        (string sql, (string, object?)[] parameters) = InsertGrant(grant, _db.Now());
        return await _db.ExecuteAsync(sql, parameters, cancellationToken).ConfigureAwait(false) > 0;
    }

    private static (string Sql, (string Name, object? Value)[] Parameters) InsertGrant(AccessGrant grant, string now) =>
        ("INSERT INTO access_grants (privilege, object_kind, object, columns, grantee_kind, grantee, declared_in, created_at) " +
            "VALUES (@privilege, @kind, @object, @columns, @grantee_kind, @grantee, @declared, @now) ON CONFLICT DO NOTHING",
            [.. GrantKey(grant), ("@declared", grant.DeclaredIn), ("@now", now)]);

    private static (string Sql, (string Name, object? Value)[] Parameters) DeleteGrant(AccessGrant grant) =>
        ("DELETE FROM access_grants WHERE privilege = @privilege AND object_kind = @kind AND object = @object AND columns = @columns AND grantee_kind = @grantee_kind AND grantee = @grantee",
            GrantKey(grant));

    /// <summary>Removes a grant; returns false when there was no such grant.</summary>
    /// <exception cref="MedallionException">The grant is declared in a project file and <see cref="AccessGrant.DeclaredIn"/> is null (<see cref="ErrorCode.CatalogAccessDeclared"/>).</exception>
    public async Task<bool> RevokeAsync(AccessGrant grant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grant);
        (string, object?)[] key = GrantKey(grant);
        List<string?> rows = await _db.QueryAsync(
            "SELECT declared_in FROM access_grants WHERE privilege = @privilege AND object_kind = @kind AND object = @object AND columns = @columns AND grantee_kind = @grantee_kind AND grantee = @grantee",
            key, r => GetNullableString(r, 0), cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return false;
        }

        RefuseDeclared(rows[0], grant.DeclaredIn, $"grant of {FormatPrivilege(grant.Privilege)} on {grant.Object} to {grant.Grantee}");
        (string sql, (string, object?)[] parameters) = DeleteGrant(grant);
        return await _db.ExecuteAsync(sql, parameters, cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>Every grant, ordered by grantee, privilege and object.</summary>
    public Task<List<AccessGrant>> ListGrantsAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync("SELECT privilege, object_kind, object, columns, grantee_kind, grantee, declared_in FROM access_grants ORDER BY grantee, privilege, object", [], ReadGrant, cancellationToken);

    /// <summary>Sets the masking policy of a classification (replacing the one it had).</summary>
    /// <exception cref="MedallionException">An expression policy without <c>{column}</c> (<see cref="ErrorCode.CatalogAccessInvalid"/>), or the classification's policy is declared in a project file.</exception>
    public async Task SetMaskingPolicyAsync(MaskingPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        CheckMaskingPolicy(policy);
        MaskingPolicy? existing = (await ListMaskingPoliciesAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Classification == policy.Classification);
        RefuseDeclared(existing?.DeclaredIn, policy.DeclaredIn, $"masking policy of {policy.Classification}");
        (string sql, (string, object?)[] parameters) = UpsertMaskingPolicy(policy);
        await _db.ExecuteAsync(sql, parameters, cancellationToken).ConfigureAwait(false);
    }

    private static void CheckMaskingPolicy(MaskingPolicy policy)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(policy.Classification);
        if (policy.Kind == MaskingPolicyKind.Expression && (policy.Expression is null || !policy.Expression.Contains("{column}", StringComparison.Ordinal)))
        {
            throw new MedallionException(ErrorCode.CatalogAccessInvalid,
                $"The masking policy of '{policy.Classification}' is an expression without {{column}}.\nHelp: write where the column goes, e.g. left({{column}}, 3) || '***'.");
        }
    }

    private static (string Sql, (string Name, object? Value)[] Parameters) UpsertMaskingPolicy(MaskingPolicy policy) =>
        ("INSERT INTO access_masks (classification, policy, expression, declared_in) VALUES (@class, @policy, @expression, @declared) " +
            "ON CONFLICT (classification) DO UPDATE SET policy = excluded.policy, expression = excluded.expression, declared_in = excluded.declared_in",
            [("@class", policy.Classification), ("@policy", policy.Kind.ToString().ToLowerInvariant()), ("@expression", policy.Expression), ("@declared", policy.DeclaredIn)]);

    /// <summary>The project's masking policies, by classification. A classification without one is masked with <see cref="MaskingPolicyKind.Hash"/>.</summary>
    public Task<List<MaskingPolicy>> ListMaskingPoliciesAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync("SELECT classification, policy, expression, declared_in FROM access_masks ORDER BY classification", [],
            r => new MaskingPolicy(r.GetString(0), Enum.Parse<MaskingPolicyKind>(r.GetString(1), ignoreCase: true), GetNullableString(r, 2), GetNullableString(r, 3)),
            cancellationToken);

    /// <summary>Sets the row filter of a table for a role or user (replacing the one it had).</summary>
    /// <exception cref="MedallionException">The table or grantee does not exist, or the filter is declared in a project file.</exception>
    /// <param name="filter">The filter.</param>
    /// <param name="knownTables">Tables that exist besides those the catalog registers, or null.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task SetRowFilterAsync(RowFilter filter, IReadOnlyCollection<string>? knownTables = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await ValidateRowFilterAsync(filter, knownTables ?? [], null, cancellationToken).ConfigureAwait(false);
        RowFilter? existing = (await ListRowFiltersAsync(cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(f => f.Table == filter.Table && f.GranteeKind == filter.GranteeKind && f.Grantee == filter.Grantee);
        RefuseDeclared(existing?.DeclaredIn, filter.DeclaredIn, $"row filter of {filter.Table} for {filter.Grantee}");
        (string sql, (string, object?)[] parameters) = UpsertRowFilter(filter);
        await _db.ExecuteAsync(sql, parameters, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Refuses a row filter without a predicate, or on a table or for a grantee that does not exist.</summary>
    /// <param name="filter">The filter.</param>
    /// <param name="knownTables">Tables that exist besides those the catalog registers.</param>
    /// <param name="rolesToBe">Roles that count as existing though the catalog has them not yet (those a declared policy adds), or null.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    private async Task ValidateRowFilterAsync(RowFilter filter, IReadOnlyCollection<string> knownTables, IReadOnlySet<string>? rolesToBe, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filter.Predicate);
        await RequireTableAsync(filter.Table, knownTables, cancellationToken).ConfigureAwait(false);
        await RequireGranteeAsync(filter.GranteeKind, filter.Grantee, rolesToBe, cancellationToken).ConfigureAwait(false);
    }

    private static (string Sql, (string Name, object? Value)[] Parameters) UpsertRowFilter(RowFilter filter) =>
        ("INSERT INTO access_row_filters (table_name, grantee_kind, grantee, predicate, declared_in) VALUES (@table, @kind, @grantee, @predicate, @declared) " +
            "ON CONFLICT (table_name, grantee_kind, grantee) DO UPDATE SET predicate = excluded.predicate, declared_in = excluded.declared_in",
            [("@table", filter.Table), ("@kind", FormatGrantee(filter.GranteeKind)), ("@grantee", filter.Grantee), ("@predicate", filter.Predicate), ("@declared", filter.DeclaredIn)]);

    private static (string Sql, (string Name, object? Value)[] Parameters) DeleteRowFilter(RowFilter filter) =>
        ("DELETE FROM access_row_filters WHERE table_name = @table AND grantee_kind = @kind AND grantee = @grantee",
            [("@table", filter.Table), ("@kind", FormatGrantee(filter.GranteeKind)), ("@grantee", filter.Grantee)]);

    /// <summary>Every row filter.</summary>
    public Task<List<RowFilter>> ListRowFiltersAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync("SELECT table_name, grantee_kind, grantee, predicate, declared_in FROM access_row_filters ORDER BY table_name, grantee", [],
            r => new RowFilter(r.GetString(0), ParseGrantee(r.GetString(1)), r.GetString(2), r.GetString(3), GetNullableString(r, 4)),
            cancellationToken);

    /// <summary>Makes a user an admin (every privilege) or takes that away.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when there is no such user.</exception>
    public async Task SetUserAdminAsync(string name, bool isAdmin, CancellationToken cancellationToken = default)
    {
        await RequireUserAsync(name, cancellationToken).ConfigureAwait(false);
        await _db.ExecuteAsync("UPDATE users SET is_admin = @admin, updated_at = @now WHERE name = @name", [("@name", name), ("@admin", isAdmin ? 1 : 0), ("@now", _db.Now())], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets (or, with a null value, removes) one attribute of a user, which row filters read with <c>user.attribute('name')</c>.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when there is no such user.</exception>
    public async Task SetUserAttributeAsync(string name, string attribute, string? value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(attribute);
        CatalogUser user = await RequireUserAsync(name, cancellationToken).ConfigureAwait(false);
        var attributes = new Dictionary<string, string>(user.Attributes, StringComparer.Ordinal);
        if (value is null)
        {
            attributes.Remove(attribute);
        }
        else
        {
            attributes[attribute] = value;
        }

        await _db.ExecuteAsync("UPDATE users SET attributes = @attributes, updated_at = @now WHERE name = @name",
            [("@name", name), ("@attributes", Internal.CatalogJson.WriteStringMap(attributes)), ("@now", _db.Now())], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Everything that decides what <paramref name="user"/> reads, or null when there is no such user.</summary>
    public async Task<UserAccess?> GetUserAccessAsync(string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (await _identity.FindUserAsync(user, cancellationToken).ConfigureAwait(false) is not { } found)
        {
            return null;
        }

        List<string> roles = await _db.QueryAsync("SELECT role_name FROM access_members WHERE user_name = @user ORDER BY role_name", [("@user", user)], r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        bool Applies(GranteeKind kind, string grantee) => kind == GranteeKind.User ? grantee == user : roles.Contains(grantee);
        List<AccessGrant> grants = (await ListGrantsAsync(cancellationToken).ConfigureAwait(false)).Where(g => Applies(g.GranteeKind, g.Grantee)).ToList();
        List<RowFilter> filters = (await ListRowFiltersAsync(cancellationToken).ConfigureAwait(false)).Where(f => Applies(f.GranteeKind, f.Grantee)).ToList();
        bool admin = found.IsAdmin || grants.Any(g => g.Privilege == AccessPrivilege.Admin);
        return new UserAccess(user, admin, found.Attributes, roles, grants, filters, await ListMaskingPoliciesAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// What <paramref name="user"/> may do on the server: <see cref="ServerRole.Operator"/> when its own role says so or it
    /// holds <c>operate</c> or <c>admin</c> on the server (granted to it or to one of its roles); else a viewer. Being a
    /// data admin (<c>--admin</c>, or a user from before grants) does not make a viewer an operator.
    /// </summary>
    public async Task<ServerRole> GetServerRoleAsync(CatalogUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Role == ServerRole.Operator)
        {
            return ServerRole.Operator;
        }

        List<long> granted = await _db.QueryAsync(
            """
            SELECT 1 FROM access_grants
            WHERE privilege IN ('operate', 'admin') AND object_kind = 'server'
              AND ((grantee_kind = 'user' AND grantee = @user)
                OR (grantee_kind = 'role' AND grantee IN (SELECT role_name FROM access_members WHERE user_name = @user)))
            LIMIT 1
            """,
            [("@user", user.Name)], r => r.GetInt64(0), cancellationToken).ConfigureAwait(false);
        return granted.Count > 0 ? ServerRole.Operator : ServerRole.Viewer;
    }

    /// <summary>
    /// The project's key for <see cref="MaskingPolicyKind.Hash"/> masks (32 random bytes, created on first use). It stays in the
    /// catalog: it is never logged, shown or put into SQL text a user could read.
    /// </summary>
    public async Task<byte[]> GetMaskingKeyAsync(CancellationToken cancellationToken = default)
    {
        await _db.ExecuteAsync("INSERT INTO access_keys (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING",
            [("@name", MaskingKeyName), ("@value", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))], cancellationToken).ConfigureAwait(false);
        List<string> values = await _db.QueryAsync("SELECT value FROM access_keys WHERE name = @name", [("@name", MaskingKeyName)], r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        return Convert.FromBase64String(values[0]);
    }

    /// <summary>The lower-case name of a privilege, as the CLI and project files write it.</summary>
    public static string FormatPrivilege(AccessPrivilege privilege) => privilege.ToString().ToLowerInvariant();

    /// <summary>Refuses a grant whose privilege does not fit its object, or whose grantee, namespace, table or columns do not exist.</summary>
    /// <param name="grant">The grant.</param>
    /// <param name="knownTables">Tables that exist besides those the catalog registers.</param>
    /// <param name="rolesToBe">Roles that count as existing though the catalog has them not yet (those a declared policy adds), or null.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    private async Task ValidateGrantAsync(AccessGrant grant, IReadOnlyCollection<string> knownTables, IReadOnlySet<string>? rolesToBe, CancellationToken cancellationToken)
    {
        bool fits = (grant.Privilege, grant.ObjectKind) switch
        {
            (AccessPrivilege.Select, AccessObjectKind.Namespace or AccessObjectKind.Table or AccessObjectKind.Columns) => true,
            (AccessPrivilege.Unmask, AccessObjectKind.Classification) => true,
            (AccessPrivilege.Operate or AccessPrivilege.Admin, AccessObjectKind.Server) => true,
            _ => false,
        };
        if (!fits)
        {
            throw new MedallionException(ErrorCode.CatalogAccessInvalid,
                $"{FormatPrivilege(grant.Privilege)} cannot be granted on a {grant.ObjectKind.ToString().ToLowerInvariant()}.\n"
                + "Help: select is granted on a namespace, a table or columns (select (a, b) on ns.table); unmask on a classification (unmask on pii); operate and admin on server.");
        }

        if (grant.Columns.Count > 0 && grant.ObjectKind is not (AccessObjectKind.Table or AccessObjectKind.Columns))
        {
            // A list the grant could not honour would read as a restriction that is not there.
            throw new MedallionException(ErrorCode.CatalogAccessInvalid,
                $"{FormatPrivilege(grant.Privilege)} ({string.Join(", ", grant.Columns)}) on {grant.Object} lists columns, but columns are listed only when select is granted on one table.\n"
                + $"Help: select ({string.Join(", ", grant.Columns)}) on <ns.table>, or leave the columns out.");
        }

        await RequireGranteeAsync(grant.GranteeKind, grant.Grantee, rolesToBe, cancellationToken).ConfigureAwait(false);
        switch (ColumnsListedAsSuch(grant).ObjectKind)
        {
            case AccessObjectKind.Namespace:
                List<string> namespaces = (await _tables.ListNamespacesAsync(cancellationToken).ConfigureAwait(false))
                    .Concat(knownTables.Select(t => t.Split('.')[0])).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                if (!namespaces.Contains(grant.Object, StringComparer.OrdinalIgnoreCase))
                {
                    throw new MedallionException(ErrorCode.CatalogObjectNotFound,
                        $"There is no namespace '{grant.Object}'.{NameSuggester.DidYouMean(grant.Object, namespaces)}\nHelp: medallion tables lists the tables and their namespaces.");
                }

                break;
            case AccessObjectKind.Table:
                await RequireTableAsync(grant.Object, knownTables, cancellationToken).ConfigureAwait(false);
                break;
            case AccessObjectKind.Columns:
                TableName table = await RequireTableAsync(grant.Object, knownTables, cancellationToken).ConfigureAwait(false);
                List<string> columns = (await _tables.GetColumnsAsync(table, cancellationToken).ConfigureAwait(false)).Select(c => c.Name).ToList();
                if (grant.Columns.Count == 0)
                {
                    throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"The column grant on {grant.Object} names no columns.\nHelp: select (a, b) on {grant.Object}.");
                }

                foreach (string column in grant.Columns.Where(c => columns.Count > 0 && !columns.Contains(c, StringComparer.OrdinalIgnoreCase)))
                {
                    throw new MedallionException(ErrorCode.CatalogObjectNotFound,
                        $"Table {grant.Object} has no column '{column}'.{NameSuggester.DidYouMean(column, columns)}\nHelp: medallion describe {grant.Object} lists its columns.");
                }

                break;
            case AccessObjectKind.Server when !string.Equals(grant.Object, "server", StringComparison.Ordinal):
                throw new MedallionException(ErrorCode.CatalogAccessInvalid, $"{FormatPrivilege(grant.Privilege)} is granted on server, not on '{grant.Object}'.");
        }
    }

    private async Task<TableName> RequireTableAsync(string qualified, IReadOnlyCollection<string> knownTables, CancellationToken cancellationToken)
    {
        List<string> tables = (await _tables.ListTablesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Select(t => t.Name.ToString())
            .Concat(knownTables).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        string? match = tables.FirstOrDefault(t => string.Equals(t, qualified, StringComparison.OrdinalIgnoreCase));
        if (match is null)
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound,
                $"There is no table '{qualified}'.{NameSuggester.DidYouMeanTable(qualified, tables)}\nHelp: name it as namespace.table; medallion tables lists the tables.");
        }

        return TableName.Parse(match);
    }

    private async Task<AccessRole> RequireRoleAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        List<AccessRole> roles = await ListRolesAsync(cancellationToken).ConfigureAwait(false);
        return roles.FirstOrDefault(r => r.Name == name) ?? throw new MedallionException(ErrorCode.CatalogObjectNotFound,
            $"There is no role '{name}'.{NameSuggester.DidYouMean(name, roles.Select(r => r.Name))}\nHelp: medallion role list shows the roles; medallion role create {name} makes it.");
    }

    private async Task<CatalogUser> RequireUserAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (await _identity.FindUserAsync(name, cancellationToken).ConfigureAwait(false) is { } user)
        {
            return user;
        }

        List<CatalogUser> users = await _identity.ListUsersAsync(cancellationToken).ConfigureAwait(false);
        throw new MedallionException(ErrorCode.CatalogObjectNotFound,
            $"There is no user '{name}'.{NameSuggester.DidYouMean(name, users.Select(u => u.Name))}\nHelp: medallion user list shows the users; medallion user add {name} adds one.");
    }

    private async Task RequireGranteeAsync(GranteeKind kind, string name, IReadOnlySet<string>? rolesToBe, CancellationToken cancellationToken)
    {
        if (kind == GranteeKind.Role && rolesToBe?.Contains(name) == true)
        {
            return;
        }

        if (kind == GranteeKind.Role)
        {
            await RequireRoleAsync(name, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await RequireUserAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The CLI (<paramref name="changingFrom"/> null) may not change what a project file declares.</summary>
    private static void RefuseDeclared(string? declaredIn, string? changingFrom, string what)
    {
        if (declaredIn is not null && changingFrom is null)
        {
            throw new MedallionException(ErrorCode.CatalogAccessDeclared,
                $"The {what} is declared in {declaredIn}, so it changes there.\nHelp: edit {declaredIn}, then run medallion access plan and medallion access apply.");
        }
    }

    /// <summary>
    /// A grant on a table that lists columns is a grant of those columns (as PostgreSQL's <c>GRANT SELECT (a, b) ON t</c>),
    /// however it was built: it is checked, stored and read as one, never as the whole table.
    /// </summary>
    private static AccessGrant ColumnsListedAsSuch(AccessGrant grant) =>
        grant is { ObjectKind: AccessObjectKind.Table, Columns.Count: > 0 } ? grant with { ObjectKind = AccessObjectKind.Columns } : grant;

    private static (string, object?)[] GrantKey(AccessGrant grant) =>
    [
        ("@privilege", FormatPrivilege(grant.Privilege)),
        ("@kind", ColumnsListedAsSuch(grant).ObjectKind.ToString().ToLowerInvariant()),
        ("@object", grant.Object),
        ("@columns", string.Join(",", grant.Columns)),
        ("@grantee_kind", FormatGrantee(grant.GranteeKind)),
        ("@grantee", grant.Grantee),
    ];

    private static AccessGrant ReadGrant(DbDataReader r)
    {
        string columns = r.GetString(3);
        return new AccessGrant(
            Enum.Parse<AccessPrivilege>(r.GetString(0), ignoreCase: true),
            Enum.Parse<AccessObjectKind>(r.GetString(1), ignoreCase: true),
            r.GetString(2),
            columns.Length == 0 ? [] : columns.Split(','),
            ParseGrantee(r.GetString(4)),
            r.GetString(5),
            GetNullableString(r, 6));
    }

    private static string FormatGrantee(GranteeKind kind) => kind == GranteeKind.Role ? "role" : "user";

    private static GranteeKind ParseGrantee(string text) => text == "role" ? GranteeKind.Role : GranteeKind.User;

    /// <summary>
    /// What <see cref="ApplyDeclaredAccessAsync"/> would change, without changing anything: declared rows to add, rows made with
    /// the CLI that the files now declare (adopted), and declared rows the files no longer hold.
    /// </summary>
    public async Task<IReadOnlyList<AccessChange>> PlanDeclaredAccessAsync(DeclaredAccess declared, CancellationToken cancellationToken = default) =>
        (await DiffAsync(declared, [], cancellationToken).ConfigureAwait(false)).Select(c => c.Change).ToList();

    /// <summary>
    /// Makes the catalog's declared roles, memberships, grants, masking policies and row filters exactly those of
    /// <paramref name="declared"/>, in one transaction; rows made with the CLI that the files do not mention stay. Every
    /// change is checked before any is written, so a refused one leaves the catalog as it was. Returns what changed.
    /// </summary>
    /// <exception cref="MedallionException">
    /// A declared grant or filter names a role, user, table or column that does not exist, or a declared role takes a
    /// user's name; the message and <see cref="MedallionException.Location"/> give the file, line and column that declare it.
    /// </exception>
    public async Task<IReadOnlyList<AccessChange>> ApplyDeclaredAccessAsync(DeclaredAccess declared, IReadOnlyCollection<string>? knownTables = null, CancellationToken cancellationToken = default)
    {
        List<DeclaredChange> diff = await DiffAsync(declared, knownTables ?? [], cancellationToken).ConfigureAwait(false);
        foreach (DeclaredChange change in diff)
        {
            if (change.Check is not { } check)
            {
                continue;
            }

            try
            {
                await check().ConfigureAwait(false);
            }
            catch (MedallionException refused) when (refused.Location is null && change.Declared is { } item && declared.LocationOf(item) is { } at)
            {
                throw new MedallionException(refused.Code, $"{at}: {refused.Message}", refused, refused.IsTransient, at);
            }
        }

        if (diff.Count > 0)
        {
            await _db.ExecuteInTransactionAsync(diff.SelectMany(c => c.Statements), cancellationToken).ConfigureAwait(false);
        }

        return diff.Select(c => c.Change).ToList();
    }

    /// <summary>One change of a declared policy: what it says, the declared item it comes from (for its location), the check it must pass and its statements.</summary>
    private sealed record DeclaredChange(AccessChange Change, object? Declared, Func<Task>? Check, IReadOnlyList<(string Sql, (string Name, object? Value)[] Parameters)> Statements);

    private async Task<List<DeclaredChange>> DiffAsync(DeclaredAccess declared, IReadOnlyCollection<string> knownTables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(declared);
        var diff = new List<DeclaredChange>();
        string now = _db.Now();
        // A grant or filter may name a role the same policy adds: it exists by the time the transaction writes the grant.
        IReadOnlySet<string> rolesToBe = declared.Roles.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        List<AccessRole> roles = await ListRolesAsync(cancellationToken).ConfigureAwait(false);
        List<(string Role, string User, string? DeclaredIn)> members = await _db.QueryAsync(
            "SELECT role_name, user_name, declared_in FROM access_members", [], r => (r.GetString(0), r.GetString(1), GetNullableString(r, 2)), cancellationToken).ConfigureAwait(false);

        // Roles first (grants and members need them), removals last (they cascade).
        foreach (AccessRole role in declared.Roles)
        {
            AccessRole? existing = roles.FirstOrDefault(r => r.Name == role.Name);
            if (existing?.DeclaredIn != role.DeclaredIn)
            {
                diff.Add(new DeclaredChange(
                    new AccessChange('+', $"role {role.Name} ({role.DeclaredIn})"),
                    role,
                    existing is null ? () => RefuseUserNameAsync(role.Name, cancellationToken) : null,
                    [InsertRole(role.Name, role.DeclaredIn, now), ("UPDATE access_roles SET declared_in = @declared WHERE name = @name", [("@name", role.Name), ("@declared", role.DeclaredIn)])]));
            }

            foreach (string member in role.Members.Where(m => !members.Any(x => x.Role == role.Name && x.User == m && x.DeclaredIn == role.DeclaredIn)))
            {
                diff.Add(new DeclaredChange(
                    new AccessChange('+', $"member {member} of role {role.Name} ({role.DeclaredIn})"),
                    role,
                    () => RequireUserAsync(member, cancellationToken),
                    [
                        InsertMember(role.Name, member, role.DeclaredIn),
                        ("UPDATE access_members SET declared_in = @declared WHERE role_name = @role AND user_name = @user", [("@role", role.Name), ("@user", member), ("@declared", role.DeclaredIn)]),
                    ]));
            }
        }

        foreach ((string role, string user, string? declaredIn) in members.Where(m => m.DeclaredIn is not null
            && !declared.Roles.Any(r => r.Name == m.Role && r.Members.Contains(m.User))))
        {
            diff.Add(new DeclaredChange(
                new AccessChange('-', $"member {user} of role {role} ({declaredIn})"),
                null,
                null,
                [("DELETE FROM access_members WHERE role_name = @role AND user_name = @user", [("@role", role), ("@user", user)])]));
        }

        List<AccessGrant> grants = await ListGrantsAsync(cancellationToken).ConfigureAwait(false);
        foreach (AccessGrant grant in declared.Grants.Where(g => !grants.Any(x => SameGrant(x, g) && x.DeclaredIn == g.DeclaredIn)))
        {
            diff.Add(new DeclaredChange(
                new AccessChange('+', $"grant {AccessGrantText.Format(grant)} to {Describe(grant.GranteeKind)} {grant.Grantee} ({grant.DeclaredIn})"),
                grant,
                () => ValidateGrantAsync(grant, knownTables, rolesToBe, cancellationToken),
                [
                    InsertGrant(grant, now),
                    ("UPDATE access_grants SET declared_in = @declared WHERE privilege = @privilege AND object_kind = @kind AND object = @object AND columns = @columns AND grantee_kind = @grantee_kind AND grantee = @grantee",
                        [.. GrantKey(grant), ("@declared", grant.DeclaredIn)]),
                ]));
        }

        foreach (AccessGrant grant in grants.Where(g => g.DeclaredIn is not null && !declared.Grants.Any(d => SameGrant(d, g))))
        {
            diff.Add(new DeclaredChange(
                new AccessChange('-', $"grant {AccessGrantText.Format(grant)} to {Describe(grant.GranteeKind)} {grant.Grantee} ({grant.DeclaredIn})"),
                null,
                null,
                [DeleteGrant(grant)]));
        }

        List<MaskingPolicy> masks = await ListMaskingPoliciesAsync(cancellationToken).ConfigureAwait(false);
        foreach (MaskingPolicy mask in declared.MaskingPolicies.Where(m => !masks.Contains(m)))
        {
            diff.Add(new DeclaredChange(
                new AccessChange(masks.Any(x => x.Classification == mask.Classification) ? '~' : '+', $"masking of {mask.Classification}: {Describe(mask)} ({mask.DeclaredIn})"),
                mask,
                () =>
                {
                    CheckMaskingPolicy(mask);
                    return Task.CompletedTask;
                },
                [UpsertMaskingPolicy(mask)]));
        }

        foreach (MaskingPolicy mask in masks.Where(m => m.DeclaredIn is not null && !declared.MaskingPolicies.Any(d => d.Classification == m.Classification)))
        {
            diff.Add(new DeclaredChange(
                new AccessChange('-', $"masking of {mask.Classification}: {Describe(mask)} ({mask.DeclaredIn})"),
                null,
                null,
                [("DELETE FROM access_masks WHERE classification = @class", [("@class", mask.Classification)])]));
        }

        List<RowFilter> filters = await ListRowFiltersAsync(cancellationToken).ConfigureAwait(false);
        foreach (RowFilter filter in declared.RowFilters.Where(f => !filters.Contains(f)))
        {
            diff.Add(new DeclaredChange(
                new AccessChange('+', $"row filter of {filter.Table} for {Describe(filter.GranteeKind)} {filter.Grantee}: {filter.Predicate} ({filter.DeclaredIn})"),
                filter,
                () => ValidateRowFilterAsync(filter, knownTables, rolesToBe, cancellationToken),
                [UpsertRowFilter(filter)]));
        }

        foreach (RowFilter filter in filters.Where(f => f.DeclaredIn is not null
            && !declared.RowFilters.Any(d => d.Table == f.Table && d.GranteeKind == f.GranteeKind && d.Grantee == f.Grantee)))
        {
            diff.Add(new DeclaredChange(
                new AccessChange('-', $"row filter of {filter.Table} for {Describe(filter.GranteeKind)} {filter.Grantee} ({filter.DeclaredIn})"),
                null,
                null,
                [DeleteRowFilter(filter)]));
        }

        foreach (AccessRole role in roles.Where(r => r.DeclaredIn is not null && !declared.Roles.Any(d => d.Name == r.Name)))
        {
            diff.Add(new DeclaredChange(new AccessChange('-', $"role {role.Name} ({role.DeclaredIn})"), null, null, DeleteRole(role.Name)));
        }

        return diff;
    }

    private static bool SameGrant(AccessGrant a, AccessGrant b) =>
        a.Privilege == b.Privilege && a.ObjectKind == b.ObjectKind && a.Object == b.Object && a.Columns.SequenceEqual(b.Columns)
        && a.GranteeKind == b.GranteeKind && a.Grantee == b.Grantee;

    private static string Describe(GranteeKind kind) => kind == GranteeKind.Role ? "role" : "user";

    private static string Describe(MaskingPolicy mask) => mask.Kind == MaskingPolicyKind.Expression ? mask.Expression ?? string.Empty : mask.Kind.ToString().ToLowerInvariant();
}

/// <summary>
/// Roles, grants, masking policies and row filters. Each row records whether a project file declares it
/// (<c>declared_in</c>): declared rows change only through the project's files (<c>medallion access apply</c>), and the
/// CLI refuses to change them, so the files and the catalog never silently disagree.
/// </summary>

/// <summary>One change <c>medallion access apply</c> makes to bring the catalog to a project's declared policy.</summary>
/// <param name="Sign"><c>+</c> for a row added (or adopted from the CLI's), <c>-</c> for a declared row the files no longer declare, <c>~</c> for a changed one.</param>
/// <param name="Description">What changes, e.g. <c>grant select on silver to role analysts (access/analysts.yml)</c>.</param>
public sealed record AccessChange(char Sign, string Description)
{
    /// <inheritdoc />
    public override string ToString() => Sign + " " + Description;
}
