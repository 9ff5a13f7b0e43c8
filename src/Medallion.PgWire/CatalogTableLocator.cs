using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine.Sessions;

namespace Medallion.PgWire;

/// <summary>
/// The tables another locator finds, with the unique keys a project's catalog records for them (merge and scd2
/// models), so that SQL clients see those keys as primary keys. A table the catalog does not know has no key.
/// </summary>
public sealed class CatalogTableLocator : ITableLocator
{
    private readonly ITableLocator _tables;
    private readonly CatalogStore _catalog;

    /// <summary>Creates a locator over the tables <paramref name="tables"/> finds and an open catalog (owned by the caller).</summary>
    public CatalogTableLocator(ITableLocator tables, CatalogStore catalog)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(catalog);
        _tables = tables;
        _catalog = catalog;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LakehouseTable>> ListAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<LakehouseTable> tables = await _tables.ListAsync(cancellationToken).ConfigureAwait(false);
        Dictionary<string, IReadOnlyList<string>> keys = await KeysAsync(cancellationToken).ConfigureAwait(false);
        return keys.Count == 0 ? tables : tables.Select(t => WithKey(t, keys)).ToList();
    }

    /// <inheritdoc />
    public async Task<LakehouseTable?> FindAsync(string namespaceName, string name, CancellationToken cancellationToken = default)
    {
        LakehouseTable? table = await _tables.FindAsync(namespaceName, name, cancellationToken).ConfigureAwait(false);
        return table is null ? null : WithKey(table, await KeysAsync(cancellationToken).ConfigureAwait(false));
    }

    private async Task<Dictionary<string, IReadOnlyList<string>>> KeysAsync(CancellationToken cancellationToken) =>
        (await _catalog.Tables.ListTablesAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            .Where(t => t.UniqueKey.Count > 0)
            .ToDictionary(t => t.Name.Namespace + "." + t.Name.Name, t => t.UniqueKey, StringComparer.OrdinalIgnoreCase);

    private static LakehouseTable WithKey(LakehouseTable table, Dictionary<string, IReadOnlyList<string>> keys) =>
        keys.TryGetValue(table.QualifiedName, out IReadOnlyList<string>? key) ? table with { UniqueKey = key } : table;
}
