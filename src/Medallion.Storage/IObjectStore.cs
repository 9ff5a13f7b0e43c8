using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Storage;

/// <summary>
/// A flat key/value object store rooted at one location (a directory, a bucket prefix). Keys are
/// relative to that root and use <c>/</c> between segments; they never start with <c>/</c> and never
/// contain empty, <c>.</c> or <c>..</c> segments.
/// </summary>
/// <remarks>
/// Guarantees every implementation keeps, because the Delta log depends on them:
/// <list type="bullet">
/// <item><see cref="ListAsync(string, string?, CancellationToken)"/> returns keys in ascending ordinal (byte) order, like S3 and Azure listings.</item>
/// <item><see cref="PutIfAbsentAsync"/> is atomic: of two concurrent writers of the same key exactly one wins,
/// and readers never see a partly written object.</item>
/// <item>A listing that was cancelled throws <see cref="OperationCanceledException"/>; it never ends early as if complete.</item>
/// </list>
/// The contract is objects only: an engine that reads and writes local files (DuckDB) maps keys to local files itself
/// (a local store's own files, a remote store's copies in its <see cref="ObjectCache"/>), so the Delta kernel never
/// needs a local path.
/// </remarks>
public interface IObjectStore
{
    /// <summary>A display form of the store root (a local path or a URI), for messages.</summary>
    string Location { get; }

    /// <summary>
    /// Lists every object whose key starts with <paramref name="prefix"/> (recursively, as a flat namespace),
    /// in ascending ordinal key order, starting after <paramref name="startAfter"/> when given.
    /// </summary>
    /// <param name="prefix">The key prefix, e.g. <c>_delta_log/</c>. An empty prefix lists the whole store.</param>
    /// <param name="startAfter">Only keys ordinally greater than this are returned; <see langword="null"/> for all.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="ListAsync(string, string?, CancellationToken)"/>, asking the service for at most
    /// <paramref name="pageSize"/> keys a request: for a caller that may stop after the first few keys (whether a folder
    /// holds a Delta log, whose first keys are its oldest version files), where a page is a thousand keys on S3 and five
    /// thousand on Azure. The listing is still whole when enumerated to its end. This default ignores the page size: a
    /// local listing has no pages.
    /// </summary>
    /// <param name="prefix">The key prefix, e.g. <c>_delta_log/</c>.</param>
    /// <param name="startAfter">Only keys ordinally greater than this are returned; <see langword="null"/> for all.</param>
    /// <param name="pageSize">Keys a request asks for, 1 or more; <see langword="null"/> for the service's own page size.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, int? pageSize, CancellationToken cancellationToken = default) =>
        ListAsync(prefix, startAfter, cancellationToken);

    /// <summary>
    /// Lists the folders directly under <paramref name="prefix"/>: for every key that starts with it and has a further
    /// <c>/</c>, the key up to and including that <c>/</c>, once each, in ascending ordinal order (an S3 listing with the
    /// delimiter <c>/</c>, an Azure listing by hierarchy). The cost follows the number of folders and of objects directly
    /// under the prefix, not of every object below it: how a lake's namespaces and tables are found without listing
    /// their data files and logs. This default lists every key below the prefix; remote stores ask the service.
    /// </summary>
    /// <param name="prefix">Empty for the root, else a folder ending with <c>/</c>, e.g. <c>silver/</c>.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    async IAsyncEnumerable<string> ListFoldersAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? last = null;
        await foreach (ObjectInfo info in ListAsync(prefix, null, cancellationToken).ConfigureAwait(false))
        {
            int slash = info.Key.IndexOf('/', prefix.Length);
            if (slash < 0)
            {
                continue;
            }

            string folder = info.Key[..(slash + 1)];
            if (folder != last)
            {
                // Keys sharing a prefix are contiguous in ordinal order, so each folder comes up in one run.
                last = folder;
                yield return folder;
            }
        }
    }

    /// <summary>Reads a whole object.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageObjectNotFound"/> when the object does not exist.</exception>
    Task<byte[]> ReadAllAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads a whole object, or returns <see langword="null"/> when it does not exist: for objects that are often absent
    /// (a table's <c>_last_checkpoint</c> hint before its first checkpoint), which a store may answer without throwing.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageIoFailed"/> when the object exists but cannot be read.</exception>
    async Task<byte[]?> TryReadAllAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ReadAllAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.StorageObjectNotFound)
        {
            return null;
        }
    }

    /// <summary>Reads <paramref name="length"/> bytes starting at <paramref name="offset"/>.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageObjectNotFound"/> when the object does not exist;
    /// <see cref="ErrorCode.StorageIoFailed"/> when the range runs past the end of the object.</exception>
    Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes an object only if no object with that key exists, atomically (the commit primitive of the Delta log).
    /// </summary>
    /// <remarks>A remote store whose request failed in a way that may have lost only the answer (a reset, a timeout, a 5xx)
    /// reads the key back before it reports the failure: an object holding <paramref name="content"/> is this call's.</remarks>
    /// <returns><see langword="true"/> when this call created the object; <see langword="false"/> when it already existed
    /// (nothing was written).</returns>
    Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>Writes an object, replacing any existing one. Readers see either the old or the new content.</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>Deletes an object. Deleting an object that does not exist is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Gets an object's size and modification time, or <see langword="null"/> when it does not exist.</summary>
    Task<ObjectInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// True when <see cref="PutIfAbsentAsync"/> is atomic against writers in other processes and on other machines,
    /// so several writers may commit to one table. A store without it may only be written by a single writer.
    /// </summary>
    bool SupportsConditionalPut { get; }

    /// <summary>
    /// Aborts the uploads under the store root that a writer began before <paramref name="startedBefore"/> and never
    /// finished (a process killed during an S3 multipart upload leaves its parts stored and billed, though no object);
    /// returns how many. Stores without such uploads have nothing to do: Azure discards uncommitted blocks by itself.
    /// </summary>
    Task<int> AbortUnfinishedUploadsAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken = default) => Task.FromResult(0);
}
