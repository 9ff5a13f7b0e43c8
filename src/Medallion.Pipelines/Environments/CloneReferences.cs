using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;

namespace Medallion.Pipelines.Environments;

/// <summary>
/// The data files of other tables that the live shallow clones of a project read: what neither VACUUM of those tables
/// nor the janitor may delete, though the tables that wrote them no longer name them.
/// </summary>
/// <remarks>
/// <para>A shallow clone (an environment's forward-only change, see <c>Planning/ShallowClone</c>) starts with an <c>add</c>
/// action for each file of its source, named by its absolute path. Its source may later remove those files (an overwrite,
/// a compaction) and, once past its retention, vacuum them; or the source may itself be a physical table the janitor
/// would remove. Either would break the clone, so its files are kept while the clone lives.</para>
/// <para>A clone lives while an environment (a kept previous set included) points at it, and while it is unpointed within
/// the janitor's retention (a rollback or a new pointer may still want it). The clones are found from the catalog's
/// pointers, then each live physical table's current snapshot: the files it names outside its own folder. Clones are
/// only made on a local lake, so a table on an object store is not read.</para>
/// </remarks>
public sealed class CloneReferences
{
    private readonly HashSet<string> _files;

    private CloneReferences(HashSet<string> files) => _files = files;

    /// <summary>None: for code without a catalog, where no environment made a clone.</summary>
    public static CloneReferences None { get; } = new([]);

    /// <summary>How many files outside their own folders the live clones read.</summary>
    public int Count => _files.Count;

    /// <summary>
    /// The files the live clones of <paramref name="environment"/>'s project read: those of every physical table an
    /// environment points at, and of those unpointed for less than <paramref name="retention"/>.
    /// </summary>
    public static async Task<CloneReferences> FindAsync(ProjectEnvironment environment, TimeSpan retention, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = environment.Time.GetUtcNow();
        IEnumerable<(TableName Model, string Pointer)> live = (await catalog.Environments.ListTablesAsync(cancellationToken).ConfigureAwait(false))
            .Where(t => t.UnpointedAt is not { } at || now - at < retention)
            .Select(t => (t.Model, t.Location));
        return await FindAsync(environment, live, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The files that the tables <paramref name="live"/> (model and pointer) read outside their own folders.</summary>
    internal static async Task<CloneReferences> FindAsync(ProjectEnvironment environment, IEnumerable<(TableName Model, string Pointer)> live, CancellationToken cancellationToken)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        using DuckDbConnection connection = environment.Engines.OpenScratch();
        foreach ((TableName model, string pointer) in live.Distinct())
        {
            string location = ModelTables.Resolve(environment.Project, model, pointer);
            if (StorageResolver.IsUri(location) || !await environment.Project.Stores.IsDeltaTableAsync(location, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            DeltaTable table = environment.Project.Stores.OpenTable(location, connection);
            Snapshot snapshot = await table.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (ScanFile file in snapshot.Files)
            {
                if (file.ExternalPath is { } external && !StorageResolver.IsUri(external))
                {
                    files.Add(Path.GetFullPath(external));
                }
            }
        }

        return new CloneReferences(files);
    }

    /// <summary>
    /// The keys, relative to <paramref name="tableLocation"/>, of the files under it the live clones read: what VACUUM of
    /// that table keeps (<see cref="DeltaWriter.VacuumAsync"/>).
    /// </summary>
    public IReadOnlySet<string> KeysUnder(string tableLocation)
    {
        ArgumentException.ThrowIfNullOrEmpty(tableLocation);
        if (_files.Count == 0 || StorageResolver.IsUri(tableLocation))
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(tableLocation)) + Path.DirectorySeparatorChar;
        return _files.Where(f => f.StartsWith(root, StringComparison.Ordinal))
            .Select(f => f[root.Length..].Replace(Path.DirectorySeparatorChar, '/'))
            .ToHashSet(StringComparer.Ordinal);
    }
}
