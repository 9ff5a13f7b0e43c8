using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Engine.Sessions;

/// <summary>
/// Tells a <see cref="LakehouseSession"/> which Delta tables exist and where: the catalog implements
/// it for projects, <see cref="DirectoryTableLocator"/> for a plain folder of tables.
/// </summary>
public interface ITableLocator
{
    /// <summary>Every table, in any order.</summary>
    Task<IReadOnlyList<LakehouseTable>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>The table named <paramref name="namespaceName"/>.<paramref name="name"/> (case-insensitive), or null.</summary>
    Task<LakehouseTable?> FindAsync(string namespaceName, string name, CancellationToken cancellationToken = default);
}
