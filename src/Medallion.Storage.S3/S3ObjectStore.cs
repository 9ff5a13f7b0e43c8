using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Medallion.Storage.S3;

/// <summary>
/// An <see cref="IObjectStore"/> over a bucket prefix of S3 or an S3-compatible service. The commit primitive is
/// <c>PutObject</c> with <c>If-None-Match: *</c> (412: another writer holds the key; 409
/// <c>ConditionalRequestConflict</c>: a concurrent conditional write is in flight, so the put is retried), which S3
/// has answered since 2024, as delta-rs relies on without a lock table. Files larger than
/// <see cref="S3StoreOptions.MultipartThresholdBytes"/> are uploaded in parts, and the upload is aborted when any part fails.
/// </summary>
/// <remarks>
/// Every put and part goes as a plain body signed by its SHA-256 (<c>UseChunkEncoding = false</c>), not aws-chunked with
/// a signature per 80 KB chunk that the service must decode and check chunk by chunk: moto spent 0.53-0.64 s of CPU
/// receiving the pipeline benchmark's run (about 100 MB) against 0.81-0.99 s chunked.
/// </remarks>
public sealed class S3ObjectStore : RemoteObjectStore
{
    private const int ConflictRetries = 10;

    /// <summary>
    /// The buffer a request body is copied through to the socket. The SDK's 8 KB made a 50 MB upload over 6,000 socket
    /// writes; with 1 MiB it is about 50, and the pipeline benchmark's run on moto spends 0.1-0.2 s less CPU.
    /// </summary>
    private const int RequestBufferBytes = 1 << 20;

    private readonly S3StoreOptions _options;
    private readonly AmazonS3Client _client;
    private readonly string _keyPrefix;

    /// <summary>Creates a store for <paramref name="options"/>, mirrored for local engines in <paramref name="cache"/>.</summary>
    /// <remarks>
    /// Stores with the same service, region and credentials share one client, so one process keeps one pool of
    /// connections to the service: a run opens a store for every table it touches, and a client of its own for each
    /// would open (and, over HTTPS, negotiate) a new connection for nearly every request.
    /// </remarks>
    public S3ObjectStore(S3StoreOptions options, ObjectCache cache, ILoggerFactory? loggerFactory = null)
        : base((options ?? throw new ArgumentNullException(nameof(options))).Location, cache, loggerFactory)
    {
        _options = options;
        _keyPrefix = options.Prefix.Length == 0 ? string.Empty : options.Prefix + "/";
        _client = s_clients.GetOrAdd(new ClientSettings(options.Endpoint, options.Region, options.UsesPathStyle, options.AccessKeyId, options.SecretAccessKey, options.SessionToken, options.RequestTimeout), CreateClient);
    }

    /// <summary>Everything a client is built from; stores that agree on it can share one.</summary>
    private readonly record struct ClientSettings(Uri? Endpoint, string? Region, bool PathStyle, string? AccessKeyId, string? SecretAccessKey, string? SessionToken, TimeSpan Timeout);

    /// <summary>One client per <see cref="ClientSettings"/> for the process's lifetime (an <see cref="AmazonS3Client"/> is thread-safe).</summary>
    private static readonly ConcurrentDictionary<ClientSettings, AmazonS3Client> s_clients = new();

