using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Medallion.Pipelines.Quality;

namespace Medallion.Platform.Access;

/// <summary>
/// Turns a project catalog's grants, masking policies and row filters into what one user's sessions may read
/// (<see cref="SessionAccess"/>): the SQL endpoint, the web UI, the REST API and <c>medallion sql --user</c> all ask here.
/// </summary>
/// <remarks>
/// Rules. An admin reads everything unmasked. Otherwise a table is readable through <c>select</c> on its namespace (present
/// and future tables), on the table, or on some of its columns (then only those columns exist for the user). A column whose
/// catalog classification the user holds no <c>unmask</c> grant for is masked by that classification's policy (a keyed
/// hash when the project names none). Row filters of the user and of the user's roles on a table are OR-ed: a row shows
/// when any of them holds (as PostgreSQL combines permissive policies); <c>user.attribute('name')</c> in a filter is the
/// user's attribute as a string literal, NULL when the user has none, so such a filter then shows no rows.
/// </remarks>
public sealed partial class CatalogSessionAccess
{
    private readonly CatalogStore _catalog;

    /// <summary>Creates the access rules over an open catalog (owned by the caller).</summary>
    public CatalogSessionAccess(CatalogStore catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _catalog = catalog;
    }

    /// <summary>
    /// What <paramref name="user"/> may read of <paramref name="tables"/>; null when the user reads everything unmasked:
    /// an admin, or a name the catalog does not know (a client let in by trusted loopback, as the shell at the machine is).
    /// </summary>
    public async Task<SessionAccess?> ForUserAsync(string user, IReadOnlyList<LakehouseTable> tables, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(tables);
        UserAccess? access = await _catalog.Access.GetUserAccessAsync(user, cancellationToken).ConfigureAwait(false);
        if (access is null || access.IsAdmin)
        {
            return null;
        }

        var unmasked = new HashSet<string>(
            access.Grants.Where(g => g.Privilege == AccessPrivilege.Unmask).Select(g => g.Object), StringComparer.OrdinalIgnoreCase);
        Dictionary<string, MaskingPolicy> policies = access.MaskingPolicies.ToDictionary(p => p.Classification, StringComparer.OrdinalIgnoreCase);
        var readable = new Dictionary<string, TableAccess>(StringComparer.OrdinalIgnoreCase);
        foreach (LakehouseTable table in tables)
        {
            List<AccessGrant> selects = access.Grants.Where(g => g.Privilege == AccessPrivilege.Select && Covers(g, table)).ToList();
            if (selects.Count == 0)
            {
                continue;
            }

            // A grant that lists columns reads only those, whatever its kind says: a list is never taken for the whole table.
            List<string>? columns = selects.Any(g => g.ObjectKind != AccessObjectKind.Columns && g.Columns.Count == 0) ? null
                : selects.SelectMany(g => g.Columns).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            var masks = new Dictionary<string, ColumnMask>(StringComparer.OrdinalIgnoreCase);
            foreach (CatalogColumn column in await ClassifiedColumnsAsync(new TableName(table.Namespace, table.Name), tables, cancellationToken).ConfigureAwait(false))
            {
                if (column.Classification is { Length: > 0 } classification && !unmasked.Contains(classification)
                    && (columns is null || columns.Contains(column.Name, StringComparer.OrdinalIgnoreCase)))
                {
                    masks[column.Name] = policies.TryGetValue(classification, out MaskingPolicy? policy)
                        ? new ColumnMask(ToMaskKind(policy.Kind), policy.Expression)
                        : new ColumnMask(ColumnMaskKind.Hash);
                }
            }

            List<string> filters = access.RowFilters
                .Where(f => string.Equals(f.Table, table.QualifiedName, StringComparison.OrdinalIgnoreCase))
                .Select(f => "(" + UserAttribute().Replace(f.Predicate, m => access.Attributes.TryGetValue(m.Groups[1].Value, out string? value) ? DuckDbConnection.QuoteLiteral(value) : "NULL") + ")")
                .ToList();
            readable[table.QualifiedName] = new TableAccess(columns, masks, filters.Count == 0 ? null : string.Join(" OR ", filters));
        }

        return new SessionAccess(user, readable, await _catalog.Access.GetMaskingKeyAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The table's columns with their classifications; a quarantine table's unclassified columns take its model's (it
    /// holds the model's rows), also when it was written before builds recorded them.
    /// </summary>
    private async Task<List<CatalogColumn>> ClassifiedColumnsAsync(TableName table, IReadOnlyList<LakehouseTable> tables, CancellationToken cancellationToken)
    {
        List<CatalogColumn> columns = await _catalog.Tables.GetColumnsAsync(table, cancellationToken).ConfigureAwait(false);
        if (!QuarantineTable.TryGetModel(table, out TableName model)
            || !tables.Any(t => string.Equals(t.QualifiedName, model.ToString(), StringComparison.OrdinalIgnoreCase)))
        {
            return columns;
        }

        List<CatalogColumn> modelColumns = await _catalog.Tables.GetColumnsAsync(model, cancellationToken).ConfigureAwait(false);
        return [.. columns.Select(c => c.Classification is not null ? c
            : c with { Classification = modelColumns.FirstOrDefault(m => string.Equals(m.Name, c.Name, StringComparison.OrdinalIgnoreCase))?.Classification })];
    }

    private static ColumnMaskKind ToMaskKind(MaskingPolicyKind kind) => kind switch
    {
        MaskingPolicyKind.Hash => ColumnMaskKind.Hash,
        MaskingPolicyKind.Partial => ColumnMaskKind.Partial,
        MaskingPolicyKind.Null => ColumnMaskKind.Null,
        MaskingPolicyKind.Expression => ColumnMaskKind.Expression,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static bool Covers(AccessGrant grant, LakehouseTable table) => grant.ObjectKind switch
    {
        AccessObjectKind.Namespace => string.Equals(grant.Object, table.Namespace, StringComparison.OrdinalIgnoreCase),
        AccessObjectKind.Table or AccessObjectKind.Columns => string.Equals(grant.Object, table.QualifiedName, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    [GeneratedRegex(@"user\.attribute\(\s*'([^']*)'\s*\)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UserAttribute();
}
