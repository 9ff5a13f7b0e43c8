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
    private readonly StorageResolver _stores;
    private readonly string _root;
    private readonly Dictionary<string, string> _namespaceRoots = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a locator over <paramref name="root"/> (a local folder, which need not exist yet, or a store URI).</summary>
    /// <param name="root">Where the namespaces' folders are.</param>
    /// <param name="namespaceRoots">Namespaces whose tables live elsewhere, each with the folder or URI that holds its tables.</param>
    /// <param name="stores">Opens the stores at the roots and at the tables found under them: a project's own; <see cref="StorageResolver.Default"/> when null.</param>
    public DirectoryTableLocator(string root, IReadOnlyDictionary<string, string>? namespaceRoots = null, StorageResolver? stores = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _stores = stores ?? StorageResolver.Default;
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
    /// <c>table</c> (1), each with its location. An object store has no folders, but it lists the prefixes under a prefix
    /// (<see cref="IObjectStore.ListFoldersAsync"/>): namespaces, then their tables, then whether each has a log, so
    /// the cost follows the number of tables, never the data files and log entries below them (a table with a long
    /// history has tens of thousands).
    /// </summary>
    private async Task<List<(string Namespace, string Table, string Location)>> ListUnderAsync(string root, int depth, CancellationToken cancellationToken)
    {
        var found = new List<(string Namespace, string Table, string Location)>();
        if (StorageResolver.IsUri(root))
        {
            IObjectStore store = _stores.OpenStore(root);
            List<string> folders = await FoldersAsync(store, [string.Empty], cancellationToken).ConfigureAwait(false);
            if (depth == 2)
            {
                folders = await FoldersAsync(store, folders, cancellationToken).ConfigureAwait(false);
            }

            bool[] tables = new bool[folders.Count];
            await Parallel.ForAsync(0, folders.Count, new ParallelOptions { MaxDegreeOfParallelism = ListingParallelism, CancellationToken = cancellationToken },
                async (i, ct) => tables[i] = await StorageResolver.HoldsTableAsync(store, folders[i], ct).ConfigureAwait(false)).ConfigureAwait(false);
            for (int i = 0; i < folders.Count; i++)
            {
                if (tables[i])
                {
                    string[] segments = folders[i].TrimEnd('/').Split('/');
                    found.Add((depth == 2 ? segments[0] : string.Empty, segments[^1], root + "/" + folders[i].TrimEnd('/')));
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

    /// <summary>How many listings of one lake run at once: a lake's tables are listed together, not one round trip after another.</summary>
    private const int ListingParallelism = 16;

    /// <summary>The folders directly under each of <paramref name="parents"/> (keys ending with <c>/</c>), listed at once, in the parents' order.</summary>
    private static async Task<List<string>> FoldersAsync(IObjectStore store, List<string> parents, CancellationToken cancellationToken)
    {
        var children = new List<string>[parents.Count];
        await Parallel.ForAsync(0, parents.Count, new ParallelOptions { MaxDegreeOfParallelism = ListingParallelism, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            children[i] = [];
            await foreach (string folder in store.ListFoldersAsync(parents[i], ct).ConfigureAwait(false))
            {
                children[i].Add(folder);
            }
        }).ConfigureAwait(false);
        return [.. children.SelectMany(c => c)];
    }

    /// <inheritdoc />
    public async Task<LakehouseTable?> FindAsync(string namespaceName, string name, CancellationToken cancellationToken = default)
    {
        // Where the table would be is looked at first: one request on a store, where the lake's listing is three in a row.
        if (IsPlainName(namespaceName) && IsPlainName(name))
        {
            string namespaceRoot = _namespaceRoots.TryGetValue(namespaceName, out string? own) ? own : Child(_root, namespaceName);
            string location = Child(namespaceRoot, name);
            if (await _stores.IsDeltaTableAsync(location, cancellationToken).ConfigureAwait(false))
            {
                return Table(namespaceName, name, location);
            }
        }

        // Names that differ in case from the folders' are still found, as the listing finds them.
        IReadOnlyList<LakehouseTable> tables = await ListAsync(cancellationToken).ConfigureAwait(false);
        return tables.FirstOrDefault(t =>
            string.Equals(t.Namespace, namespaceName, StringComparison.OrdinalIgnoreCase) &&
            string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A name made of letters, digits, <c>_</c>, <c>-</c> and <c>$</c>: one folder, never a path out of the lake (a quoted <c>".."</c> in a query).</summary>
    private static bool IsPlainName(string name) => name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '$');

    private static string Child(string parent, string name) => StorageResolver.IsUri(parent) ? parent + "/" + name : Path.Combine(parent, name);

    private LakehouseTable Table(string namespaceName, string name, string directory) =>
        new(namespaceName, name, _stores.OpenStore(directory));
}
