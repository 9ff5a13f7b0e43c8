using System;
using System.Collections.Generic;
using System.Linq;

namespace Medallion.Catalog;

/// <summary>
/// The access policy a project declares in its files (<c>access:</c> in <c>medallion.yml</c>, <c>access/*.yml</c>): roles with
/// their members, grants, masking policies and row filters, each carrying the file that declares it.
/// </summary>
/// <param name="Roles">Declared roles and their members.</param>
/// <param name="Grants">Declared grants.</param>
/// <param name="MaskingPolicies">Declared masking policies.</param>
/// <param name="RowFilters">Declared row filters.</param>
public sealed record DeclaredAccess(
    IReadOnlyList<AccessRole> Roles,
    IReadOnlyList<AccessGrant> Grants,
    IReadOnlyList<MaskingPolicy> MaskingPolicies,
    IReadOnlyList<RowFilter> RowFilters)
{
    /// <summary>No declared policy.</summary>
    public static DeclaredAccess None { get; } = new([], [], [], []);

    /// <summary>Whether the project declares anything.</summary>
    public bool IsEmpty => Roles.Count == 0 && Grants.Count == 0 && MaskingPolicies.Count == 0 && RowFilters.Count == 0;

    /// <summary>
    /// Where each declared role, grant, masking policy and row filter is written (keyed by the item itself, by reference),
    /// so that an item the catalog refuses is reported at its file, line and column.
    /// </summary>
    public IReadOnlyDictionary<object, SourceLocation> Locations { get; init; } = new Dictionary<object, SourceLocation>();

    /// <summary>Where <paramref name="item"/> (one of this policy's roles, grants, masking policies or row filters) is written; null when not known.</summary>
    public SourceLocation? LocationOf(object item) => Locations.TryGetValue(item, out SourceLocation? location) ? location : null;
}

/// <summary>Reads a grant as the CLI and project files write it: <c>select on silver</c>, <c>select (id, name) on silver.customers</c>, <c>unmask on pii</c>, <c>operate on server</c>.</summary>
public static class AccessGrantText
{
    /// <summary>The syntax, for help texts.</summary>
    public const string Syntax = "select on <namespace> | <ns.table>, select (a, b) on <ns.table>, unmask on <classification>, operate on server, admin on server";

    /// <summary>Parses <paramref name="text"/> (privilege, optional column list, <c>on</c>, optional kind word, object) into a grant to <paramref name="grantee"/>.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogAccessInvalid"/> when the text is not a grant.</exception>
    public static AccessGrant Parse(string text, GranteeKind granteeKind, string grantee, string? declaredIn = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] tokens = text.Replace("(", " ( ", StringComparison.Ordinal).Replace(")", " ) ", StringComparison.Ordinal).Replace(",", " , ", StringComparison.Ordinal)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0 || !Enum.TryParse(tokens[0], ignoreCase: true, out AccessPrivilege privilege) || int.TryParse(tokens[0], out _))
        {
            throw Invalid(text, $"'{tokens.FirstOrDefault()}' is not a privilege.{NameSuggester.DidYouMean(tokens.FirstOrDefault() ?? string.Empty, ["select", "unmask", "operate", "admin"])}");
        }

        int at = 1;
        var columns = new List<string>();
        if (at < tokens.Length && tokens[at] == "(")
        {
            for (at++; at < tokens.Length && tokens[at] != ")"; at++)
            {
                if (tokens[at] != ",")
                {
                    columns.Add(tokens[at]);
                }
            }

            if (columns.Count == 0)
            {
                // Empty parentheses must not read as no parentheses, which grants every column.
                throw Invalid(text, "the column list '()' names no columns; name the columns to grant, or leave out the parentheses to grant the whole table.");
            }

            at++;
        }

        if (at >= tokens.Length || !tokens[at].Equals("on", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid(text, "expected 'on <object>' after the privilege.");
        }

        at++;
        AccessObjectKind? kind = at < tokens.Length ? tokens[at].ToLowerInvariant() switch
        {
            "namespace" or "schema" => AccessObjectKind.Namespace,
            "table" => AccessObjectKind.Table,
            "classification" => AccessObjectKind.Classification,
            _ => null,
        } : null;
        if (kind is not null && at + 1 < tokens.Length)
        {
            at++;
        }

        if (at + 1 != tokens.Length)
        {
            throw Invalid(text, "expected one object after 'on'.");
        }

        string target = tokens[at];
        if (columns.Count > 0 && kind is not (null or AccessObjectKind.Table))
        {
            throw Invalid(text, $"columns are listed only on a table, not on a {kind.Value.ToString().ToLowerInvariant()}.");
        }

        AccessObjectKind objectKind = columns.Count > 0 ? AccessObjectKind.Columns
            : kind ?? privilege switch
            {
                AccessPrivilege.Unmask => AccessObjectKind.Classification,
                AccessPrivilege.Operate or AccessPrivilege.Admin => AccessObjectKind.Server,
                _ => target.Contains('.', StringComparison.Ordinal) ? AccessObjectKind.Table : AccessObjectKind.Namespace,
            };
        return new AccessGrant(privilege, objectKind, objectKind == AccessObjectKind.Server ? target.ToLowerInvariant() : target, columns, granteeKind, grantee, declaredIn);
    }

    /// <summary>How a grant reads: <c>select (a, b) on silver.customers</c>.</summary>
    public static string Format(AccessGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        return AccessStore.FormatPrivilege(grant.Privilege) + (grant.Columns.Count > 0 ? " (" + string.Join(", ", grant.Columns) + ")" : string.Empty) + " on " + grant.Object;
    }

    private static MedallionException Invalid(string text, string what) =>
        new(ErrorCode.CatalogAccessInvalid, $"'{text}' is not a grant: {what}\nHelp: {Syntax}.");
}
