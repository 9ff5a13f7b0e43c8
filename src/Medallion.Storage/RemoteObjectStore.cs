using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Storage.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Storage;

/// <summary>
/// The part every remote store (S3, Azure Blob) shares: the local mirror in an <see cref="ObjectCache"/>, filled by
/// parallel downloads and published by parallel uploads, key validation, and the wording of errors. A subclass
/// implements the object operations against its service.
/// </summary>
public abstract class RemoteObjectStore : IObjectStore
{
    /// <summary>How many objects are downloaded or uploaded at once.</summary>
    private const int TransferParallelism = 8;

    /// <summary>Prefix of log keys: unlike data files, a checkpoint may be rewritten (a table deleted and created again), so a cached one is checked against the store's size.</summary>
    private const string LogPrefix = "_delta_log/";

    private readonly ILogger _logger;

    /// <summary>Creates a store shown as <paramref name="location"/>, mirrored in <paramref name="cache"/>.</summary>
    /// <param name="location">The store root for messages.</param>
    /// <param name="cache">The local object cache the store's mirror lives in.</param>
    /// <param name="loggerFactory">Where requests that failed are logged (at Warning); none when null.</param>
    protected RemoteObjectStore(string location, ObjectCache cache, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        ArgumentNullException.ThrowIfNull(cache);
        Location = location;
        Cache = cache;
        LocalRoot = cache.FolderFor(location);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(GetType());
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>The cache the store's local mirror lives in.</summary>
    public ObjectCache Cache { get; }

    /// <summary>
    /// The store's folder in the local object cache, where engines that read and write local files (DuckDB) find its
    /// objects: objects appear there only once fetched (<see cref="FetchToLocalAsync"/>); files written there become
    /// objects only once published (<see cref="PublishLocalAsync"/>).
    /// </summary>
    public string LocalRoot { get; }

    /// <inheritdoc />
    public virtual bool SupportsConditionalPut => true;

    /// <summary>The path of <paramref name="key"/> below <see cref="LocalRoot"/>. Does no I/O.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageInvalidKey"/> when the key is not a valid relative key.</exception>
    public string GetLocalPath(string key)
    {
        ValidateKey(key);
        return Path.Combine(LocalRoot, key.Replace('/', Path.DirectorySeparatorChar));
    }

    /// <summary>
    /// Makes <see cref="GetLocalPath"/> of each key hold that object, downloading in parallel what the cache lacks. Meant
    /// for immutable objects (Delta data files): a cached data file is not revalidated (a cached log file, such as a
    /// checkpoint that may be rewritten, is checked against the store's size).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageObjectNotFound"/> when an object does not exist.</exception>
    public async Task FetchToLocalAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        long added = 0;
        await Parallel.ForEachAsync(keys.Distinct(StringComparer.Ordinal), new ParallelOptions { MaxDegreeOfParallelism = TransferParallelism, CancellationToken = cancellationToken }, async (key, ct) =>
        {
            string path = GetLocalPath(key);
            var cached = new FileInfo(path);
            if (cached.Exists && (!key.StartsWith(LogPrefix, StringComparison.Ordinal)
                || (await GetInfoAsync(key, ct).ConfigureAwait(false))?.SizeBytes == cached.Length))
            {
                ObjectCache.Touch(path);
                return;
            }

            // The cache holds the lake's data as the store does: its folders are the owner's only, as local tables' are.
            LakeFileAccess.CreateDirectory(Path.GetDirectoryName(path)!);
            string temp = path + "." + Guid.NewGuid().ToString("N") + ObjectCache.TempSuffix;
            try
            {
                await DownloadToFileAsync(key, temp, ct).ConfigureAwait(false);
                // Rename is atomic: a concurrent reader (another process sharing the cache) sees the whole file or none.
                File.Move(temp, path, overwrite: true);
                Interlocked.Add(ref added, new FileInfo(path).Length);
            }
            finally
            {
                File.Delete(temp);
            }
        }).ConfigureAwait(false);
        if (added > 0)
        {
            Cache.Added(added);
        }
    }

