using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Storage;

namespace Medallion.Engine.Sessions;

/// <summary>
/// Finds tables laid out as <c>&lt;root&gt;/&lt;namespace&gt;/&lt;table&gt;/_delta_log</c>, the layout Medallion
/// projects use for their storage: on the local disk, or under an object store URI (<c>s3://</c>, <c>az://</c>, ...).
/// A namespace may have a root of its own, holding its tables as <c>&lt;namespace root&gt;/&lt;table&gt;/_delta_log</c>
/// (a project whose bronze lives on cheaper storage).
/// </summary>
public sealed class DirectoryTableLocator : ITableLocator
{
    private readonly string _root;
    private readonly Dictionary<string, string> _namespaceRoots = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a locator over <paramref name="root"/> (a local folder, which need not exist yet, or a store URI).</summary>
    /// <param name="root">Where the namespaces' folders are.</param>
    /// <param name="namespaceRoots">Namespaces whose tables live elsewhere, each with the folder or URI that holds its tables.</param>
    public DirectoryTableLocator(string root, IReadOnlyDictionary<string, string>? namespaceRoots = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Normalize(root);
        foreach ((string ns, string nsRoot) in namespaceRoots ?? new Dictionary<string, string>())
        {
            _namespaceRoots[ns] = Normalize(nsRoot);
        }
    }

    private static string Normalize(string location) => StorageResolver.IsUri(location) ? location.TrimEnd('/') : Path.GetFullPath(location);

    /// <inheritdoc />
    public async Task<IReadOnlyList<LakehouseTable>> ListAsync(CancellationToken cancellationToken = default)
    {
        var tables = new List<LakehouseTable>();
        foreach ((string ns, string table, string location) in await ListUnderAsync(_root, depth: 2, cancellationToken).ConfigureAwait(false))
        {
            if (!_namespaceRoots.ContainsKey(ns))
            {
                tables.Add(Table(ns, table, location));
            }
        }

        foreach ((string ns, string nsRoot) in _namespaceRoots)
        {
            foreach ((_, string table, string location) in await ListUnderAsync(nsRoot, depth: 1, cancellationToken).ConfigureAwait(false))
            {
                tables.Add(Table(ns, table, location));
            }
        }

        return tables.OrderBy(t => t.QualifiedName, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The Delta tables <paramref name="depth"/> levels under <paramref name="root"/>: <c>namespace/table</c> (2) or
    /// <c>table</c> (1), each with its location. An object store has no folders, so there its keys are listed.
    /// </summary>
    private static async Task<List<(string Namespace, string Table, string Location)>> ListUnderAsync(string root, int depth, CancellationToken cancellationToken)
    {
        var found = new List<(string Namespace, string Table, string Location)>();
        if (StorageResolver.IsUri(root))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            IObjectStore store = StorageResolver.OpenStore(root);
            await foreach (ObjectInfo info in store.ListAsync(string.Empty, null, cancellationToken).ConfigureAwait(false))
            {
                string[] segments = info.Key.Split('/', depth + 2);
                if (segments.Length == depth + 2 && segments[depth] == "_delta_log" && DeltaTable.IsVersionFile("_delta_log/" + segments[depth + 1])
                    && seen.Add(string.Join('/', segments[..depth])))
                {
                    found.Add((depth == 2 ? segments[0] : string.Empty, segments[depth - 1], root + "/" + string.Join('/', segments[..depth])));
                }
            }
        }
        else if (Directory.Exists(root))
        {
            IEnumerable<string> tableDirectories = depth == 2 ? Directory.EnumerateDirectories(root).SelectMany(Directory.EnumerateDirectories) : Directory.EnumerateDirectories(root);
            found.AddRange(tableDirectories
                .Where(StorageResolver.IsLocalDeltaTable)
                .Select(tableDirectory => (depth == 2 ? Path.GetFileName(Path.GetDirectoryName(tableDirectory)!) : string.Empty, Path.GetFileName(tableDirectory), tableDirectory)));
        }

        return found;
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
