using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine.Sessions;

namespace Medallion.Pipelines;

/// <summary>
/// The project's tables as one environment sees them: a model the environment points at a physical table is served
/// from that table under its logical name (<c>gold.daily_revenue</c>), everything else from the lake's folders. The
/// pointers are read from the catalog at each lookup, so a session sees a promotion or a rollback at its next query.
/// </summary>
public sealed class EnvironmentTableLocator : ITableLocator
{
    private readonly MedallionProject _project;
    private readonly CatalogStore _catalog;
    private readonly DirectoryTableLocator _lake;

    /// <summary>Creates a locator of <paramref name="environment"/>'s tables of <paramref name="project"/>, over its open catalog (owned by the caller).</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentNameInvalid"/> for a name that is no environment's.</exception>
    public EnvironmentTableLocator(MedallionProject project, CatalogStore catalog, string environment)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(catalog);
        EnvironmentStore.CheckName(environment);
        _project = project;
        _catalog = catalog;
        Environment = environment;
        _lake = ProjectCatalog.Tables(project);
    }

    /// <summary>The environment served.</summary>
    public string Environment { get; }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LakehouseTable>> ListAsync(CancellationToken cancellationToken = default)
    {
        ModelTables tables = await ModelTables.LoadAsync(_project, _catalog, Environment, cancellationToken).ConfigureAwait(false);
        Dictionary<string, LakehouseTable> byName = (await _lake.ListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(t => t.QualifiedName, StringComparer.OrdinalIgnoreCase);
        foreach ((TableName model, string location) in tables.Relocated)
        {
            if (await _project.Stores.IsDeltaTableAsync(location, cancellationToken).ConfigureAwait(false))
            {
                LakehouseTable table = Table(model, location);
                byName[table.QualifiedName] = table;
            }
            else
            {
                byName.Remove(model.Namespace + "." + model.Name);
            }
        }

        return byName.Values.OrderBy(t => t.QualifiedName, StringComparer.Ordinal).ToList();
    }

    /// <inheritdoc />
    public async Task<LakehouseTable?> FindAsync(string namespaceName, string name, CancellationToken cancellationToken = default)
    {
        ModelTables tables = await ModelTables.LoadAsync(_project, _catalog, Environment, cancellationToken).ConfigureAwait(false);
        var model = new TableName(namespaceName, name);
        if (tables.Pointer(model) is null)
        {
            return await _lake.FindAsync(namespaceName, name, cancellationToken).ConfigureAwait(false);
        }

        string location = tables.Location(model);
        return await _project.Stores.IsDeltaTableAsync(location, cancellationToken).ConfigureAwait(false) ? Table(model, location) : null;
    }

    private LakehouseTable Table(TableName model, string location) =>
        new(model.Namespace.ToLowerInvariant(), model.Name.ToLowerInvariant(), _project.Stores.OpenStore(location));
}