    /// <summary>
    /// Makes the files written at <see cref="GetLocalPath"/> of each key the objects of those keys, uploading them in
    /// parallel. Each object appears whole or not at all; a failed upload leaves no object behind.
    /// </summary>
    public async Task PublishLocalAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        long added = 0;
        await Parallel.ForEachAsync(keys.Distinct(StringComparer.Ordinal), new ParallelOptions { MaxDegreeOfParallelism = TransferParallelism, CancellationToken = cancellationToken }, async (key, ct) =>
        {
            string path = GetLocalPath(key);
            if (!File.Exists(path))
            {
                throw new MedallionException(ErrorCode.StorageIoFailed,
                    $"Could not upload '{key}' to '{Location}': its local file '{path}' does not exist.",
                    isTransient: false); // A file that is not there will not be on a retry.
            }

            await UploadFileAsync(key, path, ct).ConfigureAwait(false);
            // The written file stays in the cache: a read of the new version right after the commit needs no download.
            ObjectCache.Touch(path);
            Interlocked.Add(ref added, new FileInfo(path).Length);
        }).ConfigureAwait(false);
        if (added > 0)
        {
            Cache.Added(added);
        }
    }

    /// <summary>
    /// Readies the store for the requests a command is about to make, while the command does other work: one read of
    /// the root's <c>_delta_log/_last_checkpoint</c> (the request a table's load starts with) builds the service client,
    /// resolves its credentials, opens a connection and runs the SDK's request path once. On S3 a process's first
    /// request takes about 0.2 s more than the ones after it, most of it the runtime preparing the SDK's code, which a
    /// short command would otherwise wait for before reading its first table. A read rather than a listing: a service
    /// finds one key at once, where a listing may walk the keys around it. Never fails: a store that cannot be reached
    /// says so on the request that needs it.
    /// </summary>
    /// <param name="cancellationToken">Abandons the warm-up.</param>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await ((IObjectStore)this).TryReadAllAsync("_delta_log/_last_checkpoint", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MedallionException or OperationCanceledException)
        {
            // Wrong credentials, a missing bucket, a stopped server: the command's own request reports it, worded for what it was doing.
        }
    }

    /// <inheritdoc />
    public virtual Task<int> AbortUnfinishedUploadsAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken = default) => Task.FromResult(0);

    /// <inheritdoc />
    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter = null, CancellationToken cancellationToken = default) =>
        ListAsync(prefix, startAfter, null, cancellationToken);

    /// <inheritdoc />
    public abstract IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, int? pageSize, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract IAsyncEnumerable<string> ListFoldersAsync(string prefix, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract Task<byte[]> ReadAllAsync(string key, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    /// <remarks>An empty range costs one request for the object's size (it must exist, and the offset be inside it).</remarks>
    public async Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ValidateKey(key);
        if (length > 0)
        {
            return await ReadNonEmptyRangeAsync(key, offset, length, cancellationToken).ConfigureAwait(false);
        }

        ObjectInfo info = await GetInfoAsync(key, cancellationToken).ConfigureAwait(false) ?? throw NotFound(key, null);
        return offset <= info.SizeBytes ? [] : throw RangePastEnd(key, offset, length, info.SizeBytes);
    }

    /// <summary>
    /// Reads <paramref name="length"/> bytes (one or more) of the valid key <paramref name="key"/> from <paramref name="offset"/>
    /// (<see cref="IObjectStore.ReadRangeAsync"/>: <see cref="NotFound"/> when it does not exist, <see cref="RangePastEnd"/> when
    /// the range runs past its end).
    /// </summary>
    protected abstract Task<byte[]> ReadNonEmptyRangeAsync(string key, long offset, int length, CancellationToken cancellationToken);

    /// <inheritdoc />
    public abstract Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    /// <remarks>
    /// The object's copy in this machine's cache goes with it: a deleted data file may hold rows an erasure or a vacuum
    /// removed, and the cache must not keep them. Other machines' caches keep theirs until they are evicted.
    /// </remarks>
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        await DeleteObjectAsync(key, cancellationToken).ConfigureAwait(false);
        string cached = GetLocalPath(key);
        if (File.Exists(cached))
        {
            File.Delete(cached);
        }
    }

    /// <summary>Deletes the object <paramref name="key"/> from the store (deleting a missing object is not an error).</summary>
    protected abstract Task DeleteObjectAsync(string key, CancellationToken cancellationToken);

    /// <inheritdoc />
    public abstract Task<ObjectInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Downloads the object <paramref name="key"/> into the new local file <paramref name="path"/>.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageObjectNotFound"/> when the object does not exist.</exception>
    protected abstract Task DownloadToFileAsync(string key, string path, CancellationToken cancellationToken);

    /// <summary>Uploads the local file <paramref name="path"/> as the object <paramref name="key"/>, replacing any object there; a failed upload leaves no object and no pending parts.</summary>
    protected abstract Task UploadFileAsync(string key, string path, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="ErrorCode.StorageInvalidKey"/> unless <paramref name="key"/> is a valid relative key.</summary>
    protected void ValidateKey(string key) => ObjectKeys.Validate(key, Location);

    /// <summary>
    /// Whether <paramref name="key"/> holds exactly <paramref name="content"/>: after a conditional put was refused because
    /// the key exists, the object is this writer's own when the service applied an earlier attempt whose answer was lost
    /// (the SDK retried it). Null when the object does not exist.
    /// </summary>
    protected async Task<bool?> HoldsAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        try
        {
            return (await ReadAllAsync(key, cancellationToken).ConfigureAwait(false)).AsSpan().SequenceEqual(content.Span);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.StorageObjectNotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// The outcome of a conditional put that failed with <paramref name="failure"/> after the SDK's retries. A failure that
    /// may have come after the service applied the put (a reset, a timeout, a 5xx: the answer was lost, not the write) is
    /// settled by reading the key back: it holds <paramref name="content"/> (true: this put created it, the commit is
    /// made), another writer's object (false: nothing was written), or nothing (the failure is thrown: nothing was
    /// written). Without this, a commit that did land was reported failed, and running the write again committed its
    /// rows a second time.
    /// </summary>
    /// <exception cref="MedallionException"><paramref name="failure"/> when nothing was written or the failure cannot have
    /// written (a refusal, a refused connection); the same code, saying the outcome is unknown, when the key cannot be
    /// read back either (still transient: the store may answer again; a retry of a write with an application
    /// transaction is a no-op when the first one landed).</exception>
    protected async Task<bool> SettleFailedPutAsync(string key, ReadOnlyMemory<byte> content, MedallionException failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (!failure.IsTransient || NeverConnected(failure))
        {
            throw failure;
        }

        bool? holds;
        try
        {
            holds = await HoldsAsync(key, content, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException unreadable)
        {
            throw new MedallionException(failure.Code,
                $"{failure.Message}\nWhether '{key}' was written is unknown: reading it back failed too ({unreadable.Message}).\nHelp: once the store answers, look for '{key}' in '{Location}' (for a commit, 'medallion delta history') before running the write again.",
                failure, isTransient: failure.IsTransient); // As transient as the failure it explains (its code may be sometimes so).
        }

        return holds ?? throw failure;
    }

    /// <summary>Whether the request never reached the store (the connection was refused), so it cannot have been applied.</summary>
    private static bool NeverConnected(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="e"/> (a failure no caller cancelled: those never reach a translation) is a request the
    /// store did not answer within the request timeout: the SDKs report it as a cancellation, or a timeout, possibly
    /// inside their retry's aggregate.
    /// </summary>
    protected static bool IsTimeout(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is OperationCanceledException or TimeoutException
                || (x is AggregateException all && all.InnerExceptions.All(static i => i is OperationCanceledException or TimeoutException)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The error for a request to <paramref name="endpoint"/> that got no answer within <paramref name="timeout"/> at any attempt.</summary>
    protected static MedallionException TimedOut(string what, string endpoint, TimeSpan timeout, Exception inner)
    {
        string limit = timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "s";
        return new MedallionException(ErrorCode.StorageIoFailed,
            $"{what}: the request to {endpoint} timed out (no answer within {limit} at each attempt).\nHelp: check that the store is up and reachable from this machine; on a slow link, raise {StoreRequestTimeout.SettingName} (now {limit}).",
            inner);
    }

    /// <summary>Turns a failed request into its error (<see cref="Describe"/>) and logs it once: an error already translated passes unchanged.</summary>
    /// <param name="e">The failure.</param>
    /// <param name="operation">What was asked, e.g. <c>read</c> or <c>write</c>.</param>
    /// <param name="key">The object (or prefix) it was asked for.</param>
    protected MedallionException Translate(Exception e, string operation, string key) =>
        e as MedallionException ?? RequestFailed(Describe(e, operation, key), operation, key);

    /// <summary>Turns an SDK or network failure of <paramref name="operation"/> on <paramref name="key"/> into an error naming the store, the operation and the key; never a secret.</summary>
    protected abstract MedallionException Describe(Exception e, string operation, string key);

    /// <summary>The items of a listing of <paramref name="prefix"/>, with a failure of the service turned into an error naming the listed prefix.</summary>
    protected async IAsyncEnumerable<T> TranslatedAsync<T>(IAsyncEnumerable<T> listing, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listing);
        ArgumentNullException.ThrowIfNull(prefix);
        IAsyncEnumerator<T> items = listing.GetAsyncEnumerator(cancellationToken);
        await using (items.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await items.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    throw Translate(e, "list", prefix.Length == 0 ? "(the whole store)" : prefix);
                }

                yield return items.Current;
            }
        }
    }

    /// <summary>
    /// Logs <paramref name="error"/>, the translation of a request that failed after the client's retries, at Warning (a
    /// missing object is an answer, not a failure, and is not logged), and returns it to be thrown: a store that fails is
    /// then visible in the log of a server whose runs retry, not only in the error of the run that gives up.
    /// </summary>
    /// <param name="error">The translated failure.</param>
    /// <param name="operation">What was asked, e.g. <c>read</c> or <c>write</c>.</param>
    /// <param name="key">The object (or prefix) it was asked for.</param>
    protected MedallionException RequestFailed(MedallionException error, string operation, string key)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Code != ErrorCode.StorageObjectNotFound)
        {
            LogMessages.RequestFailed(_logger, operation, key, Location, error.Code, error.IsTransient, error);
        }

        return error;
    }

    /// <summary>The error for a missing object, worded as the local store words it.</summary>
    protected MedallionException NotFound(string key, Exception? inner) =>
        new(ErrorCode.StorageObjectNotFound, $"Object '{key}' does not exist in '{Location}'.", inner);

    /// <summary>The error for a range read past the end of an object of <paramref name="size"/> bytes.</summary>
    protected MedallionException RangePastEnd(string key, long offset, int length, long size) =>
        new(ErrorCode.StorageIoFailed, $"Cannot read bytes {offset}..{offset + length} of '{key}' in '{Location}': the object has only {size} bytes.",
            isTransient: false); // The object is shorter than the range asked for, and stays so.
}
