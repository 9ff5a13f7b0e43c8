using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Storage;

namespace Medallion.Engine.Sessions;

/// <summary>
/// Finds tables laid out as <c>&lt;root&gt;/&lt;namespace&gt;/&lt;table&gt;/_delta_log</c> on the local disk,
/// the layout Medallion projects use for their storage.
/// </summary>
public sealed class DirectoryTableLocator : ITableLocator
{
    private readonly string _root;

    /// <summary>Creates a locator over <paramref name="root"/>; the folder need not exist yet.</summary>
    public DirectoryTableLocator(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.GetFullPath(root);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LakehouseTable>> ListAsync(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(_root))
        {
            return Task.FromResult<IReadOnlyList<LakehouseTable>>([]);
        }

        IReadOnlyList<LakehouseTable> tables = Directory.EnumerateDirectories(_root)
            .SelectMany(namespaceDirectory => Directory.EnumerateDirectories(namespaceDirectory)
                .Where(tableDirectory => Directory.Exists(Path.Combine(tableDirectory, "_delta_log")))
                .Select(tableDirectory => Table(Path.GetFileName(namespaceDirectory), Path.GetFileName(tableDirectory), tableDirectory)))
            .OrderBy(t => t.QualifiedName, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(tables);
    }

    /// <inheritdoc />
    public async Task<LakehouseTable?> FindAsync(string namespaceName, string name, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<LakehouseTable> tables = await ListAsync(cancellationToken).ConfigureAwait(false);
        return tables.FirstOrDefault(t =>
            string.Equals(t.Namespace, namespaceName, StringComparison.OrdinalIgnoreCase) &&
            string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
    }

    private static LakehouseTable Table(string namespaceName, string name, string directory) =>
        new(namespaceName, name, StorageResolver.OpenStore(directory));
}
