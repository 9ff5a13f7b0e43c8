using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Engine.Sessions;

/// <summary>A locator with no tables: a session over it is a plain DuckDB engine (outside any project).</summary>
public sealed class NoTables : ITableLocator
{
    /// <summary>The one instance.</summary>
    public static NoTables Instance { get; } = new();

    private NoTables()
    {
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LakehouseTable>> ListAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<LakehouseTable>>([]);

    /// <inheritdoc />
    public Task<LakehouseTable?> FindAsync(string namespaceName, string name, CancellationToken cancellationToken = default) => Task.FromResult<LakehouseTable?>(null);
}
