using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Catalog;

/// <summary>One change <c>medallion access apply</c> makes to bring the catalog to a project's declared policy.</summary>
/// <param name="Sign"><c>+</c> for a row added (or adopted from the CLI's), <c>-</c> for a declared row the files no longer declare, <c>~</c> for a changed one.</param>
/// <param name="Description">What changes, e.g. <c>grant select on silver to role analysts (access/analysts.yml)</c>.</param>
public sealed record AccessChange(char Sign, string Description)
{
    /// <inheritdoc />
    public override string ToString() => Sign + " " + Description;
}

public sealed partial class CatalogStore
{
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
            await ExecuteInTransactionAsync(diff.SelectMany(c => c.Statements), cancellationToken).ConfigureAwait(false);
        }

        return diff.Select(c => c.Change).ToList();
    }

    /// <summary>One change of a declared policy: what it says, the declared item it comes from (for its location), the check it must pass and its statements.</summary>
    private sealed record DeclaredChange(AccessChange Change, object? Declared, Func<Task>? Check, IReadOnlyList<(string Sql, (string Name, object? Value)[] Parameters)> Statements);

    private async Task<List<DeclaredChange>> DiffAsync(DeclaredAccess declared, IReadOnlyCollection<string> knownTables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(declared);
        var diff = new List<DeclaredChange>();
        string now = Now();
        // A grant or filter may name a role the same policy adds: it exists by the time the transaction writes the grant.
        IReadOnlySet<string> rolesToBe = declared.Roles.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        List<AccessRole> roles = await ListRolesAsync(cancellationToken).ConfigureAwait(false);
        List<(string Role, string User, string? DeclaredIn)> members = await QueryAsync(
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
