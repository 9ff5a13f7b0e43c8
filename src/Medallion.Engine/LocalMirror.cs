using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.ChangeDataFeed;
using Medallion.Delta.Scans;
using Medallion.Storage;

namespace Medallion.Engine;

/// <summary>
/// The local files DuckDB reads and writes for the objects of a table's store. DuckDB opens local files (a remote
/// object through its own httpfs only, which knows neither the object cache nor the store's credentials, retries and
/// erasure rules), so the engine, and only the engine, maps a store's keys to local files: a local store's files are its
/// objects, read and written in place with no copy; a remote store's are its folder in the object cache, fetched before
/// a read and published (uploaded) after a write. The object store contract and the Delta kernel know objects only.
/// </summary>
public sealed class LocalMirror
{
    private readonly LocalObjectStore? _local;
    private readonly RemoteObjectStore? _remote;

    private LocalMirror(LocalObjectStore? local, RemoteObjectStore? remote)
    {
        _local = local;
        _remote = remote;
    }

    /// <summary>The mirror of <paramref name="store"/>: its own directory for a local store, its cache folder for a remote one.</summary>
    /// <exception cref="ArgumentException">A store that is neither (DuckDB could not read its objects).</exception>
    public static LocalMirror Of(IObjectStore store) => store switch
    {
        LocalObjectStore local => new LocalMirror(local, null),
        RemoteObjectStore remote => new LocalMirror(null, remote),
        null => throw new ArgumentNullException(nameof(store)),
        _ => throw new ArgumentException($"DuckDB cannot read the objects of '{store.Location}': a {store.GetType().Name} is neither a local directory nor a remote store with an object cache.", nameof(store)),
    };

    /// <summary>The local directory that mirrors the store root: the root itself for a local store, its folder in the object cache for a remote one.</summary>
    public string Root => _local?.Location ?? _remote!.LocalRoot;

    /// <summary>
    /// The local file of <paramref name="key"/> below <see cref="Root"/>. Does no I/O: the file holds the object once
    /// fetched (<see cref="FetchAsync(IReadOnlyCollection{string}, CancellationToken)"/>), and a file written there becomes the object once published.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageInvalidKey"/> when the key is not a valid relative key.</exception>
    public string PathOf(string key) => _local?.GetLocalPath(key) ?? _remote!.GetLocalPath(key);

    /// <summary>The file DuckDB reads for <paramref name="file"/>: its local file, or the path or URI the log names outside the table.</summary>
    public string PathOf(ScanFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.ExternalPath ?? PathOf(file.Path);
    }

    /// <summary>The file DuckDB reads for <paramref name="file"/>: its local file, or the path or URI the log names outside the table.</summary>
    public string PathOf(ChangeFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.ExternalPath ?? PathOf(file.Path);
    }

    /// <summary>
    /// Makes <see cref="PathOf(string)"/> of each key hold that object, downloading in parallel what the cache lacks (a
    /// local store has nothing to do, not even a stat per file: a missing file is reported by the reader that opens it).
    /// Meant for immutable objects (Delta data files): a cached data file is not revalidated.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageObjectNotFound"/> when a remote object does not exist.</exception>
    public Task FetchAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        cancellationToken.ThrowIfCancellationRequested();
        return _remote is null || keys.Count == 0 ? Task.CompletedTask : _remote.FetchToLocalAsync(keys, cancellationToken);
    }

    /// <summary>Fetches the files of a planned scan that are in the table (only those left after data skipping).</summary>
    public Task FetchAsync(ScanPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return FetchAsync(plan.Files.Where(f => f.ExternalPath is null).Select(f => f.Path).ToList(), cancellationToken);
    }

    /// <summary>Fetches the files of a planned change feed that are in the table.</summary>
    public Task FetchAsync(ChangeFeedPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return FetchAsync(plan.Files.Where(f => f.ExternalPath is null).Select(f => f.Path).Distinct(StringComparer.Ordinal).ToList(), cancellationToken);
    }

    /// <summary>
    /// Makes the files written at <see cref="PathOf(string)"/> of each key the objects of those keys, uploading them in
    /// parallel to a remote store (a local store's files already are its objects). Each object appears whole or not
    /// at all; the uploaded files stay in the cache, so a read right after the commit downloads nothing.
    /// </summary>
    public Task PublishAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        cancellationToken.ThrowIfCancellationRequested();
        return _remote is null || keys.Count == 0 ? Task.CompletedTask : _remote.PublishLocalAsync(keys, cancellationToken);
    }
}
