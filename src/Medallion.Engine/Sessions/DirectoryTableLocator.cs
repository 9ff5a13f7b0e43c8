using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Storage;

namespace Medallion.Engine.Sessions;

/// <summary>
/// Finds tables laid out as <c>&lt;root&gt;/&lt;namespace&gt;/&lt;table&gt;/_delta_log</c>, the layout Medallion
/// projects use for their storage: on the local disk, or under an object store URI (<c>s3://</c>, <c>az://</c>, ...).
/// </summary>
public sealed class DirectoryTableLocator : ITableLocator
{
    private readonly string _root;

    /// <summary>Creates a locator over <paramref name="root"/> (a local folder, which need not exist yet, or a store URI).</summary>
    public DirectoryTableLocator(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = StorageResolver.IsUri(root) ? root.TrimEnd('/') : Path.GetFullPath(root);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LakehouseTable>> ListAsync(CancellationToken cancellationToken = default)
    {
        if (StorageResolver.IsUri(_root))
        {
            return ListStoreAsync(cancellationToken);
        }

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

    /// <summary>
    /// The tables under a store URI: every <c>namespace/table/_delta_log/</c> its listing shows. An object store has no
    /// folders, so this lists the store's keys.
    /// </summary>
    private async Task<IReadOnlyList<LakehouseTable>> ListStoreAsync(CancellationToken cancellationToken)
    {
        IObjectStore store = StorageResolver.OpenStore(_root);
        var found = new SortedSet<(string Namespace, string Name)>();
        await foreach (ObjectInfo info in store.ListAsync(string.Empty, null, cancellationToken).ConfigureAwait(false))
        {
            string[] segments = info.Key.Split('/', 4);
            if (segments.Length == 4 && segments[2] == "_delta_log")
            {
                found.Add((segments[0], segments[1]));
            }
        }

        return found.Select(t => Table(t.Namespace, t.Name, _root + "/" + t.Namespace + "/" + t.Name))
            .OrderBy(t => t.QualifiedName, StringComparer.Ordinal)
            .ToList();
    }

    private static LakehouseTable Table(string namespaceName, string name, string directory) =>
        new(namespaceName, name, StorageResolver.OpenStore(directory));
}
