using System.Collections.Generic;

namespace Medallion.Catalog;

/// <summary>What a grant allows.</summary>
public enum AccessPrivilege
{
    /// <summary>Read a namespace's tables (present and future), a table, or some of a table's columns.</summary>
    Select,

    /// <summary>See the values of columns of a classification (<c>pii</c>, ...) rather than their mask.</summary>
    Unmask,

    /// <summary>Trigger, cancel and backfill runs through the server.</summary>
    Operate,

    /// <summary>Every privilege, and the users, roles and grants themselves.</summary>
    Admin,
}

/// <summary>What kind of object a grant is on.</summary>
public enum AccessObjectKind
{
    /// <summary>A namespace (<c>silver</c>): every table in it, including tables created later.</summary>
    Namespace,

    /// <summary>One table (<c>silver.customers</c>).</summary>
    Table,

    /// <summary>Some columns of one table (<c>select (id, city) on silver.customers</c>).</summary>
    Columns,

    /// <summary>A column classification (<c>pii</c>).</summary>
    Classification,

    /// <summary>The server itself (<c>operate</c>, <c>admin</c>).</summary>
    Server,
}

/// <summary>Whom a grant or row filter is for.</summary>
public enum GranteeKind
{
    /// <summary>A role: every user who is a member.</summary>
    Role,

    /// <summary>One user.</summary>
    User,
}

/// <summary>One grant of a privilege on an object to a role or user.</summary>
/// <param name="Privilege">What is allowed.</param>
/// <param name="ObjectKind">The kind of <paramref name="Object"/>.</param>
/// <param name="Object">The namespace, table (<c>ns.name</c>), classification, or <c>server</c>.</param>
/// <param name="Columns">The columns of a <see cref="AccessObjectKind.Columns"/> grant, in order; empty otherwise.</param>
/// <param name="GranteeKind">Whether <paramref name="Grantee"/> is a role or a user.</param>
/// <param name="Grantee">The role's or user's name.</param>
/// <param name="DeclaredIn">The project file that declares the grant, or null when it was made with <c>medallion grant</c>.</param>
public sealed record AccessGrant(
    AccessPrivilege Privilege,
    AccessObjectKind ObjectKind,
    string Object,
    IReadOnlyList<string> Columns,
    GranteeKind GranteeKind,
    string Grantee,
    string? DeclaredIn = null);

/// <summary>A role and its members.</summary>
/// <param name="Name">The role's name.</param>
/// <param name="Members">The users who hold it, by name.</param>
/// <param name="DeclaredIn">The project file that declares the role, or null when it was made with <c>medallion role create</c>.</param>
public sealed record AccessRole(string Name, IReadOnlyList<string> Members, string? DeclaredIn = null);

/// <summary>How the values of a classified column are shown to a user who may not unmask them.</summary>
public enum MaskingPolicyKind
{
    /// <summary>A keyed HMAC-SHA-256 of the value, in hex: stable for the project, so joins and counts of distinct values still work.</summary>
    Hash,

    /// <summary>The shape kept, the content hidden: <c>***.***.***-05</c> for a CPF, <c>j***@example.com</c> for an e-mail.</summary>
    Partial,

    /// <summary>NULL, of the column's type.</summary>
    Null,

    /// <summary>A SQL expression over the column, written with <c>{column}</c> where the column goes.</summary>
    Expression,
}

/// <summary>The masking policy of one classification.</summary>
/// <param name="Classification">The classification it applies to (<c>pii</c>).</param>
/// <param name="Kind">How values are masked.</param>
/// <param name="Expression">The SQL of an <see cref="MaskingPolicyKind.Expression"/> policy, with <c>{column}</c>; null otherwise.</param>
/// <param name="DeclaredIn">The project file that declares it, or null.</param>
public sealed record MaskingPolicy(string Classification, MaskingPolicyKind Kind, string? Expression = null, string? DeclaredIn = null);

/// <summary>Which rows of a table a role or user sees: a SQL predicate over the table's columns, which may call <c>user.attribute('name')</c>.</summary>
/// <param name="Table">The table (<c>ns.name</c>).</param>
/// <param name="GranteeKind">Whether <paramref name="Grantee"/> is a role or a user.</param>
/// <param name="Grantee">The role's or user's name.</param>
/// <param name="Predicate">The condition a row must meet, e.g. <c>region = user.attribute('region')</c>.</param>
/// <param name="DeclaredIn">The project file that declares it, or null.</param>
public sealed record RowFilter(string Table, GranteeKind GranteeKind, string Grantee, string Predicate, string? DeclaredIn = null);

/// <summary>Everything that decides what one user reads: the user's own and their roles' grants and row filters, and the project's masking policies.</summary>
/// <param name="User">The user.</param>
/// <param name="IsAdmin">Whether the user holds every privilege (added with <c>--admin</c>, granted <c>admin</c>, or a user from before grants existed).</param>
/// <param name="Attributes">The user's attributes, for row filters' <c>user.attribute('name')</c>.</param>
/// <param name="Roles">The roles the user holds.</param>
/// <param name="Grants">The grants to the user and to those roles.</param>
/// <param name="RowFilters">The row filters for the user and for those roles.</param>
/// <param name="MaskingPolicies">The project's masking policies, by classification.</param>
public sealed record UserAccess(
    string User,
    bool IsAdmin,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<string> Roles,
    IReadOnlyList<AccessGrant> Grants,
    IReadOnlyList<RowFilter> RowFilters,
    IReadOnlyList<MaskingPolicy> MaskingPolicies);