    private static AmazonS3Client CreateClient(ClientSettings settings)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = settings.PathStyle,
            // S3-compatible services (MinIO, Ceph, R2, moto) differ in which flexible checksums they take; send and check them only where S3 requires them.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 3,
            BufferSize = RequestBufferBytes,
            Timeout = settings.Timeout,
        };
        AwsClientSettings.Apply(config, settings.Endpoint, settings.Region);
        return AwsClientSettings.Credentials(settings.AccessKeyId, settings.SecretAccessKey, settings.SessionToken) is { } credentials
            ? new AmazonS3Client(credentials, config)
            : new AmazonS3Client(config);
    }

    /// <inheritdoc />
    public override bool SupportsConditionalPut => _options.ConditionalPut;

    private string ObjectKey(string key)
    {
        ValidateKey(key);
        return _keyPrefix + key;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, int? pageSize, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (pageSize is int size)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size, nameof(pageSize));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var request = new ListObjectsV2Request
        {
            BucketName = _options.Bucket,
            Prefix = _keyPrefix + prefix,
            // start-after lets a log listed from its last checkpoint skip the older entries on the server.
            StartAfter = startAfter is null ? null : _keyPrefix + startAfter,
            MaxKeys = pageSize,
        };
        await foreach (ListObjectsV2Response response in ListPagesAsync(request, prefix, cancellationToken).ConfigureAwait(false))
        {
            foreach (S3Object o in response.S3Objects ?? [])
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return Info(o);
            }
        }
    }

    private ObjectInfo Info(S3Object o) =>
        new(o.Key[_keyPrefix.Length..], o.Size ?? 0, new DateTimeOffset((o.LastModified ?? DateTime.UnixEpoch).ToUniversalTime(), TimeSpan.Zero));

    /// <inheritdoc />
    public override async IAsyncEnumerable<string> ListFoldersAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _keyPrefix + prefix, Delimiter = "/" };
        await foreach (ListObjectsV2Response response in ListPagesAsync(request, prefix, cancellationToken).ConfigureAwait(false))
        {
            foreach (string folder in response.CommonPrefixes ?? [])
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return folder[_keyPrefix.Length..];
            }
        }
    }

    /// <summary>Every page of a listing, following its continuation tokens; a failure names the listed prefix.</summary>
    private async IAsyncEnumerable<ListObjectsV2Response> ListPagesAsync(ListObjectsV2Request request, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw Translate(e, "list", prefix.Length == 0 ? "(the whole store)" : prefix);
            }

            yield return response;
            if (response.IsTruncated != true)
            {
                yield break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    /// <inheritdoc />
    public override async Task<byte[]> ReadAllAsync(string key, CancellationToken cancellationToken = default)
    {
        string objectKey = ObjectKey(key);
        try
        {
            return await GetAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = objectKey }, async (response, ct) =>
            {
                using var buffer = new MemoryStream(response.ContentLength > 0 ? (int)Math.Min(response.ContentLength, int.MaxValue) : 0);
                await response.ResponseStream.CopyToAsync(buffer, ct).ConfigureAwait(false);
                return buffer.ToArray();
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "read", key);
        }
    }

    /// <inheritdoc />
    protected override async Task<byte[]> ReadNonEmptyRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        string objectKey = ObjectKey(key);

        try
        {
            var request = new GetObjectRequest { BucketName = _options.Bucket, Key = objectKey, ByteRange = new ByteRange(offset, offset + length - 1) };
            return await GetAsync(request, async (response, ct) =>
            {
                byte[] buffer = new byte[length];
                int read = 0;
                while (read < length)
                {
                    int n = await response.ResponseStream.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }

                if (read < length)
                {
                    // The service returns what exists of a range that runs past the end; the total size is after the '/' of Content-Range.
                    string? range = response.ContentRange;
                    long size = range is not null && long.TryParse(range[(range.LastIndexOf('/') + 1)..], out long total) ? total : offset + read;
                    throw RangePastEnd(key, offset, length, size);
                }

                return buffer;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            ObjectInfo info = await GetInfoAsync(key, cancellationToken).ConfigureAwait(false) ?? throw NotFound(key, e);
            throw RangePastEnd(key, offset, length, info.SizeBytes);
        }
        catch (Exception e) when (e is not MedallionException && (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            throw Translate(e, "read", key);
        }
    }

    /// <inheritdoc />
    public override async Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        string objectKey = ObjectKey(key);
        if (!_options.ConditionalPut)
        {
            return await PutIfAbsentSingleWriterAsync(key, content, cancellationToken).ConfigureAwait(false);
        }

        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var body = new MemoryStream(content.ToArray(), writable: false);
                var request = new PutObjectRequest { BucketName = _options.Bucket, Key = objectKey, InputStream = body, IfNoneMatch = "*", AutoCloseStream = false, UseChunkEncoding = false };
                await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                // The key exists. When the SDK retried a put whose first attempt did land, the object is ours: same bytes.
                return await HoldsAsync(key, content, cancellationToken).ConfigureAwait(false) == true;
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotImplemented)
            {
                throw NoConditionalWrites(key, "the service answered If-None-Match with 501 Not Implemented", e);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.Conflict && attempt < ConflictRetries)
            {
                // ConditionalRequestConflict: another conditional write of the key is in flight; its outcome decides ours.
                await Task.Delay(TimeSpan.FromMilliseconds(50 * (attempt + 1)), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return await SettleFailedPutAsync(key, content, Translate(e, "write", key), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A check-then-put, safe only because the user opted into a single writer; refused otherwise.</summary>
    private async Task<bool> PutIfAbsentSingleWriterAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (!_options.SingleWriter)
        {
            throw NoConditionalWrites(key, "conditional writes are turned off for it (MEDALLION_S3_CONDITIONAL_PUT=false)", null);
        }

        if (await GetInfoAsync(key, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        try
        {
            await PutAsync(key, content, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (MedallionException e)
        {
            // As for a conditional put: a put whose answer was lost may have landed, and a commit reported failed that did
            // land is committed again by the next attempt (the key then exists, so the next version gets the same rows).
            return await SettleFailedPutAsync(key, content, e, cancellationToken).ConfigureAwait(false);
        }
    }

    private MedallionException NoConditionalWrites(string key, string why, Exception? inner) =>
        new(ErrorCode.StorageConditionalWritesUnsupported,
            $"Cannot commit '{key}' to '{Location}' safely: {why}, so two writers could take the same version and one commit would be lost.\nHelp: use a store that supports If-None-Match on PutObject; or, if only one process ever writes to this table, set MEDALLION_S3_CONDITIONAL_PUT=false and MEDALLION_SINGLE_WRITER=true.", inner);

    /// <inheritdoc />
    public override async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        string objectKey = ObjectKey(key);
        try
        {
            using var body = new MemoryStream(content.ToArray(), writable: false);
            await _client.PutObjectAsync(new PutObjectRequest { BucketName = _options.Bucket, Key = objectKey, InputStream = body, AutoCloseStream = false, UseChunkEncoding = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "write", key);
        }
    }

    /// <inheritdoc />
    public override async Task<int> AbortUnfinishedUploadsAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken = default)
    {
        int aborted = 0;
        var request = new ListMultipartUploadsRequest { BucketName = _options.Bucket, Prefix = _keyPrefix };
        try
        {
            while (true)
            {
                ListMultipartUploadsResponse response = await _client.ListMultipartUploadsAsync(request, cancellationToken).ConfigureAwait(false);
                foreach (MultipartUpload upload in response.MultipartUploads ?? [])
                {
                    if (upload.Initiated is { } initiated && new DateTimeOffset(initiated.ToUniversalTime(), TimeSpan.Zero) < startedBefore)
                    {
                        await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = upload.Key, UploadId = upload.UploadId }, cancellationToken).ConfigureAwait(false);
                        aborted++;
                    }
                }

                if (response.IsTruncated != true)
                {
                    return aborted;
                }

                request.KeyMarker = response.NextKeyMarker;
                request.UploadIdMarker = response.NextUploadIdMarker;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "abort the unfinished uploads of", "(the whole store)");
        }
    }

    /// <inheritdoc />
    protected override async Task DeleteObjectAsync(string key, CancellationToken cancellationToken)
    {
        string objectKey = ObjectKey(key);
        try
        {
            await _client.DeleteObjectAsync(_options.Bucket, objectKey, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "delete", key);
        }
    }

    /// <inheritdoc />
    public override async Task<ObjectInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        string objectKey = ObjectKey(key);
        try
        {
            GetObjectMetadataResponse response = await _client.GetObjectMetadataAsync(_options.Bucket, objectKey, cancellationToken).ConfigureAwait(false);
            return new ObjectInfo(key, response.ContentLength, new DateTimeOffset((response.LastModified ?? DateTime.UnixEpoch).ToUniversalTime(), TimeSpan.Zero));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode is null or "NoSuchKey" or "NotFound")
        {
            // A HEAD has no body, so a missing bucket is also a bare 404: tell them apart before saying "no object".
            await EnsureBucketAsync(key, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "read", key);
        }
    }

    private async Task EnsureBucketAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _keyPrefix, MaxKeys = 1 }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "read", key);
        }
    }

    /// <inheritdoc />
    protected override async Task DownloadToFileAsync(string key, string path, CancellationToken cancellationToken)
    {
        string objectKey = ObjectKey(key);
        long rangeBytes = Math.Max(_options.PartSizeBytes, 1L << 20);
        try
        {
            using SafeFileHandle file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.Asynchronous);
            // The first range tells the object's size; the rest of a large object comes in ranges fetched in parallel,
            // as the AWS CLI and s5cmd download: one connection's throughput is not the store's.
            (long size, string? etag) = await DownloadRangeAsync(objectKey, file, 0, rangeBytes, null, cancellationToken).ConfigureAwait(false);
            var rest = new List<long>();
            for (long offset = rangeBytes; offset < size; offset += rangeBytes)
            {
                rest.Add(offset);
            }

            await Parallel.ForEachAsync(rest, new ParallelOptions { MaxDegreeOfParallelism = RangeConcurrency, CancellationToken = cancellationToken },
                async (offset, ct) => await DownloadRangeAsync(objectKey, file, offset, Math.Min(rangeBytes, size - offset), etag, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "download", key);
        }
    }

    /// <summary>How many ranges of one object are downloaded at once.</summary>
    private const int RangeConcurrency = 4;

    /// <summary>
    /// Writes bytes <paramref name="offset"/> to <paramref name="offset"/> + <paramref name="length"/> of the object into
    /// <paramref name="file"/> at the same offset; returns the object's size and ETag. With <paramref name="etag"/>, a
    /// replaced object fails the read (412) instead of mixing two objects' bytes in one file.
    /// </summary>
    private async Task<(long Size, string? ETag)> DownloadRangeAsync(string objectKey, SafeFileHandle file, long offset, long length, string? etag, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = _options.Bucket, Key = objectKey, ByteRange = new ByteRange(offset, offset + length - 1), EtagToMatch = etag };
        try
        {
            return await GetAsync(request, async (response, ct) =>
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
                try
                {
                    // An attempt after a broken one writes the same bytes at the same offsets again.
                    long position = offset;
                    int n;
                    while ((n = await response.ResponseStream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                    {
                        await RandomAccess.WriteAsync(file, buffer.AsMemory(0, n), position, ct).ConfigureAwait(false);
                        position += n;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                // The total size is after the '/' of Content-Range (a server that ignores the range sends the whole object).
                string? range = response.ContentRange;
                return (range is not null && long.TryParse(range[(range.LastIndexOf('/') + 1)..], out long total) ? total : response.ContentLength, response.ETag);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && offset == 0)
        {
            // No byte 0: the object is empty.
            return (0, null);
        }
    }

    /// <summary>
    /// How many times a GET whose answer broke off inside its body (a reset, a body shorter than its <c>Content-Length</c>)
    /// is made: the SDK retries a request until its answer begins, never a body cut short after, and a GET is safe to repeat.
    /// </summary>
    private const int BodyAttempts = 3;

    /// <summary>Makes <paramref name="request"/> and reads its answer's body with <paramref name="readBody"/>, again from the start when the body breaks off (<see cref="BodyAttempts"/>).</summary>
    private async Task<T> GetAsync<T>(GetObjectRequest request, Func<GetObjectResponse, CancellationToken, Task<T>> readBody, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            using GetObjectResponse response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
            try
            {
                return await readBody(response, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < BodyAttempts && (e is IOException or HttpRequestException or AmazonClientException) && !DiskFull.Caused(e) && !cancellationToken.IsCancellationRequested)
            {
                // The answer broke off: the next attempt asks for the whole of it again. (A full cache disk is no broken answer.)
            }
        }
    }

    /// <inheritdoc />
    protected override async Task UploadFileAsync(string key, string path, CancellationToken cancellationToken)
    {
        string objectKey = ObjectKey(key);
        long size = new FileInfo(path).Length;
        try
        {
            if (size <= _options.MultipartThresholdBytes)
            {
                await _client.PutObjectAsync(new PutObjectRequest { BucketName = _options.Bucket, Key = objectKey, FilePath = path, UseChunkEncoding = false }, cancellationToken).ConfigureAwait(false);
                return;
            }

            await UploadPartsAsync(objectKey, path, size, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not MedallionException && (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            throw Translate(e, "upload", key);
        }
    }

    private async Task UploadPartsAsync(string objectKey, string path, long size, CancellationToken cancellationToken)
    {
        InitiateMultipartUploadResponse upload = await _client.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey }, cancellationToken).ConfigureAwait(false);
        try
        {
            long partSize = Math.Max(_options.PartSizeBytes, 5L << 20);
            int parts = (int)((size + partSize - 1) / partSize);
            var etags = new PartETag[parts];
            await Parallel.ForEachAsync(Enumerable.Range(0, parts), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                long position = i * partSize;
                UploadPartResponse part = await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _options.Bucket,
                    Key = objectKey,
                    UploadId = upload.UploadId,
                    PartNumber = i + 1,
                    FilePath = path,
                    FilePosition = position,
                    PartSize = Math.Min(partSize, size - position),
                    UseChunkEncoding = false,
                }, ct).ConfigureAwait(false);
                etags[i] = new PartETag(i + 1, part.ETag);
            }).ConfigureAwait(false);
            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = objectKey,
                UploadId = upload.UploadId,
                PartETags = [.. etags],
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                // Parts of an unfinished upload are billed and invisible; abort so none are left behind.
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey, UploadId = upload.UploadId }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception abort) when (abort is AmazonServiceException or HttpRequestException or IOException)
            {
                // The service is unreachable (the reason the upload failed); a lifecycle rule removes incomplete uploads.
            }

            throw;
        }
    }

    /// <inheritdoc />
    protected override MedallionException Describe(Exception e, string operation, string key)
    {
        string what = $"Could not {operation} '{key}' in '{Location}'";
        if (e is AmazonS3Exception s3)
        {
            // The service's message ends its sentence already ("Please reduce your request rate.").
            string detail = s3.ErrorCode is null ? $"HTTP {(int)s3.StatusCode}" : $"{s3.ErrorCode}: {s3.Message.TrimEnd('.')}";
            return s3.ErrorCode switch
            {
                "NoSuchKey" => NotFound(key, e),
                "NoSuchBucket" => new MedallionException(ErrorCode.StorageContainerNotFound,
                    $"{what}: the bucket '{_options.Bucket}' does not exist.\nHelp: create the bucket, or check the bucket name and the endpoint (AWS_ENDPOINT_URL_S3).", e),
                "AccessDenied" or "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "ExpiredToken" or "InvalidToken" or "AllAccessDisabled" => new MedallionException(ErrorCode.StorageAccessDenied,
                    $"{what}: the store refused the credentials ({detail}).\nHelp: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the AWS profile) and that they may use the bucket.", e),
                _ when s3.StatusCode == HttpStatusCode.NotFound => NotFound(key, e),
                _ when s3.StatusCode == HttpStatusCode.Forbidden => new MedallionException(ErrorCode.StorageAccessDenied,
                    $"{what}: the store refused the credentials ({detail}).\nHelp: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the AWS profile) and that they may use the bucket.", e),
                // A 5xx is the store's trouble and may pass; another 4xx refuses this request and will refuse it again.
                _ => new MedallionException(ErrorCode.StorageIoFailed, $"{what}: {detail}.", e, isTransient: (int)s3.StatusCode >= 500),
            };
        }

        if (e is AmazonClientException client && client.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase))
        {
            return new MedallionException(ErrorCode.StorageAccessDenied,
                $"{what}: no AWS credentials were found.\nHelp: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure an AWS profile.", e);
        }

        string endpoint = _options.Endpoint?.ToString().TrimEnd('/') ?? "AWS S3";
        if (IsTimeout(e))
        {
            return TimedOut(what, endpoint, _options.RequestTimeout, e);
        }

        // Network failures (connection refused, reset) surface as HttpRequestException or IOException, often wrapped by the SDK.
        Exception root = e;
        while (root.InnerException is not null && root is not HttpRequestException)
        {
            root = root.InnerException;
        }

        return new MedallionException(ErrorCode.StorageIoFailed, $"{what}: the request to {endpoint} failed: {root.Message}", e);
    }
}
